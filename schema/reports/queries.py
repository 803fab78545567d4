"""Reports, forecasts, jobs and the automation log over GraphQL. The figures come from
``server.reports`` (exact: money as decimal strings from integer fen); every report also downloads as
CSV/XLSX from ``/reports/{name}.{csv|xlsx}`` (``csvUrl``/``xlsxUrl`` fields).

Who sees what (decided by ``server.auth.scope``): every report needs ``report.view``. Figures that
reveal costs — cost, margin and margin %, stock values, cost of sales and opening/closing inventory,
purchase amounts and prices, consumption values — also need ``cost.view``: without it they answer
null with a ``PERMISSION_DENIED`` error beside the data. Quantities, revenue, shares, return rates,
turnover and days of inventory (ratios of two costs: the money cancels out) and ABC classes stay.
A caller limited to some warehouses gets the figures of those warehouses (the domain functions take
``warehouses``, see their module docstrings), totals over what it may see, and ``PERMISSION_DENIED``
for a ``warehouseId`` outside them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.bounds import MAX_WEEKS, check_days, check_range, check_rows
from schema.enums import (
    ApprovalKind,
    DayBasis,
    SalesGrouping,
    ServiceLevel,
    SpendGrouping,
    StockGrouping,
    TurnoverGrouping,
)
from schema.relay import decode_id, to_global_id
from schema.reports.types import (
    AbcRow,
    AgingRow,
    ApprovalItem,
    AutomationRun,
    Dashboard,
    DemandForecast,
    Job,
    PricePoint,
    SalesReport,
    SalesReportRow,
    SlowMoverRow,
    SpendRow,
    StockAlertRow,
    StockReportRow,
    TurnoverReport,
    TurnoverRow,
    decimal_or_none,
    money_or_none,
    report_quantity,
)
from schema.scalars import Decimal_
from server.auth import scope
from server.automation import jobs
from server.automation.models import automation_log, job
from server.core import clock
from server.core.errors import ApiError
from server.inventory import abc
from server.reports import approvals, dashboard, forecast, inventory, purchasing, sales

_APPROVAL_TYPES = {
    "purchase_order": "PurchaseOrder",
    "sales_order": "SalesOrder",
    "supplier_bill": "SupplierBill",
    "expense": "ExpenseBill",
    "stock_count": "StockCount",
    "voucher": "Voucher",
}


def _links(name: str, **params) -> tuple[str, str]:
    q = urlencode({k: v for k, v in params.items() if v is not None})
    return f"/reports/{name}.csv?{q}", f"/reports/{name}.xlsx?{q}"


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.today()
    return start or end - timedelta(days=29), end


def _warehouse_arg(info: Info, warehouse_id: strawberry.ID | None) -> int | None:
    """The ``warehouseId`` argument's key (``None``: not given); ``PERMISSION_DENIED`` for a warehouse
    outside the caller's."""
    if not warehouse_id:
        return None
    wh = decode_id(warehouse_id, "Warehouse")
    if not scope.allows(caller_warehouses(info), wh):
        raise ApiError("PERMISSION_DENIED", permission=f"仓库 warehouse {warehouse_id}")
    return wh


def _sales_row(r: sales.SalesRow, rep: sales.SalesReport) -> SalesReportRow:
    return SalesReportRow(
        key=r.key,
        label=r.label,
        quantity=report_quantity(r.quantity),
        revenue=money_or_none(r.revenue),
        cost=money_or_none(r.cost),
        margin=money_or_none(r.margin),
        margin_percent=decimal_or_none(r.margin_pct),
        share_percent=decimal_or_none(rep.share(r)),
        return_rate_percent=decimal_or_none(r.return_rate),
        previous_revenue=money_or_none(r.previous_revenue),
    )


def _turnover_row(r: inventory.TurnoverRow, basis: int) -> TurnoverRow:
    return TurnoverRow(
        key=r.key,
        label=r.label,
        cost_of_sales=money_or_none(r.cost_of_sales),
        opening_value=money_or_none(r.opening_value),
        closing_value=money_or_none(r.closing_value),
        turnover=decimal_or_none(r.turnover()),
        days_of_inventory=decimal_or_none(r.days(basis)),
    )


@strawberry.type
class ReportsQuery:
    @strawberry.field(
        description="Sales by product | category | customer | salesperson | warehouse | day | week | "
        "month, with the previous period, shares, top/bottom N and return rates.",
        extensions=needs("report.view"),
    )
    async def sales_report(
        self,
        info: Info,
        group_by: SalesGrouping = SalesGrouping.PRODUCT,
        start: date | None = None,
        end: date | None = None,
        top: int | None = None,
        bottom: int | None = None,
    ) -> SalesReport:
        check_rows(top, "top")
        check_rows(bottom, "bottom")
        group_by = group_by.value
        start, end = _range(start, end)
        async with info.context.db.read() as conn:
            rep = await sales.sales_report(
                conn, start, end, group_by, top=top, bottom=bottom, warehouses=caller_warehouses(info)
            )
        csv_url, xlsx_url = _links("sales", start=start, end=end, group_by=group_by)
        return SalesReport(
            group_by=group_by,
            start=start,
            end=end,
            rows=[_sales_row(r, rep) for r in rep.rows],
            total=_sales_row(rep.total, rep),
            csv_url=csv_url,
            xlsx_url=xlsx_url,
        )

    @strawberry.field(
        description="Stock as of the end of a day, by product | warehouse | location | category.",
        extensions=needs("report.view"),
    )
    async def stock_as_of(
        self,
        info: Info,
        on: date,
        group_by: StockGrouping = StockGrouping.PRODUCT,
        warehouse_id: strawberry.ID | None = None,
    ) -> list[StockReportRow]:
        wh = _warehouse_arg(info, warehouse_id)
        async with info.context.db.read() as conn:
            rows = await inventory.stock_as_of(
                conn, on, group_by.value, warehouse_id=wh, warehouses=caller_warehouses(info)
            )
        return [
            StockReportRow(key=r.key, label=r.label, quantity=report_quantity(r.quantity), value=money_or_none(r.value))
            for r in rows
        ]

    @strawberry.field(
        description="Inventory turnover and days of inventory; dayBasis 360 | 365 | actual.",
        extensions=needs("report.view"),
    )
    async def inventory_turnover(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        group_by: TurnoverGrouping = TurnoverGrouping.PRODUCT,
        day_basis: DayBasis = DayBasis.DAYS_360,
    ) -> TurnoverReport:
        start, end = _range(start, end)
        async with info.context.db.read() as conn:
            rows, total, basis = await inventory.turnover(
                conn, start, end, group_by.value, day_basis.value, warehouses=caller_warehouses(info)
            )
        return TurnoverReport(
            day_basis=basis, rows=[_turnover_row(r, basis) for r in rows], total=_turnover_row(total, basis)
        )

    @strawberry.field(
        description="库龄: on-hand quantity by days since receipt (first in, first out).",
        extensions=needs("report.view"),
    )
    async def stock_aging(self, info: Info, on: date | None = None) -> list[AgingRow]:
        async with info.context.db.read() as conn:
            rows = await inventory.stock_aging(conn, on or clock.today(), warehouses=caller_warehouses(info))
        return [
            AgingRow(
                product_id=to_global_id("Product", r.product_id),
                label=r.label,
                quantity=report_quantity(r.quantity),
                buckets=[report_quantity(b) for b in r.buckets],
            )
            for r in rows
        ]

    @strawberry.field(
        description="滞销与呆滞: in stock, nothing issued for more than `days` days.", extensions=needs("report.view")
    )
    async def slow_movers(self, info: Info, days: int = 90, on: date | None = None) -> list[SlowMoverRow]:
        check_days(days)
        async with info.context.db.read() as conn:
            rows = await inventory.slow_movers(conn, on or clock.today(), days, warehouses=caller_warehouses(info))
        return [
            SlowMoverRow(
                product_id=to_global_id("Product", r.product_id),
                label=r.label,
                quantity=report_quantity(r.quantity),
                value=money_or_none(r.value),
                last_issue=r.last_issue,
                days_since_issue=r.days_since_issue,
                dead=r.dead,
            )
            for r in rows
        ]

    @strawberry.field(description="库存积压与短缺 against the reorder rules.", extensions=needs("report.view"))
    async def overstock_and_shortage(self, info: Info) -> list[StockAlertRow]:
        async with info.context.db.read() as conn:
            rows = await inventory.overstock_and_shortage(conn, warehouses=caller_warehouses(info))
        return [
            StockAlertRow(
                product_id=to_global_id("Product", r.product_id),
                warehouse_id=to_global_id("Warehouse", r.warehouse_id),
                label=r.label,
                available=report_quantity(r.available),
                min_quantity=report_quantity(r.min_qty),
                max_quantity=report_quantity(r.max_qty),
                kind=r.kind,
            )
            for r in rows
        ]

    @strawberry.field(
        description="Purchase spend by supplier | product (bills excl. VAT).", extensions=needs("report.view")
    )
    async def purchase_spend(
        self,
        info: Info,
        group_by: SpendGrouping = SpendGrouping.SUPPLIER,
        start: date | None = None,
        end: date | None = None,
    ) -> list[SpendRow]:
        start, end = _range(start, end)
        async with info.context.db.read() as conn:
            rows = await purchasing.purchase_spend(conn, start, end, group_by.value, warehouses=caller_warehouses(info))
        return [
            SpendRow(
                key=r.key,
                label=r.label,
                amount=money_or_none(r.amount),
                tax=money_or_none(r.tax),
                quantity=report_quantity(r.quantity),
            )
            for r in rows
        ]

    @strawberry.field(
        description="Purchase price per month of a product (accepted goods value ÷ quantity).",
        extensions=needs("report.view"),
    )
    async def purchase_price_trend(
        self, info: Info, product_id: strawberry.ID, start: date | None = None, end: date | None = None
    ) -> list[PricePoint]:
        end = end or clock.today()
        start = start or end - timedelta(days=365)
        async with info.context.db.read() as conn:
            points = await purchasing.price_trend(
                conn, decode_id(product_id, "Product") or 0, start, end, warehouses=caller_warehouses(info)
            )
        return [
            PricePoint(
                month=p.month,
                quantity=report_quantity(p.quantity),
                value=money_or_none(p.value),
                average_unit_price=Decimal_(str(Decimal(p.unit_price_micro) / 10**6)),
                suppliers=p.supplier_count,
            )
            for p in points
        ]

    @strawberry.field(
        description="ABC classes by consumption value (the split is a setting).", extensions=needs("report.view")
    )
    async def abc_classification(
        self, info: Info, on: date | None = None, days: int = 365, warehouse_id: strawberry.ID | None = None
    ) -> list[AbcRow]:
        check_days(days, low=1)
        wh = _warehouse_arg(info, warehouse_id)
        async with info.context.db.read() as conn:
            items = await abc.abc_items(
                conn, on or clock.today(), days=days, warehouse_id=wh, warehouses=caller_warehouses(info)
            )
        return [
            AbcRow(
                product_id=to_global_id("Product", i.product_id),
                consumption=money_or_none(i.consumption),
                rank=i.rank,
                abc_class=i.cls,
            )
            for i in items
        ]

    @strawberry.field(description="The day's KPIs.", extensions=needs("report.view"))
    async def dashboard(self, info: Info, on: date | None = None) -> Dashboard:
        async with info.context.db.read() as conn:
            d = await dashboard.dashboard(conn, on, warehouses=caller_warehouses(info))
        return Dashboard(
            date=d.on,
            sales_today=money_or_none(d.sales_today),
            margin_today=money_or_none(d.margin_today),
            sales_month_to_date=money_or_none(d.sales_month),
            margin_month_to_date=money_or_none(d.margin_month),
            stock_value=money_or_none(d.stock_value),
            turnover_30_days=decimal_or_none(d.turnover_30d),
            _overdue=d.overdue_receivables,
            low_stock_count=d.low_stock,
            open_purchase_orders=d.open_purchase_orders,
            open_sales_orders=d.open_sales_orders,
        )

    @strawberry.field(
        description="待我审批: what waits for the caller's decision and the API would let them decide — submitted "
        "purchase and sales orders (amount, discount, credit hold) at a step they may sign, supplier bills awaiting "
        "approval, expense bills, counts ready for review, draft vouchers — never their own documents, limited to "
        "their warehouses. Oldest first, at most `limit` of each kind.",
        extensions=needs(None),
    )
    async def approvals_inbox(
        self, info: Info, kinds: list[ApprovalKind] | None = None, limit: int = 100
    ) -> list[ApprovalItem]:
        check_range(limit, "limit", 1, 500)
        wanted = tuple(k.value for k in kinds) if kinds else approvals.KINDS
        async with info.context.db.read() as conn:
            items = await approvals.approvals_inbox(conn, info.context.principal, kinds=wanted, limit=limit)
        return [
            ApprovalItem(
                kind=ApprovalKind(i.kind),
                id=to_global_id(_APPROVAL_TYPES[i.kind], i.id),
                number=i.number,
                status=i.status,
                reason=i.reason,
                partner=i.partner,
                amount=money_or_none(i.amount_fen),
                submitted_by=i.submitted_by,
                created_at=i.created_at,
                step=i.step,
                steps=i.steps,
            )
            for i in items
        ]

    @strawberry.field(
        description="Demand forecast of a product (optionally per warehouse) from weekly sales.",
        extensions=needs("report.view"),
    )
    async def demand_forecast(
        self,
        info: Info,
        product_id: strawberry.ID,
        warehouse_id: strawberry.ID | None = None,
        weeks: int = 26,
        lead_time_days: int = 7,
        service_level: ServiceLevel = ServiceLevel.PERCENT_95,
    ) -> DemandForecast:
        check_range(weeks, "weeks", 1, MAX_WEEKS)
        check_days(lead_time_days, "leadTimeDays")
        wh = _warehouse_arg(info, warehouse_id)
        async with info.context.db.read() as conn:
            f = await forecast.forecast_product(
                conn,
                decode_id(product_id, "Product") or 0,
                weeks=max(4, min(weeks, 156)),
                warehouse_id=wh,
                lead_time_days=lead_time_days,
                service_level=service_level.value,
                warehouses=caller_warehouses(info),
            )
        return DemandForecast(
            method=f.method,
            mape_percent=decimal_or_none(f.mape),
            next_week=decimal_or_none(f.next_week),
            weekly_mean=decimal_or_none(f.mean),
            weekly_stdev=decimal_or_none(f.stdev),
            safety_stock=decimal_or_none(f.safety_stock),
            reorder_point=decimal_or_none(f.reorder_point),
            history=[decimal_or_none(x) for x in f.history],
        )

    @strawberry.field(description="Scheduled jobs with their last result.", extensions=needs("automation.manage"))
    async def jobs(self, info: Info) -> list[Job]:
        """Every registered job; one no scheduler has picked up yet shows as never run (a read, no write)."""
        now = clock.local_now()
        async with info.context.db.read() as conn:
            rows = {r.name: r for r in await conn.execute(select(job))}
        out = []
        for name, (interval, _fn, zh, en) in sorted(jobs.JOBS.items()):
            r = rows.get(name)
            out.append(
                Job(
                    name=name,
                    label=f"{zh} {en}",
                    enabled=r.enabled if r else True,
                    interval_seconds=r.interval_seconds if r else interval,
                    next_run_at=r.next_run_at if r else None,
                    last_started_at=r.last_started_at if r else None,
                    last_finished_at=r.last_finished_at if r else None,
                    last_status=r.last_status if r else "",
                    last_result=r.last_result if r else "",
                    runs=r.runs if r else 0,
                    running=bool(r and r.lease_until is not None and r.lease_until > now),
                )
            )
        return out

    @strawberry.field(description="What the automations did, newest first.", extensions=needs("automation.manage"))
    async def automation_log(self, info: Info, limit: int = 50) -> list[AutomationRun]:
        async with info.context.db.read() as conn:
            rows = (
                await conn.execute(
                    select(automation_log).order_by(automation_log.c.id.desc()).limit(max(1, min(limit, 500)))
                )
            ).all()
        return [AutomationRun(automation=r.automation, at=r.at, trigger=r.trigger, summary=r.summary) for r in rows]
