"""Transfers between warehouses: dispatch into the destination's transit location, partial and
final receipt, differences written off with a reason, values carried at moving average; reserved
stock cannot be dispatched."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.inventory.errors import InventoryError
from server.inventory.models import location, product_cost, stock_level, stock_move, transfer_order, transfer_order_line
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.transfers import (
    ArrivalLineInput,
    DispatchInput,
    DispatchLineInput,
    do_dispatch_transfer,
    do_receive_transfer,
)
from server.sales import orders as so
from tests.factories import make_product, make_world
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import principal
from tests.sales_helpers import SALES, make_sales_world

Q = 10**6
KEEPER = principal("warehouse_keeper", 40, "keeper")


async def qty_at(db, product_id, location_id) -> int:
    async with db.read() as conn:
        return int(
            (
                await conn.execute(
                    select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                        stock_level.c.product_id == product_id, stock_level.c.location_id == location_id
                    )
                )
            ).scalar_one()
        )


async def transit_of(db, warehouse_id) -> int:
    async with db.read() as conn:
        return (
            await conn.execute(
                select(location.c.id).where(location.c.warehouse_id == warehouse_id, location.c.kind == "transit")
            )
        ).scalar_one()


async def test_dispatch_receive_with_a_difference(db):
    w = await make_world(db)
    p = await make_product(db, w)
    await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="10", unit_cost="3.00")])
    tid = await do_dispatch_transfer(
        db, DispatchInput(w.wh2, [DispatchLineInput(p, "6", w.a1)]), KEEPER, idempotency_key="tr-1"
    )
    assert (
        await do_dispatch_transfer(
            db, DispatchInput(w.wh2, [DispatchLineInput(p, "6", w.a1)]), KEEPER, idempotency_key="tr-1"
        )
        == tid
    )  # a retry dispatches nothing more
    transit = await transit_of(db, w.wh2)
    assert (await qty_at(db, p, w.a1), await qty_at(db, p, transit)) == (4 * Q, 6 * Q)
    async with db.read() as conn:
        (line,) = (await conn.execute(select(transfer_order_line))).all()
    # 4 arrive now, the line stays open
    assert (
        await do_receive_transfer(db, tid, [ArrivalLineInput(line.id, "4", w.b1, close=False)], KEEPER)
        == "partially_received"
    )
    with pytest.raises(InventoryError) as exc:  # more than is in transit
        await do_receive_transfer(db, tid, [ArrivalLineInput(line.id, "3", w.b1)], KEEPER)
    assert exc.value.details[0].code == "TRANSFER_EXCEEDED"
    with pytest.raises(InventoryError) as exc:  # a difference needs a reason
        await do_receive_transfer(db, tid, [ArrivalLineInput(line.id, "1", w.b1)], KEEPER)
    assert exc.value.details[0].code == "REQUIRED"
    assert (
        await do_receive_transfer(db, tid, [ArrivalLineInput(line.id, "1", w.b1, difference_reason="运输破损")], KEEPER)
        == "received"
    )
    assert (await qty_at(db, p, w.b1), await qty_at(db, p, transit)) == (5 * Q, 0)
    async with db.read() as conn:
        line = (await conn.execute(select(transfer_order_line))).one()
        tr = (await conn.execute(select(transfer_order))).one()
        cost = (await conn.execute(select(product_cost))).one()
        loss = (await conn.execute(select(stock_move).where(stock_move.c.move_type == "adjustment"))).one()
    assert (line.received_qty, line.difference_qty, line.difference_reason) == (5 * Q, Q, "运输破损")
    assert tr.number.startswith("TR") and tr.status == "received"
    assert (cost.qty, cost.value_fen, loss.value_fen) == (9 * Q, 2700, 300)  # the lost unit leaves at 3.00
    await assert_ledger_consistent(db)


async def test_reserved_stock_cannot_be_dispatched_and_wrong_places_are_refused(db):
    sw = await make_sales_world(db)
    order_id = await so.do_create_sales_order(
        db,
        so.SalesOrderInput(customer_id=sw.customer, warehouse_id=sw.w.wh1, lines=[so.SalesLineInput(sw.widget, "95")]),
        SALES,
    )
    assert await so.do_submit_sales_order(db, order_id, SALES) == "approved"
    with pytest.raises(InventoryError) as exc:
        await do_dispatch_transfer(db, DispatchInput(sw.w.wh2, [DispatchLineInput(sw.widget, "6", sw.w.a1)]), KEEPER)
    assert exc.value.details[0].code == "INSUFFICIENT_STOCK"
    with pytest.raises(InventoryError) as exc:  # from a bin of the destination itself
        await do_dispatch_transfer(db, DispatchInput(sw.w.wh1, [DispatchLineInput(sw.widget, "1", sw.w.a1)]), KEEPER)
    assert exc.value.details[0].code == "WRONG_WAREHOUSE"
    restricted = principal("warehouse_keeper", 41, "bj", warehouses=frozenset({sw.w.wh2}))
    with pytest.raises(InventoryError) as exc:
        await do_dispatch_transfer(
            db, DispatchInput(sw.w.wh2, [DispatchLineInput(sw.widget, "1", sw.w.a1)]), restricted
        )
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(transfer_order))).scalar_one() == 0


async def test_transfer_through_the_api(gql):
    from schema.relay import to_global_id

    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="5")])
    body = await gql.execute(
        """mutation($w: ID!, $l: [DispatchLineInput!]!) {
        dispatchTransfer(toWarehouseId: $w, lines: $l, idempotencyKey: "t-api") {
          transfer { id number status toWarehouse { code } lines { id quantity } } errors { code } } }""",
        {
            "w": to_global_id("Warehouse", w.wh2),
            "l": [
                {
                    "productId": to_global_id("Product", p),
                    "quantity": "5",
                    "fromLocationId": to_global_id("Location", w.a1),
                }
            ],
        },
    )
    tr = body["dispatchTransfer"]["transfer"]
    assert (tr["status"], tr["toWarehouse"]["code"], tr["lines"][0]["quantity"]) == ("in_transit", "WH2", "5")
    done = await gql.execute(
        """mutation($id: ID!, $l: [ArrivalLineInput!]!) { receiveTransfer(id: $id, lines: $l) {
        transfer { status lines { receivedQuantity differenceQuantity } } errors { code } } }""",
        {
            "id": tr["id"],
            "l": [
                {
                    "transferLineId": tr["lines"][0]["id"],
                    "receivedQuantity": "5",
                    "toLocationId": to_global_id("Location", w.b1),
                }
            ],
        },
    )
    assert done["receiveTransfer"]["transfer"] == {
        "status": "received",
        "lines": [{"receivedQuantity": "5", "differenceQuantity": "0"}],
    }
    one = "query($id: ID!) { transfer(id: $id) { number status } }"
    assert (await gql.execute(one, {"id": tr["id"]}))["transfer"] == {"number": tr["number"], "status": "received"}
    assert (await gql.execute(one, {"id": to_global_id("Transfer", 999_999)}))["transfer"] is None
    assert (await gql.execute(one, {"id": to_global_id("Product", p)}))["transfer"] is None
