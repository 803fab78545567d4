"""Transfers between warehouses in two steps (调拨: 调出 → 在途 → 调入).

Dispatch moves the goods from their bins into the destination warehouse's *transit* location (one
per warehouse, created on first use, never offered for picking); the value travels with them, as in
any transfer. Receipt moves what arrived from transit into bins of the destination. What did not
arrive on a line the receiver closes is recorded as the line's difference with a reason and written
off from transit as an adjustment loss at moving average — stock in transit always equals what is
still on its way. A transfer within one warehouse is one step: ``do_transfer_stock``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.idempotency import claim_key, store_result
from server.core.numbering import next_number
from server.core.numbers import scaled_to_decimal
from server.core.sql import dialect_insert
from server.core.text_limits import check_length
from server.documents.actions import Collector, actor_label, load_products, quantity_in_unit, status_event
from server.inventory.errors import InventoryError
from server.inventory.models import location, lot, transfer_order, transfer_order_line, warehouse
from server.inventory.services import ADJUSTMENT, TRANSFER, StockLine, post_document_moves

TRANSIT = "transit"


async def transit_location(conn: AsyncConnection, warehouse_id: int) -> int:
    """The warehouse's transit location (``<code>-TRANSIT``), created on first use."""
    existing = (
        await conn.execute(
            select(location.c.id).where(location.c.warehouse_id == warehouse_id, location.c.kind == TRANSIT)
        )
    ).scalar()
    if existing is not None:
        return existing
    code = (await conn.execute(select(warehouse.c.code).where(warehouse.c.id == warehouse_id))).scalar_one()
    await conn.execute(
        dialect_insert(conn, location)
        .values(
            warehouse_id=warehouse_id,
            code=f"{code}-TRANSIT",
            name="在途 in transit",
            sort_order=10**6,
            kind=TRANSIT,
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return (await conn.execute(select(location.c.id).where(location.c.code == f"{code}-TRANSIT"))).scalar_one()


@dataclass
class DispatchLineInput:
    product_id: int
    quantity: str
    from_location_id: int
    lot: str | None = None
    unit_id: int | None = None


@dataclass
class DispatchInput:
    to_warehouse_id: int
    lines: list[DispatchLineInput]
    dispatch_date: date | None = None
    note: str = ""


_require = scope.checker(InventoryError)


def _map(exc: DomainError, field_of=lambda f: f) -> InventoryError:
    return InventoryError.from_inventory(exc, field_of)


async def do_dispatch_transfer(
    db: Database, data: DispatchInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Send goods to another warehouse; returns the transfer id (``TR2026-000001``)."""
    _require(principal, "stock.transfer")
    async with db.write() as conn:
        if idempotency_key is not None:
            stored = await claim_key(conn, idempotency_key, "stock.transfer.dispatch", asdict(data), InventoryError)
            if stored is not None:
                return stored["id"]
        if not data.lines:
            raise InventoryError("EMPTY_OPERATION", "lines")
        check_length(data.note.strip(), transfer_order.c.note, InventoryError, "note")
        dest = (await conn.execute(select(warehouse).where(warehouse.c.id == data.to_warehouse_id))).first()
        if dest is None:
            raise InventoryError("NOT_FOUND", "toWarehouseId", what="warehouse")
        if not dest.active:
            raise InventoryError("INACTIVE", "toWarehouseId", what="warehouse")
        sources = {
            r.id: r
            for r in await conn.execute(
                select(location.c.id, location.c.warehouse_id, location.c.kind).where(
                    location.c.id.in_({ln.from_location_id for ln in data.lines})
                )
            )
        }
        from_warehouses = {r.warehouse_id for r in sources.values()}
        for i, ln in enumerate(data.lines):
            src = sources.get(ln.from_location_id)
            if src is None:
                raise InventoryError("NOT_FOUND", f"lines.{i}.fromLocationId", what="location")
            if src.warehouse_id == data.to_warehouse_id or src.kind == TRANSIT:
                raise InventoryError("WRONG_WAREHOUSE", f"lines.{i}.fromLocationId")
        if len(from_warehouses) != 1:
            raise InventoryError("WRONG_WAREHOUSE", "lines", detail="one source warehouse per transfer")
        transit = await transit_location(conn, data.to_warehouse_id)
        on = await business_day(conn, data.dispatch_date, InventoryError, "dispatchDate")
        number = await next_number(conn, "TR", on)
        actor = actor_label(principal)
        lines = [
            StockLine(
                product_id=ln.product_id,
                quantity=ln.quantity,
                location_id=ln.from_location_id,
                to_location_id=transit,
                unit_id=ln.unit_id,
                lot_code=ln.lot.strip() if ln.lot else None,
            )
            for ln in data.lines
        ]
        allowed = scope.warehouses(principal)
        if allowed is not None and from_warehouses - allowed:
            raise InventoryError("PERMISSION_DENIED", "lines", permission=f"warehouse {min(from_warehouses)}")
        try:  # the restricted caller needs the source only: the destination's transit is not theirs to pick from
            posted = await post_document_moves(
                conn,
                "move",
                lines,
                move_type=TRANSFER,
                actor=actor,
                reference=number,
                source_type="transfer_order",
                reason=f"调拨在途 → {dest.code}",
                business_date=on,
            )
        except DomainError as exc:
            raise _map(exc) from None
        transfer_id = (
            await conn.execute(
                transfer_order.insert()
                .values(
                    number=number,
                    from_warehouse_id=from_warehouses.pop(),
                    to_warehouse_id=data.to_warehouse_id,
                    status="in_transit",
                    dispatch_date=on,
                    note=data.note.strip(),
                    actor=actor,
                    created_at=utcnow(),
                )
                .returning(transfer_order.c.id)
            )
        ).scalar_one()
        await conn.execute(
            transfer_order_line.insert(),
            [
                dict(
                    transfer_id=transfer_id,
                    line_no=no,
                    product_id=m["product_id"],
                    lot_id=m["lot_id"],
                    from_location_id=m["from_location_id"],
                    qty=m["qty"],
                )
                for no, m in enumerate(posted.moves, start=1)
            ],
        )
        note_change(
            conn,
            f"transfer_order:{transfer_id}",
            after={"number": number, "to": data.to_warehouse_id, "operation_id": posted.operation["id"]},
        )
        if idempotency_key is not None:
            await store_result(conn, idempotency_key, {"id": transfer_id})
        await status_event(
            conn, "transfer_order", transfer_id, number, "", "in_transit", principal, warehouse_id=data.to_warehouse_id
        )
    return transfer_id


@dataclass
class ArrivalLineInput:
    transfer_line_id: int
    received_quantity: str  # base unit; what arrived now
    to_location_id: int
    close: bool = True  # nothing more will arrive for this line: the rest is a difference
    difference_reason: str = ""


async def do_receive_transfer(
    db: Database, transfer_id: int, lines: list[ArrivalLineInput], principal: Principal | None
) -> str:
    """Receive a transfer at its destination; returns the transfer's new status."""
    _require(principal, "stock.transfer")
    async with db.write() as conn:
        tr = (
            await conn.execute(select(transfer_order).where(transfer_order.c.id == transfer_id).with_for_update())
        ).first()
        if tr is None:
            raise InventoryError("NOT_FOUND", "id", what="transfer")
        if tr.status not in ("in_transit", "partially_received"):
            raise InventoryError("INVALID_STATUS", "id", what="transfer", status=tr.status, action="receive")
        allowed = scope.warehouses(principal)
        if not scope.allows(allowed, tr.to_warehouse_id):
            raise InventoryError("PERMISSION_DENIED", "id", permission=f"warehouse {tr.to_warehouse_id}")
        if not lines:
            raise InventoryError("EMPTY_OPERATION", "lines")
        rows = {
            r.id: r
            for r in await conn.execute(
                select(transfer_order_line, lot.c.code.label("lot_code"))
                .outerjoin(lot, lot.c.id == transfer_order_line.c.lot_id)
                .where(transfer_order_line.c.transfer_id == transfer_id)
            )
        }
        dests = {
            r.id: r
            for r in await conn.execute(
                select(location.c.id, location.c.warehouse_id, location.c.kind).where(
                    location.c.id.in_({ln.to_location_id for ln in lines})
                )
            )
        }
        transit = await transit_location(conn, tr.to_warehouse_id)
        products = await load_products(conn, {r.product_id for r in rows.values()})
        moves, losses, updates = [], [], []
        seen = set()
        for i, ln in enumerate(lines):
            r = rows.get(ln.transfer_line_id)
            if r is None or ln.transfer_line_id in seen:
                raise InventoryError("NOT_FOUND", f"lines.{i}.transferLineId", what="transfer_line")
            seen.add(r.id)
            if r.done:
                raise InventoryError(
                    "INVALID_STATUS",
                    f"lines.{i}.transferLineId",
                    what="transfer_line",
                    status="received",
                    action="receive",
                )
            dest = dests.get(ln.to_location_id)
            if dest is None:
                raise InventoryError("NOT_FOUND", f"lines.{i}.toLocationId", what="location")
            if dest.warehouse_id != tr.to_warehouse_id or dest.kind == TRANSIT:
                raise InventoryError("WRONG_WAREHOUSE", f"lines.{i}.toLocationId")
            open_qty = r.qty - r.received_qty - r.difference_qty
            c = Collector(InventoryError)
            q = quantity_in_unit(
                c, products[r.product_id], None, ln.received_quantity, f"lines.{i}.receivedQuantity", allow_zero=True
            )
            c.raise_if_any()
            assert q is not None  # a quantity that did not parse raised above
            qty = q[1]
            if qty > open_qty:
                raise InventoryError(
                    "TRANSFER_EXCEEDED", f"lines.{i}.receivedQuantity", open=str(scaled_to_decimal(open_qty, 0))
                )
            difference = open_qty - qty if ln.close else 0
            if difference and not ln.difference_reason.strip():
                raise InventoryError("REQUIRED", f"lines.{i}.differenceReason")
            check_length(
                ln.difference_reason.strip(),
                transfer_order_line.c.difference_reason,
                InventoryError,
                f"lines.{i}.differenceReason",
            )
            if qty:
                moves.append(
                    (
                        i,
                        StockLine(
                            product_id=r.product_id,
                            quantity=scaled_to_decimal(qty),
                            location_id=transit,
                            to_location_id=ln.to_location_id,
                            lot_code=r.lot_code,
                            source_line_id=r.id,
                        ),
                    )
                )
            if difference:
                losses.append(
                    (
                        i,
                        StockLine(
                            product_id=r.product_id,
                            quantity=scaled_to_decimal(difference),
                            location_id=transit,
                            lot_code=r.lot_code,
                            source_line_id=r.id,
                        ),
                    )
                )
            updates.append((r.id, qty, difference, ln.difference_reason.strip(), ln.close))
        actor = actor_label(principal)
        try:
            if moves:
                await post_document_moves(
                    conn,
                    "move",
                    [m for _, m in moves],
                    move_type=TRANSFER,
                    actor=actor,
                    reference=tr.number,
                    reason="调拨到货 transfer received",
                    source_type="transfer_order",
                )
            if losses:
                await post_document_moves(
                    conn,
                    "out",
                    [m for _, m in losses],
                    move_type=ADJUSTMENT,
                    actor=actor,
                    reference=tr.number,
                    reason="调拨差异 transfer difference",
                    source_type="transfer_order",
                )
        except DomainError as exc:
            raise _map(exc) from None
        for line_id, qty, difference, reason, close in updates:
            values: dict[str, object] = {
                "received_qty": transfer_order_line.c.received_qty + qty,
                "difference_qty": transfer_order_line.c.difference_qty + difference,
            }
            if close:
                values["done"] = True
            if reason:
                values["difference_reason"] = reason
            await conn.execute(update(transfer_order_line).where(transfer_order_line.c.id == line_id).values(**values))
        open_lines = (
            await conn.execute(
                select(transfer_order_line.c.id).where(
                    transfer_order_line.c.transfer_id == transfer_id, transfer_order_line.c.done.is_(False)
                )
            )
        ).first()
        new_status = "partially_received" if open_lines else "received"
        await conn.execute(update(transfer_order).where(transfer_order.c.id == transfer_id).values(status=new_status))
        note_change(
            conn,
            f"transfer_order:{transfer_id}",
            before={"status": tr.status},
            after={"status": new_status, "lines": [u[:3] for u in updates]},
        )
        if new_status != tr.status:
            await status_event(
                conn,
                "transfer_order",
                transfer_id,
                tr.number,
                tr.status,
                new_status,
                principal,
                warehouse_id=tr.to_warehouse_id,
            )
    return new_status
