"""Moving weighted average: worked example 1 of the domain reference (§2.4) and rounding points."""

from decimal import Decimal

from sqlalchemy import select

from server.core.numbers import line_value_fen, round_half_up_div
from server.inventory.models import product_cost, stock_move
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from tests.factories import make_product, make_world


async def _cost(db, product_id):
    async with db.read() as conn:
        row = (await conn.execute(select(product_cost).where(product_cost.c.product_id == product_id))).one()
    return row.qty // 10**6, row.value_fen


async def _last_move_value(db):
    async with db.read() as conn:
        return (await conn.execute(select(stock_move.c.value_fen).order_by(stock_move.c.id.desc()).limit(1))).scalar()


async def test_worked_example_1_moving_average(db):
    w = await make_world(db)
    p = await make_product(db, w)

    async def receive(qty, cost):
        await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity=qty, unit_cost=cost)])
        return await _last_move_value(db)

    async def issue(qty):
        await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity=qty)])
        return await _last_move_value(db)

    assert await receive("100", "10.00") == 100000
    assert await _cost(db, p) == (100, 100000)
    assert await receive("50", "13.00") == 65000
    assert await _cost(db, p) == (150, 165000)
    assert await issue("120") == 132000
    assert await _cost(db, p) == (30, 33000)
    assert await issue("30") == 33000  # empties the stock: takes the whole remaining value
    assert await _cost(db, p) == (0, 0)
    assert await receive("80", "12.50") == 100000
    assert await issue("20") == 25000
    assert await _cost(db, p) == (60, 75000)  # COGS 1,900.00; ending 60 units = 750.00


async def test_issue_rounds_half_up_and_empty_stock_leaves_no_residue(db):
    w = await make_world(db)
    p = await make_product(db, w)
    # 3 × 3.333333 = 9.999999 → 10.00 (rounded once per line); issues split it exactly
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="3", unit_cost="3.333333")])
    assert await _cost(db, p) == (3, 1000)
    values = []
    for _ in range(3):
        await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="1")])
        values.append(await _last_move_value(db))
    assert values == [333, 334, 333]  # 1000/3 → 333.3 → 333; 667/2 = 333.5 → 334 (half-up); rest 333
    assert await _cost(db, p) == (0, 0)


async def test_receipt_line_value_rounds_once_half_up():
    assert line_value_fen(3 * 10**6, Decimal("0.125")) == 38  # 0.375 → 0.38
    assert line_value_fen(10**6, Decimal("0.005")) == 1
    assert line_value_fen(10**6, Decimal("0.0049")) == 0
    assert round_half_up_div(5, 2) == 3 and round_half_up_div(-5, 2) == -3 and round_half_up_div(4, 3) == 1


async def test_ledger_check_passes_after_operations(db):
    from tests.invariants import assert_ledger_consistent

    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="7", unit_cost="1.01")])
    await do_issue_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="2")])
    await assert_ledger_consistent(db)
