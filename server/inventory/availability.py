"""Available to sell (可售库存) per product and warehouse, for pushing stock to shops (issue #22).

    net = on hand in the warehouse's bins − reserved for sales orders − safety stock
    available to sell = max(net, 0)

* **On hand** counts bins only (``location.kind = bin``): goods in the transit location are on their way
  to the warehouse and cannot be picked yet. (jxc has no quarantine locations: rejected goods of a
  receipt never enter stock.) Reservations, like the ledger's check, count the warehouse as a whole, so
  with stock in transit ``net`` can be below zero — as it can when the safety stock is more than what
  is free. The figure to push is then 0; ``net`` is kept (and published) so a receiver sees how short it
  is and that a change happened.
* **Safety stock** is what an administrator keeps back from the shops (``do_set_safety_stock``): a stored
  quantity per product and warehouse in ``stock_availability``, in the product's base unit. It is not the
  reorder rule's minimum (when to buy) nor the forecast's computed suggestion (server/reports/forecast.py).
* **The event.** Everything that changes one of the three — the ledger (``post_moves``), reserving and
  releasing sales orders, setting the safety stock — names the (product, warehouse) pairs it touched
  (``note_availability``). Just before the transaction commits (a before-commit hook, ahead of the
  journal's), ``flush_availability`` locks those pairs' ``stock_availability`` rows in one sorted upsert
  (created if missing), reads their figures in one statement and, for each pair whose ``net`` differs
  from the one stored, stores it with ``changed_at`` and queues one ``stock.available_to_sell`` event.
  So a transaction writes at most one event per pair, only for a real change (a move between two bins
  of one warehouse writes none), and the row lock orders the events of a pair: whoever locks second reads
  the first one's committed stock (READ COMMITTED: a new snapshot per statement), so the last event of a
  pair always carries the current figure. Lock order: stock levels → serial lots → reservations →
  product cost → reorder rules → availability rows → event counter.
* **The query** (``available_to_sell_query``) computes the figures live from the same tables, one
  statement for a page; ``changed_at`` answers "what changed since my last sync".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product, unit
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import EVENTS_ORDER, Database, on_before_commit
from server.core.numbers import NumberError, qty_to_scaled
from server.core.sql import dialect_insert
from server.events.journal import append_events
from server.events.types import AvailableToSell
from server.inventory.errors import InventoryError
from server.inventory.models import location, stock_availability, stock_level, stock_reservation, warehouse

SELLABLE_KIND = "bin"  # location.kind whose stock can be sold (transit: on its way, not pickable)
PENDING_KEY = "jxc_pending_availability"
LOCK_CHUNK = 500  # pairs per multi-row upsert
AVAILABILITY_ORDER = EVENTS_ORDER - 100  # before the journal's hook: its events go with the others


@dataclass(frozen=True)
class Figure:
    """Available to sell of one product in one warehouse (scaled base units)."""

    product_id: int
    warehouse_id: int
    on_hand: int  # in bins
    reserved: int
    safety: int
    changed_at: datetime | None = None

    @property
    def net(self) -> int:
        return self.on_hand - self.reserved - self.safety

    @property
    def available(self) -> int:
        return max(self.net, 0)


# ---- the figures -------------------------------------------------------------------------------------


def _on_hand(hidden=None):
    """Sellable on hand of the outer ``stock_availability`` row (a correlated scalar subquery); without
    the locations of the subquery ``hidden`` (book quantities the caller may not see)."""
    q = (
        select(func.coalesce(func.sum(stock_level.c.qty), 0))
        .join(location, location.c.id == stock_level.c.location_id)
        .where(
            stock_level.c.product_id == stock_availability.c.product_id,
            stock_level.c.warehouse_id == stock_availability.c.warehouse_id,
            location.c.kind == SELLABLE_KIND,
        )
    )
    if hidden is not None:
        q = q.where(stock_level.c.location_id.not_in(hidden))
    return q.scalar_subquery()


def available_to_sell_query(
    *,
    warehouses: frozenset[int] | None = None,
    warehouse_id: int | None = None,
    product_ids: Iterable[int] | None = None,
    changed_since: datetime | None = None,
    hidden=None,
) -> Select:
    """The figures of the tracked pairs (every pair that ever had stock, a reservation or a safety stock;
    a pair not listed has nothing to sell), in ``id`` order (new pairs last: a keyset never shifts), one
    statement: ``id, product_id, warehouse_id, on_hand, reserved, safety_qty, changed_at, precision``.
    ``warehouses`` is the caller's scope (``scope.warehouses``), ``hidden`` locations whose stock it may not
    see (``counts.hidden_book_locations``)."""
    q = (
        select(
            stock_availability.c.id,
            stock_availability.c.product_id,
            stock_availability.c.warehouse_id,
            _on_hand(hidden).label("on_hand"),
            func.coalesce(stock_reservation.c.reserved_qty, 0).label("reserved"),
            stock_availability.c.safety_qty,
            stock_availability.c.changed_at,
            unit.c.precision,
        )
        .join(product, product.c.id == stock_availability.c.product_id)
        .join(unit, unit.c.id == product.c.base_unit_id)
        .outerjoin(
            stock_reservation,
            (stock_reservation.c.product_id == stock_availability.c.product_id)
            & (stock_reservation.c.warehouse_id == stock_availability.c.warehouse_id),
        )
        .where(scope.within(warehouses, stock_availability.c.warehouse_id))
        .order_by(stock_availability.c.id)
    )
    if warehouse_id is not None:
        q = q.where(stock_availability.c.warehouse_id == warehouse_id)
    if product_ids is not None:
        q = q.where(stock_availability.c.product_id.in_(sorted(set(product_ids))))
    if changed_since is not None:
        q = q.where(stock_availability.c.changed_at >= changed_since)
    return q


def figure_of(row) -> Figure:
    return Figure(
        row.product_id, row.warehouse_id, int(row.on_hand), int(row.reserved), int(row.safety_qty), row.changed_at
    )


async def available_to_sell(
    conn: AsyncConnection,
    product_ids: Iterable[int],
    *,
    warehouse_id: int | None = None,
    warehouses: frozenset[int] | None = None,
) -> list[Figure]:
    """The figures of these products in one warehouse or every warehouse (of the scope ``warehouses``)."""
    rows = await conn.execute(
        available_to_sell_query(warehouses=warehouses, warehouse_id=warehouse_id, product_ids=product_ids)
    )
    return [figure_of(r) for r in rows]


# ---- publishing changes ------------------------------------------------------------------------------


def note_availability(conn: AsyncConnection, pairs: Iterable[tuple[int, int]]) -> None:
    """Name (product, warehouse) pairs whose stock, reservation or safety stock this transaction changed;
    their figures are re-read and published just before it commits (``flush_availability``)."""
    conn.info.setdefault(PENDING_KEY, set()).update(pairs)


def discard_availability(conn: AsyncConnection) -> None:
    conn.info.pop(PENDING_KEY, None)


async def _lock(conn: AsyncConnection, pairs: list[tuple[int, int]], now: datetime) -> dict[tuple[int, int], int]:
    """Lock (create if missing) the rows of ``pairs``, sorted, in multi-row upserts (rows are locked in
    VALUES order); the net figure each stored. A new pair had nothing to sell: 0."""
    stored: dict[tuple[int, int], int] = {}
    for start in range(0, len(pairs), LOCK_CHUNK):
        ins = dialect_insert(conn, stock_availability).values(
            [
                {"product_id": p, "warehouse_id": w, "safety_qty": 0, "net_qty": 0, "changed_at": now}
                for p, w in pairs[start : start + LOCK_CHUNK]
            ]
        )
        stmt = ins.on_conflict_do_update(
            index_elements=["product_id", "warehouse_id"], set_={"net_qty": stock_availability.c.net_qty}
        ).returning(stock_availability.c.product_id, stock_availability.c.warehouse_id, stock_availability.c.net_qty)
        for r in await conn.execute(stmt):
            stored[(r.product_id, r.warehouse_id)] = r.net_qty
    return stored


async def flush_availability(conn: AsyncConnection) -> None:
    """Publish the figures of the pairs this transaction named (see the module docstring)."""
    pending = conn.info.pop(PENDING_KEY, None)
    if not pending:
        return
    pairs = sorted(pending)
    now = utcnow()
    stored = await _lock(conn, pairs, now)
    wanted = set(pairs)
    q = available_to_sell_query(product_ids={p for p, _ in pairs}).where(
        stock_availability.c.warehouse_id.in_(sorted({w for _, w in pairs}))
    )
    figures = sorted(
        (f for f in map(figure_of, await conn.execute(q)) if (f.product_id, f.warehouse_id) in wanted),
        key=lambda f: (f.product_id, f.warehouse_id),
    )
    changed = [f for f in figures if f.net != stored[(f.product_id, f.warehouse_id)]]
    if not changed:
        return
    await conn.execute(
        update(stock_availability)
        .where(
            stock_availability.c.product_id == bindparam("b_product_id"),
            stock_availability.c.warehouse_id == bindparam("b_warehouse_id"),
        )
        .values(net_qty=bindparam("b_net"), changed_at=bindparam("b_now")),
        [
            {"b_product_id": f.product_id, "b_warehouse_id": f.warehouse_id, "b_net": f.net, "b_now": now}
            for f in changed
        ],
    )
    await append_events(
        conn,
        [
            AvailableToSell(
                product_id=f.product_id,
                warehouse_id=f.warehouse_id,
                on_hand=f.on_hand,
                reserved=f.reserved,
                safety=f.safety,
                net=f.net,
                previous=stored[(f.product_id, f.warehouse_id)],
            )
            for f in changed
        ],
    )


# ``Database.write`` runs this just before the journal writes the transaction's events.
on_before_commit("availability", order=AVAILABILITY_ORDER, flush=flush_availability, discard=discard_availability)


# ---- safety stock -------------------------------------------------------------------------------------


async def do_set_safety_stock(
    db: Database, product_id: int, warehouse_id: int, quantity: str, principal: Principal | None = None
) -> int:
    """Keep ``quantity`` (base unit, ≥ 0; 0 keeps nothing back) of a product in a warehouse from the shops.
    Returns the scaled quantity stored; the changed figure is published with the change."""
    scope.require(principal, "stock.adjust", InventoryError)
    async with db.write() as conn:
        p = (
            await conn.execute(
                select(product.c.id, unit.c.precision)
                .join(unit, unit.c.id == product.c.base_unit_id)
                .where(product.c.id == product_id)
            )
        ).first()
        if p is None:
            raise InventoryError("NOT_FOUND", "productId", what="product")
        if (await conn.execute(select(warehouse.c.id).where(warehouse.c.id == warehouse_id))).first() is None:
            raise InventoryError("NOT_FOUND", "warehouseId", what="warehouse")
        scope.require_warehouse(principal, warehouse_id, InventoryError)
        try:
            qty = qty_to_scaled(quantity, p.precision)
        except NumberError as exc:
            if exc.code == "TOO_MANY_DECIMALS":
                raise InventoryError("TOO_MANY_DECIMALS", "quantity", precision=p.precision) from None
            raise InventoryError("INVALID_VALUE", "quantity", detail=str(quantity)[:64]) from None
        if qty < 0:
            raise InventoryError("INVALID_VALUE", "quantity", detail="≥ 0")
        ins = dialect_insert(conn, stock_availability).values(
            product_id=product_id, warehouse_id=warehouse_id, safety_qty=qty, net_qty=0, changed_at=utcnow()
        )
        before = (
            await conn.execute(
                select(stock_availability.c.safety_qty).where(
                    stock_availability.c.product_id == product_id, stock_availability.c.warehouse_id == warehouse_id
                )
            )
        ).scalar()
        await conn.execute(
            ins.on_conflict_do_update(
                index_elements=["product_id", "warehouse_id"], set_={"safety_qty": ins.excluded.safety_qty}
            )
        )
        if before != qty:
            note_change(
                conn,
                f"stock_availability:{product_id}:{warehouse_id}",
                before=None if before is None else {"safety_qty": before},
                after={"safety_qty": qty},
            )
        note_availability(conn, [(product_id, warehouse_id)])
    return qty
