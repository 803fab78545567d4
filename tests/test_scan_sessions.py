"""Scan sessions: receive against a PO, pick against an SO, transfer and count by scanning; a repeated
scan id is applied once; typed errors tell the worker what to do; completion posts through the
document services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.inventory.counts import CountInput, do_open_count
from server.inventory.models import stock_count_line, stock_level
from server.purchasing.models import purchase_order, purchase_order_line
from server.sales import orders as so
from server.sales.models import sales_order
from server.scanning.errors import ScanningError
from server.scanning.sessions import do_complete_session, do_scan, do_start_session, do_undo_last_scan
from tests.factories import make_product
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import approved_order_for_scanning, make_purchasing_world, principal
from tests.sales_helpers import SALES, make_sales_world

Q = 10**6
GUN = principal("scanner", 80, "gun-01")
EAN = "9521234543213"


async def fails(coro, code):
    with pytest.raises(ScanningError) as exc:
        await coro
    assert exc.value.details[0].code == code, exc.value.details
    return exc.value.details[0]


async def test_receive_by_scanning_with_retries_undo_and_over_receipt(db):
    pw, item, number = await approved_order_for_scanning(db, "12")
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number)
    await fails(do_scan(db, sid, EAN, "s1", GUN), "LOCATION_REQUIRED")
    await do_scan(db, sid, "WH1-A-01", "s2", GUN)
    first = await do_scan(db, sid, EAN, "s3", GUN, quantity="5")
    assert (first.done, first.needed) == (5 * Q, 12 * Q) and first.message_en.endswith(": 5 / 12")
    again = await do_scan(db, sid, EAN, "s3", GUN, quantity="5")  # a retry: applied once
    assert again.replayed and again.done == 5 * Q
    await do_scan(db, sid, EAN, "s4", GUN, quantity="5")
    await fails(do_scan(db, sid, EAN, "s5", GUN, quantity="3"), "OVER_RECEIPT")  # 13 > 12
    await do_undo_last_scan(db, sid, GUN)  # takes back the second 5
    await fails(do_scan(db, sid, "9521234999997", "s6", GUN), "UNKNOWN_BARCODE")
    await fails(do_scan(db, sid, "0" + "952123454321" + "4", "s7", GUN), "BAD_CHECK_DIGIT")
    other = await make_product(db, pw.w, barcodes=("9521234000013",))
    await fails(do_scan(db, sid, "9521234000013", "s8", GUN), "WRONG_PRODUCT")
    assert other
    await do_scan(db, sid, "WH1-A-02", "s9", GUN)
    await do_scan(db, sid, EAN, "s10", GUN, quantity="7")
    number_rc = await do_complete_session(db, sid, GUN)
    assert number_rc.startswith("RC") and await do_complete_session(db, sid, GUN) == number_rc
    async with db.read() as conn:
        (line,) = (await conn.execute(select(purchase_order_line))).all()
        levels = {
            r.location_id: r.qty
            for r in await conn.execute(select(stock_level).where(stock_level.c.product_id == item))
        }
        status = (await conn.execute(select(purchase_order.c.status))).scalar_one()
    assert line.accepted_qty == 12 * Q and status == "received"
    assert levels == {pw.w.a1: 5 * Q, pw.w.a2: 7 * Q}
    await fails(do_scan(db, sid, EAN, "s11", GUN), "INVALID_STATUS")
    await assert_ledger_consistent(db)


async def test_pick_count_and_transfer_by_scanning(db):
    sw = await make_sales_world(db)  # 100 widgets in A-01
    from server.catalog.models import barcode

    async with db.write() as conn:
        await conn.execute(barcode.insert().values(code=EAN, product_id=sw.widget, unit_id=None, kind="gtin"))
    order_id = await so.do_create_sales_order(
        db, so.SalesOrderInput(sw.customer, sw.w.wh1, [so.SalesLineInput(sw.widget, "3")]), SALES
    )
    assert await so.do_submit_sales_order(db, order_id, SALES) == "approved"
    async with db.read() as conn:
        number = (await conn.execute(select(sales_order.c.number))).scalar_one()
    pick = await do_start_session(db, "PICK", GUN, document_number=number, location_code="WH1-A-01")
    await do_scan(db, pick, EAN, "p1", GUN, quantity="2")
    await fails(do_scan(db, pick, EAN, "p2", GUN, quantity="2"), "OVER_SHIPMENT")
    await do_scan(db, pick, EAN, "p3", GUN)
    assert (await do_complete_session(db, pick, GUN)).startswith("SH")

    move = await do_start_session(db, "PUTAWAY", GUN)  # from the dock to a bin, like a transfer
    await do_scan(db, move, "WH1-A-01", "t1", GUN)
    await do_scan(db, move, EAN, "t2", GUN, quantity="10")
    await do_scan(db, move, "WH1-A-02", "t3", GUN)  # after the goods: the destination
    await do_complete_session(db, move, GUN)

    count_id = await do_open_count(db, CountInput(sw.w.wh1, location_ids=[sw.w.a2]), principal("warehouse_keeper", 81))
    count = await do_start_session(db, "COUNT", GUN, document_number="SC" + number[2:6] + "-000001")
    await fails(do_scan(db, count, "WH2-B-01", "c0", GUN), "WRONG_LOCATION")
    await do_scan(db, count, "WH1-A-02", "c1", GUN)
    await do_scan(db, count, EAN, "c2", GUN, quantity="9")
    await do_complete_session(db, count, GUN)
    async with db.read() as conn:
        lines = {
            (r.location_id, r.product_id): r
            for r in await conn.execute(select(stock_count_line).where(stock_count_line.c.count_id == count_id))
        }
    counted = lines[(sw.w.a2, sw.widget)]
    assert (counted.counted_qty, counted.book_qty) == (9 * Q, 10 * Q)
    await assert_ledger_consistent(db)


async def test_only_scanners_and_valid_documents(db):
    await make_purchasing_world(db)
    viewer = principal("viewer", 82)
    await fails(do_start_session(db, "RECEIVE", viewer, document_number="PO2026-000001"), "PERMISSION_DENIED")
    await fails(do_start_session(db, "RECEIVE", GUN, document_number="PO2026-000099"), "NOT_FOUND")
    await fails(do_start_session(db, "DANCE", GUN), "INVALID_VALUE")


async def test_a_scanner_token_receives_by_scanning_and_can_do_nothing_else(gql):
    from tests.gql import admin_token

    db = gql.db
    _pw, _item, number = await approved_order_for_scanning(db, "2")
    gun = await admin_token(db, "scanner")
    start = await gql.execute(
        """mutation($n: String!) { startScanSession(mode: RECEIVE, documentNumber: $n,
        locationCode: "WH1-A-01") { sessionId errors { code } } }""",
        {"n": number},
        token=gun,
    )
    sid = start["startScanSession"]["sessionId"]
    scan = """mutation($s: ID!, $c: String!, $k: String!) { scan(sessionId: $s, code: $c, scanId: $k) {
        answer { ok message replayed done needed } errors { code message } } }"""
    a = (await gql.execute(scan, {"s": sid, "c": EAN, "k": "dev1-0001"}, token=gun, lang="en"))["scan"]["answer"]
    assert (a["done"], a["needed"], a["replayed"]) == ("1", "2", False) and a["message"].startswith(number)
    b = (await gql.execute(scan, {"s": sid, "c": EAN, "k": "dev1-0001"}, token=gun))["scan"]["answer"]
    assert b["replayed"] and b["done"] == "1"
    batch = await gql.execute(
        """mutation($s: ID!, $scans: [ScanItemInput!]!) { scanBatch(sessionId: $s,
        scans: $scans) { results { scanId answer { done replayed } errors { code } } errors { code } } }""",
        {
            "s": sid,
            "scans": [
                {"code": EAN, "scanId": "dev1-0001"},
                {"code": EAN, "scanId": "dev1-0002"},
                {"code": EAN, "scanId": "dev1-0003"},
            ],
        },
        token=gun,
    )
    assert batch["scanBatch"]["errors"] == [] and batch["scanBatch"]["results"] == [
        {"scanId": "dev1-0001", "answer": {"done": "1", "replayed": True}, "errors": []},
        {"scanId": "dev1-0002", "answer": {"done": "2", "replayed": False}, "errors": []},
        {"scanId": "dev1-0003", "answer": None, "errors": [{"code": "OVER_RECEIPT"}]},
    ]
    done = await gql.execute(
        """mutation($s: ID!) { completeScanSession(sessionId: $s) { documentNumber
        errors { code } } }""",
        {"s": sid},
        token=gun,
    )
    assert done["completeScanSession"]["documentNumber"].startswith("RC")
    denied = await gql.post("""mutation { receiveGoods(input: {lines: []}) { errors { code } } }""", token=gun)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_supervisor_follows_a_session_live(db, db_url):
    import asyncio

    from schema.relay import to_global_id
    from server.auth.services import do_create_api_token
    from tests.servers import running_server, subscribe

    sw = await make_sales_world(db)
    from server.catalog.models import barcode

    async with db.write() as conn:
        await conn.execute(barcode.insert().values(code=EAN, product_id=sw.widget, unit_id=None, kind="gtin"))
    sid = await do_start_session(db, "TRANSFER", GUN, location_code="WH1-A-01")
    _, token = await do_create_api_token(db, name="supervisor-screen", role_code="scanner")
    query = "subscription($s: ID!) { scanSession(sessionId: $s) { scanId message } }"
    with running_server(db_url) as base:
        base.token = token
        async with subscribe(base, query, {"s": to_global_id("ScanSession", sid)}) as sub:
            await asyncio.sleep(0.3)
            await do_scan(db, sid, EAN, "live-1", GUN, quantity="2")
            event = (await sub.next(timeout=10))["scanSession"]
    assert event["scanId"] == "live-1" and event["message"].endswith(": 2")


async def test_a_batch_of_scans_answers_each_one_and_applies_each_scan_id_once(db):
    from server.scanning.models import scan_record, scan_tally
    from server.scanning.sessions import ScanInput, do_scan_batch

    _pw, _item, number = await approved_order_for_scanning(db, "6")
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number)
    batch = [
        ScanInput(EAN, "b1"),
        ScanInput("WH1-A-01", "b2"),
        ScanInput(EAN, "b3", quantity="2"),
        ScanInput("9521234999997", "b4"),
        ScanInput(EAN, "b3", quantity="2"),
        ScanInput(EAN, "b5", quantity="5"),
        ScanInput(EAN, "b6", quantity="4"),
    ]
    results = await do_scan_batch(db, sid, batch, GUN)
    codes = [r.details[0].code if isinstance(r, ScanningError) else (r.done, r.replayed) for r in results]
    # no bin yet; the bin; 2 of 6; unknown; the same scan id again (once); 2 + 5 > 6; 2 + 4 = 6
    assert codes == [
        "LOCATION_REQUIRED",
        (None, False),
        (2 * Q, False),
        "UNKNOWN_BARCODE",
        (2 * Q, True),
        "OVER_RECEIPT",
        (6 * Q, False),
    ]
    again = await do_scan_batch(db, sid, batch[1:3] + batch[6:], GUN)  # the handheld resends after a timeout
    assert [r.replayed for r in again] == [True, True, True]
    async with db.read() as conn:
        records = (
            await conn.execute(
                select(scan_record.c.scan_id, scan_record.c.seq)
                .where(scan_record.c.session_id == sid)
                .order_by(scan_record.c.seq)
            )
        ).all()
        tally = (await conn.execute(select(scan_tally.c.qty).where(scan_tally.c.session_id == sid))).scalar_one()
    assert [(r.scan_id, r.seq) for r in records] == [("b2", 1), ("b3", 2), ("b6", 3)] and tally == 6 * Q
    await fails(do_scan(db, sid, EAN, "b2", GUN), "IDEMPOTENCY_KEY_REUSED")  # another code under a used id
    assert (await do_complete_session(db, sid, GUN)).startswith("RC")


async def test_serials_in_a_batch_are_checked_against_the_session_and_each_other(db):
    from server.catalog.services import BarcodeInput, ProductInput, do_create_product
    from server.purchasing import orders
    from server.scanning.sessions import ScanInput, do_scan_batch

    pw = await make_purchasing_world(db)
    gtin = "09521234543220"
    item = await do_create_product(
        db,
        ProductInput(
            sku="SN-B",
            name="序列号",
            base_unit_id=pw.w.pcs,
            tracking="serial",
            purchase_price="5",
            barcodes=[BarcodeInput(code=gtin[1:])],
        ),
    )
    oid = await orders.do_create_purchase_order(
        db, orders.OrderInput(pw.supplier, pw.w.wh1, [orders.OrderLineInput(item, "10")]), principal("purchaser", 81)
    )
    await orders.do_submit_purchase_order(db, oid, principal("purchaser", 81))
    await orders.do_approve_purchase_order(db, oid, principal("purchase_manager", 82))
    async with db.read() as conn:
        number = (await conn.execute(select(purchase_order.c.number))).scalar_one()
    sid = await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH1-A-01")

    def code(sn):
        return f"]C101{gtin}21{sn}"

    first = await do_scan_batch(
        db, sid, [ScanInput(code("A1"), "x1"), ScanInput(code("A2"), "x2"), ScanInput(code("A1"), "x3")], GUN
    )
    assert [getattr(r, "done", None) for r in first[:2]] == [Q, 2 * Q]
    assert first[2].details[0].code == "SERIAL_ALREADY_SCANNED"
    second = await do_scan_batch(db, sid, [ScanInput(code("A2"), "x4"), ScanInput(code("A3"), "x5")], GUN)
    assert second[0].details[0].code == "SERIAL_ALREADY_SCANNED" and second[1].done == 3 * Q
    await do_undo_last_scan(db, sid, GUN)  # A3 taken back: it can be scanned again
    assert (await do_scan_batch(db, sid, [ScanInput(code("A3"), "x6")], GUN))[0].done == 3 * Q


async def test_starting_a_session_again_with_its_key_gives_the_same_session(db):
    """A handheld that never saw the answer to its start retries with the same key: one session."""
    from server.scanning.models import scan_session

    _pw, _item, number = await approved_order_for_scanning(db, "12")
    first = await do_start_session(db, "RECEIVE", GUN, document_number=number, idempotency_key="S-dev1-abc")
    again = await do_start_session(db, "RECEIVE", GUN, document_number=number, idempotency_key="S-dev1-abc")
    assert again == first
    await fails(do_start_session(db, "COUNT", GUN, idempotency_key="S-dev1-abc"), "IDEMPOTENCY_KEY_REUSED")
    async with db.read() as conn:
        assert len((await conn.execute(select(scan_session.c.id))).all()) == 1
