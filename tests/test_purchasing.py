"""Purchasing: orders and approvals, receipts with inspection and landed costs, returns at receipt
cost, bills with three-way match, payments and payables, supplier scorecards."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from server.auth.services import Principal
from server.core.numbering import document_sequence
from server.core.numbers import allocate_largest_remainder
from server.events.journal import DOCUMENT_STATUS_CHANGED
from server.events.models import event
from server.inventory.models import lot, product_cost, stock_level, stock_move
from server.purchasing.bills import (
    Allocation,
    BillInput,
    BillLineInput,
    PaymentInput,
    do_allocate_prepayment,
    do_apply_debit_note,
    do_approve_supplier_bill,
    do_create_supplier_bill,
    do_record_supplier_payment,
    payables_query,
)
from server.purchasing.errors import PurchasingError
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    purchase_return,
    supplier_bill,
    supplier_payment,
)
from server.purchasing.orders import (
    OrderInput,
    OrderLineInput,
    do_approve_purchase_order,
    do_cancel_purchase_order,
    do_close_purchase_order,
    do_create_purchase_order,
    do_reject_purchase_order,
    do_submit_purchase_order,
    do_unapprove_purchase_order,
    do_update_purchase_order,
)
from server.purchasing.prices import SupplierPriceInput, do_create_supplier_price
from server.purchasing.receipts import (
    ReceiptInput,
    ReceiptLineInput,
    ReturnInput,
    ReturnLineInput,
    do_receive_goods,
    do_return_to_supplier,
)
from server.purchasing.scorecard import rank_suppliers, supplier_scorecard
from server.purchasing.settings import PurchaseSettings, PurchaseSettingsChange, do_change_purchase_settings
from tests.doc_asserts import cost, get, rows, snapshot_of
from tests.doc_asserts import fails as _fails
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import (
    ACCOUNTANT,
    ADMIN,
    CASHIER,
    KEEPER,
    MANAGER,
    MANAGER2,
    PURCHASER,
    make_purchasing_world,
    principal,
)

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

D = date(2025, 3, 10)
Q = 10**6  # QTY_SCALE
SNAPSHOT = (
    purchase_order,
    purchase_order_line,
    purchase_order_history,
    goods_receipt,
    goods_receipt_line,
    stock_move,
    stock_level,
    product_cost,
    document_sequence,
    supplier_bill,
    supplier_payment,
    payment_allocation,
    purchase_return,
    event,
)


# ---- helpers ----------------------------------------------------------------------------------------


async def fails(coro, code: str, field: str | None = None, error=None):
    return await _fails(coro, code, field, error or PurchasingError)


async def snapshot(db) -> dict:
    return await snapshot_of(db, SNAPSHOT)


async def po_lines(db, order_id):
    return await rows(
        db, purchase_order_line, purchase_order_line.c.order_id == order_id, order=purchase_order_line.c.line_no
    )


async def rc_lines(db, receipt_id):
    return await rows(
        db, goods_receipt_line, goods_receipt_line.c.receipt_id == receipt_id, order=goods_receipt_line.c.line_no
    )


async def status_events(db, doc_type: str, doc_id: int) -> list[tuple[str, str]]:
    out = []
    for r in await rows(db, event, event.c.event_type == DOCUMENT_STATUS_CHANGED, order=event.c.seq):
        p = json.loads(r.payload)
        if p["doc_type"] == doc_type and p["id"] == doc_id:
            out.append((p["from"], p["to"]))
    return out


def ln(product_id, quantity, price=None, **kw) -> OrderLineInput:
    return OrderLineInput(product_id=product_id, quantity=quantity, unit_price=price, **kw)


async def new_po(db, pw, lines, supplier=None, on=D, by=PURCHASER) -> int:
    return await do_create_purchase_order(db, OrderInput(supplier or pw.supplier, pw.w.wh1, lines, order_date=on), by)


async def approved_po(db, pw, lines, supplier=None, on=D) -> int:
    oid = await new_po(db, pw, lines, supplier, on)
    await do_submit_purchase_order(db, oid, PURCHASER)
    assert await do_approve_purchase_order(db, oid, MANAGER) == "approved"
    return oid


async def receive(db, oid, *specs, location: int, on=D, **kw) -> int:
    """specs: (order line row, received quantity[, extra ReceiptLineInput fields]), all put away at ``location``."""
    lines = [
        ReceiptLineInput(
            received_quantity=s[1], order_line_id=s[0].id, location_id=location, **(s[2] if len(s) > 2 else {})
        )
        for s in specs
    ]
    return await do_receive_goods(db, ReceiptInput(lines=lines, order_id=oid, receipt_date=on, **kw), KEEPER)


async def received_po(db, pw, lines, supplier=None, on=D):
    """An approved order fully received into A-01; returns (order id, receipt id, receipt lines)."""
    oid = await approved_po(db, pw, lines, supplier, on)
    pol = await po_lines(db, oid)
    rid = await receive(db, oid, *[(p, str(Decimal(p.quantity) / Q)) for p in pol], on=on, location=pw.w.a1)
    return oid, rid, await rc_lines(db, rid)


# ---- 1. purchase orders -----------------------------------------------------------------------------


async def test_po_totals_round_vat_per_line_to_the_fen(db):
    pw = await make_purchasing_world(db)
    vector = [("3", "33.33"), ("7", "9.99"), ("1", "0.05"), ("12", "4.17")]
    oid = await new_po(db, pw, [ln(pw.widget, q, price, vat_rate="0.13") for q, price in vector])
    po = await get(db, purchase_order, oid)
    lines = [(p.amount_fen, p.tax_fen) for p in await po_lines(db, oid)]
    assert lines == [(9999, 1300), (6993, 909), (5, 1), (5004, 651)]
    assert (po.amount_fen, po.tax_fen, po.total_fen) == (22001, 2861, 24862)
    assert (po.number, po.status, po.created_by_user_id) == ("PO2025-000001", "draft", 1)
    assert await status_events(db, "purchase_order", oid) == [("", "draft")]


async def test_po_default_price_from_valid_price_list_else_product_and_unit_conversion(db):
    pw = await make_purchasing_world(db)
    day = timedelta(days=1)
    await do_create_supplier_price(
        db,
        SupplierPriceInput(
            pw.supplier, pw.widget, "8.50", vat_rate="0.09", valid_from=D - 10 * day, valid_to=D + 10 * day
        ),
    )
    await do_create_supplier_price(db, SupplierPriceInput(pw.supplier, pw.widget, "9.00", valid_from=D + 11 * day))
    oid = await new_po(db, pw, [ln(pw.widget, "5"), ln(pw.flour, "2.5"), ln(pw.widget, "2", unit_id=pw.w.box)])
    got = [
        (p.unit_price_micro, p.vat_rate_bp, p.quantity, p.qty, p.unit_factor, p.amount_fen)
        for p in await po_lines(db, oid)
    ]
    assert got == [
        (8_500_000, 900, 5 * Q, 5 * Q, Q, 4250),
        (4_200_000, 1300, 2_500_000, 2_500_000, Q, 1050),  # no list price: the product's
        (102_000_000, 900, 2 * Q, 24 * Q, 12 * Q, 20400),
    ]  # list price × 12 per box
    later = await new_po(db, pw, [ln(pw.widget, "1")], on=D + 11 * day)
    assert (await po_lines(db, later))[0].unit_price_micro == 9_000_000
    # a supplier without a price list: the product purchase price 10.00 → 120.00 per box of 12
    other = await new_po(db, pw, [ln(pw.widget, "2", unit_id=pw.w.box)], supplier=pw.supplier2)
    p = (await po_lines(db, other))[0]
    assert (p.unit_price_micro, p.qty, p.amount_fen, p.tax_fen) == (120_000_000, 24 * Q, 24000, 3120)
    assert (await get(db, purchase_order, other)).total_fen == 27120


async def test_min_order_qty_and_gap_free_numbers(db):
    pw = await make_purchasing_world(db)
    await do_create_supplier_price(
        db, SupplierPriceInput(pw.supplier, pw.widget, "9.00", min_order_qty="10", valid_from=D - timedelta(days=1))
    )
    first = await new_po(db, pw, [ln(pw.widget, "10")])
    before = await snapshot(db)
    d = await fails(new_po(db, pw, [ln(pw.flour, "1"), ln(pw.widget, "5")]), "BELOW_MIN_ORDER_QTY", "lines.1.quantity")
    assert d.params["min"] == "10"
    assert await snapshot(db) == before
    second = await new_po(db, pw, [ln(pw.widget, "12")])
    assert [(await get(db, purchase_order, i)).number for i in (first, second)] == ["PO2025-000001", "PO2025-000002"]


async def test_edit_only_in_draft_or_rejected(db):
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "3", "10.00")])
    edited = OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "4", "10.00"), ln(pw.flour, "1", "5.00")], order_date=D)
    await do_update_purchase_order(db, oid, edited, PURCHASER)
    po = await get(db, purchase_order, oid)
    assert (po.amount_fen, po.tax_fen, po.total_fen, po.status) == (4500, 585, 5085, "draft")
    assert [p.qty for p in await po_lines(db, oid)] == [4 * Q, Q]
    await do_submit_purchase_order(db, oid, PURCHASER)
    edit = OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "1")], order_date=D)
    before = await snapshot(db)
    d = await fails(do_update_purchase_order(db, oid, edit, PURCHASER), "INVALID_STATUS")
    assert d.params["status"] == "submitted"
    await do_approve_purchase_order(db, oid, MANAGER)
    await fails(do_update_purchase_order(db, oid, edit, PURCHASER), "INVALID_STATUS")
    await fails(do_submit_purchase_order(db, oid, PURCHASER), "INVALID_STATUS")
    assert len((await snapshot(db))["purchase_order_line"]) == len(before["purchase_order_line"])


async def test_update_checks_the_stored_orders_warehouse(db):
    """#15: an update is refused when the stored order lies outside the caller's warehouses, even
    when the new header and lines lie inside them (as for sales orders)."""
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "3", "10.00")])  # stored in wh1
    outsider = replace(PURCHASER, warehouse_ids=frozenset({pw.w.wh2}))
    before = await snapshot(db)
    edit = OrderInput(pw.supplier, pw.w.wh2, [ln(pw.widget, "4", "10.00")], order_date=D)
    await fails(do_update_purchase_order(db, oid, edit, outsider), "PERMISSION_DENIED", "id")
    assert await snapshot(db) == before


async def test_idempotency_key(db):
    pw = await make_purchasing_world(db)
    data = OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "3")], order_date=D)
    a = await do_create_purchase_order(db, data, PURCHASER, idempotency_key="po-key-1")
    b = await do_create_purchase_order(db, data, PURCHASER, idempotency_key="po-key-1")
    assert a == b
    other = OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "4")], order_date=D)
    await fails(do_create_purchase_order(db, other, PURCHASER, idempotency_key="po-key-1"), "IDEMPOTENCY_KEY_REUSED")
    assert len(await rows(db, purchase_order)) == 1
    assert (await rows(db, document_sequence))[0].last_no == 1
    # a key whose first attempt failed is free again for the corrected request
    bad = OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "0")], order_date=D)
    await fails(
        do_create_purchase_order(db, bad, PURCHASER, idempotency_key="po-key-2"), "INVALID_QUANTITY", "lines.0.quantity"
    )
    fixed = await do_create_purchase_order(db, other, PURCHASER, idempotency_key="po-key-2")
    assert (await get(db, purchase_order, fixed)).number == "PO2025-000002"


# ---- 2. approval ------------------------------------------------------------------------------------


async def test_small_order_one_step_history_and_events(db):
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "100")])  # 1,130.00
    await do_submit_purchase_order(db, oid, PURCHASER)
    assert await do_approve_purchase_order(db, oid, MANAGER, "ok") == "approved"
    po = await get(db, purchase_order, oid)
    assert (po.status, json.loads(po.approvals_required), po.approvals_done) == ("approved", [""], 1)
    assert po.approved_at is not None
    hist = await rows(db, purchase_order_history, purchase_order_history.c.order_id == oid)
    assert [(h.action, h.from_status, h.to_status, h.user_id, h.comment) for h in hist] == [
        ("submitted", "draft", "submitted", 1, ""),
        ("approved", "submitted", "approved", 2, "ok"),
    ]
    assert await status_events(db, "purchase_order", oid) == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]


async def test_self_approval_and_separation_of_duties_switch(db):
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "10")])  # created by PURCHASER, user 1
    await do_submit_purchase_order(db, oid, PURCHASER)
    creator = principal("purchase_manager", 1)
    before = await snapshot(db)
    await fails(do_approve_purchase_order(db, oid, creator), "SELF_APPROVAL")
    assert await snapshot(db) == before
    await do_change_purchase_settings(db, PurchaseSettingsChange(separation_of_duties=False), ADMIN)
    assert await do_approve_purchase_order(db, oid, creator) == "approved"


async def test_thresholds_and_role_required(db):
    s = PurchaseSettings()
    assert s.approval_roles(5_000_000) == [""]
    assert s.approval_roles(5_000_001) == ["purchase_manager"]
    assert s.approval_roles(20_000_001) == ["purchase_manager", "admin"]
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "5000")])  # 56,500.00
    await do_submit_purchase_order(db, oid, PURCHASER)
    custom = Principal(
        kind="user",
        name="x",
        user_id=9,
        token_id=None,
        permissions=frozenset({"purchase.order.approve"}),
        roles=("custom",),
    )
    d = await fails(do_approve_purchase_order(db, oid, custom), "APPROVER_ROLE_REQUIRED")
    assert d.params["role"] == "purchase_manager"
    await fails(do_approve_purchase_order(db, oid, KEEPER), "PERMISSION_DENIED")
    assert (await get(db, purchase_order, oid)).approvals_done == 0
    assert await do_approve_purchase_order(db, oid, MANAGER) == "approved"


async def test_two_step_approval_by_different_people(db):
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "20000")])  # 226,000.00
    await do_submit_purchase_order(db, oid, PURCHASER)
    assert json.loads((await get(db, purchase_order, oid)).approvals_required) == ["purchase_manager", "admin"]
    assert await do_approve_purchase_order(db, oid, MANAGER) == "submitted"
    await fails(do_approve_purchase_order(db, oid, MANAGER2), "APPROVER_ROLE_REQUIRED")
    assert await do_approve_purchase_order(db, oid, ADMIN) == "approved"
    hist = await rows(db, purchase_order_history, purchase_order_history.c.order_id == oid)
    assert [(h.action, h.to_status, h.role_code) for h in hist] == [
        ("submitted", "submitted", ""),
        ("approved", "submitted", "purchase_manager"),
        ("approved", "approved", "admin"),
    ]
    # the administrator may sign any step, but not both steps of one submission
    other = await new_po(db, pw, [ln(pw.widget, "20000")])
    await do_submit_purchase_order(db, other, PURCHASER)
    assert await do_approve_purchase_order(db, other, ADMIN) == "submitted"
    await fails(do_approve_purchase_order(db, other, ADMIN), "ALREADY_APPROVED_BY_YOU")
    assert (await get(db, purchase_order, other)).approvals_done == 1


async def test_reject_with_comment_edit_and_resubmit(db):
    pw = await make_purchasing_world(db)
    oid = await new_po(db, pw, [ln(pw.widget, "20000")])
    await do_submit_purchase_order(db, oid, PURCHASER)
    assert await do_approve_purchase_order(db, oid, MANAGER) == "submitted"
    await fails(do_reject_purchase_order(db, oid, ADMIN, "  "), "REQUIRED", "comment")
    await do_reject_purchase_order(db, oid, ADMIN, "价格太高")
    po = await get(db, purchase_order, oid)
    assert po.status == "rejected"
    await fails(do_approve_purchase_order(db, oid, ADMIN), "INVALID_STATUS")
    await do_update_purchase_order(
        db, oid, OrderInput(pw.supplier, pw.w.wh1, [ln(pw.widget, "19000", "10.00")], order_date=D), PURCHASER
    )
    po = await get(db, purchase_order, oid)
    assert (po.status, po.approvals_done, po.total_fen) == ("draft", 0, 21_470_000)
    await do_submit_purchase_order(db, oid, PURCHASER)
    # a new submission is a new round: the manager signs the first step again
    assert await do_approve_purchase_order(db, oid, MANAGER) == "submitted"
    assert await do_approve_purchase_order(db, oid, ADMIN) == "approved"
    hist = await rows(db, purchase_order_history, purchase_order_history.c.order_id == oid)
    assert [h.action for h in hist] == [
        "submitted",
        "approved",
        "rejected",
        "edited",
        "submitted",
        "approved",
        "approved",
    ]
    assert hist[2].comment == "价格太高"
    assert await status_events(db, "purchase_order", oid) == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "rejected"),
        ("rejected", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]


# ---- 3. cancel and close ----------------------------------------------------------------------------


async def test_cancel_before_receipt_close_after_partial(db):
    pw = await make_purchasing_world(db)
    a = await approved_po(db, pw, [ln(pw.widget, "10")])
    await do_cancel_purchase_order(db, a, PURCHASER, "供应商缺货")
    assert (await get(db, purchase_order, a)).status == "cancelled"
    await fails(receive(db, a, ((await po_lines(db, a))[0], "1"), location=pw.w.a1), "INVALID_STATUS")
    b = await approved_po(db, pw, [ln(pw.widget, "10")])
    await receive(db, b, ((await po_lines(db, b))[0], "4"), location=pw.w.a1)
    assert (await get(db, purchase_order, b)).status == "partially_received"
    await fails(do_cancel_purchase_order(db, b, PURCHASER), "INVALID_STATUS")
    await do_close_purchase_order(db, b, PURCHASER, "余量不要了")
    assert (await get(db, purchase_order, b)).status == "closed"
    await fails(receive(db, b, ((await po_lines(db, b))[0], "1"), location=pw.w.a1), "INVALID_STATUS")
    assert await status_events(db, "purchase_order", b) == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "partially_received"),
        ("partially_received", "closed"),
    ]
    await assert_ledger_consistent(db)


# ---- 4. receipts ------------------------------------------------------------------------------------


async def test_partial_then_full_receipt_with_inspection(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10"), ln(pw.flour, "5")])  # 10.00 and 4.20 excl. 13 % VAT
    w_line, f_line = await po_lines(db, oid)
    before = await snapshot(db)
    await fails(
        receive(db, oid, (w_line, "6", {"rejected_quantity": "1"}), location=pw.w.a1),
        "REQUIRED",
        "lines.0.rejectReason",
    )
    assert await snapshot(db) == before
    rid = await receive(
        db, oid, (w_line, "6", {"rejected_quantity": "1", "reject_reason": "外箱破损"}), location=pw.w.a1
    )
    rc = await get(db, goods_receipt, rid)
    assert (rc.number, rc.inspection_number, rc.goods_value_fen) == ("RC2025-000001", "QC2025-000001", 5000)
    (line,) = await rc_lines(db, rid)
    assert (line.received_qty, line.accepted_qty, line.rejected_qty, line.reject_reason) == (
        6 * Q,
        5 * Q,
        Q,
        "外箱破损",
    )
    w_line = (await po_lines(db, oid))[0]
    assert (w_line.received_qty, w_line.accepted_qty, w_line.rejected_qty) == (6 * Q, 5 * Q, Q)
    assert (await get(db, purchase_order, oid)).status == "partially_received"
    assert await cost(db, pw.widget) == (5 * Q, 5000)  # the order price excl. VAT, not 56.50
    assert await status_events(db, "goods_receipt", rid) == [("", "posted")]
    await receive(db, oid, (w_line, "5"), (f_line, "5"), location=pw.w.a2)
    assert (await get(db, purchase_order, oid)).status == "received"
    assert await cost(db, pw.widget) == (10 * Q, 10000)
    assert await cost(db, pw.flour) == (5 * Q, 2100)
    await assert_ledger_consistent(db)


async def test_box_order_received_in_base_units(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "2", unit_id=pw.w.box)])
    (p,) = await po_lines(db, oid)
    rid = await receive(db, oid, (p, "1"), location=pw.w.a1)  # in the order line's unit: one box
    (line,) = await rc_lines(db, rid)
    assert (line.accepted_qty, line.goods_value_fen) == (12 * Q, 12000)
    await receive(db, oid, (p, "12", {"unit_id": pw.w.pcs}), location=pw.w.a1)
    assert (await get(db, purchase_order, oid)).status == "received"
    assert await cost(db, pw.widget) == (24 * Q, 24000)
    await assert_ledger_consistent(db)


async def test_over_receipt_refused_then_within_tolerance(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10")])
    (p,) = await po_lines(db, oid)
    await receive(db, oid, (p, "8"), location=pw.w.a1)
    before = await snapshot(db)
    d = await fails(receive(db, oid, (p, "3"), location=pw.w.a1), "OVER_RECEIPT", "lines.0.receivedQuantity")
    assert (d.params["ordered"], d.params["received"], d.params["requested"]) == ("10", "8", "3")
    assert await snapshot(db) == before
    # rejected goods do not count against the order
    await receive(db, oid, (p, "3", {"rejected_quantity": "3", "reject_reason": "不合格"}), location=pw.w.a1)
    await do_change_purchase_settings(db, PurchaseSettingsChange(over_receipt_tolerance="0.1"), ADMIN)
    before = await snapshot(db)
    await fails(receive(db, oid, (p, "4"), location=pw.w.a1), "OVER_RECEIPT")
    assert await snapshot(db) == before
    await receive(db, oid, (p, "3"), location=pw.w.a1)
    p = (await po_lines(db, oid))[0]
    assert (p.accepted_qty, p.received_qty, p.rejected_qty) == (11 * Q, 14 * Q, 3 * Q)
    assert (await get(db, purchase_order, oid)).status == "received"
    assert await cost(db, pw.widget) == (11 * Q, 11000)
    await assert_ledger_consistent(db)


async def test_receipt_without_order_setting_and_wrong_warehouse(db):
    pw = await make_purchasing_world(db)
    free = ReceiptInput(
        [ReceiptLineInput("4", product_id=pw.widget, location_id=pw.w.a1, unit_price="7.50")],
        supplier_id=pw.supplier,
        receipt_date=D,
    )
    await fails(do_receive_goods(db, free, KEEPER), "ORDER_REQUIRED", "orderId")
    await do_change_purchase_settings(db, PurchaseSettingsChange(allow_receipt_without_order=True), ADMIN)
    rid = await do_receive_goods(db, free, KEEPER)
    assert (await get(db, goods_receipt, rid)).order_id is None
    assert await cost(db, pw.widget) == (4 * Q, 3000)
    oid = await approved_po(db, pw, [ln(pw.widget, "5"), ln(pw.widget, "5", warehouse_id=pw.w.wh2)])
    p1, p2 = await po_lines(db, oid)
    before = await snapshot(db)
    await fails(receive(db, oid, (p1, "5"), location=pw.w.b1), "WRONG_WAREHOUSE", "lines.0.locationId")
    await fails(receive(db, oid, (p2, "5"), location=pw.w.a1), "WRONG_WAREHOUSE", "lines.0.locationId")
    assert await snapshot(db) == before
    await receive(db, oid, (p2, "5"), location=pw.w.b1)
    await assert_ledger_consistent(db)


async def test_landed_cost_by_value_adds_up_to_the_fen(db):
    assert allocate_largest_remainder(10000, [3000, 3000, 3000]) == [3334, 3333, 3333]
    assert allocate_largest_remainder(1000, [10000, 20000]) == [333, 667]
    assert allocate_largest_remainder(5, [0, 0]) == [3, 2]
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10"), ln(pw.widget, "10"), ln(pw.widget, "10")])
    rid = await receive(db, oid, *[(p, "10") for p in await po_lines(db, oid)], location=pw.w.a1, landed_cost="100.00")
    lines = await rc_lines(db, rid)
    assert [(x.goods_value_fen, x.landed_fen, x.value_fen) for x in lines] == [
        (10000, 3334, 13334),
        (10000, 3333, 13333),
        (10000, 3333, 13333),
    ]
    rc = await get(db, goods_receipt, rid)
    assert (rc.goods_value_fen, rc.landed_cost_fen, rc.landed_allocation) == (30000, 10000, "value")
    assert await cost(db, pw.widget) == (30 * Q, 40000)
    await assert_ledger_consistent(db)


async def test_landed_cost_by_quantity(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "1", "100.00"), ln(pw.flour, "1"), ln(pw.widget, "1", "1.00")])
    rid = await receive(
        db,
        oid,
        *[(p, "1") for p in await po_lines(db, oid)],
        location=pw.w.a1,
        landed_cost="100.00",
        landed_allocation="quantity",
    )
    lines = [(x.goods_value_fen, x.landed_fen) for x in await rc_lines(db, rid)]
    assert lines == [(10000, 3334), (420, 3333), (100, 3333)]
    assert await cost(db, pw.widget) == (2 * Q, 10000 + 3334 + 100 + 3333)
    assert await cost(db, pw.flour) == (Q, 420 + 3333)
    await assert_ledger_consistent(db)


async def test_serial_and_lot_tracked_receipts(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.serial, "3"), ln(pw.lotted, "10")])
    s_line, l_line = await po_lines(db, oid)
    before = await snapshot(db)
    d = await fails(
        receive(db, oid, (s_line, "3", {"serials": ["SN1", "SN2"]}), location=pw.w.a1),
        "SERIAL_COUNT",
        "lines.0.serials",
    )
    assert (d.params["serials"], d.params["accepted"]) == (2, "3")
    await fails(receive(db, oid, (s_line, "3", {"serials": ["SN1", "SN1", "SN2"]}), location=pw.w.a1), "SERIAL_COUNT")
    await fails(receive(db, oid, (l_line, "10"), location=pw.w.a1), "LOT_REQUIRED")
    assert await snapshot(db) == before
    expiry = D + timedelta(days=180)
    rid = await receive(
        db,
        oid,
        (s_line, "3", {"serials": ["SN1", "SN2", "SN3"]}),
        (l_line, "10", {"lot": "L2503", "expiry_date": expiry}),
        location=pw.w.a1,
    )
    lines = await rc_lines(db, rid)
    assert [(x.accepted_qty, x.value_fen) for x in lines] == [(Q, 100000)] * 3 + [(10 * Q, 3000)]
    lots = {r.id: (r.code, r.expiry_date) for r in await rows(db, lot)}
    assert [lots[x.lot_id] for x in lines] == [("SN1", None), ("SN2", None), ("SN3", None), ("L2503", expiry)]
    assert await cost(db, pw.serial) == (3 * Q, 300000)
    assert (await get(db, purchase_order, oid)).status == "received"
    await assert_ledger_consistent(db)


# ---- 5. returns -------------------------------------------------------------------------------------


async def test_return_at_original_receipt_cost_policy_a(db):
    pw = await make_purchasing_world(db)
    po1, rc1, (r1,) = await received_po(db, pw, [ln(pw.widget, "10", "10.00")])
    await received_po(db, pw, [ln(pw.widget, "10", "20.00")])
    assert await cost(db, pw.widget) == (20 * Q, 30000)  # average 15.00
    ret = await do_return_to_supplier(
        db, ReturnInput(rc1, [ReturnLineInput(r1.id, "4")], reason="质量问题", return_date=D), KEEPER
    )
    pr = await get(db, purchase_return, ret)
    assert pr.value_fen == 4000  # 4 × 10.00, not 4 × 15.00
    assert await cost(db, pw.widget) == (16 * Q, 26000)  # the average of what stays: 16.25
    r1 = (await rc_lines(db, rc1))[0]
    assert (r1.returned_qty, r1.returned_value_fen) == (4 * Q, 4000)
    assert (await po_lines(db, po1))[0].returned_qty == 4 * Q
    dn = await get(db, supplier_bill, pr.debit_note_id)
    assert (dn.kind, dn.status, dn.supplier_id, dn.amount_fen, dn.tax_fen, dn.total_fen, dn.number) == (
        "debit_note",
        "open",
        pw.supplier,
        -4000,
        -520,
        -4520,
        "DN2025-000001",
    )
    before = await snapshot(db)
    d = await fails(
        do_return_to_supplier(db, ReturnInput(rc1, [ReturnLineInput(r1.id, "7")], reason="x"), KEEPER),
        "OVER_RETURN",
        "lines.0.quantity",
    )
    assert d.params["available"] == "6"
    await fails(
        do_return_to_supplier(db, ReturnInput(rc1, [ReturnLineInput(r1.id, "1")]), KEEPER), "REQUIRED", "reason"
    )
    assert await snapshot(db) == before
    await do_return_to_supplier(db, ReturnInput(rc1, [ReturnLineInput(r1.id, "6")], reason="质量问题"), KEEPER)
    assert await cost(db, pw.widget) == (10 * Q, 20000)
    await assert_ledger_consistent(db)


async def test_last_return_takes_the_exact_remaining_value(db):
    pw = await make_purchasing_world(db)
    _, rc1, (r1,) = await received_po(db, pw, [ln(pw.widget, "3", "3.333333")])
    assert r1.value_fen == 1000  # 9.999999 → 10.00, rounded once per line
    await received_po(db, pw, [ln(pw.widget, "3", "5.00")])
    values = []
    for _ in range(3):
        ret = await do_return_to_supplier(db, ReturnInput(rc1, [ReturnLineInput(r1.id, "1")], reason="退货"), KEEPER)
        pr = await get(db, purchase_return, ret)
        values.append(pr.value_fen)
        dn = await get(db, supplier_bill, pr.debit_note_id)
        assert (dn.amount_fen, dn.tax_fen, dn.total_fen) == (-333, -43, -376)
    assert values == [333, 334, 333]  # cumulative: round(10.00 × k ÷ 3) − what was taken before
    assert await cost(db, pw.widget) == (3 * Q, 1500)
    r1 = (await rc_lines(db, rc1))[0]
    assert (r1.returned_qty, r1.returned_value_fen) == (3 * Q, 1000)
    await assert_ledger_consistent(db)


async def test_partial_returns_never_take_more_than_the_receipt_line_value(db):
    pw = await make_purchasing_world(db)
    _, rc1, (r1,) = await received_po(db, pw, [ln(pw.widget, "4", "0.005")])  # 4 × 0.005 = 0.02
    await received_po(db, pw, [ln(pw.widget, "10", "10.00")])
    assert r1.value_fen == 2
    values = []
    for _ in range(4):
        ret = await do_return_to_supplier(db, ReturnInput(rc1, [ReturnLineInput(r1.id, "1")], reason="退货"), KEEPER)
        values.append((await get(db, purchase_return, ret)).value_fen)
    await assert_ledger_consistent(db)
    # actual: values [1, 1, 1, 0] (3 fen for goods received at 2 fen), stock of the 10.00 receipt left at 99.99
    assert (await rc_lines(db, rc1))[0].returned_value_fen == 2
    assert sum(values) == 2 and min(values) >= 0
    assert await cost(db, pw.widget) == (10 * Q, 10000)


# ---- 6. bills ---------------------------------------------------------------------------------------


def bill(pw, *lines, supplier=None, on=D, **kw) -> BillInput:
    return BillInput(supplier or pw.supplier, [BillLineInput(*x) for x in lines], bill_date=on, **kw)


async def test_three_way_match_and_bill_approval(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10")])
    rid = await receive(db, oid, ((await po_lines(db, oid))[0], "8"), location=pw.w.a1)
    (r,) = await rc_lines(db, rid)
    a = await do_create_supplier_bill(db, bill(pw, (r.id, "3", "10.10")), ACCOUNTANT)  # exactly 1 % off: matches
    ba = await get(db, supplier_bill, a)
    assert (ba.number, ba.status, ba.amount_fen, ba.tax_fen, ba.total_fen, json.loads(ba.match_flags)) == (
        "PB2025-000001",
        "open",
        3030,
        394,
        3424,
        [],
    )
    assert ba.due_date == D + timedelta(days=30)
    b = await do_create_supplier_bill(db, bill(pw, (r.id, "3", "10.11")), ACCOUNTANT)
    bb = await get(db, supplier_bill, b)
    assert (bb.status, json.loads(bb.match_flags)) == ("pending_approval", [{"line": 1, "flags": ["PRICE_MISMATCH"]}])
    before = await snapshot(db)
    # more than received is refused, never held and then booked into cost of sales: 2 of the 8 are left
    await fails(
        do_create_supplier_bill(db, bill(pw, (r.id, "3"), due_date=D + timedelta(days=5)), ACCOUNTANT),
        "OVER_BILLED",
        "lines.0.quantity",
    )
    assert await snapshot(db) == before
    c = await do_create_supplier_bill(db, bill(pw, (r.id, "2"), due_date=D + timedelta(days=5)), ACCOUNTANT)
    bc = await get(db, supplier_bill, c)
    assert (bc.status, json.loads(bc.match_flags), bc.due_date) == ("open", [], D + timedelta(days=5))
    assert (await rc_lines(db, rid))[0].billed_qty == 8 * Q
    assert (await po_lines(db, oid))[0].billed_qty == 8 * Q
    await fails(do_create_supplier_bill(db, bill(pw, (r.id, "1")), ACCOUNTANT), "OVER_BILLED", "lines.0.quantity")
    before = await snapshot(db)
    await fails(
        do_create_supplier_bill(db, bill(pw, (r.id, "1"), supplier=pw.supplier2), ACCOUNTANT),
        "SUPPLIER_MISMATCH",
        "lines.0.receiptLineId",
    )
    await fails(do_approve_supplier_bill(db, b, ACCOUNTANT), "SELF_APPROVAL")
    await fails(do_approve_supplier_bill(db, a, MANAGER), "INVALID_STATUS")
    assert await snapshot(db) == before
    await do_approve_supplier_bill(db, b, MANAGER)
    bb = await get(db, supplier_bill, b)
    assert (bb.status, bb.approved_by) == ("open", MANAGER.label)
    assert await status_events(db, "supplier_bill", b) == [("", "pending_approval"), ("pending_approval", "open")]


async def test_the_same_supplier_invoice_number_twice_is_refused(db):
    """A supplier's invoice entered twice is refused at entry (not booked twice into the payables);
    another supplier may use the same number, and bills without a number are not compared."""
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10")])
    rid = await receive(db, oid, ((await po_lines(db, oid))[0], "10"), location=pw.w.a1)
    (r,) = await rc_lines(db, rid)
    first = await do_create_supplier_bill(db, bill(pw, (r.id, "4"), supplier_invoice_no="FP-0001"), ACCOUNTANT)
    number = (await get(db, supplier_bill, first)).number
    before = await snapshot(db)
    err = await fails(
        do_create_supplier_bill(db, bill(pw, (r.id, "4"), supplier_invoice_no=" FP-0001 "), ACCOUNTANT),
        "DUPLICATE_SUPPLIER_INVOICE",
        "supplierInvoiceNo",
    )
    assert number in err.message("en")
    assert await snapshot(db) == before
    await do_create_supplier_bill(db, bill(pw, (r.id, "3")), ACCOUNTANT)
    await do_create_supplier_bill(db, bill(pw, (r.id, "3")), ACCOUNTANT)  # no number: nothing to compare


async def test_unapprove_returns_an_order_nothing_was_received_against_to_draft(db):
    """反审核: back to draft with the comment in its history, approvals start over; not once received."""
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "10")])
    before = await snapshot(db)
    await fails(do_unapprove_purchase_order(db, oid, PURCHASER, "改价"), "PERMISSION_DENIED")
    await fails(do_unapprove_purchase_order(db, oid, MANAGER, ""), "REQUIRED", "comment")
    assert await snapshot(db) == before
    await do_unapprove_purchase_order(db, oid, MANAGER, "供应商调价 the supplier changed its price")
    row = await get(db, purchase_order, oid)
    assert (row.status, row.approvals_done, row.approved_at) == ("draft", 0, None)
    assert (await status_events(db, "purchase_order", oid))[-1] == ("approved", "draft")
    await do_submit_purchase_order(db, oid, PURCHASER)
    assert await do_approve_purchase_order(db, oid, MANAGER) == "approved"
    await receive(db, oid, ((await po_lines(db, oid))[0], "2"), location=pw.w.a1)
    await fails(do_unapprove_purchase_order(db, oid, MANAGER, "too late"), "INVALID_STATUS")


# ---- 7. payments and payables -----------------------------------------------------------------------


async def _open_bill(db, pw, qty="8"):
    _, rid, (r,) = await received_po(db, pw, [ln(pw.widget, "10")])
    return rid, r, await do_create_supplier_bill(db, bill(pw, (r.id, qty)), ACCOUNTANT)


async def test_partial_full_and_over_payment(db):
    pw = await make_purchasing_world(db)
    _, _, b = await _open_bill(db, pw)  # 8 × 10.00 + 13 % = 90.40
    p1 = await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "40.00", payment_date=D, allocations=[Allocation(b, "40.00")]), CASHIER
    )
    assert ((await get(db, supplier_bill, b)).paid_fen, (await get(db, supplier_bill, b)).status) == (4000, "open")
    assert (await get(db, supplier_payment, p1)).unallocated_fen == 0
    before = await snapshot(db)
    d = await fails(
        do_record_supplier_payment(
            db, PaymentInput(pw.supplier, "60.00", payment_date=D, allocations=[Allocation(b, "60.00")]), CASHIER
        ),
        "OVER_PAYMENT",
        "allocations.0.amount",
    )
    assert d.params["open"] == "50.40"
    await fails(
        do_record_supplier_payment(
            db, PaymentInput(pw.supplier, "10.00", payment_date=D, allocations=[Allocation(b, "20.00")]), CASHIER
        ),
        "OVER_PAYMENT",
        "allocations",
    )
    await fails(
        do_record_supplier_payment(
            db, PaymentInput(pw.supplier2, "10.00", payment_date=D, allocations=[Allocation(b, "10.00")]), CASHIER
        ),
        "SUPPLIER_MISMATCH",
    )
    assert await snapshot(db) == before
    p2 = await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "50.40", payment_date=D, allocations=[Allocation(b, "50.40")]), CASHIER
    )
    bb = await get(db, supplier_bill, b)
    assert (bb.paid_fen, bb.status) == (9040, "paid")
    assert (await get(db, supplier_payment, p2)).number == "PP2025-000002"
    assert await status_events(db, "supplier_bill", b) == [("", "open"), ("open", "paid")]
    assert [a.amount_fen for a in await rows(db, payment_allocation)] == [4000, 5040]


async def test_prepayment_debit_note_and_payables_balance(db):
    pw = await make_purchasing_world(db)
    rid, r, b = await _open_bill(db, pw, "10")  # 113.00
    ret = await do_return_to_supplier(
        db, ReturnInput(rid, [ReturnLineInput(r.id, "2")], reason="破损", return_date=D), KEEPER
    )
    dn = (await get(db, purchase_return, ret)).debit_note_id  # −22.60
    pre = await do_record_supplier_payment(db, PaymentInput(pw.supplier, "50.00", payment_date=D), CASHIER)
    assert (await get(db, supplier_payment, pre)).unallocated_fen == 5000

    async def payables(as_of=D):
        async with db.read() as conn:
            return [dict(x._mapping) for x in await conn.execute(payables_query(as_of))]

    (row,) = await payables()
    assert (row["supplier_id"], row["bills_open"], row["debit_open"], row["prepayments"], row["balance"]) == (
        pw.supplier,
        11300,
        -2260,
        5000,
        4040,
    )
    await do_allocate_prepayment(db, pre, [Allocation(b, "30.00")], CASHIER, on=D)
    assert (await get(db, supplier_payment, pre)).unallocated_fen == 2000
    before = await snapshot(db)
    await fails(do_allocate_prepayment(db, pre, [Allocation(b, "30.00")], CASHIER, on=D), "OVER_PAYMENT")
    await fails(do_apply_debit_note(db, dn, b, "30.00", CASHIER, on=D), "OVER_PAYMENT")
    assert await snapshot(db) == before
    await do_apply_debit_note(db, dn, b, "22.60", CASHIER, on=D)
    note, bl = await get(db, supplier_bill, dn), await get(db, supplier_bill, b)
    assert (note.paid_fen, note.status, bl.paid_fen, bl.status) == (-2260, "paid", 5260, "open")
    (row,) = await payables()
    assert (row["bills_open"], row["debit_open"], row["prepayments"], row["balance"]) == (6040, 0, 2000, 4040)
    await do_allocate_prepayment(db, pre, [Allocation(b, "20.00")], CASHIER, on=D)
    await do_record_supplier_payment(
        db, PaymentInput(pw.supplier, "40.40", payment_date=D, allocations=[Allocation(b, "40.40")]), CASHIER
    )
    assert (await get(db, supplier_bill, b)).status == "paid"
    assert await payables() == []
    await assert_ledger_consistent(db)


async def test_payables_as_of_a_past_date_ignore_later_payments(db):
    pw = await make_purchasing_world(db)
    _, _, b = await _open_bill(db, pw)  # dated D, 90.40, due D + 30
    await do_record_supplier_payment(
        db,
        PaymentInput(pw.supplier, "90.40", payment_date=D + timedelta(days=40), allocations=[Allocation(b, "90.40")]),
        CASHIER,
    )
    async with db.read() as conn:
        got = [
            (r.bills_open, r.not_due, r.prepayments, r.balance)
            for r in await conn.execute(payables_query(D + timedelta(days=10)))
        ]
    assert got == [(9040, 9040, 0, 9040)]  # on D + 10 nothing had been paid yet


async def test_payables_aging_buckets(db):
    pw = await make_purchasing_world(db)
    _, _, (r,) = await received_po(db, pw, [ln(pw.widget, "10")])
    as_of = date(2025, 6, 30)
    days = lambda n: as_of - timedelta(days=n)  # noqa: E731
    await do_create_supplier_bill(db, bill(pw, (r.id, "2"), on=days(40), due_date=days(10)), ACCOUNTANT)
    await do_create_supplier_bill(db, bill(pw, (r.id, "3"), on=days(75), due_date=days(45)), ACCOUNTANT)
    await do_create_supplier_bill(db, bill(pw, (r.id, "1"), on=days(1), due_date=as_of), ACCOUNTANT)
    await do_create_supplier_bill(db, bill(pw, (r.id, "1"), on=days(-1)), ACCOUNTANT)  # after as_of
    await do_create_supplier_bill(db, bill(pw, (r.id, "1", "20.00"), on=days(1)), ACCOUNTANT)  # pending approval
    async with db.read() as conn:
        (row,) = (await conn.execute(payables_query(as_of))).all()
    assert (row.bills_open, row.not_due, row.days_1_30, row.days_31_60, row.days_61_90, row.over_90, row.balance) == (
        6780,
        1130,
        2260,
        3390,
        0,
        0,
        6780,
    )


# ---- 8. scorecard -----------------------------------------------------------------------------------


async def test_scorecard_and_ranking(db):
    pw = await make_purchasing_world(db)
    due = D + timedelta(days=5)
    # supplier 1: cheap (8.00), ten days late, 2 of 10 rejected; supplier 2: 12.00, on time, all accepted
    cheap = await approved_po(db, pw, [ln(pw.widget, "10", "8.00", expected_date=due)])
    await receive(
        db,
        cheap,
        ((await po_lines(db, cheap))[0], "10", {"rejected_quantity": "2", "reject_reason": "划痕"}),
        on=D + timedelta(days=10),
        location=pw.w.a1,
    )
    good = await approved_po(db, pw, [ln(pw.widget, "10", "12.00", expected_date=due)], supplier=pw.supplier2)
    await receive(db, good, ((await po_lines(db, good))[0], "10"), on=D + timedelta(days=3), location=pw.w.a1)
    start, end = D, D + timedelta(days=30)
    async with db.read() as conn:
        c1 = await supplier_scorecard(conn, pw.supplier, start, end)
        c2 = await supplier_scorecard(conn, pw.supplier2, start, end)
        ranked = await rank_suppliers(conn, pw.widget, start, end)
        by_price = await rank_suppliers(
            conn, pw.widget, start, end, {"on_time": "0", "acceptance": "0", "lead_time": "0", "price": "1"}
        )
        empty = await supplier_scorecard(conn, pw.supplier, end + timedelta(days=1), end + timedelta(days=2))
    assert (c1.receipts, c1.on_time_rate, c1.acceptance_rate, c1.average_lead_time_days, c1.price_index) == (
        1,
        Decimal("0"),
        Decimal("0.8"),
        Decimal("10"),
        Decimal("0.8"),
    )
    assert (c2.on_time_rate, c2.acceptance_rate, c2.average_lead_time_days, c2.price_index) == (
        Decimal("1"),
        Decimal("1"),
        Decimal("3"),
        Decimal("1.2"),
    )
    assert (empty.receipts, empty.on_time_rate) == (0, None)
    assert [x.supplier_id for x in ranked] == [pw.supplier2, pw.supplier]
    # s1: 0.3·0 + 0.3·0.8 + 0.2·(3/10) + 0.2·1 = 0.5; s2: 0.3 + 0.3 + 0.2 + 0.2·(8/12) = 0.9333
    assert [x.score for x in ranked] == [Decimal("0.9333"), Decimal("0.5")]
    assert [x.unit_price_micro for x in ranked] == [12_000_000, 8_000_000]
    assert [x.supplier_id for x in by_price] == [pw.supplier, pw.supplier2]
    assert [x.score for x in by_price] == [Decimal("1"), Decimal("0.6667")]
    await do_change_purchase_settings(
        db,
        PurchaseSettingsChange(scorecard_weights={"on_time": "0", "acceptance": "0", "lead_time": "0", "price": "2"}),
        ADMIN,
    )
    async with db.read() as conn:
        assert [x.supplier_id for x in await rank_suppliers(conn, pw.widget, start, end)] == [pw.supplier, pw.supplier2]


# ---- edge cases found in review ------------------------------------------------------------------------


async def test_all_rejected_receipt_blocks_cancel_and_carries_no_landed_cost(db):
    pw = await make_purchasing_world(db)
    oid = await approved_po(db, pw, [ln(pw.widget, "5")])
    (pol,) = await po_lines(db, oid)
    reject_all = (pol, "5", {"rejected_quantity": "5", "reject_reason": "全部不合格"})
    before = await snapshot(db)
    await fails(receive(db, oid, reject_all, location=pw.w.a1, landed_cost="12.00"), "INVALID_VALUE", "landedCost")
    assert await snapshot(db) == before
    await receive(db, oid, reject_all, location=pw.w.a1)
    assert (await get(db, purchase_order, oid)).status == "approved"  # nothing accepted yet
    await fails(do_cancel_purchase_order(db, oid, PURCHASER), "INVALID_STATUS")  # but goods did arrive
    await do_close_purchase_order(db, oid, PURCHASER, "供应商无法补货")
    assert (await get(db, purchase_order, oid)).status == "closed"
    other = await approved_po(db, pw, [ln(pw.widget, "1")])
    await fails(do_close_purchase_order(db, other, PURCHASER), "INVALID_STATUS")  # nothing received: cancel it


async def test_actions_check_their_permission_without_the_api(db):
    pw = await make_purchasing_world(db)
    viewer = Principal(kind="user", name="v", user_id=42, token_id=None, permissions=frozenset({"purchase.view"}))
    await fails(new_po(db, pw, [ln(pw.widget, "1")], by=viewer), "PERMISSION_DENIED")
    oid = await new_po(db, pw, [ln(pw.widget, "1")])
    for action in (
        do_submit_purchase_order(db, oid, viewer),
        do_cancel_purchase_order(db, oid, viewer),
        do_approve_purchase_order(db, oid, viewer),
    ):
        await fails(action, "PERMISSION_DENIED")
    await do_submit_purchase_order(db, oid, PURCHASER)
    await do_approve_purchase_order(db, oid, MANAGER)
    (pol,) = await po_lines(db, oid)
    await fails(
        do_receive_goods(
            db,
            ReceiptInput(order_id=oid, lines=[ReceiptLineInput("1", order_line_id=pol.id, location_id=pw.w.a1)]),
            PURCHASER,
        ),
        "PERMISSION_DENIED",
    )
    await fails(do_record_supplier_payment(db, PaymentInput(pw.supplier, "1.00"), ACCOUNTANT), "PERMISSION_DENIED")
    assert (await get(db, purchase_order, oid)).status == "approved"
