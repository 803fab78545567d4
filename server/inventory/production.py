"""Production (生产): simple bills of materials, material issue (生产领料) and returns, and finished
goods receipt (生产入库).

Costing: the order's cost pool is the value of the components actually issued (at moving average)
minus what was returned, plus labour and overhead entered on the order. A partial receipt takes its
share of the pool as it stands, pro rata to the planned quantity (cumulative rounding); the final
receipt (``complete``) takes exactly what is left, so the finished goods carry the whole pool to the
fen. Returned material goes back at the average value it was issued at for this order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbering import next_number
from server.core.numbers import QTY_SCALE, round_half_up_div, scaled_to_decimal
from server.core.sql import dialect_insert
from server.documents.actions import Collector, actor_label, load_products, quantity_in_unit, status_event
from server.inventory.errors import InventoryError
from server.inventory.models import bill_of_materials, production_order, production_order_line, warehouse
from server.inventory.services import MoveType, StockLine, post_document_moves

PRODUCTION_ISSUE = MoveType.PRODUCTION_ISSUE.value
PRODUCTION_RECEIPT = MoveType.PRODUCTION_RECEIPT.value


_require = scope.checker(InventoryError)


@dataclass
class ComponentInput:
    component_id: int
    quantity: str  # base units of the component per one base unit of the finished product


async def do_set_bill_of_materials(
    db: Database, product_id: int, components: list[ComponentInput], principal: Principal | None = None
) -> None:
    """Replace a product's bill of materials."""
    _require(principal, "catalog.edit")
    c = Collector(InventoryError)
    async with db.write() as conn:
        products = await load_products(conn, {product_id} | {x.component_id for x in components})
        if product_id not in products:
            raise InventoryError("NOT_FOUND", "productId", what="product")
        rows = []
        for i, x in enumerate(components):
            p = products.get(x.component_id)
            if p is None or x.component_id == product_id:
                c.add(
                    "NOT_FOUND" if p is None else "INVALID_VALUE",
                    f"components.{i}.componentId",
                    what="product",
                    detail="a product cannot be its own component",
                )
                continue
            q = quantity_in_unit(c, p, None, x.quantity, f"components.{i}.quantity")
            if q is not None:
                rows.append({"product_id": product_id, "component_id": x.component_id, "qty_per": q[1]})
        if len({r["component_id"] for r in rows}) != len(rows):
            c.add("INVALID_VALUE", "components", detail="a component is listed twice")
        c.raise_if_any()
        await conn.execute(bill_of_materials.delete().where(bill_of_materials.c.product_id == product_id))
        if rows:
            await conn.execute(dialect_insert(conn, bill_of_materials), rows)
        note_change(conn, f"bill_of_materials:{product_id}", after={"components": rows})


@dataclass
class ProductionInput:
    product_id: int
    warehouse_id: int
    quantity: str  # finished product, base unit
    labour: str = "0"  # yuan
    overhead: str = "0"  # yuan


async def do_create_production_order(db: Database, data: ProductionInput, principal: Principal | None) -> int:
    _require(principal, "stock.issue")
    c = Collector(InventoryError)
    async with db.write() as conn:
        p = (await load_products(conn, [data.product_id])).get(data.product_id)
        if p is None:
            raise InventoryError("NOT_FOUND", "productId", what="product")
        if (await conn.execute(select(warehouse.c.id).where(warehouse.c.id == data.warehouse_id))).first() is None:
            raise InventoryError("NOT_FOUND", "warehouseId", what="warehouse")
        q = quantity_in_unit(c, p, None, data.quantity, "quantity")
        labour = c.money(data.labour, "labour")
        overhead = c.money(data.overhead, "overhead")
        c.raise_if_any()
        assert q is not None  # a quantity that did not parse raised above
        bom = (
            await conn.execute(
                select(bill_of_materials)
                .where(bill_of_materials.c.product_id == p.id)
                .order_by(bill_of_materials.c.component_id)
            )
        ).all()
        if not bom:
            raise InventoryError("REQUIRED", "productId", detail="no bill of materials")
        number = await next_number(conn, "MO", clock.today())
        order_id = (
            await conn.execute(
                production_order.insert()
                .values(
                    number=number,
                    product_id=p.id,
                    warehouse_id=data.warehouse_id,
                    planned_qty=q[1],
                    status="open",
                    labour_fen=labour,
                    overhead_fen=overhead,
                    actor=actor_label(principal),
                    created_at=utcnow(),
                )
                .returning(production_order.c.id)
            )
        ).scalar_one()
        await conn.execute(
            production_order_line.insert(),
            [
                {
                    "order_id": order_id,
                    "component_id": b.component_id,
                    "required_qty": round_half_up_div(q[1] * b.qty_per, QTY_SCALE),
                }
                for b in bom
            ],
        )
        note_change(conn, f"production_order:{order_id}", after={"number": number, "planned_qty": q[1]})
        await status_event(
            conn, "production_order", order_id, number, "", "open", principal, warehouse_id=data.warehouse_id
        )
    return order_id


async def _lock_order(conn: AsyncConnection, order_id: int):
    row = (
        await conn.execute(select(production_order).where(production_order.c.id == order_id).with_for_update())
    ).first()
    if row is None:
        raise InventoryError("NOT_FOUND", "id", what="production_order")
    if row.status not in ("open", "in_progress"):
        raise InventoryError("INVALID_STATUS", "id", what="production_order", status=row.status, action="issue")
    return row


@dataclass
class MaterialLine:
    line_id: int
    quantity: str  # base unit
    location_id: int
    lot: str | None = None


async def do_issue_materials(
    db: Database, order_id: int, lines: list[MaterialLine], principal: Principal | None, *, returning: bool = False
) -> None:
    """Issue components to the order (生产领料) at moving average; ``returning``: give unused
    components back (退料) at the average value they were issued at."""
    _require(principal, "stock.issue")
    async with db.write() as conn:
        order = await _lock_order(conn, order_id)
        if not lines:
            raise InventoryError("EMPTY_OPERATION", "lines")
        order_lines = {
            r.id: r
            for r in await conn.execute(
                select(production_order_line).where(production_order_line.c.order_id == order_id)
            )
        }
        products = await load_products(conn, {r.component_id for r in order_lines.values()})
        c = Collector(InventoryError)
        checked = []
        for i, ln in enumerate(lines):
            r = order_lines.get(ln.line_id)
            if r is None:
                c.add("NOT_FOUND", f"lines.{i}.lineId", what="production_order")
                continue
            q = quantity_in_unit(c, products[r.component_id], None, ln.quantity, f"lines.{i}.quantity")
            if q is None:
                continue
            if returning and q[1] > r.issued_qty - r.returned_qty:
                c.add("INVALID_QUANTITY", f"lines.{i}.quantity")
                continue
            checked.append((r, q[1], ln))
        c.raise_if_any()
        stock_lines = []
        for r, qty, ln in checked:
            value = None
            if returning:  # back at the issue average: cumulative share of what was issued
                value = (
                    round_half_up_div(r.issued_value_fen * (r.returned_qty + qty), r.issued_qty) - r.returned_value_fen
                )
            stock_lines.append(
                StockLine(
                    product_id=r.component_id,
                    quantity=scaled_to_decimal(qty),
                    location_id=ln.location_id,
                    lot_code=ln.lot,
                    value_fen=value,
                    source_line_id=r.id,
                )
            )
        move_type = PRODUCTION_RECEIPT if returning else PRODUCTION_ISSUE
        try:
            posted = await post_document_moves(
                conn,
                "in" if returning else "out",
                stock_lines,
                move_type=move_type,
                actor=actor_label(principal),
                reference=order.number,
                source_type="production_order",
                reason="生产退料 material returned" if returning else "生产领料 material issue",
                warehouses=scope.warehouses(principal),
            )
        except DomainError as exc:
            raise InventoryError.from_inventory(exc) from None
        for (r, qty, _), move in zip(checked, posted.moves):
            values = (
                {
                    "returned_qty": production_order_line.c.returned_qty + qty,
                    "returned_value_fen": production_order_line.c.returned_value_fen + move["value_fen"],
                }
                if returning
                else {
                    "issued_qty": production_order_line.c.issued_qty + qty,
                    "issued_value_fen": production_order_line.c.issued_value_fen + move["value_fen"],
                }
            )
            await conn.execute(update(production_order_line).where(production_order_line.c.id == r.id).values(**values))
        if order.status == "open":
            await conn.execute(
                update(production_order).where(production_order.c.id == order_id).values(status="in_progress")
            )
            await status_event(
                conn,
                "production_order",
                order_id,
                order.number,
                "open",
                "in_progress",
                principal,
                warehouse_id=order.warehouse_id,
            )


async def cost_pool(conn: AsyncConnection, order) -> int:
    """Net materials issued + labour + overhead, in fen."""
    rows = (
        await conn.execute(
            select(production_order_line.c.issued_value_fen, production_order_line.c.returned_value_fen).where(
                production_order_line.c.order_id == order.id
            )
        )
    ).all()
    return sum(r.issued_value_fen - r.returned_value_fen for r in rows) + order.labour_fen + order.overhead_fen


@dataclass
class FinishedGoodsInput:
    quantity: str  # base unit
    location_id: int
    lot: str | None = None
    complete: bool = False  # the last receipt: takes the rest of the cost pool and closes the order
    expiry_date: date | None = None


async def do_receive_finished_goods(
    db: Database, order_id: int, data: FinishedGoodsInput, principal: Principal | None
) -> int:
    """Receive finished goods (生产入库); returns the value booked in fen."""
    _require(principal, "stock.receive")
    async with db.write() as conn:
        order = await _lock_order(conn, order_id)
        p = (await load_products(conn, [order.product_id]))[order.product_id]
        c = Collector(InventoryError)
        q = quantity_in_unit(c, p, None, data.quantity, "quantity")
        c.raise_if_any()
        assert q is not None  # a quantity that did not parse raised above
        qty = q[1]
        pool = await cost_pool(conn, order)
        if data.complete:
            value = pool - order.received_value_fen
        else:
            value = (
                round_half_up_div(pool * min(order.received_qty + qty, order.planned_qty), order.planned_qty)
                - order.received_value_fen
            )
        value = max(value, 0)
        try:
            await post_document_moves(
                conn,
                "in",
                [
                    StockLine(
                        product_id=order.product_id,
                        quantity=scaled_to_decimal(qty),
                        location_id=data.location_id,
                        lot_code=data.lot,
                        expiry_date=data.expiry_date,
                        value_fen=value,
                        source_line_id=order.id,
                    )
                ],
                move_type=PRODUCTION_RECEIPT,
                actor=actor_label(principal),
                reference=order.number,
                reason="生产入库 finished goods",
                source_type="production_order",
                warehouses=scope.warehouses(principal),
            )
        except DomainError as exc:
            raise InventoryError.from_inventory(exc) from None
        values = {"received_qty": order.received_qty + qty, "received_value_fen": order.received_value_fen + value}
        if data.complete:
            values["status"] = "completed"
        elif order.status == "open":
            values["status"] = "in_progress"
        await conn.execute(update(production_order).where(production_order.c.id == order_id).values(**values))
        note_change(
            conn,
            f"production_order:{order_id}",
            after={"received_qty": qty, "value_fen": value, "complete": data.complete},
        )
        if values.get("status") and values["status"] != order.status:
            await status_event(
                conn,
                "production_order",
                order_id,
                order.number,
                order.status,
                values["status"],
                principal,
                warehouse_id=order.warehouse_id,
            )
    return value
