"""Inventory primitives (receive, issue, transfer, adjust): units, validation, atomicity, lots,
idempotency, the event journal, the append-only ledger and archived master data."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
import sqlalchemy.exc
from sqlalchemy import delete, func, select, update

from server.catalog.services import do_set_product_active
from server.core.idempotency import idempotency_key
from server.events.journal import STOCK_CHANGED, last_sequence, read_events
from server.events.models import event
from server.inventory.errors import InventoryError
from server.inventory.models import lot, product_cost, stock_level, stock_move, stock_operation
from server.inventory.services import (
    StockLine,
    do_adjust_stock,
    do_issue_stock,
    do_receive_stock,
    do_transfer_stock,
)
from server.inventory.warehouses import do_set_location_active
from tests.factories import make_product, make_world
from tests.invariants import assert_ledger_consistent

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

Q = 10**6  # QTY_SCALE: one base unit
MISSING_ID = 987_654


# --------------------------------------------------------------------------- helpers


async def _level(db, product_id, location_id, lot_id=None) -> int:
    async with db.read() as conn:
        qty = (
            await conn.execute(
                select(stock_level.c.qty).where(
                    stock_level.c.product_id == product_id,
                    stock_level.c.location_id == location_id,
                    stock_level.c.lot_key == (lot_id or 0),
                )
            )
        ).scalar()
    return qty or 0


async def _cost(db, product_id) -> tuple[int, int]:
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(product_cost.c.qty, product_cost.c.value_fen).where(product_cost.c.product_id == product_id)
            )
        ).first()
    return (row.qty, row.value_fen) if row else (0, 0)


async def _moves(db, operation_id=None) -> list:
    q = select(stock_move).order_by(stock_move.c.id)
    if operation_id is not None:
        q = q.where(stock_move.c.operation_id == operation_id)
    async with db.read() as conn:
        return (await conn.execute(q)).all()


async def _snapshot(db) -> dict:
    """Everything an inventory action may write, for 'nothing changed' assertions."""

    async def count(conn, table):
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()

    async with db.read() as conn:
        return {
            "stock_move": await count(conn, stock_move),
            "stock_level": await count(conn, stock_level),
            "stock_operation": await count(conn, stock_operation),
            "event": await count(conn, event),
            "lot": await count(conn, lot),
            "idempotency_key": await count(conn, idempotency_key),
            "last_seq": await last_sequence(conn),
            "levels": sorted(
                tuple(r)
                for r in await conn.execute(
                    select(
                        stock_level.c.product_id, stock_level.c.location_id, stock_level.c.lot_key, stock_level.c.qty
                    )
                )
            ),
            "costs": sorted(
                tuple(r)
                for r in await conn.execute(
                    select(product_cost.c.product_id, product_cost.c.qty, product_cost.c.value_fen)
                )
            ),
        }


async def _fails(coro, *expected) -> InventoryError:
    """Await ``coro``, expect an InventoryError whose details are exactly ``expected`` (code, field) pairs."""
    with pytest.raises(InventoryError) as info:
        await coro
    got = [(d.code, d.field) for d in info.value.details]
    assert got == list(expected), got
    return info.value


def _line(product_id, quantity, location_id=None, **kw) -> StockLine:
    return StockLine(product_id=product_id, quantity=quantity, location_id=location_id, **kw)


@pytest.fixture
async def world(db):
    return await make_world(db)


# --------------------------------------------------------------------------- units and decimals


async def test_receive_in_alternative_unit_converts_to_base_units(db, world):
    w = world
    p = await make_product(db, w)  # pieces, with BOX12 = 12 pieces
    res = await do_receive_stock(db, [_line(p, "2", w.a1, unit_id=w.box, unit_cost="120.00")])
    assert res.replayed is False
    assert await _level(db, p, w.a1) == 24 * Q
    # the unit cost is per box: 2 boxes × 120.00 = 240.00, i.e. 10.00 per piece
    assert await _cost(db, p) == (24 * Q, 24000)
    (move,) = await _moves(db, res.operation_id)
    assert (move.qty, move.value_fen, move.to_location_id, move.from_location_id) == (24 * Q, 24000, w.a1, None)

    # issuing one box takes 12 pieces at the average
    await do_issue_stock(db, [_line(p, "1", w.a1, unit_id=w.box)])
    assert await _level(db, p, w.a1) == 12 * Q
    assert await _cost(db, p) == (12 * Q, 12000)
    # naming the base unit explicitly is the same as leaving it out
    await do_receive_stock(db, [_line(p, "3", w.a1, unit_id=w.pcs, unit_cost="10")])
    assert await _level(db, p, w.a1) == 15 * Q
    await assert_ledger_consistent(db)


async def test_half_a_box_of_pieces_is_too_many_decimals(db, world):
    w = world
    p = await make_product(db, w)
    before = await _snapshot(db)
    err = await _fails(
        do_receive_stock(db, [_line(p, "0.5", w.a1, unit_id=w.box)]), ("TOO_MANY_DECIMALS", "lines.0.quantity")
    )
    assert err.details[0].params["precision"] == 0
    assert await _snapshot(db) == before


async def test_kg_quantities_allow_three_decimals_only(db, world):
    w = world
    kg = await make_product(db, w, unit="kg", purchase_price="8.00")
    await do_receive_stock(db, [_line(kg, "1.250", w.a1, unit_cost="3.3333")])
    assert await _level(db, kg, w.a1) == 1_250_000
    # 1.25 kg × 3.3333 = 4.166625 → 4.17 (line total rounded once, half-up)
    assert await _cost(db, kg) == (1_250_000, 417)

    before = await _snapshot(db)
    err = await _fails(do_receive_stock(db, [_line(kg, "1.2345", w.a1)]), ("TOO_MANY_DECIMALS", "lines.0.quantity"))
    assert err.details[0].params == {"precision": 3}
    assert await _snapshot(db) == before

    await do_issue_stock(db, [_line(kg, "0.001", w.a1)])
    assert await _level(db, kg, w.a1) == 1_249_000
    await assert_ledger_consistent(db)


async def test_pieces_reject_fractions(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "1.0", w.a1)])  # trailing zeros are not decimals
    assert await _level(db, p, w.a1) == 1 * Q
    before = await _snapshot(db)
    err = await _fails(do_receive_stock(db, [_line(p, "1.5", w.a1)]), ("TOO_MANY_DECIMALS", "lines.0.quantity"))
    assert err.details[0].params == {"precision": 0}
    await _fails(do_issue_stock(db, [_line(p, "0.5", w.a1)]), ("TOO_MANY_DECIMALS", "lines.0.quantity"))
    assert await _snapshot(db) == before
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- bad input writes nothing

# each case: (action, lines builder, extra kwargs, expected (code, field) details)
BAD_INPUT = {
    "unknown_product": (
        "receive",
        lambda w, p, kg: [_line(MISSING_ID, "1", w.a1)],
        {},
        [("NOT_FOUND", "lines.0.productId")],
    ),
    "unknown_location": (
        "receive",
        lambda w, p, kg: [_line(p, "1", MISSING_ID)],
        {},
        [("NOT_FOUND", "lines.0.locationId")],
    ),
    "missing_location": (
        "issue",
        lambda w, p, kg: [_line(p, "1", None)],
        {},
        [("REQUIRED", "lines.0.locationId")],
    ),
    "unknown_transfer_destination": (
        "transfer",
        lambda w, p, kg: [_line(p, "1", w.a1, to_location_id=MISSING_ID)],
        {},
        [("NOT_FOUND", "lines.0.toLocationId")],
    ),
    "missing_transfer_destination": (
        "transfer",
        lambda w, p, kg: [_line(p, "1", w.a1)],
        {},
        [("REQUIRED", "lines.0.toLocationId")],
    ),
    "zero_receive": (
        "receive",
        lambda w, p, kg: [_line(p, "0", w.a1)],
        {},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "zero_kg_with_decimals": (
        "receive",
        lambda w, p, kg: [_line(kg, "0.000", w.a1)],
        {},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "negative_receive": (
        "receive",
        lambda w, p, kg: [_line(p, "-3", w.a1)],
        {},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "negative_issue": (
        "issue",
        lambda w, p, kg: [_line(p, "-1", w.a1)],
        {},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "negative_transfer": (
        "transfer",
        lambda w, p, kg: [_line(p, "-1", w.a1, to_location_id=w.b1)],
        {},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "zero_adjust": (
        "adjust",
        lambda w, p, kg: [_line(p, "0", w.a1)],
        {"reason": "count"},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
    "non_numeric": (
        "receive",
        lambda w, p, kg: [_line(p, "abc", w.a1)],
        {},
        [("INVALID_VALUE", "lines.0.quantity")],
    ),
    "infinite": (
        "receive",
        lambda w, p, kg: [_line(p, "Infinity", w.a1)],
        {},
        [("INVALID_VALUE", "lines.0.quantity")],
    ),
    "non_numeric_unit_cost": (
        "receive",
        lambda w, p, kg: [_line(p, "1", w.a1, unit_cost="ten")],
        {},
        [("INVALID_VALUE", "lines.0.unitCost")],
    ),
    "negative_unit_cost": (
        "receive",
        lambda w, p, kg: [_line(p, "1", w.a1, unit_cost="-1.00")],
        {},
        [("INVALID_VALUE", "lines.0.unitCost")],
    ),
    "wrong_unit": (
        "receive",
        lambda w, p, kg: [_line(p, "1", w.a1, unit_id=w.kg)],
        {},
        [("WRONG_UNIT", "lines.0.unitId")],
    ),
    "wrong_unit_on_issue": (
        "issue",
        lambda w, p, kg: [_line(kg, "1", w.a1, unit_id=w.box)],
        {},
        [("WRONG_UNIT", "lines.0.unitId")],
    ),
    "empty_receive": ("receive", lambda w, p, kg: [], {}, [("EMPTY_OPERATION", "lines")]),
    "empty_issue": ("issue", lambda w, p, kg: [], {}, [("EMPTY_OPERATION", "lines")]),
    "empty_transfer": ("transfer", lambda w, p, kg: [], {}, [("EMPTY_OPERATION", "lines")]),
    "empty_adjust": ("adjust", lambda w, p, kg: [], {"reason": "count"}, [("EMPTY_OPERATION", "lines")]),
    "adjust_without_reason": (
        "adjust",
        lambda w, p, kg: [_line(p, "1", w.a1)],
        {"reason": ""},
        [("REQUIRED", "reason")],
    ),
    "adjust_blank_reason": (
        "adjust",
        lambda w, p, kg: [_line(p, "-1", w.a1)],
        {"reason": "   "},
        [("REQUIRED", "reason")],
    ),
    # a valid first line is not applied when a later line is bad; every problem is reported
    "second_line_bad": (
        "receive",
        lambda w, p, kg: [_line(p, "1", w.a1), _line(kg, "x", w.a1)],
        {},
        [("INVALID_VALUE", "lines.1.quantity")],
    ),
    "all_problems_collected": (
        "adjust",
        lambda w, p, kg: [
            _line(MISSING_ID, "1", w.a1),
            _line(p, "1", w.a1),
            _line(kg, "0.0001", MISSING_ID),
            _line(kg, "0.0001", w.a1),
        ],
        {"reason": ""},
        [
            ("REQUIRED", "reason"),
            ("NOT_FOUND", "lines.0.productId"),
            ("NOT_FOUND", "lines.2.locationId"),
            ("TOO_MANY_DECIMALS", "lines.3.quantity"),
        ],
    ),
    "bad_idempotency_key": (
        "receive",
        lambda w, p, kg: [_line(p, "1", w.a1)],
        {"idempotency_key": "k" * 129},
        [("INVALID_VALUE", "idempotencyKey")],
    ),
    "bad_input_with_key": (
        "receive",
        lambda w, p, kg: [_line(p, "0", w.a1)],
        {"idempotency_key": "bad-input-1"},
        [("INVALID_QUANTITY", "lines.0.quantity")],
    ),
}

ACTIONS = {
    "receive": do_receive_stock,
    "issue": do_issue_stock,
    "transfer": do_transfer_stock,
    "adjust": do_adjust_stock,
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
async def test_bad_input_changes_nothing_and_writes_no_event(db, world, case):
    w = world
    p = await make_product(db, w)
    kg = await make_product(db, w, unit="kg")
    # some existing stock and events, so "unchanged" is not trivially "empty"
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="2.50"), _line(kg, "2.5", w.a1, unit_cost="4")])
    await assert_ledger_consistent(db)
    before = await _snapshot(db)
    assert before["event"] == before["last_seq"] == 4  # two stock.changed, two stock.available_to_sell

    action, lines, kwargs, expected = BAD_INPUT[case]
    await _fails(ACTIONS[action](db, lines(w, p, kg), **kwargs), *expected)

    assert await _snapshot(db) == before
    await assert_ledger_consistent(db)


async def test_error_params_name_the_object(db, world):
    w = world
    p = await make_product(db, w)
    err = await _fails(
        do_receive_stock(db, [_line(MISSING_ID, "1", w.a1), _line(p, "1", MISSING_ID)]),
        ("NOT_FOUND", "lines.0.productId"),
        ("NOT_FOUND", "lines.1.locationId"),
    )
    assert [d.params.get("what") for d in err.details] == ["product", "location"]
    assert "abc" in (
        await _fails(do_receive_stock(db, [_line(p, "abc", w.a1)]), ("INVALID_VALUE", "lines.0.quantity"))
    ).details[0].message("en")


# --------------------------------------------------------------------------- atomic multi-line issue


async def test_multi_line_issue_fails_as_a_whole_naming_line_two(db, world):
    w = world
    p1 = await make_product(db, w)
    p2 = await make_product(db, w)
    await do_receive_stock(db, [_line(p1, "10", w.a1, unit_cost="1"), _line(p2, "3", w.a1, unit_cost="1")])
    before = await _snapshot(db)

    err = await _fails(
        do_issue_stock(db, [_line(p1, "5", w.a1), _line(p2, "4", w.a1)]),
        ("INSUFFICIENT_STOCK", "lines.1.quantity"),
    )
    params = err.details[0].params
    assert params["line"] == 2
    assert params["available"] == "3"
    assert params["requested"] == "4"
    assert "Line 2" in err.details[0].message("en") and "第 2 行" in err.details[0].message("zh-CN")
    assert await _level(db, p1, w.a1) == 10 * Q  # line 1 was rolled back
    assert await _snapshot(db) == before

    # also when line 1 sorts after line 2 internally (higher product id listed first)
    await _fails(
        do_issue_stock(db, [_line(p2, "1", w.a1), _line(p1, "11", w.a1)]),
        ("INSUFFICIENT_STOCK", "lines.1.quantity"),
    )
    assert await _snapshot(db) == before

    # two lines on the same level: together they exceed the stock
    err = await _fails(
        do_issue_stock(db, [_line(p1, "6", w.a1), _line(p1, "6", w.a1)]),
        ("INSUFFICIENT_STOCK", "lines.1.quantity"),
    )
    assert err.details[0].params["line"] == 2
    assert await _snapshot(db) == before

    # the same issue within stock succeeds
    await do_issue_stock(db, [_line(p1, "5", w.a1), _line(p2, "3", w.a1)])
    assert (await _level(db, p1, w.a1), await _level(db, p2, w.a1)) == (5 * Q, 0)
    await assert_ledger_consistent(db)


async def test_issue_from_a_location_without_stock(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="1")])
    err = await _fails(do_issue_stock(db, [_line(p, "1", w.b1)]), ("INSUFFICIENT_STOCK", "lines.0.quantity"))
    assert err.details[0].params["available"] == "0"
    assert await _level(db, p, w.a1) == 10 * Q
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- transfer


async def test_transfer_between_warehouses_moves_quantity_and_keeps_value(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="3.3333")])
    cost_before = await _cost(db, p)
    assert cost_before == (10 * Q, 3333)

    res = await do_transfer_stock(db, [_line(p, "4", w.a1, to_location_id=w.b1)])
    assert await _level(db, p, w.a1) == 6 * Q
    assert await _level(db, p, w.b1) == 4 * Q
    assert await _cost(db, p) == cost_before  # value unchanged by a transfer
    (move,) = await _moves(db, res.operation_id)
    assert (move.from_location_id, move.to_location_id, move.qty, move.move_type) == (w.a1, w.b1, 4 * Q, "transfer")
    assert move.value_fen == 1333  # informational: 3333 × 4/10 half-up
    async with db.read() as conn:
        wh = (
            await conn.execute(
                select(stock_level.c.warehouse_id).where(
                    stock_level.c.product_id == p, stock_level.c.location_id == w.b1
                )
            )
        ).scalar_one()
    assert wh == w.wh2

    # everything back, through a second location in the first warehouse
    await do_transfer_stock(db, [_line(p, "4", w.b1, to_location_id=w.a2), _line(p, "6", w.a1, to_location_id=w.a2)])
    assert (await _level(db, p, w.a1), await _level(db, p, w.a2), await _level(db, p, w.b1)) == (0, 10 * Q, 0)
    assert await _cost(db, p) == cost_before
    await assert_ledger_consistent(db)


async def test_transfer_errors(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "5", w.a1, unit_cost="1")])
    before = await _snapshot(db)
    await _fails(
        do_transfer_stock(db, [_line(p, "1", w.a1, to_location_id=w.a1)]), ("SAME_LOCATION", "lines.0.toLocationId")
    )
    err = await _fails(
        do_transfer_stock(db, [_line(p, "6", w.a1, to_location_id=w.b1)]), ("INSUFFICIENT_STOCK", "lines.0.quantity")
    )
    assert err.details[0].params["available"] == "5"
    assert await _snapshot(db) == before
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- adjust


async def test_adjust_gain_at_unit_cost_and_loss_at_average(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="10.00")])

    gain = await do_adjust_stock(db, [_line(p, "5", w.a1, unit_cost="12.00")], reason="found in count")
    assert await _cost(db, p) == (15 * Q, 16000)
    (move,) = await _moves(db, gain.operation_id)
    assert (move.to_location_id, move.from_location_id, move.value_fen, move.reason) == (
        w.a1,
        None,
        6000,
        "found in count",
    )

    loss = await do_adjust_stock(db, [_line(p, "-3", w.a1)], reason="damaged")
    (move,) = await _moves(db, loss.operation_id)
    assert (move.from_location_id, move.to_location_id, move.qty) == (w.a1, None, 3 * Q)
    assert move.value_fen == 3200  # 16000 × 3/15
    assert await _cost(db, p) == (12 * Q, 12800)
    assert await _level(db, p, w.a1) == 12 * Q

    # a gain without a unit cost enters at the current average (12800/12 per piece)
    avg_gain = await do_adjust_stock(db, [_line(p, "6", w.a2)], reason="found")
    assert (await _moves(db, avg_gain.operation_id))[0].value_fen == 6400
    assert await _cost(db, p) == (18 * Q, 19200)

    # a loss larger than the level is refused
    before = await _snapshot(db)
    await _fails(do_adjust_stock(db, [_line(p, "-13", w.a1)], reason="x"), ("INSUFFICIENT_STOCK", "lines.0.quantity"))
    assert await _snapshot(db) == before

    # a loss of everything takes the whole remaining value
    await do_adjust_stock(db, [_line(p, "-12", w.a1), _line(p, "-6", w.a2)], reason="write-off")
    assert await _cost(db, p) == (0, 0)
    await assert_ledger_consistent(db)


async def test_adjust_gain_on_empty_product_uses_purchase_price(db, world):
    w = world
    p = await make_product(db, w, purchase_price="7.50")
    res = await do_adjust_stock(db, [_line(p, "4", w.a1)], reason="opening balance")
    assert (await _moves(db, res.operation_id))[0].value_fen == 3000
    assert await _cost(db, p) == (4 * Q, 3000)

    # emptied again (the product_cost row exists with qty 0): again the purchase price
    await do_issue_stock(db, [_line(p, "4", w.a1)])
    assert await _cost(db, p) == (0, 0)
    res = await do_adjust_stock(db, [_line(p, "2", w.b1)], reason="found")
    assert (await _moves(db, res.operation_id))[0].value_fen == 1500
    await assert_ledger_consistent(db)


async def test_receive_without_unit_cost_uses_purchase_price(db, world):
    w = world
    p = await make_product(db, w, purchase_price="7.50")
    await do_receive_stock(db, [_line(p, "3", w.a1)])
    assert await _cost(db, p) == (3 * Q, 2250)
    await do_receive_stock(db, [_line(p, "1", w.a1, unit_cost="0")])  # an explicit zero cost is a cost
    assert await _cost(db, p) == (4 * Q, 2250)
    await assert_ledger_consistent(db)


async def test_count_adjustment_moving_stock_between_bins_keeps_value(db, world):
    """Regression: a gain without unit cost after a loss that empties the product in the same
    adjustment used to enter at value 0 (the 'no stock' check ran before any line was applied)."""
    w = world
    p = await make_product(db, w, purchase_price="10.00")
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="12.00")])
    # a stock count: all 10 are not in A-01 but in B-01
    res = await do_adjust_stock(db, [_line(p, "-10", w.a1), _line(p, "10", w.b1)], reason="count")
    loss, gain = await _moves(db, res.operation_id)
    assert (loss.from_location_id, loss.value_fen) == (w.a1, 12000)
    # no stock at the moment of the gain: it enters at the purchase price, never at zero
    assert (gain.to_location_id, gain.value_fen) == (w.b1, 10000)
    assert await _cost(db, p) == (10 * Q, 10000)
    assert (await _level(db, p, w.a1), await _level(db, p, w.b1)) == (0, 10 * Q)
    await assert_ledger_consistent(db)

    # the gain listed first enters at the average of the stock on hand at that moment
    p2 = await make_product(db, w, purchase_price="10.00")
    await do_receive_stock(db, [_line(p2, "10", w.a1, unit_cost="12.00")])
    await do_adjust_stock(db, [_line(p2, "10", w.b1), _line(p2, "-10", w.a1)], reason="count")
    assert await _cost(db, p2) == (10 * Q, 12000)
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- lots and serials


async def _lot_row(db, product_id, code):
    async with db.read() as conn:
        return (await conn.execute(select(lot).where(lot.c.product_id == product_id, lot.c.code == code))).first()


async def test_lot_required_and_not_allowed(db, world):
    w = world
    lp = await make_product(db, w, tracking="lot")
    plain = await make_product(db, w)
    before = await _snapshot(db)
    await _fails(do_receive_stock(db, [_line(lp, "1", w.a1)]), ("LOT_REQUIRED", "lines.0.lot"))
    await _fails(do_receive_stock(db, [_line(lp, "1", w.a1, lot_code="")]), ("LOT_REQUIRED", "lines.0.lot"))
    await _fails(do_issue_stock(db, [_line(lp, "1", w.a1)]), ("LOT_REQUIRED", "lines.0.lot"))
    await _fails(do_receive_stock(db, [_line(plain, "1", w.a1, lot_code="L1")]), ("LOT_NOT_ALLOWED", "lines.0.lot"))
    await _fails(
        do_adjust_stock(db, [_line(plain, "1", w.a1, lot_code="L1")], reason="x"), ("LOT_NOT_ALLOWED", "lines.0.lot")
    )
    assert await _snapshot(db) == before


async def test_lots_are_created_on_receipt_and_levels_are_per_lot(db, world):
    w = world
    lp = await make_product(db, w, tracking="lot")
    await do_receive_stock(
        db,
        [
            _line(lp, "5", w.a1, lot_code="L1", expiry_date=date(2027, 1, 31), unit_cost="2"),
            _line(lp, "3", w.a1, lot_code="L2", expiry_date=date(2027, 6, 30), unit_cost="2"),
        ],
    )
    l1, l2 = await _lot_row(db, lp, "L1"), await _lot_row(db, lp, "L2")
    assert l1.expiry_date == date(2027, 1, 31) and l2.expiry_date == date(2027, 6, 30)
    assert await _level(db, lp, w.a1, l1.id) == 5 * Q
    assert await _level(db, lp, w.a1, l2.id) == 3 * Q
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(stock_level.c.lot_id, stock_level.c.lot_key).where(stock_level.c.product_id == lp)
            )
        ).all()
    assert sorted(rows) == sorted([(l1.id, l1.id), (l2.id, l2.id)])
    moves = await _moves(db)
    assert sorted(m.lot_id for m in moves) == sorted([l1.id, l2.id])

    # 6 are on hand in total, but only 5 in lot L1
    before = await _snapshot(db)
    err = await _fails(
        do_issue_stock(db, [_line(lp, "6", w.a1, lot_code="L1")]), ("INSUFFICIENT_STOCK", "lines.0.quantity")
    )
    assert err.details[0].params["available"] == "5"
    # an unknown lot is not created by an issue, a transfer or a loss
    await _fails(do_issue_stock(db, [_line(lp, "1", w.a1, lot_code="NOPE")]), ("NOT_FOUND", "lines.0.lot"))
    await _fails(
        do_transfer_stock(db, [_line(lp, "1", w.a1, to_location_id=w.b1, lot_code="NOPE")]),
        ("NOT_FOUND", "lines.0.lot"),
    )
    err = await _fails(
        do_adjust_stock(db, [_line(lp, "-1", w.a1, lot_code="NOPE")], reason="x"), ("NOT_FOUND", "lines.0.lot")
    )
    assert err.details[0].params == {"what": "lot"}
    assert await _snapshot(db) == before

    # transfers keep the lot
    await do_transfer_stock(db, [_line(lp, "2", w.a1, to_location_id=w.b1, lot_code="L1")])
    assert await _level(db, lp, w.a1, l1.id) == 3 * Q
    assert await _level(db, lp, w.b1, l1.id) == 2 * Q
    assert await _level(db, lp, w.a1, l2.id) == 3 * Q
    await do_issue_stock(db, [_line(lp, "3", w.a1, lot_code="L2")])
    assert await _level(db, lp, w.a1, l2.id) == 0
    assert await _level(db, lp, w.a1, l1.id) == 3 * Q
    # a gain on a new lot creates it
    await do_adjust_stock(db, [_line(lp, "1", w.a2, lot_code="L3", expiry_date=date(2028, 1, 1))], reason="found")
    l3 = await _lot_row(db, lp, "L3")
    assert l3.expiry_date == date(2028, 1, 1)
    assert await _level(db, lp, w.a2, l3.id) == 1 * Q
    await assert_ledger_consistent(db)


async def test_serial_products_move_one_per_serial(db, world):
    w = world
    sp = await make_product(db, w, tracking="serial")
    before = await _snapshot(db)
    await _fails(do_receive_stock(db, [_line(sp, "2", w.a1, lot_code="SN-1")]), ("SERIAL_QUANTITY", "lines.0.quantity"))
    await _fails(
        do_receive_stock(db, [_line(sp, "1", w.a1, unit_id=w.box, lot_code="SN-1")]),
        ("SERIAL_QUANTITY", "lines.0.quantity"),
    )
    await _fails(do_receive_stock(db, [_line(sp, "1", w.a1)]), ("LOT_REQUIRED", "lines.0.lot"))
    await _fails(
        do_adjust_stock(db, [_line(sp, "-2", w.a1, lot_code="SN-1")], reason="x"),
        ("SERIAL_QUANTITY", "lines.0.quantity"),
    )
    assert await _snapshot(db) == before

    await do_receive_stock(db, [_line(sp, "1", w.a1, lot_code="SN-1"), _line(sp, "1", w.a1, lot_code="SN-2")])
    sn1 = await _lot_row(db, sp, "SN-1")
    assert await _level(db, sp, w.a1, sn1.id) == 1 * Q
    await do_adjust_stock(db, [_line(sp, "-1", w.a1, lot_code="SN-1")], reason="stolen")
    assert await _level(db, sp, w.a1, sn1.id) == 0
    await assert_ledger_consistent(db)


async def test_a_serial_number_can_be_on_hand_only_once(db, world):
    """Regression: receiving a serial that is already on hand used to be accepted (stock 2 of one serial)."""
    w = world
    sp = await make_product(db, w, tracking="serial")
    await do_receive_stock(db, [_line(sp, "1", w.a1, lot_code="SN-1", unit_cost="100")])
    before = await _snapshot(db)
    err = await _fails(
        do_receive_stock(db, [_line(sp, "1", w.b1, lot_code="SN-1")]), ("SERIAL_IN_STOCK", "lines.0.lot")
    )
    assert err.details[0].params["serial"] == "SN-1" and err.details[0].params["line"] == 1
    await _fails(
        do_adjust_stock(db, [_line(sp, "1", w.a1, lot_code="SN-1")], reason="found"), ("SERIAL_IN_STOCK", "lines.0.lot")
    )
    # twice in one request, on a serial not yet known
    await _fails(
        do_receive_stock(db, [_line(sp, "1", w.a1, lot_code="SN-2"), _line(sp, "1", w.a2, lot_code="SN-2")]),
        ("SERIAL_IN_STOCK", "lines.0.lot"),
    )
    assert await _snapshot(db) == before

    # moving the serial is fine; once it has left, it may come back (a customer return)
    await do_transfer_stock(db, [_line(sp, "1", w.a1, to_location_id=w.b1, lot_code="SN-1")])
    await do_issue_stock(db, [_line(sp, "1", w.b1, lot_code="SN-1")])
    await do_receive_stock(db, [_line(sp, "1", w.a2, lot_code="SN-1", unit_cost="100")])
    sn1 = await _lot_row(db, sp, "SN-1")
    assert [await _level(db, sp, loc, sn1.id) for loc in (w.a1, w.a2, w.b1)] == [0, 1 * Q, 0]
    await assert_ledger_consistent(db)


async def test_concurrent_receipts_of_one_serial_admit_one(db, world):
    """A serial that was in stock before (sold, now "returned" twice at once): its lot row exists, so
    both requests get past lot creation; the lot lock taken before any stock level decides."""
    w = world
    sp = await make_product(db, w, tracking="serial")
    await do_receive_stock(db, [_line(sp, "1", w.a2, lot_code="SN-9")])
    for _ in range(5):
        await do_issue_stock(db, [_line(sp, "1", w.a2, lot_code="SN-9")])
        results = await asyncio.gather(
            *[do_receive_stock(db, [_line(sp, "1", loc, lot_code="SN-9")]) for loc in (w.a1, w.b1)],
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        assert len(failed) == 1, results
        assert isinstance(failed[0], InventoryError) and failed[0].details[0].code == "SERIAL_IN_STOCK", failed
        sn9 = await _lot_row(db, sp, "SN-9")
        assert sum([await _level(db, sp, loc, sn9.id) for loc in (w.a1, w.a2, w.b1)]) == 1 * Q
        # put it back where the next round issues it from
        holder = w.a1 if await _level(db, sp, w.a1, sn9.id) else w.b1
        await do_transfer_stock(
            db, [StockLine(product_id=sp, quantity="1", location_id=holder, to_location_id=w.a2, lot_code="SN-9")]
        )
    await assert_ledger_consistent(db)


async def test_concurrent_receipts_of_a_new_serial_admit_one(db, world):
    w = world
    sp = await make_product(db, w, tracking="serial")
    # a new serial: the first transaction's INSERT of the lot row makes the second one wait
    results = await asyncio.gather(
        *[do_receive_stock(db, [_line(sp, "1", loc, lot_code="SN-8")]) for loc in (w.a1, w.b1)],
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1, results
    assert isinstance(failed[0], InventoryError) and failed[0].details[0].code == "SERIAL_IN_STOCK", failed
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- idempotency


async def test_same_key_same_payload_replays(db, world):
    w = world
    p = await make_product(db, w)
    lines = [_line(p, "5", w.a1, unit_cost="2.00")]
    first = await do_receive_stock(db, lines, reference="PO-1", idempotency_key="rcv-1")
    after_first = await _snapshot(db)
    second = await do_receive_stock(
        db, [_line(p, "5", w.a1, unit_cost="2.00")], reference="PO-1", idempotency_key="rcv-1"
    )
    assert first.replayed is False and second.replayed is True
    assert second.operation_id == first.operation_id
    assert await _snapshot(db) == after_first
    assert after_first["stock_move"] == 1 and after_first["event"] == 2  # stock.changed, stock.available_to_sell
    assert await _level(db, p, w.a1) == 5 * Q
    async with db.read() as conn:
        key = (
            await conn.execute(
                select(stock_operation.c.idempotency_key).where(stock_operation.c.id == first.operation_id)
            )
        ).scalar_one()
    assert key == "rcv-1"

    # the replay returns the stored result even when the request could not run again
    await do_issue_stock(db, [_line(p, "5", w.a1)], idempotency_key="iss-1")
    assert await _level(db, p, w.a1) == 0
    replay = await do_issue_stock(db, [_line(p, "5", w.a1)], idempotency_key="iss-1")
    assert replay.replayed is True
    assert await _level(db, p, w.a1) == 0
    await assert_ledger_consistent(db)


async def test_same_key_different_payload_is_refused(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "5", w.a1)], idempotency_key="k-1")
    before = await _snapshot(db)
    await _fails(
        do_receive_stock(db, [_line(p, "6", w.a1)], idempotency_key="k-1"), ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    )
    await _fails(
        do_receive_stock(db, [_line(p, "5", w.a1)], reference="other", idempotency_key="k-1"),
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey"),
    )
    # the same lines under another action are a different request
    await _fails(
        do_issue_stock(db, [_line(p, "5", w.a1)], idempotency_key="k-1"), ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    )
    await _fails(
        do_adjust_stock(db, [_line(p, "5", w.a1)], reason="x", idempotency_key="k-1"),
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey"),
    )
    assert await _snapshot(db) == before
    await assert_ledger_consistent(db)


async def test_key_of_a_failed_attempt_can_be_used_again(db, world):
    w = world
    p = await make_product(db, w)
    before = await _snapshot(db)
    await _fails(
        do_issue_stock(db, [_line(p, "3", w.a1)], idempotency_key="ship-7"), ("INSUFFICIENT_STOCK", "lines.0.quantity")
    )
    assert await _snapshot(db) == before  # the key itself was rolled back
    await do_receive_stock(db, [_line(p, "3", w.a1)])
    res = await do_issue_stock(db, [_line(p, "3", w.a1)], idempotency_key="ship-7")
    assert res.replayed is False
    assert await _level(db, p, w.a1) == 0
    again = await do_issue_stock(db, [_line(p, "3", w.a1)], idempotency_key="ship-7")
    assert (again.operation_id, again.replayed) == (res.operation_id, True)
    assert len(await _moves(db)) == 2
    await assert_ledger_consistent(db)


async def test_concurrent_requests_with_one_key_apply_once(db, world):
    w = world
    p = await make_product(db, w)
    results = await asyncio.gather(
        *[do_receive_stock(db, [_line(p, "4", w.a1, unit_cost="1")], idempotency_key="dup-1") for _ in range(4)]
    )
    assert len({r.operation_id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert await _level(db, p, w.a1) == 4 * Q
    assert len(await _moves(db)) == 1
    await assert_ledger_consistent(db)


async def test_concurrent_issues_never_oversell(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="1")])
    results = await asyncio.gather(
        *[do_issue_stock(db, [_line(p, "3", w.a1)]) for _ in range(5)], return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 3
    assert all(isinstance(e, InventoryError) and e.details[0].code == "INSUFFICIENT_STOCK" for e in failed), failed
    assert await _level(db, p, w.a1) == 1 * Q
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- events


async def test_receive_writes_one_stock_changed_event_per_level(db, world):
    w = world
    p1 = await make_product(db, w)
    p2 = await make_product(db, w)
    await do_receive_stock(db, [_line(p1, "2", w.a1, unit_cost="1")])
    async with db.read() as conn:
        start = await last_sequence(conn)
    res = await do_receive_stock(db, [_line(p1, "3", w.a1, unit_cost="1"), _line(p2, "4", w.b1, unit_cost="1")])
    moves = await _moves(db, res.operation_id)
    async with db.read() as conn:
        events = await read_events(conn, start, event_type=STOCK_CHANGED)
    assert [e[0] for e in events] == [start + 1, start + 2]  # (then one stock.available_to_sell per product)
    assert {e[1] for e in events} == {STOCK_CHANGED}
    payloads = [e[3] for e in events]
    assert [
        (pl["product_id"], pl["location_id"], pl["warehouse_id"], pl["delta"], pl["quantity"], pl["move_id"])
        for pl in payloads
    ] == [
        (p1, w.a1, w.wh1, 3 * Q, 5 * Q, moves[0].id),
        (p2, w.b1, w.wh2, 4 * Q, 4 * Q, moves[1].id),
    ]
    assert all(pl["operation_id"] == res.operation_id and pl["move_type"] == "receipt" for pl in payloads)
    assert all(pl["lot_id"] is None for pl in payloads)

    # two lines on one level: each event carries the level right after its own delta
    await do_receive_stock(db, [_line(p1, "1", w.a2, unit_cost="1"), _line(p1, "2", w.a2, unit_cost="1")])
    async with db.read() as conn:
        events = await read_events(conn, start + 2, event_type=STOCK_CHANGED)
    assert [(e[3]["location_id"], e[3]["delta"], e[3]["quantity"]) for e in events] == [
        (w.a2, 1 * Q, 1 * Q),
        (w.a2, 2 * Q, 3 * Q),
    ]
    await assert_ledger_consistent(db)


async def test_lot_events_carry_the_lot(db, world):
    w = world
    lp = await make_product(db, w, tracking="lot")
    await do_receive_stock(db, [_line(lp, "5", w.a1, lot_code="L1", unit_cost="1")])
    await do_transfer_stock(db, [_line(lp, "2", w.a1, to_location_id=w.b1, lot_code="L1")])
    l1 = await _lot_row(db, lp, "L1")
    async with db.read() as conn:
        events = await read_events(conn, 0, event_type=STOCK_CHANGED)
    assert [(e[3]["lot_id"], e[3]["location_id"], e[3]["delta"], e[3]["quantity"]) for e in events] == [
        (l1.id, w.a1, 5 * Q, 5 * Q),
        (l1.id, w.a1, -2 * Q, 3 * Q),
        (l1.id, w.b1, 2 * Q, 2 * Q),
    ]
    await assert_ledger_consistent(db)


async def test_transfer_writes_two_events_and_sequence_has_no_gaps(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "10", w.a1, unit_cost="1")])
    async with db.read() as conn:
        start = await last_sequence(conn)
    res = await do_transfer_stock(db, [_line(p, "4", w.a1, to_location_id=w.b1)])
    (move,) = await _moves(db, res.operation_id)
    async with db.read() as conn:
        events = await read_events(conn, start, event_type=STOCK_CHANGED)
    assert len(events) == 2
    by_delta = {e[3]["delta"]: e[3] for e in events}
    src, dst = by_delta[-4 * Q], by_delta[4 * Q]
    assert (src["location_id"], src["warehouse_id"], src["quantity"], src["move_id"]) == (w.a1, w.wh1, 6 * Q, move.id)
    assert (dst["location_id"], dst["warehouse_id"], dst["quantity"], dst["move_id"]) == (w.b1, w.wh2, 4 * Q, move.id)

    # failures consume no sequence numbers; the whole journal is 1..n without gaps
    await _fails(do_issue_stock(db, [_line(p, "99", w.a1)]), ("INSUFFICIENT_STOCK", "lines.0.quantity"))
    await do_adjust_stock(db, [_line(p, "-1", w.b1)], reason="x")
    await do_issue_stock(db, [_line(p, "2", w.a1), _line(p, "1", w.b1)])
    async with db.read() as conn:
        all_events = await read_events(conn, 0)
        last = await last_sequence(conn)
    seqs = [e[0] for e in all_events]
    assert seqs == list(range(1, len(seqs) + 1))
    # stock.changed: 1 + 2 + 1 + 2; stock.available_to_sell: one per warehouse whose figure changed, 1 + 2 + 1 + 2
    assert last == len(seqs) == 12
    stock = [e for e in all_events if e[1] == STOCK_CHANGED]
    assert len(stock) == 6
    assert [e[3]["quantity"] for e in stock[-3:]] == [3 * Q, 4 * Q, 2 * Q]
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- append-only ledger


@pytest.mark.parametrize("statement", ["update", "delete"])
@pytest.mark.parametrize("table", ["stock_move", "event"])
async def test_ledger_and_journal_are_append_only(db, world, statement, table):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "5", w.a1, unit_cost="1")])
    before = await _snapshot(db)
    t = stock_move if table == "stock_move" else event
    stmt = update(t).values(product_id=p + 1) if statement == "update" else delete(t)
    with pytest.raises(sqlalchemy.exc.DBAPIError) as info:
        async with db.write() as conn:
            await conn.execute(stmt)
    assert "append-only" in str(info.value)
    assert await _snapshot(db) == before
    moves = await _moves(db)
    assert [(m.product_id, m.qty) for m in moves] == [(p, 5 * Q)]
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- archived master data


async def test_archived_product_is_refused(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "5", w.a1, unit_cost="1")])
    await do_set_product_active(db, p, False)
    before = await _snapshot(db)
    err = await _fails(do_receive_stock(db, [_line(p, "1", w.a1)]), ("INACTIVE", "lines.0.productId"))
    assert err.details[0].params == {"what": "product"}
    await _fails(do_issue_stock(db, [_line(p, "1", w.a1)]), ("INACTIVE", "lines.0.productId"))
    await _fails(do_transfer_stock(db, [_line(p, "1", w.a1, to_location_id=w.b1)]), ("INACTIVE", "lines.0.productId"))
    await _fails(do_adjust_stock(db, [_line(p, "-1", w.a1)], reason="x"), ("INACTIVE", "lines.0.productId"))
    assert await _snapshot(db) == before

    await do_set_product_active(db, p, True)
    await do_issue_stock(db, [_line(p, "1", w.a1)])
    assert await _level(db, p, w.a1) == 4 * Q
    await assert_ledger_consistent(db)


async def test_archived_location_is_refused(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "5", w.a1, unit_cost="1")])
    await do_set_location_active(db, w.b1, False)
    before = await _snapshot(db)
    err = await _fails(do_receive_stock(db, [_line(p, "1", w.b1)]), ("INACTIVE", "lines.0.locationId"))
    assert err.details[0].params == {"what": "location"}
    await _fails(
        do_transfer_stock(db, [_line(p, "1", w.a1, to_location_id=w.b1)]), ("INACTIVE", "lines.0.toLocationId")
    )
    await _fails(do_adjust_stock(db, [_line(p, "1", w.b1)], reason="x"), ("INACTIVE", "lines.0.locationId"))
    await do_set_location_active(db, w.a1, False)
    await _fails(do_issue_stock(db, [_line(p, "1", w.a1)]), ("INACTIVE", "lines.0.locationId"))
    assert await _snapshot(db) == before

    await do_set_location_active(db, w.b1, True)
    await do_set_location_active(db, w.a1, True)
    await do_transfer_stock(db, [_line(p, "2", w.a1, to_location_id=w.b1)])
    assert (await _level(db, p, w.a1), await _level(db, p, w.b1)) == (3 * Q, 2 * Q)
    await assert_ledger_consistent(db)


# --------------------------------------------------------------------------- archived warehouses, cost precision


async def test_locations_of_an_archived_warehouse_take_no_stock(db, world):
    from server.inventory.warehouses import do_set_warehouse_active

    w = world
    p = await make_product(db, w)
    await do_set_warehouse_active(db, w.wh2, False)
    before = await _snapshot(db)
    with pytest.raises(InventoryError) as exc:
        await do_receive_stock(db, [_line(p, "1", w.b1)])
    assert [(d.code, d.field) for d in exc.value.details] == [("INACTIVE", "lines.0.locationId")]
    assert await _snapshot(db) == before
    await do_set_warehouse_active(db, w.wh2, True)
    await do_receive_stock(db, [_line(p, "1", w.b1)])
    assert await _level(db, p, w.b1) == 1 * Q


async def test_unit_cost_with_more_than_six_decimals_is_too_many_decimals(db, world):
    p = await make_product(db, world)
    with pytest.raises(InventoryError) as exc:
        await do_receive_stock(db, [_line(p, "1", world.a1, unit_cost="1.1234567")])
    assert [(d.code, d.field, d.params) for d in exc.value.details] == [
        ("TOO_MANY_DECIMALS", "lines.0.unitCost", {"precision": 6})
    ]


async def test_a_lot_keeps_one_expiry_date(db, world):
    w = world
    p = await make_product(db, w, tracking="lot")
    await do_receive_stock(db, [_line(p, "1", w.a1, lot_code="L1", expiry_date=date(2027, 1, 31))])
    before = await _snapshot(db)
    with pytest.raises(InventoryError) as exc:
        await do_receive_stock(db, [_line(p, "1", w.a2, lot_code="L1", expiry_date=date(2027, 2, 28))])
    assert [(d.code, d.field) for d in exc.value.details] == [("INVALID_VALUE", "lines.0.expiryDate")]
    assert await _snapshot(db) == before
    # the same date, or none, is fine
    await do_receive_stock(
        db, [_line(p, "1", w.a2, lot_code="L1", expiry_date=date(2027, 1, 31)), _line(p, "1", w.a2, lot_code="L1")]
    )
    assert await _level(db, p, w.a2, (await _lot_row(db, p, "L1")).id) == 2 * Q


async def test_a_loss_cannot_name_a_unit_cost(db, world):
    w = world
    p = await make_product(db, w)
    await do_receive_stock(db, [_line(p, "2", w.a1, unit_cost="5")])
    with pytest.raises(InventoryError) as exc:
        await do_adjust_stock(db, [_line(p, "-1", w.a1, unit_cost="9")], reason="damaged")
    assert [(d.code, d.field) for d in exc.value.details] == [("INVALID_VALUE", "lines.0.unitCost")]
