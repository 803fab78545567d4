"""Stock counts: blind counting enforced by the API, snapshot mode with moves during the count,
freeze mode refusing moves, recount by another person above the threshold, approval by someone
who did not count, gains and losses posted at moving average."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.core import clock
from server.events.models import event
from server.inventory.counts import (
    CountEntry,
    CountInput,
    do_approve_count,
    do_cancel_count,
    do_open_count,
    do_record_counts,
)
from server.inventory.errors import InventoryError
from server.inventory.models import product_cost, stock_count, stock_count_line
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from tests.factories import make_product, make_world
from tests.gql import admin_token
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import principal

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

Q = 10**6
COUNTER = principal("warehouse_keeper", 50, "pandian1")
COUNTER2 = principal("warehouse_keeper", 51, "pandian2")
APPROVER = principal("accountant", 52, "shenhe")


async def fails(coro, code):
    with pytest.raises(InventoryError) as exc:
        await coro
    assert exc.value.details[0].code == code, exc.value.details
    return exc.value


async def lines_of(db, count_id):
    async with db.read() as conn:
        return (
            await conn.execute(
                select(stock_count_line).where(stock_count_line.c.count_id == count_id).order_by(stock_count_line.c.id)
            )
        ).all()


async def setup(db):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(
        db,
        [
            StockLine(product_id=p, location_id=w.a1, quantity="100", unit_cost="2.00"),
            StockLine(product_id=p, location_id=w.a2, quantity="50", unit_cost="2.00"),
        ],
    )
    return w, p


async def test_snapshot_count_with_moves_during_the_count_recount_and_approval(db):
    w, p = await setup(db)
    count_id = await do_open_count(db, CountInput(w.wh1), COUNTER)
    a1, a2 = await lines_of(db, count_id)
    assert (a1.snapshot_qty, a2.snapshot_qty) == (100 * Q, 50 * Q)
    await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="10")])  # live operations go on
    # book is now 100 − 10 = 90; counted 89 is within 5 %; A-02 counted 40 of 50: recount needed
    await do_record_counts(db, count_id, [CountEntry("89", a1.id), CountEntry("40", a2.id)], COUNTER)
    a1, a2 = await lines_of(db, count_id)
    assert (a1.book_qty, a1.variance_qty, a1.recount_required) == (90 * Q, -Q, False)
    assert (a2.variance_qty, a2.recount_required) == (None, True)
    await fails(do_approve_count(db, count_id, APPROVER), "COUNT_INCOMPLETE")
    await fails(do_record_counts(db, count_id, [CountEntry("41", a2.id)], COUNTER), "SAME_PERSON")
    await do_record_counts(db, count_id, [CountEntry("42", a2.id)], COUNTER2)
    await fails(do_approve_count(db, count_id, principal("accountant", 51, "pandian2")), "SAME_PERSON")
    await do_approve_count(db, count_id, APPROVER, "季度盘点")
    async with db.read() as conn:
        count = (await conn.execute(select(stock_count))).one()
        cost = (await conn.execute(select(product_cost))).one()
        posted = [
            json.loads(r.payload)
            for r in await conn.execute(select(event.c.payload).where(event.c.event_type == "stock.count_posted"))
        ]
    # losses: 1 + 8 units at the average of 2.00
    assert (count.status, count.gain_fen, count.loss_fen) == ("approved", 0, 1800)
    assert (cost.qty, cost.value_fen) == (131 * Q, 26200)
    assert posted == [
        {"count_id": count_id, "number": count.number, "warehouse_id": w.wh1, "gain_fen": 0, "loss_fen": 1800}
    ]
    await assert_ledger_consistent(db)


async def test_freeze_mode_refuses_moves_and_a_found_product_is_a_gain(db):
    w, p = await setup(db)
    other = await make_product(db, w, purchase_price="5.00")
    count_id = await do_open_count(db, CountInput(w.wh1, mode="freeze", location_ids=[w.a1]), COUNTER)
    await fails(do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1")]), "LOCATION_FROZEN")
    await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a2, quantity="1")])  # A-02 is not counted
    (line,) = await lines_of(db, count_id)
    await do_record_counts(
        db, count_id, [CountEntry("100", line.id), CountEntry("3", location_id=w.a1, product_id=other)], COUNTER
    )
    await fails(
        do_record_counts(db, count_id, [CountEntry("3", location_id=w.b1, product_id=other)], COUNTER),
        "WRONG_WAREHOUSE",
    )
    found = (await lines_of(db, count_id))[1]
    assert (found.snapshot_qty, found.recount_required) == (0, True)  # not in the books at all: recount
    await do_record_counts(db, count_id, [CountEntry("3", found.id)], COUNTER2)
    await do_approve_count(db, count_id, APPROVER)
    async with db.read() as conn:
        costs = {r.product_id: (r.qty, r.value_fen) for r in await conn.execute(select(product_cost))}
    assert costs[other] == (3 * Q, 1500)  # no stock, no average: at the purchase price
    await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1")])  # unfrozen
    await assert_ledger_consistent(db)


async def test_cancel_unfreezes_and_only_open_counts_take_entries(db):
    w, p = await setup(db)
    count_id = await do_open_count(db, CountInput(w.wh1, mode="freeze"), COUNTER)
    await fails(do_open_count(db, CountInput(w.wh1, mode="freeze"), COUNTER), "LOCATION_FROZEN")
    await do_cancel_count(db, count_id, COUNTER)
    await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1")])
    (line, _) = await lines_of(db, count_id)
    await fails(do_record_counts(db, count_id, [CountEntry("1", line.id)], COUNTER), "INVALID_STATUS")


async def test_blind_counts_hide_book_quantities_from_counters(gql):
    w, _p = await setup(gql.db)
    keeper = await admin_token(gql.db, "warehouse_keeper")
    opened = await gql.execute(
        """mutation($w: ID!) { openStockCount(input: {warehouseId: $w}) {
        count { id number blind lines { id product { sku } location { code } } } errors { code } } }""",
        {"w": to_global_id("Warehouse", w.wh1)},
        token=keeper,
    )
    count = opened["openStockCount"]["count"]
    assert count["blind"] and len(count["lines"]) == 2
    peek = await gql.post(
        """query { stockCounts { edges { node { lines { bookQuantity snapshotQuantity } } } }
        stockLevels { edges { node { quantity } } } }""",
        token=keeper,
    )
    assert peek["data"]["stockCounts"]["edges"][0]["node"]["lines"][0] == {
        "bookQuantity": None,
        "snapshotQuantity": None,
    }
    assert {e["extensions"]["code"] for e in peek["errors"]} == {"PERMISSION_DENIED"}
    assert peek["data"]["stockLevels"]["edges"] == []  # the counted bins' levels are hidden too
    accountant = await admin_token(gql.db, "accountant")
    seen = await gql.execute(
        "query { stockCounts { edges { node { lines { snapshotQuantity } } } } }", token=accountant
    )
    assert [ln["snapshotQuantity"] for ln in seen["stockCounts"]["edges"][0]["node"]["lines"]] == ["100", "50"]


async def test_cycle_counts_follow_the_abc_classes(db):
    from datetime import timedelta

    from server.inventory.counts import abc_classes, cycle_count_due, do_generate_cycle_count

    w = await make_world(db)
    products = [await make_product(db, w) for _ in range(10)]
    await do_receive_stock(
        db, [StockLine(product_id=p, location_id=w.a1, quantity="100", unit_cost="1.00") for p in products]
    )
    # consumption value: product i issues 10·(10 − i) units, so product 0 is the biggest mover
    await do_issue_stock(
        db, [StockLine(product_id=p, location_id=w.a1, quantity=str(10 - i)) for i, p in enumerate(products)]
    )
    today = clock.today()
    async with db.read() as conn:
        classes = await abc_classes(conn, w.wh1, today)
        assert [classes[p] for p in products] == ["A"] * 2 + ["B"] * 3 + ["C"] * 5
        assert await cycle_count_due(conn, w.wh1, today) == sorted(products)  # never counted: all due
    count_id = await do_generate_cycle_count(db, w.wh1, COUNTER)
    lines = await lines_of(db, count_id)
    await do_record_counts(
        db, count_id, [CountEntry(str(100 - (10 - i)), ln.id) for i, ln in enumerate(lines)], COUNTER
    )
    await do_approve_count(db, count_id, APPROVER)
    async with db.read() as conn:
        assert await cycle_count_due(conn, w.wh1, today) == []
        # 40 days later only the A items are due again; after 100 days A and B
        assert await cycle_count_due(conn, w.wh1, today + timedelta(days=40)) == sorted(products[:2])
        assert await cycle_count_due(conn, w.wh1, today + timedelta(days=100)) == sorted(products[:5])
