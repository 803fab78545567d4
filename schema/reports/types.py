"""Report, forecast, job and automation types. Figures that reveal costs are declared with
``_cost`` (they need ``cost.view`` besides ``report.view``: else null and ``PERMISSION_DENIED``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from schema.auth.permissions import needs
from schema.enums import ApprovalKind
from schema.scalars import Decimal_, Money, Quantity
from server.core.errors import ApiError
from server.core.numbers import fen_to_decimal, scaled_to_decimal


def money_or_none(fen: int | None) -> Money | None:
    return None if fen is None else Money(str(fen_to_decimal(fen)))


def report_quantity(scaled: int) -> Quantity:
    return Quantity(str(scaled_to_decimal(scaled, 3)))


def decimal_or_none(d) -> Decimal_ | None:
    return None if d is None else Decimal_(str(d))


def _cost(description: str = ""):
    """A figure that reveals costs: needs cost.view besides report.view (else null + PERMISSION_DENIED)."""
    return strawberry.field(description=f"{description} Needs cost.view.".strip(), extensions=needs("cost.view"))


@strawberry.type
class SalesReportRow:
    key: str
    label: str
    quantity: Quantity
    revenue: Money
    cost: Money | None = _cost("Cost of goods shipped minus returned.")
    margin: Money | None = _cost()
    margin_percent: Decimal_ | None = _cost()
    share_percent: Decimal_ | None
    return_rate_percent: Decimal_ | None
    previous_revenue: Money | None


@strawberry.type(description="销售报表: revenue (invoiced, excl. VAT), cost of goods shipped, margin.")
class SalesReport:
    group_by: str
    start: date
    end: date
    rows: list[SalesReportRow]
    total: SalesReportRow
    csv_url: str
    xlsx_url: str


@strawberry.type
class StockReportRow:
    key: str
    label: str
    quantity: Quantity
    value: Money | None = _cost()


@strawberry.type
class TurnoverRow:
    key: str
    label: str
    cost_of_sales: Money | None = _cost()
    opening_value: Money | None = _cost()
    closing_value: Money | None = _cost()
    turnover: Decimal_ | None = strawberry.field(
        description="Cost of sales ÷ average inventory (the money cancels out: needs report.view only)."
    )
    days_of_inventory: Decimal_ | None


@strawberry.type(description="库存周转: cost of sales ÷ average inventory; days = average × basis ÷ cost.")
class TurnoverReport:
    day_basis: int
    rows: list[TurnoverRow]
    total: TurnoverRow


@strawberry.type
class AgingRow:
    product_id: strawberry.ID
    label: str
    quantity: Quantity
    buckets: list[Quantity] = strawberry.field(description="0–30, 31–60, 61–90, 91–180, over 180 days.")


@strawberry.type
class SlowMoverRow:
    product_id: strawberry.ID
    label: str
    quantity: Quantity
    value: Money | None = _cost()
    last_issue: date | None
    days_since_issue: int | None
    dead: bool


@strawberry.type
class StockAlertRow:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    label: str
    available: Quantity
    min_quantity: Quantity
    max_quantity: Quantity
    kind: str


@strawberry.type
class SpendRow:
    key: str
    label: str
    amount: Money | None = _cost()
    tax: Money | None = _cost()
    quantity: Quantity


@strawberry.type
class PricePoint:
    month: str
    quantity: Quantity
    value: Money | None = _cost()
    average_unit_price: Decimal_ | None = _cost()
    suppliers: int


@strawberry.type
class AbcRow:
    product_id: strawberry.ID
    consumption: Money | None = _cost()
    rank: int
    abc_class: str


@strawberry.type(description="经营看板: the day's key figures.")
class Dashboard:
    date: date
    sales_today: Money
    margin_today: Money | None = _cost()
    sales_month_to_date: Money
    margin_month_to_date: Money | None = _cost()
    stock_value: Money | None = _cost()
    turnover_30_days: Decimal_ | None
    low_stock_count: int
    open_purchase_orders: int
    open_sales_orders: int
    _overdue: strawberry.Private[int | None]

    @strawberry.field(
        description="Overdue receivables of all customers. Receivables belong to no warehouse: a caller "
        "limited to some warehouses gets null and PERMISSION_DENIED."
    )
    def overdue_receivables(self) -> Money | None:
        if self._overdue is None:
            raise ApiError("PERMISSION_DENIED", permission="全部仓库 all warehouses")
        return money_or_none(self._overdue)


@strawberry.type(description="需求预测 with the method of lower hold-out error, safety stock and reorder point.")
class DemandForecast:
    method: str
    mape_percent: Decimal_ | None
    next_week: Decimal_
    weekly_mean: Decimal_
    weekly_stdev: Decimal_
    safety_stock: Decimal_
    reorder_point: Decimal_
    history: list[Decimal_]


@strawberry.type
class Job:
    name: str
    label: str
    enabled: bool
    interval_seconds: int
    next_run_at: datetime | None = strawberry.field(description="null: no scheduler has picked it up yet.")
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str
    last_result: str
    runs: int
    running: bool


@strawberry.type
class AutomationRun:
    automation: str
    at: datetime
    trigger: str
    summary: str


@strawberry.type(
    description="待我审批: one document waiting for the caller's decision. The mutation that decides it by kind: "
    "PURCHASE_ORDER approvePurchaseOrder/rejectPurchaseOrder, SALES_ORDER approveSalesOrder/rejectSalesOrder, "
    "SUPPLIER_BILL approveSupplierBill, EXPENSE decideExpense, STOCK_COUNT approveStockCount, VOUCHER reviewVoucher."
)
class ApprovalItem:
    kind: ApprovalKind
    id: strawberry.ID = strawberry.field(description="The document's global ID (PurchaseOrder, SalesOrder, …).")
    number: str
    status: str
    reason: str = strawberry.field(
        description="What the step is about: a sales step's reason (amount, discount, credit, order), a purchase "
        "step's role, a bill's match flags, a count's mode, a voucher's source."
    )
    partner: str = strawberry.field(
        description="The supplier or customer, a count's warehouse, an expense's description."
    )
    amount: Money | None = strawberry.field(
        description="Total incl. VAT; null for a count, for a purchase order without cost.view and for a supplier "
        "bill without cost.view or finance.view."
    )
    submitted_by: str
    created_at: datetime
    step: int = strawberry.field(description="The step waiting, from 1.")
    steps: int
