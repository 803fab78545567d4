"""Sales: order pricing and approval with credit control, stock reservation, picking and shipping
with cost of goods sold, invoices and credit notes, returns at issued cost, receipts and receivables,
the customer overview and customer master data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from server.auth.services import Principal
from server.core.numbering import document_sequence
from server.events.journal import DOCUMENT_STATUS_CHANGED
from server.events.models import event
from server.inventory.errors import InventoryError
from server.inventory.models import lot, product_cost, stock_level, stock_move, stock_reservation
from server.inventory.services import StockLine, do_adjust_stock, do_issue_stock, do_receive_stock, do_transfer_stock
from server.inventory.warehouses import do_update_location
from server.partners.errors import PartnerError
from server.partners.models import customer, partner_address
from server.partners.services import (
    AddressInput,
    PartnerInput,
    do_add_partner_address,
    do_create_partner,
    do_update_partner,
)
from server.sales.customers import customer_overview
from server.sales.errors import SalesError
from server.sales.invoicing import (
    Allocation,
    CreditLineInput,
    CreditNoteInput,
    CustomerReceiptInput,
    InvoiceInput,
    InvoiceLineInput,
    amount_in_words,
    do_apply_advance,
    do_apply_credit_note,
    do_create_credit_note,
    do_create_invoice,
    do_record_customer_receipt,
    receivables_query,
)
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
from server.sales.orders import (
    SalesLineInput,
    SalesOrderInput,
    do_approve_sales_order,
    do_cancel_sales_order,
    do_close_sales_order,
    do_create_sales_order,
    do_reject_sales_order,
    do_submit_sales_order,
    do_unapprove_sales_order,
    do_update_sales_order,
)
from server.sales.settings import SalesSettingsChange, do_change_sales_settings
from server.sales.shipping import (
    SalesReturnInput,
    SalesReturnLineInput,
    ShipmentInput,
    ShipmentLineInput,
    do_ship_goods,
    do_take_back_goods,
    pick_list,
)
from tests.doc_asserts import cost, get, rows, snapshot_of
from tests.doc_asserts import fails as _fails
from tests.invariants import assert_ledger_consistent
from tests.sales_helpers import (
    ACCOUNTANT,
    ADMIN,
    CASHIER,
    KEEPER,
    SALES,
    SALES2,
    SALES_MANAGER,
    SALES_MANAGER2,
    make_sales_world,
)

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

D = date(2025, 3, 10)
Q = 10**6  # QTY_SCALE
SNAPSHOT = (
    sales_order,
    sales_order_line,
    sales_order_history,
    stock_reservation,
    shipment,
    shipment_line,
    sales_invoice,
    sales_invoice_line,
    customer_receipt,
    receipt_allocation,
    sales_return,
    sales_return_line,
    stock_move,
    stock_level,
    product_cost,
    document_sequence,
    event,
)


# ---- helpers ----------------------------------------------------------------------------------------


async def fails(coro, code: str, field: str | None = None, error=None):
    return await _fails(coro, code, field, error or SalesError)


async def snapshot(db) -> dict:
    return await snapshot_of(db, SNAPSHOT)


async def reserved(db) -> dict:
    return {(r.product_id, r.warehouse_id): r.reserved_qty for r in await rows(db, stock_reservation)}


def _lines_of(table, parent: str):
    async def read(db, parent_id):
        return await rows(db, table, table.c[parent] == parent_id, order=table.c.line_no)

    return read


so_lines = _lines_of(sales_order_line, "order_id")
sh_lines = _lines_of(shipment_line, "shipment_id")
inv_lines = _lines_of(sales_invoice_line, "invoice_id")


async def status_events(db, doc_type: str, doc_id: int) -> list[tuple[str, str]]:
    payloads = [
        json.loads(r.payload)
        for r in await rows(db, event, event.c.event_type == DOCUMENT_STATUS_CHANGED, order=event.c.seq)
    ]
    return [(p["from"], p["to"]) for p in payloads if p["doc_type"] == doc_type and p["id"] == doc_id]


def ln(product_id, quantity, price=None, **kw) -> SalesLineInput:
    return SalesLineInput(product_id=product_id, quantity=quantity, unit_price=price, **kw)


async def new_so(db, sw, lines, customer_id=None, *, incl=False, by=SALES, on=D, **kw) -> int:
    return await do_create_sales_order(
        db,
        SalesOrderInput(customer_id or sw.customer, sw.w.wh1, lines, prices_include_vat=incl, order_date=on, **kw),
        by,
    )


async def approved_so(db, sw, lines, customer_id=None, **kw) -> int:
    oid = await new_so(db, sw, lines, customer_id, **kw)
    assert await do_submit_sales_order(db, oid, SALES) == "approved"
    return oid


async def ship(db, oid, *specs, on=D) -> int:
    """specs: (order line row, quantity, location[, lot])."""
    return await do_ship_goods(
        db, ShipmentInput(oid, [ShipmentLineInput(s[0].id, s[1], s[2], *s[3:]) for s in specs], ship_date=on), KEEPER
    )


async def invoice(db, customer_id, *lines, shipments=(), on=D) -> int:
    """lines: (shipment line row, quantity or None)."""
    return await do_create_invoice(
        db,
        InvoiceInput(customer_id, [InvoiceLineInput(s.id, q) for s, q in lines], list(shipments), invoice_date=on),
        ACCOUNTANT,
    )


async def shipped(db, sw, lines, customer_id=None, **kw):
    """An approved order shipped in full from A-01; returns (order, shipment, shipment lines)."""
    oid = await approved_so(db, sw, lines, customer_id, **kw)
    sid = await ship(db, oid, *[(x, str(x.quantity // Q), sw.w.a1) for x in await so_lines(db, oid)])
    return oid, sid, await sh_lines(db, sid)


async def shipped_and_invoiced(db, sw, lines, customer_id=None, **kw):
    """... and invoiced; returns (order, shipment, invoice)."""
    oid, sid, _ = await shipped(db, sw, lines, customer_id, **kw)
    return oid, sid, await invoice(db, customer_id or sw.customer, shipments=[sid])


async def credit(db, invoice_id, line, *, qty=None, amount=None, reason="折让", on=D) -> int:
    return await do_create_credit_note(
        db, CreditNoteInput(invoice_id, [CreditLineInput(line.id, qty, amount)], reason, credit_date=on), ACCOUNTANT
    )


VECTOR = [("3", "33.33"), ("7", "9.99"), ("1", "0.05"), ("12", "4.17")]


# ---- 1. pricing -------------------------------------------------------------------------------------


async def test_order_totals_vat_exclusive_and_inclusive_reference_vector(db):
    sw = await make_sales_world(db)
    ex = await new_so(db, sw, [ln(sw.widget, q, p, vat_rate="0.13") for q, p in VECTOR])
    assert [(x.amount_fen, x.tax_fen, x.total_fen) for x in await so_lines(db, ex)] == [
        (9999, 1300, 11299),
        (6993, 909, 7902),
        (5, 1, 6),
        (5004, 651, 5655),
    ]
    so = await get(db, sales_order, ex)
    assert (so.amount_fen, so.tax_fen, so.total_fen, so.number) == (22001, 2861, 24862, "SO2025-000001")
    inc = await new_so(db, sw, [ln(sw.widget, q, p, vat_rate="0.13") for q, p in VECTOR], incl=True)
    assert [(x.amount_fen, x.tax_fen, x.total_fen) for x in await so_lines(db, inc)] == [
        (8849, 1150, 9999),
        (6188, 805, 6993),
        (4, 1, 5),
        (4428, 576, 5004),
    ]
    so = await get(db, sales_order, inc)
    # the sum of per-line splits (194.69), not 220.01 ÷ 1.13 = 194.70 on the total
    assert (so.amount_fen, so.tax_fen, so.total_fen, so.prices_include_vat) == (19469, 2532, 22001, True)
    assert await status_events(db, "sales_order", ex) == [("", "draft")]


async def test_default_price_customer_discount_and_box_unit(db):
    sw = await make_sales_world(db)
    plain = await new_so(db, sw, [ln(sw.widget, "1")])  # C001 has no discount: 20.00 excl.
    (x,) = await so_lines(db, plain)
    assert (x.unit_price_micro, x.discount_bp, x.vat_rate_bp, x.amount_fen, x.tax_fen) == (
        20_000_000,
        0,
        1300,
        2000,
        260,
    )
    await do_update_partner(db, "customer", sw.retail, PartnerInput(discount="0.05"))
    lines = [ln(sw.widget, "3"), ln(sw.widget, "2", unit_id=sw.w.box), ln(sw.widget, "3", "33.33", discount="0.1")]
    ex = await new_so(db, sw, lines, sw.retail)
    got = [
        (x.unit_price_micro, x.discount_bp, x.quantity, x.qty, x.unit_factor, x.amount_fen, x.tax_fen)
        for x in await so_lines(db, ex)
    ]
    assert got == [
        (20_000_000, 500, 3 * Q, 3 * Q, Q, 5700, 741),  # 60.00 − 5 %
        (240_000_000, 500, 2 * Q, 24 * Q, 12 * Q, 45600, 5928),  # 20.00 × 12 per box, − 5 %
        (33_330_000, 1000, 3 * Q, 3 * Q, Q, 8999, 1170),
    ]  # 99.99 − 10 % = 89.991
    inc = await new_so(db, sw, lines[:2], sw.retail, incl=True)
    got = [(x.unit_price_micro, x.amount_fen, x.tax_fen, x.total_fen) for x in await so_lines(db, inc)]
    assert got == [(22_600_000, 5700, 741, 6441), (271_200_000, 45600, 5928, 51528)]  # sale price × 1.13
    before = await snapshot(db)
    await fails(new_so(db, sw, [ln(sw.widget, "1", unit_id=sw.w.kg)]), "WRONG_UNIT", "lines.0.unitId")
    await fails(new_so(db, sw, [ln(sw.widget, "0")]), "INVALID_QUANTITY", "lines.0.quantity")
    assert await snapshot(db) == before


# ---- 2. lifecycle and approval -----------------------------------------------------------------------


async def test_auto_approval_reserves_stock(db):
    sw = await make_sales_world(db)
    oid = await new_so(db, sw, [ln(sw.widget, "10"), ln(sw.widget, "5"), ln(sw.lotted, "3")])
    assert await do_submit_sales_order(db, oid, SALES) == "approved"
    so = await get(db, sales_order, oid)
    assert (so.status, json.loads(so.approvals_required), so.total_fen, so.approved_at is not None) == (
        "approved",
        [],
        40680,
        True,
    )
    assert json.loads(so.credit_check) == {
        "receivables_fen": 0,
        "uninvoiced_orders_fen": 0,
        "order_fen": 40680,
        "exposure_fen": 40680,
        "limit_fen": 1_000_000,
        "rating": "B",
        "over_limit": False,
    }
    assert [x.reserved_qty for x in await so_lines(db, oid)] == [10 * Q, 5 * Q, 3 * Q]
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 15 * Q, (sw.lotted, sw.w.wh1): 3 * Q}
    hist = await rows(db, sales_order_history, sales_order_history.c.order_id == oid)
    assert [(h.action, h.from_status, h.to_status, h.user_id) for h in hist] == [
        ("submitted", "draft", "submitted", 11),
        ("approved", "submitted", "approved", 11),
    ]
    await fails(do_submit_sales_order(db, oid, SALES), "INVALID_STATUS")


async def test_amount_above_threshold_needs_a_sales_manager(db):
    sw = await make_sales_world(db)
    at_limit = await new_so(db, sw, [ln(sw.widget, "10", "10000.00")], sw.retail, incl=True)  # exactly 100,000.00
    assert await do_submit_sales_order(db, at_limit, SALES) == "approved"
    oid = await new_so(db, sw, [ln(sw.widget, "10", "10000.01")], sw.retail, incl=True)  # 100,000.10
    assert await do_submit_sales_order(db, oid, SALES) == "submitted"
    so = await get(db, sales_order, oid)
    assert json.loads(so.approvals_required) == [
        {"reason": "amount", "role": "sales_manager", "permission": "sales.order.approve"}
    ]
    assert [x.reserved_qty for x in await so_lines(db, oid)] == [0]
    custom = Principal(
        kind="user",
        name="x",
        user_id=9,
        token_id=None,
        permissions=frozenset({"sales.order.approve"}),
        roles=("custom",),
    )
    before = await snapshot(db)
    await fails(do_approve_sales_order(db, oid, SALES2), "PERMISSION_DENIED")
    d = await fails(do_approve_sales_order(db, oid, custom), "APPROVER_ROLE_REQUIRED")
    assert d.params["role"] == "sales_manager"
    assert await snapshot(db) == before
    assert await do_approve_sales_order(db, oid, SALES_MANAGER, "ok") == "approved"
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 20 * Q}
    hist = await rows(db, sales_order_history, sales_order_history.c.order_id == oid)
    assert [(h.action, h.to_status, h.reason, h.comment) for h in hist] == [
        ("submitted", "submitted", "", ""),
        ("approved", "approved", "amount", "ok"),
    ]


async def test_discount_above_max_needs_approval_and_steps_are_signed_by_different_people(db):
    sw = await make_sales_world(db)
    ok = await new_so(db, sw, [ln(sw.widget, "1", discount="0.10")])
    assert await do_submit_sales_order(db, ok, SALES) == "approved"
    oid = await new_so(db, sw, [ln(sw.widget, "1"), ln(sw.widget, "1", discount="0.15")])
    assert await do_submit_sales_order(db, oid, SALES) == "submitted"
    assert json.loads((await get(db, sales_order, oid)).approvals_required) == [
        {"reason": "discount", "role": "", "permission": "sales.order.approve"}
    ]
    await fails(do_approve_sales_order(db, oid, SALES2), "PERMISSION_DENIED")
    assert await do_approve_sales_order(db, oid, SALES_MANAGER) == "approved"
    # amount, discount and credit (rating D) on one order: three steps, three people
    await do_update_partner(db, "customer", sw.retail, PartnerInput(credit_rating="D"))
    big = await new_so(db, sw, [ln(sw.widget, "10", "12000.00", discount="0.15")], sw.retail, incl=True)  # 102,000.00
    assert await do_submit_sales_order(db, big, SALES) == "submitted"
    assert [s["reason"] for s in json.loads((await get(db, sales_order, big)).approvals_required)] == [
        "amount",
        "discount",
        "credit",
    ]
    assert await do_approve_sales_order(db, big, SALES_MANAGER) == "submitted"
    await fails(do_approve_sales_order(db, big, SALES_MANAGER), "ALREADY_APPROVED_BY_YOU")
    assert await do_approve_sales_order(db, big, SALES_MANAGER2) == "submitted"
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 3 * Q}
    assert await do_approve_sales_order(db, big, ADMIN) == "approved"
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 13 * Q}


async def test_credit_limit_exposure_rating_and_refuse_mode(db):
    sw = await make_sales_world(db)  # C001: limit 10,000.00
    await shipped_and_invoiced(db, sw, [ln(sw.widget, "10", "400.00")])  # 4,520.00 open receivable
    await approved_so(db, sw, [ln(sw.widget, "10", "548.00")], incl=True)  # 5,480.00: exposure exactly the limit
    oid = await new_so(db, sw, [ln(sw.widget, "1", "0.01")], incl=True)
    assert await do_submit_sales_order(db, oid, SALES) == "submitted"
    so = await get(db, sales_order, oid)
    assert json.loads(so.approvals_required) == [{"reason": "credit", "role": "", "permission": "sales.credit.approve"}]
    check = json.loads(so.credit_check)
    assert (check["receivables_fen"], check["uninvoiced_orders_fen"], check["exposure_fen"], check["over_limit"]) == (
        452_000,
        548_000,
        1_000_001,
        True,
    )
    await fails(do_approve_sales_order(db, oid, SALES2), "PERMISSION_DENIED")
    assert await do_approve_sales_order(db, oid, SALES_MANAGER) == "approved"
    await do_change_sales_settings(db, SalesSettingsChange(credit_mode="refuse"), ADMIN)
    refused = await new_so(db, sw, [ln(sw.widget, "1", "0.01")], incl=True)
    await do_update_partner(db, "customer", sw.retail, PartnerInput(credit_rating="D"))  # no limit, but rating D
    retail = await new_so(db, sw, [ln(sw.widget, "1")], sw.retail)
    before = await snapshot(db)
    d = await fails(do_submit_sales_order(db, refused, SALES), "CREDIT_LIMIT_EXCEEDED", "id")
    assert (d.params["limit"], d.params["exposure"]) == ("10000.00", "10000.02")
    await fails(do_submit_sales_order(db, retail, SALES), "CREDIT_LIMIT_EXCEEDED")
    assert await snapshot(db) == before  # both still drafts, nothing reserved
    await do_change_sales_settings(db, SalesSettingsChange(credit_mode="approve"), ADMIN)
    assert await do_submit_sales_order(db, retail, SALES) == "submitted"
    await fails(
        do_change_sales_settings(db, SalesSettingsChange(credit_mode="maybe"), ADMIN), "INVALID_VALUE", "creditMode"
    )


async def test_self_approval_reject_with_comment_edit_and_resubmit(db):
    sw = await make_sales_world(db)
    oid = await new_so(db, sw, [ln(sw.widget, "5", discount="0.15")], by=SALES_MANAGER)
    assert await do_submit_sales_order(db, oid, SALES_MANAGER) == "submitted"
    before = await snapshot(db)
    await fails(do_approve_sales_order(db, oid, SALES_MANAGER), "SELF_APPROVAL", "id")
    await fails(do_reject_sales_order(db, oid, SALES_MANAGER2, "  "), "REQUIRED", "comment")
    await fails(do_reject_sales_order(db, oid, SALES, "no"), "PERMISSION_DENIED")
    assert await snapshot(db) == before
    await do_reject_sales_order(db, oid, SALES_MANAGER2, "折扣太高")
    assert (await get(db, sales_order, oid)).status == "rejected"
    await fails(do_approve_sales_order(db, oid, SALES_MANAGER2), "INVALID_STATUS")
    await do_update_sales_order(
        db,
        oid,
        SalesOrderInput(sw.customer, sw.w.wh1, [ln(sw.widget, "5", discount="0.05")], order_date=D),
        SALES_MANAGER,
    )
    so = await get(db, sales_order, oid)
    assert (so.status, so.approvals_done, so.amount_fen, so.tax_fen) == ("draft", 0, 9500, 1235)
    assert await reserved(db) == {}
    assert await do_submit_sales_order(db, oid, SALES_MANAGER) == "approved"
    hist = await rows(db, sales_order_history, sales_order_history.c.order_id == oid)
    assert [(h.action, h.to_status) for h in hist] == [
        ("submitted", "submitted"),
        ("rejected", "rejected"),
        ("edited", "draft"),
        ("submitted", "submitted"),
        ("approved", "approved"),
    ]
    assert (hist[1].comment, hist[1].reason, hist[1].user_id) == ("折扣太高", "discount", 14)
    await fails(
        do_update_sales_order(db, oid, SalesOrderInput(sw.customer, sw.w.wh1, [ln(sw.widget, "1")]), SALES),
        "INVALID_STATUS",
    )


async def test_update_checks_the_stored_orders_warehouse(db):
    """#15: an update is refused when the stored order lies outside the caller's warehouses, even
    when the new header and lines lie inside them (as for purchase orders)."""
    sw = await make_sales_world(db)
    oid = await new_so(db, sw, [ln(sw.widget, "5")])  # stored in wh1
    outsider = replace(SALES, warehouse_ids=frozenset({sw.w.wh2}))
    before = await snapshot(db)
    await fails(
        do_update_sales_order(db, oid, SalesOrderInput(sw.customer, sw.w.wh2, [ln(sw.widget, "1")]), outsider),
        "PERMISSION_DENIED",
        "id",
    )
    assert await snapshot(db) == before
    insider = replace(SALES, warehouse_ids=frozenset({sw.w.wh1}))
    await do_update_sales_order(db, oid, SalesOrderInput(sw.customer, sw.w.wh1, [ln(sw.widget, "2")]), insider)
    assert [x.qty for x in await so_lines(db, oid)] == [2 * Q]


async def test_cancel_releases_the_reservation(db):
    sw = await make_sales_world(db)
    a = await approved_so(db, sw, [ln(sw.widget, "10")])
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 10 * Q}
    await do_cancel_sales_order(db, a, SALES, "客户取消")
    (al,) = await so_lines(db, a)
    assert ((await get(db, sales_order, a)).status, al.reserved_qty, await reserved(db)) == (
        "cancelled",
        0,
        {(sw.widget, sw.w.wh1): 0},
    )
    await fails(ship(db, a, (al, "1", sw.w.a1)), "INVALID_STATUS")
    await fails(do_close_sales_order(db, a, SALES), "INVALID_STATUS")


async def test_unapprove_releases_the_reservation_and_returns_to_draft(db):
    """反审核: an approved order nothing was shipped against goes back to draft with its reason, its
    reservation released; resubmitted it is approved again. Once shipped, it cannot be un-approved."""
    sw = await make_sales_world(db)
    a = await approved_so(db, sw, [ln(sw.widget, "10")])
    before = await snapshot(db)
    await fails(do_unapprove_sales_order(db, a, SALES_MANAGER, "  "), "REQUIRED", "comment")
    await fails(do_unapprove_sales_order(db, a, SALES, "客户改单"), "PERMISSION_DENIED")
    assert await snapshot(db) == before
    await do_unapprove_sales_order(db, a, SALES_MANAGER, "客户改单 customer changed the order")
    row = await get(db, sales_order, a)
    assert (row.status, row.approvals_done, row.approved_at, await reserved(db)) == (
        "draft",
        0,
        None,
        {(sw.widget, sw.w.wh1): 0},
    )
    assert (await status_events(db, "sales_order", a))[-1] == ("approved", "draft")
    await fails(do_unapprove_sales_order(db, a, SALES_MANAGER, "again"), "INVALID_STATUS")
    assert await do_submit_sales_order(db, a, SALES) == "approved"
    (al,) = await so_lines(db, a)
    await ship(db, a, (al, "1", sw.w.a1))
    await fails(do_unapprove_sales_order(db, a, SALES_MANAGER, "too late"), "INVALID_STATUS")


# ---- 3. reservation -----------------------------------------------------------------------------------


async def test_reservation_cannot_exceed_available_stock(db):
    sw = await make_sales_world(db)  # widget: 100 on hand
    await approved_so(db, sw, [ln(sw.widget, "60")])
    pending = await new_so(db, sw, [ln(sw.widget, "30"), ln(sw.widget, "11", discount="0.15")])
    assert await do_submit_sales_order(db, pending, SALES) == "submitted"
    auto = await new_so(db, sw, [ln(sw.widget, "41")])
    before = await snapshot(db)
    d = await fails(do_submit_sales_order(db, auto, SALES), "INSUFFICIENT_STOCK", "lines.0.quantity")
    assert (d.params["available"], d.params["requested"]) == ("40", "41")
    d = await fails(do_approve_sales_order(db, pending, SALES_MANAGER), "INSUFFICIENT_STOCK", "lines.0.quantity")
    assert (d.params["available"], d.params["requested"]) == ("40", "41")
    assert await snapshot(db) == before
    assert [(await get(db, sales_order, i)).status for i in (pending, auto)] == ["submitted", "draft"]
    await approved_so(db, sw, [ln(sw.widget, "40")])  # exactly what is left
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 100 * Q}


async def test_reserved_stock_can_only_leave_by_shipment(db):
    sw = await make_sales_world(db)
    oid = await approved_so(db, sw, [ln(sw.widget, "60")])
    w = sw.w
    before = await snapshot(db)
    d = await fails(
        do_issue_stock(db, [StockLine(product_id=sw.widget, quantity="41", location_id=w.a1)]),
        "INSUFFICIENT_STOCK",
        "lines.0.quantity",
        InventoryError,
    )
    assert (d.params["available"], d.params["reserved"]) == ("40", True)
    await fails(
        do_transfer_stock(db, [StockLine(product_id=sw.widget, quantity="41", location_id=w.a1, to_location_id=w.b1)]),
        "INSUFFICIENT_STOCK",
        error=InventoryError,
    )
    await fails(
        do_adjust_stock(db, [StockLine(product_id=sw.widget, quantity="-41", location_id=w.a1)], reason="盘亏"),
        "INSUFFICIENT_STOCK",
        error=InventoryError,
    )
    assert await snapshot(db) == before
    await do_issue_stock(db, [StockLine(product_id=sw.widget, quantity="40", location_id=w.a1)])  # the free part
    await fails(
        do_issue_stock(db, [StockLine(product_id=sw.widget, quantity="1", location_id=w.a1)]),
        "INSUFFICIENT_STOCK",
        error=InventoryError,
    )  # 60 on hand, 60 reserved
    # within the warehouse the reserved goods may move
    await do_transfer_stock(db, [StockLine(product_id=sw.widget, quantity="60", location_id=w.a1, to_location_id=w.a2)])
    (x,) = await so_lines(db, oid)
    await ship(db, oid, (x, "60", w.a2))
    assert await reserved(db) == {(sw.widget, w.wh1): 0}
    assert (await get(db, sales_order, oid)).status == "shipped"
    await assert_ledger_consistent(db)


# ---- 4. pick list -------------------------------------------------------------------------------------


async def test_pick_list_fefo_bin_order_and_wave(db):
    sw = await make_sales_world(db)  # lotted: LATE ×5 in A-01 (expires in 90 days), SOON ×5 in A-02 (10 days)
    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="20", location_id=sw.w.a2, unit_cost="10.00")])
    o1 = await approved_so(db, sw, [ln(sw.lotted, "7"), ln(sw.widget, "5")])
    o2 = await approved_so(db, sw, [ln(sw.widget, "3"), ln(sw.lotted, "2")])

    async def wave():
        async with db.read() as conn:
            picks, short = await pick_list(conn, [o1, o2])
        assert short == []
        return [(p.order_id, p.product_id, p.location_code, p.lot_code, p.quantity // Q) for p in picks]

    assert await wave() == [  # walking order; FEFO chooses SOON first, bin order A-01 for widgets
        (o1, sw.lotted, "WH1-A-01", "LATE", 2),
        (o1, sw.widget, "WH1-A-01", None, 5),
        (o2, sw.widget, "WH1-A-01", None, 3),
        (o2, sw.lotted, "WH1-A-01", "LATE", 2),
        (o1, sw.lotted, "WH1-A-02", "SOON", 5),
    ]
    await do_update_location(db, sw.w.a2, sort_order=-1)  # A-02 now comes first in the walk
    assert await wave() == [
        (o1, sw.lotted, "WH1-A-02", "SOON", 5),
        (o1, sw.widget, "WH1-A-02", None, 5),
        (o2, sw.widget, "WH1-A-02", None, 3),
        (o1, sw.lotted, "WH1-A-01", "LATE", 2),
        (o2, sw.lotted, "WH1-A-01", "LATE", 2),
    ]


# ---- 5. shipping --------------------------------------------------------------------------------------


async def test_shipment_errors_cogs_at_moving_average_and_reservation_consumed(db):
    sw = await make_sales_world(db)
    w = sw.w
    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="50", location_id=w.a2, unit_cost="12.35")])
    assert await cost(db, sw.widget) == (150 * Q, 161750)
    oid = await approved_so(db, sw, [ln(sw.widget, "30"), ln(sw.lotted, "6")])
    wl, ll = await so_lines(db, oid)
    before = await snapshot(db)
    d = await fails(ship(db, oid, (wl, "31", w.a1)), "OVER_SHIPMENT", "lines.0.quantity")
    assert d.params["open"] == "30"
    await fails(ship(db, oid, (wl, "20", w.a1), (wl, "11", w.a2)), "OVER_SHIPMENT", "lines.1.quantity")
    await fails(ship(db, oid, (wl, "1", w.b1)), "WRONG_WAREHOUSE", "lines.0.locationId")
    await fails(ship(db, oid, (wl, "1", w.a1), (ll, "1", w.a2)), "LOT_REQUIRED", "lines.1.lot")
    await fails(ship(db, oid, (ll, "1", w.a2, "LATE")), "INSUFFICIENT_STOCK", "lines.0.quantity")  # LATE is in A-01
    await fails(
        do_ship_goods(db, ShipmentInput(oid, [ShipmentLineInput(wl.id, "1", w.a1)]), SALES), "PERMISSION_DENIED"
    )
    assert await snapshot(db) == before
    sid = await ship(
        db,
        oid,
        (wl, "7", w.a1),
        (ll, "2", w.a2, "SOON"),
        (wl, "23", w.a1),
        (ll, "3", w.a2, "SOON"),
        (ll, "1", w.a1, "LATE"),
    )
    soon, late = [x.id for x in await rows(db, lot, order=lot.c.code.desc())]
    # widget: 161,750 × 7 ÷ 150 = 7,548.33 → 7,548, then 154,202 × 23 ÷ 143 = 24,801.997 → 24,802;
    # lotted: 3,000 × 2 ÷ 10 = 600, 2,400 × 3 ÷ 8 = 900, 1,500 ÷ 5 = 300
    assert [(x.qty // Q, x.cost_fen, x.lot_id) for x in await sh_lines(db, sid)] == [
        (7, 7548, None),
        (2, 600, soon),
        (23, 24802, None),
        (3, 900, soon),
        (1, 300, late),
    ]
    sh = await get(db, shipment, sid)
    assert (sh.number, sh.cost_fen, sh.customer_id) == ("SH2025-000001", 34150, sw.customer)
    assert await cost(db, sw.widget) == (120 * Q, 161750 - 7548 - 24802)
    assert await cost(db, sw.lotted) == (4 * Q, 1200)
    assert [(x.shipped_qty, x.reserved_qty) for x in await so_lines(db, oid)] == [(30 * Q, 0), (6 * Q, 0)]
    assert await reserved(db) == {(sw.widget, w.wh1): 0, (sw.lotted, w.wh1): 0}
    assert (await get(db, sales_order, oid)).status == "shipped"
    await fails(ship(db, oid, (wl, "1", w.a1)), "INVALID_STATUS")
    assert await status_events(db, "shipment", sid) == [("", "posted")]
    await assert_ledger_consistent(db)


async def test_partial_then_full_shipment_and_close_after_partial_releases_the_rest(db):
    sw = await make_sales_world(db)
    a = await approved_so(db, sw, [ln(sw.widget, "10")])
    b = await approved_so(db, sw, [ln(sw.widget, "10")])
    (al,), (bl,) = await so_lines(db, a), await so_lines(db, b)
    s1 = await ship(db, a, (al, "4", sw.w.a1))
    assert ((await get(db, sales_order, a)).status, (await get(db, shipment, s1)).cost_fen) == (
        "partially_shipped",
        4000,
    )
    assert [(x.shipped_qty, x.reserved_qty) for x in await so_lines(db, a)] == [(4 * Q, 6 * Q)]
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 16 * Q}
    await ship(db, a, (al, "6", sw.w.a1))
    assert (await get(db, sales_order, a)).status == "shipped"
    assert await status_events(db, "sales_order", a) == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "partially_shipped"),
        ("partially_shipped", "shipped"),
    ]
    await ship(db, b, (bl, "4", sw.w.a1))
    await fails(do_cancel_sales_order(db, b, SALES), "INVALID_STATUS")
    await do_close_sales_order(db, b, SALES, "余量不要了")
    bl = (await so_lines(db, b))[0]
    assert ((await get(db, sales_order, b)).status, bl.reserved_qty, bl.shipped_qty) == ("closed", 0, 4 * Q)
    assert await reserved(db) == {(sw.widget, sw.w.wh1): 0}
    await fails(ship(db, b, (bl, "1", sw.w.a1)), "INVALID_STATUS")
    await do_issue_stock(db, [StockLine(product_id=sw.widget, quantity="86", location_id=sw.w.a1)])  # all free again
    await assert_ledger_consistent(db)


async def test_partial_shipment_history_fits_its_column(db):
    sw = await make_sales_world(db)
    oid = await approved_so(db, sw, [ln(sw.widget, "10")])
    (x,) = await so_lines(db, oid)
    await ship(db, oid, (x, "4", sw.w.a1))
    assert (await get(db, sales_order, oid)).status == "partially_shipped"
    hist = await rows(db, sales_order_history, sales_order_history.c.order_id == oid)
    assert all(len(h.action) <= sales_order_history.c.action.type.length for h in hist), [h.action for h in hist]


# ---- 6. invoices --------------------------------------------------------------------------------------


def test_amount_in_words():
    cases = {
        24862: "贰佰肆拾捌元陆角贰分",
        1010: "壹拾元壹角整",
        10050007: "壹拾万零伍佰元零柒分",
        100: "壹元整",
        5: "伍分",
        -24862: "负贰佰肆拾捌元陆角贰分",
    }
    assert {fen: amount_in_words(fen) for fen in cases} == cases


async def test_invoice_from_shipment_with_e_invoice_header(db):
    sw = await make_sales_world(db)
    await do_change_sales_settings(
        db, SalesSettingsChange(seller_name=" 杭州天成商贸有限公司 ", seller_tax_id="91330100MA2H000001"), ADMIN
    )
    oid, sid, iid = await shipped_and_invoiced(
        db, sw, [ln(sw.widget, "3", "33.33"), ln(sw.widget, "7", "9.99")], incl=True
    )
    inv = await get(db, sales_invoice, iid)
    assert (inv.number, inv.kind, inv.invoice_type, inv.status, inv.invoice_date, inv.due_date) == (
        "SI2025-000001",
        "invoice",
        "special",
        "open",
        D,
        D + timedelta(days=30),
    )
    assert (inv.buyer_name, inv.buyer_tax_id, inv.seller_name, inv.seller_tax_id) == (
        "上海华联超市有限公司",
        "91310000MA1FL0002X",
        "杭州天成商贸有限公司",
        "91330100MA2H000001",
    )
    assert (inv.amount_fen, inv.tax_fen, inv.total_fen, inv.original_invoice_id) == (15037, 1955, 16992, None)
    assert amount_in_words(inv.total_fen) == "壹佰陆拾玖元玖角贰分"
    sl = await sh_lines(db, sid)
    got = [
        (x.shipment_line_id, x.qty, x.amount_fen, x.tax_fen, x.vat_rate_bp, x.unit_price_micro, x.unit_name)
        for x in await inv_lines(db, iid)
    ]
    assert got == [
        (sl[0].id, 3 * Q, 8849, 1150, 1300, 29_496_667, "个"),
        (sl[1].id, 7 * Q, 6188, 805, 1300, 8_840_000, "个"),
    ]
    assert [x.invoiced_qty for x in await so_lines(db, oid)] == [3 * Q, 7 * Q]
    assert (await get(db, sales_order, oid)).status == "invoiced"
    before = await snapshot(db)
    await fails(invoice(db, sw.customer, shipments=[sid]), "OVER_INVOICE", "shipmentIds")
    await fails(invoice(db, sw.retail, (sl[0], None)), "CUSTOMER_MISMATCH", "lines.0.shipmentLineId")
    assert await snapshot(db) == before
    _, _, normal = await shipped_and_invoiced(db, sw, [ln(sw.widget, "1")], sw.retail)
    r = await get(db, sales_invoice, normal)
    assert (r.invoice_type, r.buyer_name, r.buyer_tax_id, r.due_date, r.total_fen) == (
        "normal",
        "零售客户",
        "",
        D,
        2260,
    )


async def test_invoicing_a_line_in_parts_adds_up_to_the_order_line(db):
    sw = await make_sales_world(db)
    oid = await approved_so(db, sw, [ln(sw.widget, "3", "33.33")], incl=True)  # 99.99 = 88.49 + 11.50
    (ol,) = await so_lines(db, oid)
    await do_transfer_stock(
        db, [StockLine(product_id=sw.widget, quantity="1", location_id=sw.w.a1, to_location_id=sw.w.a2)]
    )
    s1, s2 = await sh_lines(db, await ship(db, oid, (ol, "2", sw.w.a1), (ol, "1", sw.w.a2)))
    first = await invoice(db, sw.customer, (s1, "1"))
    assert (await get(db, sales_order, oid)).status == "shipped"
    before = await snapshot(db)
    d = await fails(invoice(db, sw.customer, (s1, "2")), "OVER_INVOICE", "lines.0.quantity")
    assert d.params["open"] == "1"
    assert await snapshot(db) == before
    second = await invoice(db, sw.customer, (s1, None), (s2, None))
    a, b = await get(db, sales_invoice, first), await get(db, sales_invoice, second)
    assert [(x.amount_fen, x.tax_fen) for x in await inv_lines(db, first)] == [(2950, 383)]
    assert [(x.amount_fen, x.tax_fen) for x in await inv_lines(db, second)] == [(2949, 384), (2950, 383)]
    assert (a.total_fen, b.total_fen, a.amount_fen + b.amount_fen, a.tax_fen + b.tax_fen) == (3333, 6666, 8849, 1150)
    assert (await get(db, sales_order, oid)).status == "invoiced"
    assert (await so_lines(db, oid))[0].invoiced_qty == 3 * Q


async def test_auto_invoice_with_the_shipment(db):
    sw = await make_sales_world(db)
    await do_change_sales_settings(db, SalesSettingsChange(auto_invoice=True), ADMIN)
    oid = await approved_so(db, sw, [ln(sw.widget, "4"), ln(sw.lotted, "1")])
    wl, ll = await so_lines(db, oid)
    sid = await ship(db, oid, (wl, "4", sw.w.a1), (ll, "1", sw.w.a2, "SOON"), on=D + timedelta(days=2))
    (inv,) = await rows(db, sales_invoice)
    assert (inv.invoice_date, inv.amount_fen, inv.tax_fen, inv.total_fen, inv.actor) == (
        D + timedelta(days=2),
        10000,
        1300,
        11300,
        KEEPER.label,
    )
    assert [x.shipment_line_id for x in await inv_lines(db, inv.id)] == [x.id for x in await sh_lines(db, sid)]
    assert [(x.shipped_qty, x.invoiced_qty) for x in await so_lines(db, oid)] == [(4 * Q, 4 * Q), (Q, Q)]
    assert (await get(db, sales_order, oid)).status == "invoiced"


# ---- 7. credit notes ----------------------------------------------------------------------------------


async def test_credit_notes_allowance_and_quantity_never_beyond_the_line(db):
    sw = await make_sales_world(db)
    _, _, iid = await shipped_and_invoiced(db, sw, [ln(sw.widget, "10", "10.00")])  # 100.00 + 13.00
    (il,) = await inv_lines(db, iid)
    cn1 = await credit(db, iid, il, amount="10.00", reason="价格折让")
    c = await get(db, sales_invoice, cn1)
    assert (c.number, c.kind, c.invoice_type, c.original_invoice_id, c.status) == (
        "CN2025-000001",
        "credit_note",
        "special",
        iid,
        "open",
    )
    assert (c.amount_fen, c.tax_fen, c.total_fen, c.remarks) == (-885, -115, -1000, "价格折让 原发票 SI2025-000001")
    assert [(x.qty, x.amount_fen, x.tax_fen) for x in await inv_lines(db, cn1)] == [(0, -885, -115)]
    cn2 = await credit(db, iid, il, qty="2", reason="少发两件")
    c = await get(db, sales_invoice, cn2)
    assert (c.amount_fen, c.tax_fen, c.total_fen) == (-2000, -260, -2260)
    assert [x.qty for x in await inv_lines(db, cn2)] == [-2 * Q]
    il = (await inv_lines(db, iid))[0]
    assert (il.credited_qty, il.credited_fen) == (2 * Q, 3260)
    before = await snapshot(db)
    d = await fails(credit(db, iid, il, qty="9"), "OVER_RETURN", "lines.0.quantity")
    assert d.params["available"] == "8"
    d = await fails(credit(db, iid, il, amount="80.41"), "OVER_RETURN", "lines.0.amount")
    assert d.params["available"] == "80.40"
    await fails(credit(db, iid, il, amount="1", qty="1"), "INVALID_VALUE", "lines.0")
    await fails(credit(db, iid, il, amount="1", reason=" "), "REQUIRED", "reason")
    await fails(credit(db, cn1, il, amount="1"), "NOT_FOUND", "invoiceId")
    await fails(
        do_create_credit_note(db, CreditNoteInput(iid, [CreditLineInput(il.id, amount="1")], "x"), SALES),
        "PERMISSION_DENIED",
    )
    assert await snapshot(db) == before
    await credit(db, iid, il, amount="80.40")
    assert (await inv_lines(db, iid))[0].credited_fen == 11300


async def test_quantity_credit_after_a_full_allowance_is_refused(db):
    sw = await make_sales_world(db)
    _, _, iid = await shipped_and_invoiced(db, sw, [ln(sw.widget, "10", "10.00")])  # 113.00
    (il,) = await inv_lines(db, iid)
    await credit(db, iid, il, amount="113.00", reason="全额折让")
    before = await snapshot(db)
    await fails(credit(db, iid, il, qty="10", reason="退货"), "OVER_RETURN", "lines.0.quantity")
    assert await snapshot(db) == before


# ---- 8. returns ---------------------------------------------------------------------------------------


async def test_returns_at_issued_cost_credit_only_the_invoiced_part(db):
    sw = await make_sales_world(db)
    w = sw.w
    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="50", location_id=w.a2, unit_cost="12.35")])
    oid, sid, (sl,) = await shipped(db, sw, [ln(sw.widget, "7", "30.00")])  # 210.00 + 27.30
    assert sl.cost_fen == 7548
    # the average changes after the shipment: 143 at 1,542.02, plus 10 at 20.00
    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="10", location_id=w.a1, unit_cost="20.00")])
    inv1 = await invoice(db, sw.customer, (sl, "4"))
    assert [(x.amount_fen, x.tax_fen) for x in await inv_lines(db, inv1)] == [(12000, 1560)]

    async def take_back(qty, location=None):
        return await do_take_back_goods(
            db, SalesReturnInput(sid, [SalesReturnLineInput(sl.id, qty, location)], "质量问题", return_date=D), KEEPER
        )

    value = (await cost(db, sw.widget))[1]
    r1 = await take_back("2")  # from the three not invoiced: no credit note
    ret = await get(db, sales_return, r1)
    assert (ret.number, ret.cost_fen, ret.credit_note_id) == ("SR2025-000001", 2157, None)  # 7,548 × 2 ÷ 7 = 2,156.57
    assert (await cost(db, sw.widget))[1] == value + 2157
    (rl,) = await rows(db, sales_return_line, sales_return_line.c.return_id == r1)
    assert (rl.qty, rl.cost_fen, rl.amount_fen, rl.tax_fen) == (2 * Q, 2157, 6000, 780)
    inv2 = await invoice(db, sw.customer, shipments=[sid])  # only the one left to invoice
    assert [(x.qty, x.amount_fen, x.tax_fen) for x in await inv_lines(db, inv2)] == [(Q, 3000, 390)]
    assert (await get(db, sales_order, oid)).status == "invoiced"
    r2 = await take_back("3", w.a2)  # all invoiced: credited, latest invoice first
    ret = await get(db, sales_return, r2)
    assert ret.cost_fen == 5391 - 2157
    notes = await rows(db, sales_invoice, sales_invoice.c.kind == "credit_note")
    assert [(n.original_invoice_id, n.total_fen) for n in notes] == [(inv1, -6780), (inv2, -3390)]
    assert ret.credit_note_id == notes[0].id and notes[0].remarks == "退货 SR2025-000002 原发票 SI2025-000001"
    assert [(x.qty, x.amount_fen, x.tax_fen) for x in await inv_lines(db, notes[0].id)] == [(-2 * Q, -6000, -780)]
    before = await snapshot(db)
    d = await fails(take_back("3"), "OVER_RETURN", "lines.0.quantity")
    assert d.params["available"] == "2"
    assert await snapshot(db) == before
    r3 = await take_back("2")
    assert (await get(db, sales_return, r3)).cost_fen == 7548 - 5391
    sl = (await sh_lines(db, sid))[0]
    assert (sl.returned_qty, sl.returned_cost_fen, sl.invoiced_qty, sl.credited_qty) == (7 * Q, 7548, 5 * Q, 5 * Q)
    assert (await cost(db, sw.widget))[1] == value + 7548  # exactly what left, not today's average
    assert [(x.credited_qty, x.credited_fen) for x in await inv_lines(db, inv1)] == [(4 * Q, 13560)]
    assert (await so_lines(db, oid))[0].returned_qty == 7 * Q
    levels = {(r.location_id): r.qty for r in await rows(db, stock_level, stock_level.c.product_id == sw.widget)}
    assert levels == {w.a1: 100 * Q - 7 * Q + 10 * Q + 4 * Q, w.a2: 53 * Q}
    await assert_ledger_consistent(db)


async def test_two_return_lines_on_one_shipment_line_credit_the_invoiced_part(db):
    sw = await make_sales_world(db)
    _, sid, (sl,) = await shipped(db, sw, [ln(sw.widget, "7", "30.00")])
    inv = await invoice(db, sw.customer, (sl, "4"))  # 3 not invoiced
    rid = await do_take_back_goods(
        db,
        SalesReturnInput(
            sid, [SalesReturnLineInput(sl.id, "2", sw.w.a1), SalesReturnLineInput(sl.id, "2", sw.w.a2)], "部分破损"
        ),
        KEEPER,
    )  # 4 back: 3 not invoiced, 1 invoiced
    note = (await get(db, sales_return, rid)).credit_note_id
    assert note is not None and (await get(db, sales_invoice, note)).original_invoice_id == inv
    assert (await get(db, sales_invoice, note)).total_fen == -3390
    assert (await sh_lines(db, sid))[0].credited_qty == Q


# ---- 9. receipts and receivables ----------------------------------------------------------------------


async def test_receipts_advances_credit_notes_and_receivables_as_of(db):
    sw = await make_sales_world(db)
    day = lambda n: D + timedelta(days=n)  # noqa: E731
    _, _, (sl,) = await shipped(db, sw, [ln(sw.widget, "10", "10.00")])
    a = await invoice(db, sw.customer, (sl, "6"))  # 67.80, due D + 30
    b = await invoice(db, sw.customer, (sl, "4"), on=day(5))  # 45.20, due D + 35
    (bl,) = await inv_lines(db, b)
    cn = await credit(db, b, bl, amount="10.00", on=day(5))

    def receipt(amount, *allocs, on, customer_id=sw.customer):
        return do_record_customer_receipt(
            db,
            CustomerReceiptInput(
                customer_id, amount, receipt_date=on, allocations=[Allocation(i, x) for i, x in allocs]
            ),
            CASHIER,
        )

    async def receivables(as_of):
        async with db.read() as conn:
            return [
                (r.invoices_open, r.credit_open, r.advances, r.balance, r.not_due, r.days_1_30)
                for r in await conn.execute(receivables_query(as_of))
            ]

    r1 = await receipt("40.00", (a, "40.00"), on=day(10))
    assert ((await get(db, sales_invoice, a)).received_fen, (await get(db, customer_receipt, r1)).unallocated_fen) == (
        4000,
        0,
    )
    before = await snapshot(db)
    d = await fails(receipt("30.00", (a, "30.00"), on=day(10)), "OVER_PAYMENT", "allocations.0.amount")
    assert d.params["open"] == "27.80"
    await fails(receipt("10.00", (a, "20.00"), on=day(10)), "OVER_PAYMENT", "allocations")
    await fails(receipt("10.00", (a, "10.00"), on=day(10), customer_id=sw.retail), "CUSTOMER_MISMATCH")
    await fails(receipt("10.00", (cn, "10.00"), on=day(10)), "NOT_FOUND", "allocations.0.invoiceId")
    await fails(
        do_record_customer_receipt(db, CustomerReceiptInput(sw.customer, "1.00"), ACCOUNTANT), "PERMISSION_DENIED"
    )
    assert await snapshot(db) == before
    adv = await receipt("50.00", on=day(12))
    assert (await get(db, customer_receipt, adv)).unallocated_fen == 5000
    assert await receivables(day(12)) == [(7300, -1000, 5000, 1300, 7300, 0)]
    d = await fails(do_apply_credit_note(db, cn, a, "10.01", CASHIER, on=day(15)), "OVER_PAYMENT", "amount")
    assert d.params["open"] == "10.00"
    await do_apply_credit_note(db, cn, a, "10.00", CASHIER, on=day(15))
    note = await get(db, sales_invoice, cn)
    assert (note.received_fen, note.status, (await get(db, sales_invoice, a)).received_fen) == (-1000, "paid", 5000)
    await fails(do_apply_advance(db, adv, [Allocation(a, "17.81")], CASHIER, on=day(15)), "OVER_PAYMENT")
    await do_apply_advance(db, adv, [Allocation(a, "17.80")], CASHIER, on=day(15))
    inv, rec = await get(db, sales_invoice, a), await get(db, customer_receipt, adv)
    assert (inv.received_fen, inv.status, rec.unallocated_fen) == (6780, "paid", 3220)
    await fails(do_apply_advance(db, adv, [Allocation(b, "32.21")], CASHIER, on=day(15)), "OVER_PAYMENT")
    await fails(do_apply_advance(db, adv, [Allocation(a, "1.00")], CASHIER, on=day(15)), "INVALID_STATUS")
    assert await status_events(db, "sales_invoice", a) == [("", "open"), ("open", "paid")]
    assert await receivables(day(15)) == [(4520, 0, 3220, 1300, 4520, 0)]
    # as of earlier dates, later documents and allocations do not count
    assert await receivables(day(11)) == [(7300, -1000, 0, 6300, 7300, 0)]
    assert await receivables(day(4)) == [(6780, 0, 0, 6780, 6780, 0)]
    assert await receivables(day(50)) == [(4520, 0, 3220, 1300, 0, 4520)]  # B 15 days overdue
    await receipt("13.00", (b, "13.00"), on=day(20))
    await do_apply_advance(db, adv, [Allocation(b, "32.20")], CASHIER, on=day(20))
    assert ((await get(db, sales_invoice, b)).status, await receivables(day(20))) == ("paid", [])
    assert [
        (x.receipt_id, x.credit_note_id, x.amount_fen, x.effective_date)
        for x in await rows(db, receipt_allocation, receipt_allocation.c.invoice_id == a)
    ] == [(r1, None, 4000, day(10)), (None, cn, 1000, day(15)), (adv, None, 1780, day(15))]


async def test_receivables_aging_buckets(db):
    sw = await make_sales_world(db)
    as_of = date(2025, 9, 30)
    _, _, (sl,) = await shipped(db, sw, [ln(sw.widget, "6", "10.00")])
    for days_ago in (30, 60, 61, 120, 121, -1):  # due 30 days later: as_of, −30, −31, −90, −91; the last is later
        await invoice(db, sw.customer, (sl, "1"), on=as_of - timedelta(days=days_ago))
    async with db.read() as conn:
        (r,) = (await conn.execute(receivables_query(as_of))).all()
    assert (r.customer_id, r.invoices_open, r.balance) == (sw.customer, 5650, 5650)
    assert (r.not_due, r.days_1_30, r.days_31_60, r.days_61_90, r.over_90) == (1130, 1130, 1130, 1130, 1130)


# ---- 10. customer overview ----------------------------------------------------------------------------


async def test_customer_overview(db):
    sw = await make_sales_world(db)
    oid = await approved_so(db, sw, [ln(sw.widget, "5"), ln(sw.lotted, "2")])  # 113.00 + 45.20
    wl, ll = await so_lines(db, oid)
    sid = await ship(db, oid, (wl, "5", sw.w.a1), (ll, "2", sw.w.a2, "SOON"))
    iid = await invoice(db, sw.customer, shipments=[sid])
    wl = (await inv_lines(db, iid))[0]
    await credit(db, iid, wl, amount="11.30")
    await approved_so(db, sw, [ln(sw.widget, "3")])  # 67.80 open, not invoiced
    await new_so(db, sw, [ln(sw.lotted, "1")])  # 22.60 draft
    await do_cancel_sales_order(db, await new_so(db, sw, [ln(sw.lotted, "1")]), SALES)
    async with db.read() as conn:
        ov = await customer_overview(conn, sw.customer, D, D)
        top1 = await customer_overview(conn, sw.customer, D, D, top=1)
        other = await customer_overview(conn, sw.retail, D, D)
    # exposure: open invoices 158.20 − credit note 11.30 + the approved order not yet invoiced 67.80
    assert (ov.open_orders, ov.open_orders_fen, ov.exposure_fen, ov.invoiced_fen) == (2, 9040, 21470, 14690)
    assert (ov.receivables.invoices_open, ov.receivables.credit_open, ov.receivables.balance) == (15820, -1130, 14690)
    assert [(t.product_id, t.quantity, t.amount_fen) for t in ov.top_products] == [
        (sw.widget, 5 * Q, 9000),
        (sw.lotted, 2 * Q, 4000),
    ]
    assert [t.product_id for t in top1.top_products] == [sw.widget]
    assert (other.open_orders, other.receivables, other.exposure_fen, other.top_products) == (0, None, 0, [])


# ---- 11. customer master data -------------------------------------------------------------------------


async def test_customer_credit_fields_and_addresses(db):
    sw = await make_sales_world(db)
    cid = await do_create_partner(
        db,
        "customer",
        PartnerInput(
            code="C009",
            name="杭州联华",
            credit_rating="A",
            credit_limit="5000.50",
            invoice_type="special",
            discount="0.05",
            payment_terms_days=45,
        ),
    )
    c = await get(db, customer, cid)
    assert (c.credit_rating, c.credit_limit_fen, c.invoice_type, c.discount_bp, c.payment_terms_days) == (
        "A",
        500050,
        "special",
        500,
        45,
    )
    await do_update_partner(db, "customer", cid, PartnerInput(credit_limit=""))  # "" clears the limit
    assert (await get(db, customer, cid)).credit_limit_fen is None
    await do_update_partner(db, "customer", cid, PartnerInput(credit_limit="0", name="杭州联华超市"))
    c = await get(db, customer, cid)
    assert (c.credit_limit_fen, c.name, c.credit_rating) == (0, "杭州联华超市", "A")
    bad = {
        "creditRating": PartnerInput(credit_rating="E"),
        "discount": PartnerInput(discount="x"),
        "creditLimit": PartnerInput(credit_limit="-1"),
        "invoiceType": PartnerInput(invoice_type="vat"),
    }
    for fld, data in bad.items():
        await fails(do_update_partner(db, "customer", cid, data), "INVALID_VALUE", fld, PartnerError)
    assert (await get(db, customer, cid)).credit_limit_fen == 0

    async def add(kind, text, default=False, partner=cid):
        return await do_add_partner_address(db, "customer", partner, AddressInput(kind, text, is_default=default))

    a1 = await add("ship_to", "上海市浦东新区1号", True)
    bill = await add("bill_to", "上海市黄浦区2号", True)
    a2 = await add("ship_to", "上海市闵行区3号", True)
    a3 = await add("ship_to", "上海市徐汇区4号")
    assert {r.id: r.is_default for r in await rows(db, partner_address)} == {a1: False, bill: True, a2: True, a3: False}
    await fails(add("home", "x"), "INVALID_VALUE", "kind", PartnerError)
    await fails(add("ship_to", " "), "REQUIRED", "address", PartnerError)
    await fails(add("ship_to", "x", partner=999_999), "NOT_FOUND", "partnerId", PartnerError)
    oid = await do_create_sales_order(
        db, SalesOrderInput(cid, sw.w.wh1, [ln(sw.widget, "1")], order_date=D, ship_to_address_id=a2), SALES
    )
    so = await get(db, sales_order, oid)
    assert (so.ship_to_address_id, (await so_lines(db, oid))[0].discount_bp) == (a2, 500)
    await fails(new_so(db, sw, [ln(sw.widget, "1")], ship_to_address_id=a2), "NOT_FOUND", "shipToAddressId")
