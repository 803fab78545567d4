"""All tables, imported in one place so that ``metadata`` is complete (Alembic, tests, checks)."""

from server.auth.models import (
    app_user,
    auth_token,
    role,
    role_permission,
    sign_in_lock,
    user_role,
    user_warehouse,
)
from server.catalog.models import barcode, category, product, product_unit, unit
from server.core.audit import audit_log
from server.core.db_types import metadata
from server.core.idempotency import idempotency_key
from server.events.models import event, event_counter
from server.inventory.models import (
    location,
    lot,
    lot_expiry_alert,
    product_cost,
    reorder_rule,
    stock_level,
    stock_move,
    stock_reservation,
    bill_of_materials,
    frozen_location,
    production_order,
    production_order_line,
    stock_count,
    stock_count_line,
    stock_operation,
    transfer_order,
    transfer_order_line,
    warehouse,
)
from server.automation.models import automation_log, demand_forecast, job
from server.core.business_settings import app_setting
from server.core.numbering import document_sequence
from server.finance.models import (
    account,
    accounting_period,
    cash_flow_rule,
    department,
    expense_bill,
    expense_category,
    expense_payment,
    poster_failure,
    poster_state,
    posting_rule,
    voucher,
    voucher_line,
)
from server.partners.models import customer, partner_address, supplier
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    preferred_supplier,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    purchase_return,
    purchase_return_line,
    supplier_bill,
    supplier_bill_line,
    supplier_payment,
    supplier_price,
)
from server.reports.models import stock_snapshot
from server.scanning.models import scan_record, scan_session, scan_tally
from server.sales.models import (
    customer_receipt,
    receipt_allocation,
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_history,
    sales_order_line,
    sales_return,
    sales_return_line,
    shipment,
    shipment_line,
)

__all__ = [
    "metadata", "unit", "category", "product", "product_unit", "barcode", "supplier", "customer",
    "warehouse", "location", "lot", "stock_level", "product_cost", "stock_operation", "stock_move",
    "event", "event_counter", "idempotency_key",
    "app_user", "role", "role_permission", "user_role", "user_warehouse", "auth_token", "audit_log", "sign_in_lock",
    "document_sequence", "app_setting", "supplier_price", "preferred_supplier", "purchase_order",
    "purchase_order_line", "purchase_order_history", "goods_receipt", "goods_receipt_line", "purchase_return",
    "purchase_return_line", "supplier_bill", "supplier_bill_line", "supplier_payment", "payment_allocation",
    "partner_address", "stock_reservation", "sales_order", "sales_order_line", "sales_order_history", "shipment",
    "shipment_line", "sales_invoice", "sales_invoice_line", "customer_receipt", "receipt_allocation", "sales_return",
    "sales_return_line", "reorder_rule", "transfer_order", "transfer_order_line",
    "stock_count", "stock_count_line", "frozen_location", "bill_of_materials", "production_order",
    "production_order_line", "lot_expiry_alert", "scan_session", "scan_record", "scan_tally",
    "account", "posting_rule", "cash_flow_rule", "accounting_period", "department", "voucher", "voucher_line",
    "poster_state", "poster_failure", "expense_category", "expense_bill", "expense_payment", "job", "automation_log",
    "demand_forecast", "stock_snapshot",
]
