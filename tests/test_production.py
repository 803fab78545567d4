"""Production: the finished goods carry the cost of the components actually issued, minus returns,
plus labour and overhead, to the fen; partial receipts take pro-rata shares, the last one the rest."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.inventory.errors import InventoryError
from server.inventory.models import product_cost, production_order, production_order_line
from server.inventory.production import (
    ComponentInput,
    FinishedGoodsInput,
    MaterialLine,
    ProductionInput,
    do_create_production_order,
    do_issue_materials,
    do_receive_finished_goods,
    do_set_bill_of_materials,
)
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import principal

Q = 10**6
KEEPER = principal("warehouse_keeper", 60, "chejian")


async def setup(db):
    w = await make_world(db)
    a = await make_product(db, w, purchase_price="2.00")
    b = await make_product(db, w, purchase_price="3.00")
    kit = await make_product(db, w, purchase_price="0.00")
    await do_receive_stock(
        db,
        [
            StockLine(product_id=a, location_id=w.a1, quantity="50", unit_cost="2.00"),
            StockLine(product_id=b, location_id=w.a1, quantity="50", unit_cost="3.00"),
        ],
    )
    await do_set_bill_of_materials(db, kit, [ComponentInput(a, "2"), ComponentInput(b, "1")])
    return w, a, b, kit


async def value_of(db, product_id):
    async with db.read() as conn:
        row = (await conn.execute(select(product_cost).where(product_cost.c.product_id == product_id))).first()
    return (row.qty, row.value_fen) if row else (0, 0)


async def test_cost_roll_up_with_returns_and_partial_receipts(db):
    w, a, _b, kit = await setup(db)
    order_id = await do_create_production_order(
        db, ProductionInput(kit, w.wh1, "10", labour="15.00", overhead="5.00"), KEEPER
    )
    async with db.read() as conn:
        la, lb = (await conn.execute(select(production_order_line).order_by(production_order_line.c.id))).all()
    assert (la.required_qty, lb.required_qty) == (20 * Q, 10 * Q)
    await do_issue_materials(db, order_id, [MaterialLine(la.id, "20", w.a1), MaterialLine(lb.id, "10", w.a1)], KEEPER)
    assert await do_receive_finished_goods(db, order_id, FinishedGoodsInput("3", w.a2), KEEPER) == 2700  # 90.00 × 3/10
    await do_issue_materials(db, order_id, [MaterialLine(la.id, "2", w.a1)], KEEPER, returning=True)  # 4.00 back
    with pytest.raises(InventoryError) as exc:  # cannot return more than was issued
        await do_issue_materials(db, order_id, [MaterialLine(la.id, "19", w.a1)], KEEPER, returning=True)
    assert exc.value.details[0].code == "INVALID_QUANTITY"
    assert await do_receive_finished_goods(db, order_id, FinishedGoodsInput("7", w.a2, complete=True), KEEPER) == 5900
    assert await value_of(db, kit) == (10 * Q, 8600)  # 36.00 + 30.00 of materials + 20.00 labour and overhead
    assert await value_of(db, a) == (32 * Q, 6400)
    async with db.read() as conn:
        order = (await conn.execute(select(production_order))).one()
    assert (order.status, order.received_qty, order.received_value_fen) == ("completed", 10 * Q, 8600)
    with pytest.raises(InventoryError) as exc:
        await do_issue_materials(db, order_id, [MaterialLine(la.id, "1", w.a1)], KEEPER)
    assert exc.value.details[0].code == "INVALID_STATUS"
    await assert_ledger_consistent(db)


async def test_partial_receipts_round_to_the_fen_and_add_up(db):
    w, _a, b, kit = await setup(db)
    await do_set_bill_of_materials(db, kit, [ComponentInput(b, "1")])
    order_id = await do_create_production_order(db, ProductionInput(kit, w.wh1, "3", labour="91.00"), KEEPER)
    async with db.read() as conn:
        (lb,) = (await conn.execute(select(production_order_line))).all()
    await do_issue_materials(db, order_id, [MaterialLine(lb.id, "3", w.a1)], KEEPER)  # 9.00: pool 100.00
    values = [
        await do_receive_finished_goods(db, order_id, FinishedGoodsInput("1", w.a2, complete=last), KEEPER)
        for last in (False, False, True)
    ]
    assert values == [3333, 3334, 3333] and sum(values) == 10000
    await assert_ledger_consistent(db)


async def test_bill_of_materials_is_validated(db):
    _w, a, _b, kit = await setup(db)
    with pytest.raises(InventoryError) as exc:
        await do_set_bill_of_materials(db, kit, [ComponentInput(kit, "1")])
    assert exc.value.details[0].code == "INVALID_VALUE"
    with pytest.raises(InventoryError) as exc:
        await do_set_bill_of_materials(db, kit, [ComponentInput(a, "0.5")])  # pieces have no decimals
    assert exc.value.details[0].code == "TOO_MANY_DECIMALS"


async def test_production_through_the_api(gql):
    from schema.relay import to_global_id

    w, _a, _b, kit = await setup(gql.db)
    order = await gql.execute(
        """mutation($p: ID!, $w: ID!) { createProductionOrder(productId: $p, warehouseId: $w,
        quantity: "2", labour: "1.00") { order { id number status lines { id requiredQuantity } } errors { code } } }""",
        {"p": to_global_id("Product", kit), "w": to_global_id("Warehouse", w.wh1)},
    )
    o = order["createProductionOrder"]["order"]
    assert o["number"].startswith("MO") and [ln["requiredQuantity"] for ln in o["lines"]] == ["4", "2"]
    loc = to_global_id("Location", w.a1)
    await gql.execute(
        """mutation($id: ID!, $l: [MaterialLineInput!]!) { issueMaterials(id: $id, lines: $l) {
        errors { code } } }""",
        {
            "id": o["id"],
            "l": [{"lineId": ln["id"], "quantity": ln["requiredQuantity"], "locationId": loc} for ln in o["lines"]],
        },
    )
    done = await gql.execute(
        """mutation($id: ID!, $loc: ID!) { receiveFinishedGoods(id: $id, quantity: "2",
        locationId: $loc, complete: true) { order { status receivedValue } errors { code } } }""",
        {"id": o["id"], "loc": to_global_id("Location", w.a2)},
    )
    # 4 × 2.00 + 2 × 3.00 + 1.00 labour
    assert done["receiveFinishedGoods"]["order"] == {"status": "completed", "receivedValue": "15.00"}
