"""The printed documents (单据打印): each read from the database into a ``PrintedForm``.

=================  =========================================  ===============  =====================
kind               form                                        permission       of
=================  =========================================  ===============  =====================
purchase_order     采购订单 (prices, VAT, total in capitals)    purchase.view    a purchase order
goods_receipt      入库单 (accepted, rejected, bin, lot)        purchase.view    a goods receipt
pick_list          拣货单 (bins in walking order, FEFO lots)    sales.view       a sales order
delivery_note      送货单 / 出库单 (customer signs)             sales.view       a shipment
sales_invoice      销售发票 (summary, 价税合计 in capitals)     sales.view       an invoice or credit
voucher            记账凭证 (制单 / 审核 / 记账)                finance.view     a voucher
=================  =========================================  ===============  =====================

``PERMISSIONS`` says which permission each kind needs (the web route asks ``server.auth.scope``
through its guard); ``printed_form`` then checks the document's warehouse against the caller's
(``scope.in_scope``) and leaves values out for whoever may not see costs: the goods receipt's values
are inventory cost (``cost.view``). The company printed at the top (编制单位) is the seller name of
the sales settings, the name on the company's invoices.

Delivery-note amounts are the order line's total (incl. VAT) times the shipped share of its
quantity, half-up to the fen per line — the same share the invoice of the shipment bills.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.principal import Principal
from server.catalog.models import product, unit
from server.core.errors import DomainError
from server.core.numbers import round_half_up_div
from server.finance.errors import FinanceError
from server.finance.models import account, voucher, voucher_line
from server.inventory.models import location, lot, warehouse
from server.partners.models import customer, partner_address, supplier
from server.printing.forms import FormColumn, PrintedForm, money, price, quantity, rate
from server.purchasing.errors import PurchasingError
from server.purchasing.models import goods_receipt, goods_receipt_line, purchase_order, purchase_order_line
from server.sales.errors import SalesError
from server.sales.models import (
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_line,
    shipment,
    shipment_line,
)
from server.sales.settings import load_sales_settings
from server.sales.shipping import pick_list

PERMISSIONS = {
    "purchase_order": "purchase.view",
    "goods_receipt": "purchase.view",
    "pick_list": "sales.view",
    "delivery_note": "sales.view",
    "sales_invoice": "sales.view",
    "voucher": "finance.view",
}
#: whose errors a refusal is (each document's domain owns its codes: NOT_FOUND, PERMISSION_DENIED)
ERRORS: dict[str, type[DomainError]] = {
    "purchase_order": PurchasingError,
    "goods_receipt": PurchasingError,
    "pick_list": SalesError,
    "delivery_note": SalesError,
    "sales_invoice": SalesError,
    "voucher": FinanceError,
}
#: the API type whose global id each kind takes
ID_TYPES = {
    "purchase_order": "PurchaseOrder",
    "goods_receipt": "GoodsReceipt",
    "pick_list": "SalesOrder",
    "delivery_note": "Shipment",
    "sales_invoice": "SalesInvoice",
    "voucher": "Voucher",
}


async def _one(conn: AsyncConnection, table, pk: int, what: str, what_en: str, error: type[DomainError]):
    row = (await conn.execute(select(table).where(table.c.id == pk))).first()
    if row is None:
        raise error("NOT_FOUND", "id", what=what, what_en=what_en)
    return row


async def _lines(conn: AsyncConnection, table, key: str, pk: int) -> list[Any]:
    """The lines of document ``pk`` (``table.<key> == pk``) in line order."""
    return list((await conn.execute(select(table).where(table.c[key] == pk).order_by(table.c.line_no))).all())


def _in_scope(principal: Principal | None, warehouse_id: int, error: type[DomainError]) -> None:
    scope.require_warehouse(principal, warehouse_id, error, "id")


async def _products(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Any]:
    """sku, name, spec and the base unit's name and precision of each product."""
    rows = await conn.execute(
        select(product.c.id, product.c.sku, product.c.name, product.c.spec, unit.c.name.label("unit"), unit.c.precision)
        .join(unit, unit.c.id == product.c.base_unit_id)
        .where(product.c.id.in_(set(ids)))
    )
    return {r.id: r for r in rows}


async def _units(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Any]:
    return {
        r.id: r
        for r in await conn.execute(select(unit.c.id, unit.c.name, unit.c.precision).where(unit.c.id.in_(set(ids))))
    }


async def _names(conn: AsyncConnection, table, ids: Iterable[int], column: str = "code") -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = await conn.execute(select(table.c.id, table.c[column]).where(table.c.id.in_(ids)))
    return {r[0]: r[1] for r in rows}


async def _company(conn: AsyncConnection) -> str:
    return (await load_sales_settings(conn)).seller_name


async def _warehouse(conn: AsyncConnection, warehouse_id: int) -> str:
    row = (await conn.execute(select(warehouse.c.code, warehouse.c.name).where(warehouse.c.id == warehouse_id))).one()
    return f"{row.code} {row.name}"


async def _partner(conn: AsyncConnection, table, pk: int):
    return (await conn.execute(select(table).where(table.c.id == pk))).one()


# ---- purchasing -------------------------------------------------------------------------------------------


async def _purchase_order(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    order = await _one(conn, purchase_order, pk, "采购订单", "Purchase order", PurchasingError)
    _in_scope(principal, order.warehouse_id, PurchasingError)
    lines = await _lines(conn, purchase_order_line, "order_id", pk)
    products = await _products(conn, (ln.product_id for ln in lines))
    units = await _units(conn, (ln.unit_id for ln in lines))
    sup = await _partner(conn, supplier, order.supplier_id)
    form = PrintedForm(
        "purchase_order",
        "采购订单",
        "Purchase order",
        order.number,
        await _company(conn),
        fields=[
            ("供应商", "Supplier", f"{sup.code} {sup.name}"),
            ("订单日期", "Date", order.order_date.isoformat()),
            ("收货仓库", "Warehouse", await _warehouse(conn, order.warehouse_id)),
            ("联系人", "Contact", " ".join(x for x in (sup.contact_name, sup.phone) if x)),
            ("币种", "Currency", order.currency),
        ],
        columns=[
            FormColumn("行", "No.", 0.5, "CENTER"),
            FormColumn("编码", "SKU", 1.2),
            FormColumn("品名规格", "Product", 2.6),
            FormColumn("单位", "Unit", 0.6, "CENTER"),
            FormColumn("数量", "Qty", 0.9, "RIGHT"),
            FormColumn("单价", "Price", 0.9, "RIGHT"),
            FormColumn("税率", "VAT", 0.6, "RIGHT"),
            FormColumn("金额", "Amount", 1.0, "RIGHT"),
            FormColumn("税额", "VAT amount", 0.9, "RIGHT"),
            FormColumn("交货日期", "Due", 1.2, "CENTER"),
        ],
        amount_fen=order.total_fen,
        amount_label="价税合计（大写）",
        signatures=[
            ("制单", "Prepared by", order.created_by),
            ("审核", "Approved by", ""),
            ("供应商确认", "Supplier", ""),
        ],
        note=order.note,
    )
    for ln in lines:
        p, u = products[ln.product_id], units[ln.unit_id]
        form.rows.append(
            [
                str(ln.line_no),
                p.sku,
                f"{p.name} {p.spec}".strip(),
                u.name,
                quantity(ln.quantity, u.precision),
                price(ln.unit_price_micro),
                rate(ln.vat_rate_bp),
                money(ln.amount_fen),
                money(ln.tax_fen),
                ln.expected_date.isoformat() if ln.expected_date else "",
            ]
        )
    form.totals = ["", "合计 Total", "", "", "", "", "", money(order.amount_fen), money(order.tax_fen), ""]
    return form


async def _goods_receipt(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    receipt = await _one(conn, goods_receipt, pk, "收货单", "Goods receipt", PurchasingError)
    _in_scope(principal, receipt.warehouse_id, PurchasingError)
    lines = await _lines(conn, goods_receipt_line, "receipt_id", pk)
    products = await _products(conn, (ln.product_id for ln in lines))
    bins = await _names(conn, location, (ln.location_id for ln in lines))
    lots = await _names(conn, lot, (ln.lot_id for ln in lines))
    sup = await _partner(conn, supplier, receipt.supplier_id)
    order_number = ""
    if receipt.order_id is not None:
        order_number = (
            await _one(conn, purchase_order, receipt.order_id, "采购订单", "Purchase order", PurchasingError)
        ).number
    costs = scope.sees_costs(principal)
    columns = [
        FormColumn("行", "No.", 0.5, "CENTER"),
        FormColumn("编码", "SKU", 1.2),
        FormColumn("品名规格", "Product", 2.4),
        FormColumn("单位", "Unit", 0.6, "CENTER"),
        FormColumn("实收", "Received", 0.8, "RIGHT"),
        FormColumn("合格", "Accepted", 0.8, "RIGHT"),
        FormColumn("拒收", "Rejected", 0.8, "RIGHT"),
        FormColumn("库位", "Bin", 1.0),
        FormColumn("批次", "Lot", 1.0),
    ]
    if costs:
        columns += [FormColumn("单价", "Price", 0.9, "RIGHT"), FormColumn("入库金额", "Value", 1.0, "RIGHT")]
    form = PrintedForm(
        "goods_receipt",
        "入库单",
        "Goods receipt",
        receipt.number,
        await _company(conn),
        fields=[
            ("供应商", "Supplier", f"{sup.code} {sup.name}"),
            ("入库日期", "Date", receipt.receipt_date.isoformat()),
            ("仓库", "Warehouse", await _warehouse(conn, receipt.warehouse_id)),
            ("采购订单", "Order", order_number),
            ("验收单号", "Inspection", receipt.inspection_number),
        ],
        columns=columns,
        amount_fen=receipt.goods_value_fen + receipt.landed_cost_fen if costs else None,
        amount_label="入库金额（大写）",
        signatures=[
            ("制单", "Prepared by", receipt.actor),
            ("验收", "Inspected by", ""),
            ("仓管", "Keeper", ""),
            ("记账", "Booked by", ""),
        ],
        note=receipt.note,
    )
    for ln in lines:
        p = products[ln.product_id]
        row = [
            str(ln.line_no),
            p.sku,
            f"{p.name} {p.spec}".strip(),
            p.unit,
            quantity(ln.received_qty, p.precision),
            quantity(ln.accepted_qty, p.precision),
            quantity(ln.rejected_qty, p.precision) + (f"\n{ln.reject_reason}" if ln.reject_reason else ""),
            bins.get(ln.location_id, ""),
            lots.get(ln.lot_id, ""),
        ]
        if costs:
            row += [price(ln.unit_price_micro), money(ln.value_fen)]
        form.rows.append(row)
    form.totals = ["", "合计 Total", "", "", "", "", "", "", ""] + (
        ["", money(sum(ln.value_fen for ln in lines))] if costs else []
    )
    return form


# ---- sales --------------------------------------------------------------------------------------------------


async def _pick_list(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    order = await _one(conn, sales_order, pk, "销售订单", "Sales order", SalesError)
    _in_scope(principal, order.warehouse_id, SalesError)
    picks, _short = await pick_list(conn, [pk])
    products = await _products(conn, (s.product_id for s in picks))
    cust = await _partner(conn, customer, order.customer_id)
    form = PrintedForm(
        "pick_list",
        "拣货单",
        "Pick list",
        order.number,
        await _company(conn),
        fields=[
            ("客户", "Customer", f"{cust.code} {cust.name}"),
            ("订单日期", "Order date", order.order_date.isoformat()),
            ("仓库", "Warehouse", await _warehouse(conn, order.warehouse_id)),
        ],
        columns=[
            FormColumn("库位", "Bin", 1.1),
            FormColumn("编码", "SKU", 1.2),
            FormColumn("品名规格", "Product", 2.6),
            FormColumn("批次", "Lot", 1.0),
            FormColumn("有效期至", "Expiry", 1.0, "CENTER"),
            FormColumn("单位", "Unit", 0.6, "CENTER"),
            FormColumn("应拣", "To pick", 0.9, "RIGHT"),
            FormColumn("实拣", "Picked", 0.9, "RIGHT"),
        ],
        signatures=[("拣货人", "Picked by", ""), ("复核", "Checked by", "")],
        note=order.note,
        copies=("仓库", "复核", "存根"),
    )
    for s in picks:
        p = products[s.product_id]
        form.rows.append(
            [
                s.location_code,
                p.sku,
                f"{p.name} {p.spec}".strip(),
                s.lot_code or "",
                s.expiry_date.isoformat() if s.expiry_date else "",
                p.unit,
                quantity(s.quantity, p.precision),
                "",
            ]
        )
    return form


async def _delivery_note(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    ship = await _one(conn, shipment, pk, "发货单", "Shipment", SalesError)
    _in_scope(principal, ship.warehouse_id, SalesError)
    order = await _one(conn, sales_order, ship.order_id, "销售订单", "Sales order", SalesError)
    lines = (
        await conn.execute(
            select(
                shipment_line,
                sales_order_line.c.qty.label("order_qty"),
                sales_order_line.c.total_fen.label("order_total"),
            )
            .join(sales_order_line, sales_order_line.c.id == shipment_line.c.order_line_id)
            .where(shipment_line.c.shipment_id == pk)
            .order_by(shipment_line.c.line_no)
        )
    ).all()
    products = await _products(conn, (ln.product_id for ln in lines))
    lots = await _names(conn, lot, (ln.lot_id for ln in lines))
    cust = await _partner(conn, customer, ship.customer_id)
    address = ""
    if order.ship_to_address_id is not None:
        a = (
            await conn.execute(select(partner_address).where(partner_address.c.id == order.ship_to_address_id))
        ).first()
        if a is not None:
            address = " ".join(x for x in (a.address, a.contact_name, a.phone) if x)
    form = PrintedForm(
        "delivery_note",
        "送货单（出库单）",
        "Delivery note",
        ship.number,
        await _company(conn),
        fields=[
            ("客户", "Customer", f"{cust.code} {cust.name}"),
            ("发货日期", "Date", ship.ship_date.isoformat()),
            ("销售订单", "Order", order.number),
            ("发货仓库", "Warehouse", await _warehouse(conn, ship.warehouse_id)),
            ("收货地址", "Ship to", address or cust.address),
        ],
        columns=[
            FormColumn("行", "No.", 0.5, "CENTER"),
            FormColumn("编码", "SKU", 1.2),
            FormColumn("品名规格", "Product", 2.6),
            FormColumn("批次", "Lot", 1.0),
            FormColumn("单位", "Unit", 0.6, "CENTER"),
            FormColumn("数量", "Qty", 0.9, "RIGHT"),
            FormColumn("金额（含税）", "Amount incl. VAT", 1.1, "RIGHT"),
        ],
        amount_label="合计金额（大写）",
        signatures=[
            ("发货人", "Shipped by", ship.actor),
            ("送货人", "Delivered by", ""),
            ("客户签收", "Received by", ""),
        ],
        note=order.note,
        copies=("存根", "客户", "回单"),
    )
    total = 0
    for ln in lines:
        p = products[ln.product_id]
        amount = round_half_up_div(ln.order_total * ln.qty, ln.order_qty)
        total += amount
        form.rows.append(
            [
                str(ln.line_no),
                p.sku,
                f"{p.name} {p.spec}".strip(),
                lots.get(ln.lot_id, ""),
                p.unit,
                quantity(ln.qty, p.precision),
                money(amount),
            ]
        )
    form.totals = ["", "合计 Total", "", "", "", "", money(total)]
    form.amount_fen = total
    return form


async def _sales_invoice(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    inv = await _one(conn, sales_invoice, pk, "销售发票", "Sales invoice", SalesError)
    lines = await _lines(conn, sales_invoice_line, "invoice_id", pk)
    credit = inv.kind == "credit_note"
    form = PrintedForm(
        "sales_invoice",
        "销售发票（红字）" if credit else "销售发票",
        "Credit note" if credit else "Sales invoice",
        inv.number,
        inv.seller_name or await _company(conn),
        fields=[
            ("购买方", "Buyer", inv.buyer_name),
            ("纳税人识别号", "Buyer tax id", inv.buyer_tax_id),
            ("开票日期", "Date", inv.invoice_date.isoformat()),
            ("发票类型", "Type", "增值税专用发票" if inv.invoice_type == "special" else "增值税普通发票"),
            ("销售方", "Seller", inv.seller_name),
            ("纳税人识别号", "Seller tax id", inv.seller_tax_id),
            ("到期日", "Due", inv.due_date.isoformat()),
        ],
        columns=[
            FormColumn("项目名称", "Item", 2.4),
            FormColumn("规格型号", "Spec", 1.2),
            FormColumn("单位", "Unit", 0.6, "CENTER"),
            FormColumn("数量", "Qty", 0.9, "RIGHT"),
            FormColumn("单价", "Price", 0.9, "RIGHT"),
            FormColumn("金额", "Amount", 1.0, "RIGHT"),
            FormColumn("税率", "VAT", 0.6, "RIGHT"),
            FormColumn("税额", "VAT amount", 0.9, "RIGHT"),
        ],
        amount_fen=inv.total_fen,
        amount_label="价税合计（大写）",
        signatures=[("开票人", "Issued by", inv.actor), ("复核", "Checked by", ""), ("收款人", "Payee", "")],
        note=inv.remarks,
    )
    products = await _products(conn, (ln.product_id for ln in lines))
    for ln in lines:
        p = products[ln.product_id]
        form.rows.append(
            [
                ln.item_name,
                ln.spec,
                ln.unit_name or p.unit,
                quantity(ln.qty, p.precision),
                price(ln.unit_price_micro),
                money(ln.amount_fen),
                rate(ln.vat_rate_bp),
                money(ln.tax_fen),
            ]
        )
    form.totals = ["合计 Total", "", "", "", "", money(inv.amount_fen), "", money(inv.tax_fen)]
    return form


# ---- finance ------------------------------------------------------------------------------------------------


async def _voucher(conn: AsyncConnection, pk: int, principal: Principal | None) -> PrintedForm:
    v = await _one(conn, voucher, pk, "凭证", "Voucher", FinanceError)
    lines = (
        await conn.execute(
            select(voucher_line, account.c.name.label("account_name"))
            .join(account, account.c.code == voucher_line.c.account_code)
            .where(voucher_line.c.voucher_id == pk)
            .order_by(voucher_line.c.line_no)
        )
    ).all()
    customers = await _names(conn, customer, (ln.customer_id for ln in lines), "name")
    suppliers = await _names(conn, supplier, (ln.supplier_id for ln in lines), "name")
    form = PrintedForm(
        "voucher",
        "记账凭证",
        "Accounting voucher",
        v.number or f"草稿 draft #{v.id}",
        await _company(conn),
        fields=[
            ("凭证字号", "Voucher no.", v.number or "—"),
            ("日期", "Date", v.voucher_date.isoformat()),
            ("附单据", "Source", v.source_number or "—"),
        ],
        columns=[
            FormColumn("摘要", "Summary", 2.2),
            FormColumn("会计科目", "Account", 2.4),
            FormColumn("借方金额", "Debit", 1.1, "RIGHT"),
            FormColumn("贷方金额", "Credit", 1.1, "RIGHT"),
        ],
        amount_fen=v.total_fen,
        signatures=[
            ("记账", "Posted by", v.posted_by),
            ("审核", "Reviewed by", v.reviewed_by),
            ("制单", "Prepared by", v.created_by),
        ],
        copies=("记账", "存根", "附件"),
    )
    debit = credit = 0
    for ln in lines:
        partner = customers.get(ln.customer_id) or suppliers.get(ln.supplier_id) or ""
        form.rows.append(
            [
                ln.memo or v.memo,
                f"{ln.account_code} {ln.account_name}" + (f" — {partner}" if partner else ""),
                money(ln.debit_fen) if ln.debit_fen else "",
                money(ln.credit_fen) if ln.credit_fen else "",
            ]
        )
        debit, credit = debit + ln.debit_fen, credit + ln.credit_fen
    form.totals = ["合计 Total", "", money(debit), money(credit)]
    return form


LOADERS: dict[str, Callable[[AsyncConnection, int, Principal | None], Awaitable[PrintedForm]]] = {
    "purchase_order": _purchase_order,
    "goods_receipt": _goods_receipt,
    "pick_list": _pick_list,
    "delivery_note": _delivery_note,
    "sales_invoice": _sales_invoice,
    "voucher": _voucher,
}


async def printed_form(conn: AsyncConnection, kind: str, pk: int, principal: Principal | None) -> PrintedForm:
    """The form of document ``pk`` of ``kind`` (a key of ``LOADERS``) as ``principal`` may see it;
    the document domain's error (``ERRORS``) NOT_FOUND / PERMISSION_DENIED (a warehouse outside the
    caller's)."""
    scope.require(principal, PERMISSIONS[kind], ERRORS[kind])
    return await LOADERS[kind](conn, pk, principal)
