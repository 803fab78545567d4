"""Picking and shipping (拣货 / 销售出库), and sales returns (销售退货).

The pick list suggests where to take each order line's outstanding quantity from: for lot-tracked
products the earliest expiry first (FEFO, lots without expiry last), otherwise the warehouse's bin
order (location ``sort_order``, then code). A wave is the pick list of several orders, sorted by bin.

A shipment issues the goods through the stock ledger in its own transaction, consuming the order's
reservation there, and records per line the value that left stock at moving average — the cost of
goods sold for margin reports and the ledger postings. Returns come back at that cost (domain
reference §2.3), rounded cumulatively per shipment line so that returning everything puts back
exactly what left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from server.core.numbering import next_number
from server.core.numbers import QTY_SCALE, round_half_up_div, scaled_to_decimal
from server.core.text_limits import collect_length
from server.documents.actions import AnyRow
from server.inventory.models import location, lot, stock_level
from server.inventory.services import ISSUE, RECEIPT, StockLine, post_document_moves
from server.sales.common import (
    Collector,
    actor_label,
    create_once,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    require_status,
    status_event,
)
from server.sales.errors import SalesError
from server.sales.models import sales_order, sales_order_line, sales_return, sales_return_line, shipment, shipment_line
from server.sales.orders import SHIPPABLE, refresh_order_status
from server.sales.settings import load_sales_settings


@dataclass
class PickSuggestion:
    order_id: int
    order_line_id: int
    product_id: int
    location_id: int
    location_code: str
    lot_code: str | None
    expiry_date: date | None
    quantity: int  # scaled base units


async def pick_list(conn: AsyncConnection, order_ids: list[int]) -> tuple[list[PickSuggestion], list[int]]:
    """Suggested picks for the orders' outstanding (reserved) quantities, in walking order, and the
    order lines that cannot be covered in full from the bins (should not happen while reserved)."""
    lines = (
        await conn.execute(
            select(sales_order_line)
            .join(sales_order, sales_order.c.id == sales_order_line.c.order_id)
            .where(
                sales_order_line.c.order_id.in_(order_ids),
                sales_order.c.status.in_(SHIPPABLE),
                sales_order_line.c.reserved_qty > 0,
            )
            .order_by(sales_order_line.c.order_id, sales_order_line.c.line_no)
        )
    ).all()
    keys = {(ln.product_id, ln.warehouse_id) for ln in lines}
    stock: dict[tuple[int, int], list] = {k: [] for k in keys}
    if keys:
        rows = (
            await conn.execute(
                select(
                    stock_level.c.product_id,
                    stock_level.c.warehouse_id,
                    stock_level.c.location_id,
                    stock_level.c.qty,
                    location.c.code,
                    location.c.sort_order,
                    lot.c.code.label("lot_code"),
                    lot.c.expiry_date,
                )
                .join(location, location.c.id == stock_level.c.location_id)
                .outerjoin(lot, lot.c.id == stock_level.c.lot_id)
                .where(
                    stock_level.c.product_id.in_({p for p, _ in keys}),
                    stock_level.c.qty > 0,
                    location.c.active,
                    location.c.kind == "bin",
                )
            )
        ).all()
        for r in rows:
            if (r.product_id, r.warehouse_id) in stock:
                stock[(r.product_id, r.warehouse_id)].append([r, r.qty])
        for bins in stock.values():  # FEFO for lots (no expiry last), then bin order
            bins.sort(
                key=lambda b: (
                    b[0].expiry_date is None,
                    b[0].expiry_date or date.max,
                    b[0].sort_order,
                    b[0].code,
                    b[0].lot_code or "",
                )
            )
    picks, short = [], []
    for ln in lines:
        need = ln.reserved_qty
        for entry in stock[(ln.product_id, ln.warehouse_id)]:
            if need == 0:
                break
            r, left = entry
            take = min(need, left)
            if take <= 0:
                continue
            entry[1] -= take
            need -= take
            picks.append(
                PickSuggestion(
                    ln.order_id, ln.id, ln.product_id, r.location_id, r.code, r.lot_code, r.expiry_date, take
                )
            )
        if need:
            short.append(ln.id)
    picks.sort(key=lambda p: (_walk_key(stock, p), p.order_id))
    return picks, short


def _walk_key(stock, p: PickSuggestion):
    for bins in stock.values():
        for r, _ in bins:
            if r.location_id == p.location_id:
                return (r.sort_order, r.code)
    return (0, "")


@dataclass
class ShipmentLineInput:
    order_line_id: int
    quantity: str  # in the order line's unit
    location_id: int
    lot: str | None = None  # lot or serial number for tracked products
    serials: list[str] = field(default_factory=list)  # serial-tracked: one per unit


@dataclass
class ShipmentInput:
    order_id: int
    lines: list[ShipmentLineInput]
    ship_date: date | None = None


async def do_ship_goods(
    db: Database, data: ShipmentInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Pick and ship (part of) an order; returns the shipment id. With the ``auto_invoice`` setting
    the shipment is invoiced in the same transaction."""
    require_permission(principal, "sales.ship")
    return await create_once(db, "sales.shipment", data, idempotency_key, lambda conn: _ship(conn, data, principal))


async def _ship(conn: AsyncConnection, data: ShipmentInput, principal: Principal | None) -> int:
    c = Collector()
    order = await lock_row(conn, sales_order, data.order_id, "sales_order", principal)
    require_status(order, SHIPPABLE, "sales_order", "ship")
    if not data.lines:
        raise SalesError("EMPTY_OPERATION", "lines")
    order_lines = {
        r.id: r for r in await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == order.id))
    }
    products = await load_products(conn, {r.product_id for r in order_lines.values()})
    locations = {
        r.id: r
        for r in await conn.execute(
            select(location.c.id, location.c.warehouse_id).where(
                location.c.id.in_({ln.location_id for ln in data.lines})
            )
        )
    }
    wanted: dict[int, int] = {}
    out: list[tuple[int, AnyRow, int, int, str | None]] = []  # (input index, order line, qty, location, lot code)
    for i, ln in enumerate(data.lines):
        ol = order_lines.get(ln.order_line_id)
        if ol is None:
            c.add("WRONG_ORDER", f"lines.{i}.orderLineId")
            continue
        loc = locations.get(ln.location_id)
        if loc is None:
            c.add("NOT_FOUND", f"lines.{i}.locationId", what="location")
            continue
        if loc.warehouse_id != ol.warehouse_id:
            c.add("WRONG_WAREHOUSE", f"lines.{i}.locationId")
            continue
        if not scope.in_scope(principal, loc.warehouse_id):
            c.add("PERMISSION_DENIED", f"lines.{i}.locationId", permission=f"warehouse {loc.warehouse_id}")
            continue
        p = products[ol.product_id]
        q = quantity_in_unit(c, p, ol.unit_id, ln.quantity, f"lines.{i}.quantity")
        if q is None:
            continue
        qty = q[1]
        wanted[ol.id] = wanted.get(ol.id, 0) + qty
        if wanted[ol.id] > ol.reserved_qty:
            c.add("OVER_SHIPMENT", f"lines.{i}.quantity", open=str(scaled_to_decimal(ol.reserved_qty, p.precision)))
            continue
        if p.tracking == "serial":
            serials = [s.strip() for s in ln.serials if s.strip()] or ([ln.lot.strip()] if ln.lot else [])
            if len(serials) * QTY_SCALE != qty or len(set(serials)) != len(serials):
                c.add("SERIAL_QUANTITY", f"lines.{i}.serials")
                continue
            out.extend((i, ol, QTY_SCALE, ln.location_id, s) for s in serials)
        else:
            out.append((i, ol, qty, ln.location_id, ln.lot.strip() if ln.lot else None))
    c.raise_if_any()

    ship_date = await business_day(conn, data.ship_date, SalesError, "shipDate")
    number = await next_number(conn, "SH", ship_date)
    actor = actor_label(principal)
    consume: dict[tuple[int, int], int] = {}
    for _, ol, qty, _, _ in out:
        consume[(ol.product_id, ol.warehouse_id)] = consume.get((ol.product_id, ol.warehouse_id), 0) + qty
    try:
        posted = await post_document_moves(
            conn,
            "out",
            [
                StockLine(
                    product_id=ol.product_id,
                    quantity=scaled_to_decimal(qty),
                    location_id=loc,
                    lot_code=lot_code,
                    source_line_id=ol.id,
                )
                for _, ol, qty, loc, lot_code in out
            ],
            move_type=ISSUE,
            business_date=ship_date,
            actor=actor,
            reference=number,
            source_type="shipment",
            reason=f"销售出库 {order.number}",
            consume_reservations=consume,
        )
    except DomainError as exc:
        index = [i for i, *_ in out]
        raise SalesError.from_inventory(exc, lambda fld: _map_field(fld, index)) from None
    cost = sum(m["value_fen"] for m in posted.moves)
    shipment_id = (
        await conn.execute(
            shipment.insert()
            .values(
                number=number,
                order_id=order.id,
                customer_id=order.customer_id,
                warehouse_id=order.warehouse_id,
                ship_date=ship_date,
                operation_id=posted.operation["id"],
                cost_fen=cost,
                actor=actor,
                created_at=utcnow(),
            )
            .returning(shipment.c.id)
        )
    ).scalar_one()
    await conn.execute(
        shipment_line.insert(),
        [
            dict(
                shipment_id=shipment_id,
                line_no=no,
                order_line_id=ol.id,
                product_id=ol.product_id,
                location_id=loc,
                lot_id=move["lot_id"],
                qty=qty,
                cost_fen=move["value_fen"],
            )
            for no, ((_, ol, qty, loc, _), move) in enumerate(zip(out, posted.moves), start=1)
        ],
    )
    for ol_id, qty in wanted.items():
        await conn.execute(
            update(sales_order_line)
            .where(sales_order_line.c.id == ol_id)
            .values(
                shipped_qty=sales_order_line.c.shipped_qty + qty, reserved_qty=sales_order_line.c.reserved_qty - qty
            )
        )
    note_change(
        conn,
        f"shipment:{shipment_id}",
        after={
            "number": number,
            "order_id": order.id,
            "cost_fen": cost,
            "lines": [(ol.id, qty, loc) for _, ol, qty, loc, _ in out],
        },
    )
    await status_event(
        conn,
        "shipment",
        shipment_id,
        number,
        "",
        "posted",
        principal,
        warehouse_id=order.warehouse_id,
        order_id=order.id,
    )
    await refresh_order_status(conn, order.id, principal)
    if (await load_sales_settings(conn)).auto_invoice:
        from server.sales.invoicing import invoice_shipments

        await invoice_shipments(conn, order.customer_id, [shipment_id], ship_date, principal)
    return shipment_id


def _map_field(fld: str, index: list[int]) -> str:
    parts = fld.split(".")
    if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(index):
        parts[1] = str(index[int(parts[1])])
    return ".".join(parts)


# ---- returns -------------------------------------------------------------------------------------------


@dataclass
class SalesReturnLineInput:
    shipment_line_id: int
    quantity: str  # base unit
    location_id: int | None = None  # default: where it was shipped from


@dataclass
class SalesReturnInput:
    shipment_id: int
    lines: list[SalesReturnLineInput]
    reason: str
    return_date: date | None = None


async def do_take_back_goods(
    db: Database, data: SalesReturnInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """A sales return (销售退货) against a shipment: goods come back at the cost they were issued at;
    the part already invoiced is credited with a credit note (红字发票) against its invoice."""
    require_permission(principal, "sales.return")
    return await create_once(db, "sales.return", data, idempotency_key, lambda conn: _return(conn, data, principal))


async def _return(conn: AsyncConnection, data: SalesReturnInput, principal: Principal | None) -> int:
    c = Collector()
    ship = (await conn.execute(select(shipment).where(shipment.c.id == data.shipment_id))).first()
    if ship is None:
        raise SalesError("NOT_FOUND", "shipmentId", what="shipment")
    await lock_row(conn, sales_order, ship.order_id, "sales_order")  # lock order: the order first, as shipping
    ship = await lock_row(conn, shipment, data.shipment_id, "shipment")
    reason = data.reason.strip()
    if not reason:
        c.add("REQUIRED", "reason")
    collect_length(c, reason, sales_return.c.reason, "reason")
    if not data.lines:
        raise SalesError("EMPTY_OPERATION", "lines")
    rows = {
        r.id: r
        for r in await conn.execute(
            select(shipment_line, lot.c.code.label("lot_code"))
            .outerjoin(lot, lot.c.id == shipment_line.c.lot_id)
            .where(shipment_line.c.shipment_id == ship.id)
            .with_for_update(of=shipment_line)
        )
    }
    products = await load_products(conn, {r.product_id for r in rows.values()})
    wanted: dict[int, int] = {}
    checked = []
    for i, ln in enumerate(data.lines):
        r = rows.get(ln.shipment_line_id)
        if r is None:
            c.add("NOT_FOUND", f"lines.{i}.shipmentLineId", what="shipment_line")
            continue
        q = quantity_in_unit(c, products[r.product_id], None, ln.quantity, f"lines.{i}.quantity")
        if q is None:
            continue
        wanted[r.id] = wanted.get(r.id, 0) + q[1]
        if wanted[r.id] > r.qty - r.returned_qty:
            c.add(
                "OVER_RETURN",
                f"lines.{i}.quantity",
                available=str(scaled_to_decimal(r.qty - r.returned_qty, products[r.product_id].precision)),
            )
            continue
        checked.append((i, r, q[1], ln.location_id or r.location_id))
    c.raise_if_any()

    return_date = await business_day(conn, data.return_date, SalesError, "returnDate")
    number = await next_number(conn, "SR", return_date)
    actor = actor_label(principal)
    done = {r.id: (r.returned_qty, r.returned_cost_fen) for r in rows.values()}
    entries = []
    for i, r, qty, loc in checked:
        before_qty, before_cost = done[r.id]
        cost = round_half_up_div(r.cost_fen * (before_qty + qty), r.qty) - before_cost
        done[r.id] = (before_qty + qty, before_cost + cost)
        entries.append((i, r, qty, loc, cost))
    try:
        posted = await post_document_moves(
            conn,
            "in",
            [
                StockLine(
                    product_id=r.product_id,
                    quantity=scaled_to_decimal(qty),
                    location_id=loc,
                    lot_code=r.lot_code,
                    value_fen=cost,
                    source_line_id=r.id,
                )
                for _, r, qty, loc, cost in entries
            ],
            move_type=RECEIPT,
            business_date=return_date,
            actor=actor,
            reference=number,
            source_type="sales_return",
            reason=reason,
            warehouses=scope.warehouses(principal),
        )
    except DomainError as exc:
        index = [i for i, *_ in entries]
        raise SalesError.from_inventory(exc, lambda fld: _map_field(fld, index)) from None

    from server.sales.invoicing import credit_returned_goods

    credits = []  # (shipment line, quantity to credit)
    # goods not invoiced yet are returned first; what this request already returned of a line counts
    uninvoiced = {r.id: r.qty - r.invoiced_qty - (r.returned_qty - r.credited_qty) for r in rows.values()}
    for _, r, qty, _loc, cost in entries:
        absorbed = min(qty, max(uninvoiced[r.id], 0))
        uninvoiced[r.id] -= absorbed
        to_credit = qty - absorbed
        await conn.execute(
            update(shipment_line)
            .where(shipment_line.c.id == r.id)
            .values(
                returned_qty=shipment_line.c.returned_qty + qty,
                returned_cost_fen=shipment_line.c.returned_cost_fen + cost,
                credited_qty=shipment_line.c.credited_qty + to_credit,
            )
        )
        await conn.execute(
            update(sales_order_line)
            .where(sales_order_line.c.id == r.order_line_id)
            .values(returned_qty=sales_order_line.c.returned_qty + qty)
        )
        if to_credit:
            credits.append((r, to_credit))
    credit_note_id = (
        await credit_returned_goods(conn, ship.customer_id, credits, return_date, number, principal)
        if credits
        else None
    )
    return_id = (
        await conn.execute(
            sales_return.insert()
            .values(
                number=number,
                shipment_id=ship.id,
                customer_id=ship.customer_id,
                return_date=return_date,
                reason=reason,
                operation_id=posted.operation["id"],
                cost_fen=sum(e[4] for e in entries),
                credit_note_id=credit_note_id,
                actor=actor,
                created_at=utcnow(),
            )
            .returning(sales_return.c.id)
        )
    ).scalar_one()
    from server.sales.invoicing import line_share

    order_lines = {
        r.id: r
        for r in await conn.execute(
            select(sales_order_line).where(sales_order_line.c.id.in_({r.order_line_id for _, r, *_ in entries}))
        )
    }
    for no, (_, r, qty, loc, cost) in enumerate(entries, start=1):
        ol = order_lines[r.order_line_id]
        amount, tax = line_share(ol, 0, qty)
        await conn.execute(
            sales_return_line.insert().values(
                return_id=return_id,
                line_no=no,
                shipment_line_id=r.id,
                product_id=r.product_id,
                location_id=loc,
                qty=qty,
                cost_fen=cost,
                amount_fen=amount,
                tax_fen=tax,
            )
        )
    note_change(
        conn,
        f"sales_return:{return_id}",
        after={"number": number, "shipment_id": ship.id, "reason": reason, "credit_note_id": credit_note_id},
    )
    await status_event(
        conn,
        "sales_return",
        return_id,
        number,
        "",
        "posted",
        principal,
        warehouse_id=ship.warehouse_id,
        credit_note_id=credit_note_id,
    )
    await refresh_order_status(conn, ship.order_id, principal)
    return return_id
