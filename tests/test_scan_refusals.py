"""Everything completion would refuse is refused at the scan (issue #16): picks, put-aways and
transfers from a bin that does not hold the goods (counting the session's earlier scans), serials
already in stock or not in the bin, a lot with another expiry date, bins of another warehouse or
frozen by a count; when completion still refuses, the error names the scans; concurrent and
repeated completions post once (COUNT sessions too); the new checks cost a fixed number of
statements per batch, not one per scan."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, func, select, update

from schema.relay import to_global_id
from server.catalog.models import barcode
from server.catalog.services import BarcodeInput, ProductInput, do_create_product
from server.core import clock
from server.inventory.counts import CountInput, do_open_count
from server.inventory.models import stock_count, stock_count_line, stock_level
from server.inventory.services import StockLine, do_transfer_stock
from server.inventory.warehouses import do_create_location
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing import orders
from server.purchasing.models import goods_receipt, purchase_order
from server.sales import orders as so
from server.sales.models import sales_order
from server.scanning.errors import ScanningError
from server.scanning.models import scan_session
from server.scanning.sessions import ScanInput, do_scan, do_scan_batch, do_start_session
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import MANAGER, PURCHASER, make_purchasing_world, principal
from tests.sales_helpers import KEEPER, SALES, make_sales_world
from tests.scan_gql import Handheld

pytestmark = pytest.mark.dates

Q = 10**6
EAN = "9521234543213"
LOT_EAN = "9521234000013"
SERIAL_GTIN = "9521234543220"
GUN = principal("scanner", 80, "gun-01")


async def label_widgets(db, sw) -> None:
    async with db.write() as conn:
        await conn.execute(
            barcode.insert(),
            [
                dict(code=EAN, product_id=sw.widget, unit_id=None, kind="gtin"),
                dict(code=LOT_EAN, product_id=sw.lotted, unit_id=None, kind="gtin"),
            ],
        )


async def sales_order_for(db, customer: int, warehouse: int, *lines) -> str:
    oid = await so.do_create_sales_order(
        db, so.SalesOrderInput(customer, warehouse, [so.SalesLineInput(pid, qty) for pid, qty in lines]), SALES
    )
    assert await so.do_submit_sales_order(db, oid, SALES) == "approved"
    async with db.read() as conn:
        return (await conn.execute(select(sales_order.c.number).where(sales_order.c.id == oid))).scalar_one()


async def purchase_order_for(db, pw, *lines) -> str:
    oid = await orders.do_create_purchase_order(
        db, orders.OrderInput(pw.supplier, pw.w.wh1, [orders.OrderLineInput(pid, qty) for pid, qty in lines]), PURCHASER
    )
    await orders.do_submit_purchase_order(db, oid, PURCHASER)
    await orders.do_approve_purchase_order(db, oid, MANAGER)
    async with db.read() as conn:
        return (await conn.execute(select(purchase_order.c.number).where(purchase_order.c.id == oid))).scalar_one()


async def levels(db, product_id: int) -> dict:
    async with db.read() as conn:
        return {
            r.location_id: r.qty // Q
            for r in await conn.execute(
                select(stock_level.c.location_id, func.sum(stock_level.c.qty).label("qty"))
                .where(stock_level.c.product_id == product_id)
                .group_by(stock_level.c.location_id)
            )
            if r.qty
        }


async def test_a_pick_takes_only_what_the_bin_holds(gql):
    db = gql.db
    sw = await make_sales_world(db)  # 100 widgets in A-01
    await label_widgets(db, sw)
    await do_transfer_stock(db, [StockLine(sw.widget, "95", location_id=sw.w.a1, to_location_id=sw.w.a2)])
    number = await sales_order_for(db, sw.customer, sw.w.wh1, (sw.widget, "10"))
    gun = Handheld(gql)
    await gun.start("PICK", number, "WH1-A-01")  # 5 here, 95 in A-02
    await gun.ok(EAN, "3")
    error = await gun.refused(EAN, "3")  # it used to say "ok 6 / 10", then INSUFFICIENT_STOCK at completion
    assert error["code"] == "NOT_IN_BIN" and error["message"].startswith("Bin WH1-A-01 does not hold that much ")
    assert error["message"].endswith(": 5 on hand, 3 already scanned in this session, 3 now.")
    results = await gun.batch((EAN, "1"), (EAN, "2"))  # the batch's own earlier scans count too
    assert results[0]["answer"]["done"] == "4"
    assert [e["code"] for e in results[1]["errors"]] == ["NOT_IN_BIN"]
    assert results[1]["errors"][0]["message"].endswith(": 5 on hand, 4 already scanned in this session, 2 now.")
    await gun.ok(EAN, "1")
    assert (await gun.refused("WH2-B-01"))["code"] == "WRONG_LOCATION"  # the shipment leaves from the SO's warehouse
    await gun.ok("]C0WH1-A-02")
    assert (await gun.ok(EAN, "5"))["done"] == "10"
    shipment, errors = await gun.complete()
    assert errors == [] and shipment.startswith("SH")
    assert await levels(db, sw.widget) == {sw.w.a2: 90}
    await assert_ledger_consistent(db)


async def test_transfers_and_put_aways_move_only_what_the_source_bin_holds(gql):
    db = gql.db
    sw = await make_sales_world(db)  # 100 widgets in A-01; lot LATE (5) in A-01, lot SOON (5) in A-02
    await label_widgets(db, sw)
    await do_create_location(db, warehouse_id=sw.w.wh1, code="WH1-A-03")
    gun = Handheld(gql)
    await gun.start("TRANSFER", location="WH1-A-03")  # an empty bin
    error = await gun.refused(EAN)
    assert (error["code"], error["message"].split(": ")[-1]) == (
        "NOT_IN_BIN",
        "0 on hand, 0 already scanned in this session, 1 now.",
    )

    await gun.start("PUTAWAY")
    await gun.ok("WH1-A-01")
    await gun.ok(EAN, "60")
    assert (await gun.refused(EAN, "50"))["message"].endswith(
        ": 100 on hand, 60 already scanned in this session, 50 now."
    )
    error = await gun.refused(f"]C1010{LOT_EAN}10SOON")  # SOON is in A-02, not here
    assert error["code"] == "NOT_IN_BIN" and " (SOON): 0 on hand" in error["message"]
    await gun.ok(f"]C1010{LOT_EAN}10LATE", "5")
    assert (await gun.refused("WH1-A-01"))["code"] == "SAME_LOCATION"  # the destination cannot be the source
    await gun.ok("WH1-A-03")
    number, errors = await gun.complete()
    assert errors == [] and number.startswith("OP")
    assert await levels(db, sw.widget) == {sw.w.a1: 40, await _bin(db, "WH1-A-03"): 60}

    await gun.start("TRANSFER", location="WH1-A-01")  # a later session sees the stock after the first one
    assert (await gun.refused(EAN, "41"))["message"].endswith(
        ": 40 on hand, 0 already scanned in this session, 41 now."
    )

    await do_open_count(db, CountInput(sw.w.wh1, mode="freeze", location_ids=[sw.w.a2]), KEEPER)
    await gun.start("TRANSFER")
    error = await gun.refused("WH1-A-02")
    assert error["code"] == "LOCATION_FROZEN" and "WH1-A-02 is frozen for stock count SC" in error["message"]
    await assert_ledger_consistent(db)


async def _bin(db, code: str) -> int:
    from server.inventory.models import location

    async with db.read() as conn:
        return (await conn.execute(select(location.c.id).where(location.c.code == code))).scalar_one()


async def serial_product(db, w) -> int:
    return await do_create_product(
        db,
        ProductInput(
            sku="SN-P",
            name="序列号商品",
            base_unit_id=w.pcs,
            tracking="serial",
            purchase_price="50",
            sale_price="80",
            barcodes=[BarcodeInput(code=SERIAL_GTIN)],
        ),
    )


def sn(serial: str) -> str:
    return f"]C1010{SERIAL_GTIN}21{serial}"


async def test_serials_are_checked_against_the_stock(gql):
    db = gql.db
    pw = await make_purchasing_world(db)
    item = await serial_product(db, pw.w)
    first = await purchase_order_for(db, pw, (item, "2"))
    gun = Handheld(gql)
    await gun.start("RECEIVE", first, "WH1-A-01")
    await gun.ok(sn("SN-1"))
    await gun.ok(sn("SN-2"))
    assert (await gun.complete())[1] == []

    second = await purchase_order_for(db, pw, (item, "2"))
    await gun.start("RECEIVE", second, "WH1-A-02")
    error = await gun.refused(sn("SN-1"))  # it used to be accepted, then SERIAL_IN_STOCK at completion
    assert (error["code"], error["message"]) == (
        "SERIAL_ALREADY_IN_STOCK",
        "Serial SN-1 is already in stock (bin WH1-A-01): it cannot be received again.",
    )
    results = await gun.batch(sn("SN-3"), sn("SN-2"))
    assert results[0]["errors"] == [] and results[1]["errors"][0]["code"] == "SERIAL_ALREADY_IN_STOCK"
    assert (await gun.refused("WH2-B-01"))["code"] == "WRONG_LOCATION"  # the PO receives into WH1
    assert (await gun.complete())[1] == []

    customer = await do_create_partner(db, "customer", PartnerInput(code="C900", name="扫码客户"))
    number = await sales_order_for(db, customer, pw.w.wh1, (item, "2"))
    await gun.start("PICK", number, "WH1-A-02")  # SN-3 is here, SN-1 and SN-2 in A-01
    assert (await gun.refused(sn("SN-1"))) == {
        "code": "SERIAL_NOT_IN_BIN",
        "field": "code",
        "message": "Serial SN-1 is not in bin WH1-A-02.",
    }
    assert (await gun.refused(sn("SN-9")))["code"] == "SERIAL_NOT_IN_BIN"  # in no bin at all
    await gun.ok(sn("SN-3"))
    await gun.ok("WH1-A-01")
    await gun.ok(sn("SN-1"))
    shipment, errors = await gun.complete()
    assert errors == [] and shipment.startswith("SH")
    assert await levels(db, item) == {pw.w.a1: 1}
    await assert_ledger_consistent(db)


async def test_a_lot_keeps_one_expiry_date(gql):
    db = gql.db
    pw = await make_purchasing_world(db)
    item = await do_create_product(
        db,
        ProductInput(
            sku="LOT-P",
            name="批次商品",
            base_unit_id=pw.w.pcs,
            tracking="lot",
            purchase_price="3",
            barcodes=[BarcodeInput(code=LOT_EAN)],
        ),
    )
    soon, late = clock.today() + timedelta(days=30), clock.today() + timedelta(days=60)

    def code(lot_code: str, expiry) -> str:
        return f"]C1010{LOT_EAN}17{expiry:%y%m%d}10{lot_code}"

    gun = Handheld(gql)
    await gun.start("RECEIVE", await purchase_order_for(db, pw, (item, "10")), "WH1-A-01")
    await gun.ok(code("L-1", soon), "2")
    error = await gun.refused(code("L-1", late))  # within the session
    assert (error["code"], error["message"]) == (
        "LOT_EXPIRY_MISMATCH",
        f"Lot L-1 expires on {soon}, but this code says {late}: a lot has one expiry date.",
    )
    assert (await gun.complete())[1] == []
    await gun.start("RECEIVE", await purchase_order_for(db, pw, (item, "10")), "WH1-A-01")
    assert (await gun.refused(code("L-1", late)))["code"] == "LOT_EXPIRY_MISMATCH"  # against the lot on file
    await gun.ok(code("L-1", soon), "3")
    assert (await gun.complete())[1] == []


async def test_when_completion_still_refuses_the_error_names_the_scans(gql):
    db = gql.db
    sw = await make_sales_world(db)
    await label_widgets(db, sw)
    number = await sales_order_for(db, sw.customer, sw.w.wh1, (sw.widget, "10"))
    gun = Handheld(gql)
    await gun.start("PICK", number, "WH1-A-01")
    await gun.ok(EAN, "4")
    await gun.ok(EAN, "6")
    # meanwhile somebody moves 95 of the 100 to another bin
    await do_transfer_stock(db, [StockLine(sw.widget, "95", location_id=sw.w.a1, to_location_id=sw.w.a2)])
    shipment, errors = await gun.complete()
    assert shipment is None and [(e["code"], e["field"]) for e in errors] == [("STOCK_MOVED", "scans")]
    message = errors[0]["message"]
    assert message.startswith(f"Scans #1 {gun.name}-1, #2 {gun.name}-2: ") and "Line" not in message
    assert message.endswith(" in bin WH1-A-01 moved after it was scanned: 5 available now, 10 needed.")
    zh = Handheld(gql, lang="zh-CN")
    zh.session = gun.session
    _, errors = await zh.complete()
    assert re.fullmatch(
        rf"扫描 #1 {gun.name}-1, #2 {gun.name}-2：.+ 在库位 WH1-A-01 扫描后被移动，现在可用 5，需要 10。",
        errors[0]["message"],
    ), errors


async def test_a_count_session_completed_twice_records_its_counts_once(gql):
    db = gql.db
    sw = await make_sales_world(db)
    await label_widgets(db, sw)
    count_id = await do_open_count(db, CountInput(sw.w.wh1, location_ids=[sw.w.a1]), KEEPER)
    async with db.read() as conn:
        count_number = (
            await conn.execute(select(stock_count.c.number).where(stock_count.c.id == count_id))
        ).scalar_one()
    gun = Handheld(gql)
    await gun.start("COUNT", count_number, "WH1-A-01")
    await gun.ok(EAN, "90")  # 10 short: more than 5 %, a recount is needed (by somebody else)
    assert await gun.complete() == (count_number, [])
    async with db.write() as conn:  # as if the completion's answer and its last step had been lost
        await conn.execute(update(scan_session).values(status="open", result_number=""))
    assert await gun.complete() == (count_number, [])  # it used to fail: SAME_PERSON (a recount by the counter)
    async with db.read() as conn:
        line = (
            await conn.execute(
                select(stock_count_line).where(
                    stock_count_line.c.count_id == count_id, stock_count_line.c.product_id == sw.widget
                )
            )
        ).one()
    assert (line.counted_qty, line.book_qty, line.recount_required, line.recounted_qty) == (90 * Q, 100 * Q, True, None)


async def test_a_session_on_a_bin_outside_the_users_warehouses_is_refused_at_start(db):
    pw = await make_purchasing_world(db)
    keeper = principal("warehouse_keeper", 90, "wh1-only", warehouses=frozenset({pw.w.wh1}))
    for mode in ("TRANSFER", "PUTAWAY"):
        with pytest.raises(ScanningError) as exc:
            await do_start_session(db, mode, keeper, location_code="WH2-B-01")
        assert (exc.value.details[0].code, exc.value.details[0].field) == ("PERMISSION_DENIED", "location")
    assert await do_start_session(db, "TRANSFER", keeper, location_code="WH1-A-01")
    item = await do_create_product(
        db, ProductInput(sku="P-1", name="商品", base_unit_id=pw.w.pcs, barcodes=[BarcodeInput(code=EAN)])
    )
    number = await purchase_order_for(db, pw, (item, "1"))
    with pytest.raises(ScanningError) as exc:  # a WH1 order received into a WH2 bin: refused at start
        await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH2-B-01")
    assert exc.value.details[0].code == "WRONG_LOCATION"


class StatementCounter:
    def __init__(self, db):
        self.engine, self.n = db.engine.sync_engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kw):
        self.n += 1


async def test_the_new_checks_are_read_once_per_batch(db):
    """A batch of 5 scans and one of 50 cost the same number of statements (picks from a bin,
    serials received)."""
    sw = await make_sales_world(db)
    await label_widgets(db, sw)
    number = await sales_order_for(db, sw.customer, sw.w.wh1, (sw.widget, "60"))
    pick = await do_start_session(db, "PICK", GUN, document_number=number, location_code="WH1-A-01")
    await do_scan(db, pick, EAN, "warm-up", GUN)
    counts = []
    for n, tag in ((5, "a"), (50, "b")):
        with StatementCounter(db) as c:
            results = await do_scan_batch(db, pick, [ScanInput(EAN, f"{tag}{i}") for i in range(n)], GUN)
        assert all(not isinstance(r, ScanningError) for r in results)
        counts.append(c.n)
    assert counts[0] == counts[1], counts

    pw_item = await serial_product(db, sw.w)
    supplier = await do_create_partner(db, "supplier", PartnerInput(code="S900", name="供应商"))
    oid = await orders.do_create_purchase_order(
        db, orders.OrderInput(supplier, sw.w.wh1, [orders.OrderLineInput(pw_item, "100", unit_price="1")]), PURCHASER
    )
    await orders.do_submit_purchase_order(db, oid, PURCHASER)
    await orders.do_approve_purchase_order(db, oid, MANAGER)
    async with db.read() as conn:
        po = (await conn.execute(select(purchase_order.c.number).where(purchase_order.c.id == oid))).scalar_one()
    receive = await do_start_session(db, "RECEIVE", GUN, document_number=po, location_code="WH1-A-01")
    await do_scan(db, receive, sn("warm-up"), "r-warm-up", GUN)
    counts = []
    for n, tag in ((5, "a"), (50, "b")):
        with StatementCounter(db) as c:
            results = await do_scan_batch(
                db, receive, [ScanInput(sn(f"{tag}{i}"), f"r{tag}{i}") for i in range(n)], GUN
            )
        assert all(not isinstance(r, ScanningError) for r in results)
        counts.append(c.n)
    assert counts[0] == counts[1], counts


# ---- PostgreSQL: real concurrent requests ----------------------------------------------------------------


async def _complete_concurrently(base, session_id: int, n: int = 20) -> list[dict]:
    query = "mutation($s: ID!) { completeScanSession(sessionId: $s) { documentNumber errors { code message } } }"
    variables = {"s": to_global_id("ScanSession", session_id)}
    headers = {"authorization": f"Bearer {base.token}"}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=n)) as http:
        responses = await asyncio.gather(
            *(
                http.post(base + "/graphql", json={"query": query, "variables": variables}, headers=headers)
                for _ in range(n)
            )
        )
    out = []
    for resp in responses:
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert not body.get("errors"), body
        out.append(body["data"]["completeScanSession"])
    return out


@pytest.mark.postgres
async def test_twenty_concurrent_completions_answer_with_the_one_document(db, db_url):
    from tests.servers import running_server

    pw = await make_purchasing_world(db)
    item = await do_create_product(
        db, ProductInput(sku="P-1", name="商品", base_unit_id=pw.w.pcs, barcodes=[BarcodeInput(code=EAN)])
    )
    from server.inventory.services import do_receive_stock

    await do_receive_stock(db, [StockLine(item, "3", location_id=pw.w.a1, unit_cost="5")])  # the count's book
    number = await purchase_order_for(db, pw, (item, "12"))
    receive = await do_start_session(db, "RECEIVE", GUN, document_number=number, location_code="WH1-A-01")
    await do_scan(db, receive, EAN, "c1", GUN, quantity="12")

    sw_count = await do_open_count(db, CountInput(pw.w.wh1, location_ids=[pw.w.a1]), KEEPER)
    async with db.read() as conn:
        count_number = (
            await conn.execute(select(stock_count.c.number).where(stock_count.c.id == sw_count))
        ).scalar_one()
    count = await do_start_session(db, "COUNT", GUN, document_number=count_number, location_code="WH1-A-01")
    await do_scan(db, count, EAN, "k1", GUN, quantity="7")

    with running_server(db_url, workers=2) as base:
        received = await _complete_concurrently(base, receive)
        counted = await _complete_concurrently(base, count)
    documents = {r["documentNumber"] for r in received}
    assert [r["errors"] for r in received] == [[]] * 20 and len(documents) == 1, received
    assert documents.pop().startswith("RC")
    assert [r["errors"] for r in counted] == [[]] * 20 and {r["documentNumber"] for r in counted} == {count_number}
    async with db.read() as conn:
        receipts = (await conn.execute(select(func.count()).select_from(goods_receipt))).scalar_one()
        lines = (
            await conn.execute(
                select(stock_count_line.c.counted_qty, stock_count_line.c.counted_by).where(
                    stock_count_line.c.count_id == sw_count, stock_count_line.c.product_id == item
                )
            )
        ).all()
    assert receipts == 1 and await levels(db, item) == {pw.w.a1: 15}
    assert [ln.counted_qty for ln in lines] == [7 * Q]
    await assert_ledger_consistent(db)
