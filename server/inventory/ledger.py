"""The stock ledger: the only code that writes stock moves, stock levels and product cost.

``post_moves`` runs inside the caller's write transaction and, in this order:

1. changes ``stock_level`` rows one side of a move at a time, sorted by (product, location, lot) so
   that concurrent operations lock rows in the same order and cannot deadlock. A decrease is one
   conditional statement, ``UPDATE … SET qty = qty - n WHERE … AND qty >= n RETURNING qty``: it is
   atomic on both databases (no read-then-write), and no row back means ``INSUFFICIENT_STOCK``;
2. for every (product, warehouse) that lost stock, locks its ``stock_reservation`` row (sorted;
   created empty if missing, so a reservation being made right now is waited for), takes off what a
   shipment consumes, and refuses the operation when on hand would fall below what is reserved for
   sales orders — reserved stock cannot be issued, transferred or adjusted away by anything else;
3. locks each product's ``product_cost`` row (sorted by product) and applies the costing method;
4. inserts the operation and its immutable moves;
5. re-evaluates the reorder rules of the touched (product, warehouse) pairs (``reorder.py``);
6. appends one ``stock.changed`` event per changed level, and any ``stock.low`` event, to the journal
   (last, see journal.py), and names the touched (product, warehouse) pairs whose available-to-sell
   figure is published before commit (``availability.py``).

Lock order everywhere: stock levels → serial lots → reservations → product cost → reorder rules →
availability rows (before commit) → event counter.
Reserving stock for a sales order takes only reservation rows (and reads levels without locking).

Any error raises and the caller's transaction rolls back as a whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.idempotency import stored_key
from server.core.numbers import QTY_SCALE, scaled_to_decimal
from server.core.sql import dialect_insert, prepared
from server.core.text_limits import check_length, fit
from server.events.journal import append_events
from server.events.types import EventData, StockChanged
from server.inventory.availability import note_availability
from server.inventory.costing import COSTING_METHODS, CostState
from server.inventory.errors import InventoryError
from server.inventory.models import (
    frozen_location,
    lot,
    product_cost,
    stock_level,
    stock_move,
    stock_operation,
    stock_reservation,
)
from server.inventory.reorder import low_stock_events

CHUNK = 1000  # ids per statement when a document carries thousands of serials


@dataclass(frozen=True)
class MoveSpec:
    line_no: int  # 1-based line of the request, used in error messages
    move_type: str
    product_id: int
    qty: int  # scaled base units, > 0
    from_location_id: int | None = None
    to_location_id: int | None = None
    lot_id: int | None = None
    inbound_value_fen: int | None = None  # receipts and gains; None = at current average
    outbound_value_fen: int | None = None  # issues at a given value (purchase returns); None = at average
    fallback_value_fen: int = 0  # inbound at average when there is no stock (no average): this value
    reason: str = ""
    source_document: str = ""
    source_line_id: int | None = None
    precision: int = 0  # base unit precision, for messages
    serial: bool = False  # serial-tracked: the lot is one unit that can be in only one place


@dataclass(frozen=True)
class PostedOperation:
    """What was written: the operation row and its move rows (as dicts, ids included)."""

    operation: dict
    moves: list[dict]


@dataclass(frozen=True)
class _Side:
    product_id: int
    location_id: int
    lot_key: int
    delta: int
    spec_index: int


def _level_key():
    return and_(
        stock_level.c.product_id == bindparam("b_product_id"),
        stock_level.c.location_id == bindparam("b_location_id"),
        stock_level.c.lot_key == bindparam("b_lot_key"),
    )


def _build_decrease(_insert):
    return (
        update(stock_level)
        .where(_level_key(), stock_level.c.qty >= bindparam("b_n"))
        .values(qty=stock_level.c.qty - bindparam("b_n"), updated_at=bindparam("b_now"))
        .returning(stock_level.c.qty)
    )


def _build_increase(insert):
    ins = insert(stock_level).values(
        product_id=bindparam("b_product_id"),
        location_id=bindparam("b_location_id"),
        warehouse_id=bindparam("b_warehouse_id"),
        lot_id=bindparam("b_lot_id"),
        lot_key=bindparam("b_lot_key"),
        qty=bindparam("b_n"),
        updated_at=bindparam("b_now"),
    )
    return ins.on_conflict_do_update(
        index_elements=["product_id", "location_id", "lot_key"],
        set_={"qty": stock_level.c.qty + ins.excluded.qty, "updated_at": ins.excluded.updated_at},
    ).returning(stock_level.c.qty)


def _build_lock_cost(insert):
    ins = insert(product_cost).values(product_id=bindparam("b_product_id"), qty=0, value_fen=0)
    return ins.on_conflict_do_update(index_elements=["product_id"], set_={"qty": product_cost.c.qty}).returning(
        product_cost.c.qty, product_cost.c.value_fen, product_cost.c.method
    )


def _build_set_cost(_insert):
    return (
        update(product_cost)
        .where(product_cost.c.product_id == bindparam("b_product_id"))
        .values(qty=bindparam("b_qty"), value_fen=bindparam("b_value_fen"))
    )


def _level(side: _Side) -> tuple[int, int, int]:
    return side.product_id, side.location_id, side.lot_key


def _side_params(side: _Side) -> dict:
    return {"b_product_id": side.product_id, "b_location_id": side.location_id, "b_lot_key": side.lot_key}


async def _decrease(conn: AsyncConnection, side: _Side, spec: MoveSpec, now) -> int:
    n = -side.delta
    params = _side_params(side)
    row = (
        await conn.execute(prepared(conn, "level.decrease", _build_decrease), dict(params, b_n=n, b_now=now))
    ).first()
    if row is None:
        available = (
            await conn.execute(
                prepared(conn, "level.qty", lambda _i: select(stock_level.c.qty).where(_level_key())), params
            )
        ).scalar() or 0
        raise InventoryError(
            "INSUFFICIENT_STOCK",
            f"lines.{spec.line_no - 1}.quantity",
            line=spec.line_no,
            available=str(scaled_to_decimal(available, spec.precision)),
            requested=str(scaled_to_decimal(n, spec.precision)),
            available_scaled=available,
        )
    return row[0]


async def _increase(conn: AsyncConnection, side: _Side, warehouse_id: int, now) -> int:
    params = dict(
        _side_params(side), b_warehouse_id=warehouse_id, b_lot_id=side.lot_key or None, b_n=side.delta, b_now=now
    )
    return (await conn.execute(prepared(conn, "level.increase", _build_increase), params)).scalar_one()


INCREASE_CHUNK = 500  # rows per multi-row upsert (SQLite allows 32,766 parameters)


async def _increase_many(conn: AsyncConnection, sides: list[_Side], warehouse_of: dict[int, int], now) -> list[int]:
    """Increases of distinct levels (e.g. the 5,000 serial lots of one receipt) as multi-row upserts,
    in the given (lock) order; returns the new quantities in that order. A multi-row ``INSERT … ON
    CONFLICT DO UPDATE`` locks its rows in VALUES order, so the global lock order holds."""
    out: dict[tuple[int, int, int], int] = {}
    for i in range(0, len(sides), INCREASE_CHUNK):
        part = sides[i : i + INCREASE_CHUNK]
        ins = dialect_insert(conn, stock_level).values(
            [
                {
                    "product_id": sd.product_id,
                    "location_id": sd.location_id,
                    "warehouse_id": warehouse_of[sd.location_id],
                    "lot_id": sd.lot_key or None,
                    "lot_key": sd.lot_key,
                    "qty": sd.delta,
                    "updated_at": now,
                }
                for sd in part
            ]
        )
        stmt = ins.on_conflict_do_update(
            index_elements=["product_id", "location_id", "lot_key"],
            set_={"qty": stock_level.c.qty + ins.excluded.qty, "updated_at": ins.excluded.updated_at},
        ).returning(stock_level.c.product_id, stock_level.c.location_id, stock_level.c.lot_key, stock_level.c.qty)
        for r in await conn.execute(stmt):
            out[(r.product_id, r.location_id, r.lot_key)] = r.qty
    return [out[(sd.product_id, sd.location_id, sd.lot_key)] for sd in sides]


async def _lock_cost(conn: AsyncConnection, product_id: int) -> tuple[CostState, str]:
    """Create-or-lock the product's cost row in one statement and return its current state.

    ``ON CONFLICT DO UPDATE`` takes the row lock on PostgreSQL (held to commit); SQLite writers are
    serialised by ``BEGIN IMMEDIATE``. Either way nobody else changes the row until we commit.
    """
    row = (await conn.execute(prepared(conn, "cost.lock", _build_lock_cost), {"b_product_id": product_id})).one()
    return CostState(row.qty, row.value_fen), row.method


async def _lock_serial_lots(conn: AsyncConnection, specs: list[MoveSpec]) -> dict[int, tuple[str, int]]:
    """Lock the lot rows of serials coming into stock, sorted, before any stock level is touched.

    ``FOR NO KEY UPDATE`` does not conflict with the ``KEY SHARE`` lock that inserting a stock level
    takes on its lot through the foreign key, so this cannot deadlock with our own inserts; two
    requests bringing in the same serial queue here, and the second then sees the first's stock.
    """
    wanted: dict[int, int] = {}
    for s in specs:
        if s.serial and s.to_location_id and s.lot_id:
            wanted.setdefault(s.lot_id, s.line_no)
    locked = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), CHUNK):  # one statement per chunk; rows are locked in id order
        rows = await conn.execute(
            select(lot.c.id, lot.c.code)
            .where(lot.c.id.in_(ids[start : start + CHUNK]))
            .order_by(lot.c.id)
            .with_for_update(key_share=True)
        )
        for lot_id, code in rows:
            locked[lot_id] = (code, wanted[lot_id])
    return locked


async def _check_serials(conn: AsyncConnection, locked: dict[int, tuple[str, int]]) -> None:
    """A serial number may be on hand at most once in total (its lot row is already locked)."""
    ids = sorted(locked)
    for start in range(0, len(ids), CHUNK):
        over = (
            await conn.execute(
                select(stock_level.c.lot_key)
                .where(stock_level.c.lot_key.in_(ids[start : start + CHUNK]))
                .group_by(stock_level.c.lot_key)
                .having(func.sum(stock_level.c.qty) > QTY_SCALE)
                .order_by(stock_level.c.lot_key)
                .limit(1)
            )
        ).scalar()
        if over is not None:
            code, line_no = locked[over]
            raise InventoryError("SERIAL_IN_STOCK", f"lines.{line_no - 1}.lot", line=line_no, serial=code)


async def _check_frozen(conn: AsyncConnection, sides: list[_Side], specs: list[MoveSpec]) -> None:
    """Refuse moves touching a location frozen by a stock count. Checked again here, after the
    levels are locked: a count that froze the location meanwhile has committed by now (it locks the
    same level rows while it opens), so no move can slip in between its snapshot and its freeze."""
    frozen = (
        await conn.execute(
            prepared(
                conn,
                "frozen.check",
                lambda _i: select(frozen_location.c.location_id, frozen_location.c.count_id).where(
                    frozen_location.c.location_id.in_(bindparam("lids", expanding=True))
                ),
            ),
            {"lids": sorted({side.location_id for side in sides})},
        )
    ).first()
    if frozen is not None:
        side = next(sd for sd in sides if sd.location_id == frozen.location_id)
        spec = specs[side.spec_index]
        raise InventoryError(
            "LOCATION_FROZEN",
            f"lines.{spec.line_no - 1}.locationId",
            location=frozen.location_id,
            count=frozen.count_id,
        )


def _build_lock_reservation(insert):
    ins = insert(stock_reservation).values(
        product_id=bindparam("b_product_id"), warehouse_id=bindparam("b_wh"), reserved_qty=0
    )
    return ins.on_conflict_do_update(
        index_elements=["product_id", "warehouse_id"],
        set_={"reserved_qty": stock_reservation.c.reserved_qty - bindparam("b_consume")},
    ).returning(stock_reservation.c.reserved_qty)


async def _check_reservations(
    conn: AsyncConnection,
    sides: list[_Side],
    specs: list[MoveSpec],
    warehouse_of: dict[int, int],
    consume: dict[tuple[int, int], int],
) -> None:
    """On hand may not fall below what is reserved (see the module docstring, step 2)."""
    decreased: dict[tuple[int, int], tuple[int, MoveSpec]] = {}
    for side in sides:
        if side.delta < 0:
            key = (side.product_id, warehouse_of[side.location_id])
            total, first = decreased.get(key, (0, specs[side.spec_index]))
            decreased[key] = (total - side.delta, first)
    for key in sorted(set(decreased) | set(consume)):
        product_id, warehouse_id = key
        reserved = (
            await conn.execute(
                prepared(conn, "reservation.lock", _build_lock_reservation),
                {"b_product_id": product_id, "b_wh": warehouse_id, "b_consume": consume.get(key, 0)},
            )
        ).scalar_one()
        if reserved < 0:
            raise InventoryError("INVALID_VALUE", "lines", detail="reservation consumed twice")
        if reserved == 0 or key not in decreased:
            continue
        on_hand = (
            await conn.execute(
                select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                    stock_level.c.product_id == product_id, stock_level.c.warehouse_id == warehouse_id
                )
            )
        ).scalar_one()
        if on_hand < reserved:
            n, spec = decreased[key]
            available = max(0, on_hand + n - reserved)
            raise InventoryError(
                "INSUFFICIENT_STOCK",
                f"lines.{spec.line_no - 1}.quantity",
                line=spec.line_no,
                available=str(scaled_to_decimal(available, spec.precision)),
                requested=str(scaled_to_decimal(n, spec.precision)),
                available_scaled=available,
                reserved=True,
            )


async def _apply_costs(conn: AsyncConnection, specs: list[MoveSpec]) -> list[int]:
    values = [0] * len(specs)
    by_product: dict[int, list[int]] = defaultdict(list)
    for i, spec in enumerate(specs):
        by_product[spec.product_id].append(i)
    for product_id in sorted(by_product):
        state, method_name = await _lock_cost(conn, product_id)
        method = COSTING_METHODS[method_name]
        before = (state.qty, state.value_fen)
        for i in by_product[product_id]:
            spec = specs[i]
            if spec.from_location_id and spec.to_location_id:
                values[i] = method.value_at_average(state, spec.qty) or 0
            elif spec.to_location_id:
                values[i] = method.value_in(state, spec.qty, spec.inbound_value_fen, spec.fallback_value_fen)
            elif spec.outbound_value_fen is not None:
                values[i] = method.value_out_at(state, spec.qty, spec.outbound_value_fen)
            else:
                values[i] = method.value_out(state, spec.qty)
        if (state.qty, state.value_fen) != before:
            await conn.execute(
                prepared(conn, "cost.set", _build_set_cost),
                {"b_product_id": product_id, "b_qty": state.qty, "b_value_fen": state.value_fen},
            )
    return values


def _build_open_operation(insert):
    return (
        insert(stock_operation)
        .values(
            op_type=bindparam("b_op_type"),
            reference=bindparam("b_reference"),
            reason=bindparam("b_reason"),
            actor=bindparam("b_actor"),
            idempotency_key=bindparam("b_key"),
            request_hash=bindparam("b_hash"),
            created_at=bindparam("b_created_at"),
            source_type=bindparam("b_source_type"),
            business_date=bindparam("b_business_date"),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(stock_operation.c.id)
    )


async def open_operation(
    conn: AsyncConnection,
    *,
    op_type: str,
    actor: str = "",
    reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    source_type: str = "",
    business_date: date | None = None,
) -> dict | None:
    """Insert the operation row first; ``None`` when its idempotency key is already taken.

    ``business_date`` dates the operation (and so its voucher); none given: today.

    The unique key doubles as the idempotency claim: on PostgreSQL a concurrent request with the same
    key waits here until the first one commits (then gets ``None``) or rolls back (then proceeds).
    """
    idempotency_key = stored_key(idempotency_key)  # scoped to the caller (server/core/idempotency.py)
    # callers check user input first; this refuses (both databases alike) what slipped through, and cuts
    # the derived actor label ("user:<name>") to its column
    check_length(reference, stock_operation.c.reference, InventoryError, "reference")
    check_length(reason, stock_operation.c.reason, InventoryError, "reason")
    actor = fit(actor, stock_operation.c.actor)
    operation = {
        "op_type": op_type,
        "reference": reference,
        "reason": reason,
        "actor": actor,
        "idempotency_key": idempotency_key,
        "created_at": utcnow(),
        "source_type": source_type,
        "business_date": business_date or clock.today(),
    }
    row = (
        await conn.execute(
            prepared(conn, "operation.open", _build_open_operation),
            {
                "b_op_type": op_type,
                "b_reference": reference,
                "b_reason": reason,
                "b_actor": actor,
                "b_key": idempotency_key,
                "b_hash": request_hash,
                "b_created_at": operation["created_at"],
                "b_source_type": source_type,
                "b_business_date": operation["business_date"],
            },
        )
    ).first()
    if row is None:
        return None
    operation["id"] = row[0]
    return operation


async def post_moves(
    conn: AsyncConnection,
    *,
    operation: dict,
    specs: list[MoveSpec],
    warehouse_of: dict[int, int],
    consume_reservations: dict[tuple[int, int], int] | None = None,
) -> PostedOperation:
    """Post the moves of an opened operation. ``warehouse_of`` maps location → warehouse;
    ``consume_reservations`` ((product, warehouse) → quantity) is what a shipment takes off the
    sales reservations."""
    if not specs:
        raise InventoryError("EMPTY_OPERATION", "lines")
    now = operation["created_at"]
    sides: list[_Side] = []
    for i, spec in enumerate(specs):
        lot_key = spec.lot_id or 0
        if spec.from_location_id:
            sides.append(_Side(spec.product_id, spec.from_location_id, lot_key, -spec.qty, i))
        if spec.to_location_id:
            sides.append(_Side(spec.product_id, spec.to_location_id, lot_key, spec.qty, i))
    serial_lots = await _lock_serial_lots(conn, specs)
    new_qty: dict[int, int] = {}
    pending: list[int] = []  # consecutive increases of distinct levels, booked together

    async def book_pending() -> None:
        if len(pending) == 1:
            side = sides[pending[0]]
            new_qty[pending[0]] = await _increase(conn, side, warehouse_of[side.location_id], now)
        elif pending:
            for idx, qty in zip(pending, await _increase_many(conn, [sides[i] for i in pending], warehouse_of, now)):
                new_qty[idx] = qty
        pending.clear()

    for idx in sorted(
        range(len(sides)),
        key=lambda k: (sides[k].product_id, sides[k].location_id, sides[k].lot_key, sides[k].spec_index),
    ):
        side = sides[idx]
        if side.delta < 0:
            await book_pending()
            new_qty[idx] = await _decrease(conn, side, specs[side.spec_index], now)
        else:
            if pending and _level(sides[pending[-1]]) == _level(side):  # the same level twice: one at a time
                await book_pending()
            pending.append(idx)
    await book_pending()

    await _check_serials(conn, serial_lots)
    await _check_frozen(conn, sides, specs)
    await _check_reservations(conn, sides, specs, warehouse_of, consume_reservations or {})
    values = await _apply_costs(conn, specs)

    operation_id = operation["id"]
    reason, reference, actor = operation["reason"], operation["reference"], operation["actor"]
    move_rows = [
        {
            "operation_id": operation_id,
            "line_no": spec.line_no,
            "move_type": spec.move_type,
            "product_id": spec.product_id,
            "lot_id": spec.lot_id,
            "from_location_id": spec.from_location_id,
            "to_location_id": spec.to_location_id,
            "qty": spec.qty,
            "value_fen": values[i],
            "reason": spec.reason or reason,
            "source_document": spec.source_document or reference,
            "source_line_id": spec.source_line_id,
            "actor": actor,
            "created_at": now,
        }
        for i, spec in enumerate(specs)
    ]
    if len(move_rows) == 1:  # the common scan-sized case: a plain single-row INSERT
        stmt = prepared(conn, "move.insert", lambda _i: stock_move.insert().returning(stock_move.c.id))
        move_ids = [(await conn.execute(stmt, move_rows[0])).scalar_one()]
    else:
        result = await conn.execute(
            stock_move.insert().returning(stock_move.c.id, sort_by_parameter_order=True), move_rows
        )
        move_ids = [r[0] for r in result]
    for row, move_id in zip(move_rows, move_ids):
        row["id"] = move_id

    events: list[EventData] = []
    for idx, side in enumerate(sides):
        spec = specs[side.spec_index]
        events.append(
            StockChanged(
                product_id=side.product_id,
                location_id=side.location_id,
                warehouse_id=warehouse_of[side.location_id],
                lot_id=spec.lot_id,
                delta=side.delta,
                quantity=new_qty[idx],
                move_id=move_ids[side.spec_index],
                operation_id=operation_id,
                move_type=spec.move_type,
            )
        )
    touched = {(side.product_id, warehouse_of[side.location_id]) for side in sides}
    events += await low_stock_events(conn, touched)
    await append_events(conn, events)
    note_availability(conn, touched | set(consume_reservations or {}))  # published before commit
    note_change(
        conn,
        f"stock_operation:{operation_id}",
        after={
            "op_type": operation["op_type"],
            "reference": reference,
            "reason": reason,
            "moves": [
                {
                    "product_id": m["product_id"],
                    "from": m["from_location_id"],
                    "to": m["to_location_id"],
                    "qty": m["qty"],
                    "lot_id": m["lot_id"],
                }
                for m in move_rows
            ],
        },
    )
    return PostedOperation(operation, move_rows)
