"""Lot and serial traceability (批次追溯) both ways.

``lot_trace`` answers: where is it now, everything that happened to it (the ledger), which receipt
and supplier it came from, and which customers got it (shipments, and what came back). Lots about to
expire and their alerts: server/inventory/lots.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.core.sql import AnyRow
from server.inventory.models import location, lot, stock_level, stock_move, stock_operation
from server.purchasing.models import goods_receipt, goods_receipt_line
from server.sales.models import sales_order, shipment, shipment_line


@dataclass
class LotTrace:
    lot: AnyRow
    on_hand: Sequence[AnyRow]  # stock_level rows with qty > 0
    moves: Sequence[AnyRow]  # stock_move rows with their operation's reference
    receipts: Sequence[AnyRow]  # receipt lines: number, supplier, date, accepted quantity
    shipments: Sequence[AnyRow]  # shipment lines: number, order number, customer, date, quantity, returned


async def lot_trace(conn: AsyncConnection, lot_id: int, warehouses: frozenset[int] | None = None) -> LotTrace | None:
    row = (await conn.execute(select(lot).where(lot.c.id == lot_id))).first()
    if row is None:
        return None
    levels = select(stock_level).where(stock_level.c.lot_id == lot_id, stock_level.c.qty > 0)
    levels = levels.where(scope.within(warehouses, stock_level.c.warehouse_id))
    moves = (
        await conn.execute(
            select(stock_move, stock_operation.c.reference, stock_operation.c.op_type)
            .join(stock_operation, stock_operation.c.id == stock_move.c.operation_id)
            .where(stock_move.c.lot_id == lot_id)
            .order_by(stock_move.c.id)
        )
    ).all()
    if warehouses is not None:  # only moves with an end in the caller's warehouses
        ends = {r.id: r.warehouse_id for r in await conn.execute(select(location.c.id, location.c.warehouse_id))}
        moves = [
            m
            for m in moves
            if any(scope.allows(warehouses, ends.get(x)) for x in (m.from_location_id, m.to_location_id) if x)
        ]
    receipts = (
        await conn.execute(
            select(
                goods_receipt.c.number,
                goods_receipt.c.supplier_id,
                goods_receipt.c.receipt_date,
                goods_receipt_line.c.accepted_qty,
                goods_receipt_line.c.returned_qty,
            )
            .join(goods_receipt, goods_receipt.c.id == goods_receipt_line.c.receipt_id)
            .where(goods_receipt_line.c.lot_id == lot_id)
            .order_by(goods_receipt.c.id)
        )
    ).all()
    shipments = (
        await conn.execute(
            select(
                shipment.c.number,
                sales_order.c.number.label("order_number"),
                shipment.c.customer_id,
                shipment.c.ship_date,
                shipment_line.c.qty,
                shipment_line.c.returned_qty,
            )
            .join(shipment, shipment.c.id == shipment_line.c.shipment_id)
            .join(sales_order, sales_order.c.id == shipment.c.order_id)
            .where(shipment_line.c.lot_id == lot_id)
            .order_by(shipment.c.id)
        )
    ).all()
    return LotTrace(row, (await conn.execute(levels)).all(), moves, receipts, shipments)
