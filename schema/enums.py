"""GraphQL enums for the arguments and input fields that choose among fixed options.

A free-text argument that selects a behaviour (``groupBy: "x"``) used to reach the domain and end as an
unexpected exception; as an enum, GraphQL refuses an unknown value at validation, before any resolver
runs. Each enum is built from the domain's own constants where the domain has them, so the values are
written once: the GraphQL name is the upper-cased value (``PRODUCT``), the Python value is the domain's
string (``"product"``), which resolvers pass on with ``.value`` — the domain keeps taking plain strings
and keeps its own checks (it is also called from the CLI and the HTTP downloads).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable

import strawberry

from server.automation.auto_po import AUTOMATIONS
from server.automation.jobs import JOBS
from server.finance.chart import CASH_FLOW_ITEMS
from server.finance.ledger import DIMENSIONS
from server.finance.statements import STATEMENTS
from server.finance.vouchers import GAIN_TREATMENTS, LOSS_TREATMENTS
from server.partners.services import ADDRESS_KINDS
from server.purchasing.bills import PAYMENT_METHODS
from server.reports.approvals import KINDS as APPROVAL_KINDS
from server.reports.forecast import SERVICE_Z
from server.reports.inventory import DAY_BASES
from server.reports.sales import GROUPINGS as SALES_GROUPINGS
from server.sales.invoicing import RECEIPT_METHODS
from server.scanning.labels import KINDS as LABEL_KINDS
from server.scanning.labels import LAYOUTS as LABEL_LAYOUTS


def _name(value: str, prefix: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").upper()
    if name[:1].isdigit():
        assert prefix, f"{value!r} needs a prefix to make a GraphQL name"
        return f"{prefix}_{name}"
    return name


def options_enum(
    name: str, values: Iterable[str], description: str, *, prefix: str = "", name_of: Callable[[str], str] | None = None
) -> type[enum.Enum]:
    """A strawberry enum ``NAME = "value"`` for each domain value; ``prefix`` names values such as ``"360"``
    that do not make a GraphQL name by themselves (``DAYS_360``)."""
    values = tuple(values)
    members = {(name_of(v) if name_of else _name(v, prefix)): v for v in values}
    assert len(members) == len(values), f"{name}: two values give the same enum name"
    return strawberry.enum(enum.Enum(name, members), name=name, description=description)


def value_of(option: enum.Enum | None) -> str | None:
    """The domain's string for an enum argument (``None`` stays ``None``)."""
    return None if option is None else option.value


# ---- reports ----------------------------------------------------------------------------------------------

ApprovalKind = options_enum(
    "ApprovalKind", APPROVAL_KINDS, "What an item of the approvals inbox is (which mutation decides it)."
)
SalesGrouping = options_enum("SalesGrouping", SALES_GROUPINGS, "How the sales report groups its rows.")
# server/reports/inventory.py::stock_as_of, turnover and server/reports/purchasing.py::purchase_spend check these
StockGrouping = options_enum(
    "StockGrouping",
    ("product", "warehouse", "location", "category", "product_warehouse"),
    "How the stock-as-of report groups its rows.",
)
TurnoverGrouping = options_enum("TurnoverGrouping", ("product", "category"), "How the turnover report groups its rows.")
SpendGrouping = options_enum("SpendGrouping", ("supplier", "product"), "How the purchase spend report groups its rows.")
DayBasis = options_enum(
    "DayBasis",
    DAY_BASES,
    "Days in a year for days of inventory: 360, 365 or the actual days of the period.",
    prefix="DAYS",
)
ServiceLevel = options_enum(
    "ServiceLevel",
    SERVICE_Z,
    "Service level of the safety stock: PERCENT_95 is 0.95.",
    name_of=lambda v: f"PERCENT_{v.split('.')[1]}",
)
JobName = options_enum("JobName", JOBS, "A scheduled job.")
AutomationName = options_enum("AutomationName", AUTOMATIONS, "An automation that can be switched on or off.")

# ---- scanning ---------------------------------------------------------------------------------------------

LabelKind = options_enum(
    "LabelKind",
    LABEL_KINDS,
    "The symbology of a product label: EAN-13, Code 128 (SKU), GS1-128, QR (GS1 Digital Link) or GS1 DataMatrix.",
)
LabelLayout = options_enum(
    "LabelLayout",
    LABEL_LAYOUTS,
    "A label layout: an A4 sheet of 3×8 labels, or single thermal labels of 50×30, 60×40 or 100×50 mm.",
    prefix="LABEL",
)

# ---- finance ----------------------------------------------------------------------------------------------

StatementKind = options_enum("StatementKind", STATEMENTS, "A financial statement.")
LossTreatment = options_enum("LossTreatment", LOSS_TREATMENTS, "How a stock-count loss is cleared.")
GainTreatment = options_enum("GainTreatment", GAIN_TREATMENTS, "How a stock-count gain is cleared.")
AccountDimension = options_enum("AccountDimension", DIMENSIONS, "辅助核算: an analysis dimension of an account.")
CashFlowItemKey = options_enum("CashFlowItemKey", CASH_FLOW_ITEMS, "A line of the cash-flow statement.")
VoucherStatus = options_enum("VoucherStatus", ("draft", "reviewed", "posted"), "Voucher status.")  # CHECK on voucher
ExpenseStatus = options_enum("ExpenseStatus", ("submitted", "approved", "paid", "rejected"), "Expense bill status.")
PaymentMethod = options_enum("PaymentMethod", PAYMENT_METHODS, "How a payment is made.")

# ---- sales and partners -----------------------------------------------------------------------------------

ReceiptMethod = options_enum("ReceiptMethod", RECEIPT_METHODS, "How a customer pays.")
AddressKind = options_enum("AddressKind", ADDRESS_KINDS, "What a partner address is for.")
# server/partners/services.py checks these
CreditRating = options_enum(
    "CreditRating", ("A", "B", "C", "D"), "Customer credit rating; D always needs a credit approval."
)
InvoiceType = options_enum("InvoiceType", ("special", "normal"), "special 增值税专用发票 | normal 普通发票.")
CreditMode = options_enum(
    "CreditMode", ("approve", "refuse"), "Over the credit limit: ask for an approval, or refuse the order."
)  # server/sales/settings.py

# ---- purchasing and inventory -----------------------------------------------------------------------------

LandedAllocation = options_enum(
    "LandedAllocation", ("value", "quantity"), "How landed costs are allocated to the lines of a receipt."
)  # server/purchasing/receipts.py
CountMode = options_enum(
    "CountMode",
    ("snapshot", "freeze"),
    "snapshot: operations go on during the count; freeze: the counted bins take no moves.",
)  # server/inventory/counts.py
StockCountStatus = options_enum("StockCountStatus", ("open", "approved", "cancelled"), "Stock count status.")
TransferStatus = options_enum(
    "TransferStatus", ("in_transit", "partially_received", "received"), "Transfer status."
)  # server/inventory/transfers.py
ProductionStatus = options_enum(
    "ProductionStatus", ("open", "in_progress", "completed"), "Production order status."
)  # server/inventory/production.py
