"""``jxc check``, the stock part: prove on a live database that the running totals equal the ledger, that
the available-to-sell figures last published are the current ones, and that the event journal has no gap (the reservations against sales orders: server/sales/check.py, which
also runs the whole check as ``verify_ledger``).

Every check is a GROUP BY over integers, exact on both databases. Returns one line per mismatch.
"""

from __future__ import annotations

from sqlalchemy import case, func, literal, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.events.models import event, event_counter
from server.inventory.availability import SELLABLE_KIND, available_to_sell_query
from server.inventory.models import (
    location,
    product_cost,
    stock_availability,
    stock_level,
    stock_move,
    stock_reservation,
)


def _signed_moves():
    m = stock_move
    lot_key = func.coalesce(m.c.lot_id, 0)
    inbound = select(
        m.c.product_id, m.c.to_location_id.label("location_id"), lot_key.label("lot_key"), m.c.qty.label("qty")
    ).where(m.c.to_location_id.is_not(None))
    outbound = select(
        m.c.product_id, m.c.from_location_id.label("location_id"), lot_key.label("lot_key"), (-m.c.qty).label("qty")
    ).where(m.c.from_location_id.is_not(None))
    return union_all(inbound, outbound).subquery("signed")


async def stock_problems(conn: AsyncConnection) -> list[str]:
    """Stock levels = the ledger, never negative; product cost = Σ levels and the ledger's value."""
    problems: list[str] = []
    signed = _signed_moves()
    ledger = select(
        signed.c.product_id, signed.c.location_id, signed.c.lot_key, func.sum(signed.c.qty).label("qty")
    ).group_by(signed.c.product_id, signed.c.location_id, signed.c.lot_key)
    by_ledger = {(r.product_id, r.location_id, r.lot_key): int(r.qty) for r in await conn.execute(ledger)}
    levels = {
        (r.product_id, r.location_id, r.lot_key): int(r.qty)
        for r in await conn.execute(
            select(stock_level.c.product_id, stock_level.c.location_id, stock_level.c.lot_key, stock_level.c.qty)
        )
    }
    for key in sorted(set(by_ledger) | set(levels)):
        moved, level = by_ledger.get(key, 0), levels.get(key, 0)
        if moved != level:
            problems.append(
                f"stock level product={key[0]} location={key[1]} lot={key[2]}: level {level} != ledger {moved}"
            )
        if level < 0:
            problems.append(f"negative stock level product={key[0]} location={key[1]} lot={key[2]}: {level}")

    # product_cost.qty = Σ levels; value = Σ inbound values − Σ outbound values (transfers excluded)
    m = stock_move
    value_delta = case(
        (m.c.from_location_id.is_(None), m.c.value_fen),
        (m.c.to_location_id.is_(None), -m.c.value_fen),
        else_=literal(0),
    )
    ledger_values = {
        r.product_id: int(r.value)
        for r in await conn.execute(
            select(m.c.product_id, func.sum(value_delta).label("value")).group_by(m.c.product_id)
        )
    }
    level_totals: dict[int, int] = {}
    for (product_id, _, _), qty in levels.items():
        level_totals[product_id] = level_totals.get(product_id, 0) + qty
    costs = {r.product_id: (int(r.qty), int(r.value_fen)) for r in await conn.execute(select(product_cost))}
    for product_id in sorted(set(costs) | set(level_totals) | set(ledger_values)):
        qty, value = costs.get(product_id, (0, 0))
        if qty != level_totals.get(product_id, 0):
            problems.append(f"product {product_id}: cost quantity {qty} != Σ levels {level_totals.get(product_id, 0)}")
        if value != ledger_values.get(product_id, 0):
            problems.append(
                f"product {product_id}: stock value {value} != ledger value {ledger_values.get(product_id, 0)}"
            )
        if value < 0:
            problems.append(f"product {product_id}: negative stock value {value}")
        if qty == 0 and value != 0:
            problems.append(f"product {product_id}: value {value} with zero quantity")
    return problems


async def availability_problems(conn: AsyncConnection) -> list[str]:
    """Available to sell: every pair with stock in bins or a reservation is tracked, and the ``net`` each
    tracked pair last stored (and published to the shops) is on hand in bins − reserved − safety stock
    now. A stale figure means a stock change went out without its ``stock.available_to_sell`` event.
    Each part is one statement, so a change committing meanwhile on a live database is never seen
    half."""
    problems: list[str] = []
    for r in await conn.execute(available_to_sell_query().add_columns(stock_availability.c.net_qty)):
        net = int(r.on_hand) - int(r.reserved) - int(r.safety_qty)
        if int(r.net_qty) != net:
            problems.append(
                f"available to sell product={r.product_id} warehouse={r.warehouse_id}: published {int(r.net_qty)} != "
                f"{net} (on hand {int(r.on_hand)} − reserved {int(r.reserved)} − safety {int(r.safety_qty)})"
            )
    in_bins = (
        select(stock_level.c.product_id, stock_level.c.warehouse_id)
        .join(location, location.c.id == stock_level.c.location_id)
        .where(location.c.kind == SELLABLE_KIND, stock_level.c.qty != 0)
    )
    held = select(stock_reservation.c.product_id, stock_reservation.c.warehouse_id).where(
        stock_reservation.c.reserved_qty != 0
    )
    pairs = union(in_bins, held).subquery("pairs")
    untracked = (
        select(pairs.c.product_id, pairs.c.warehouse_id)
        .outerjoin(
            stock_availability,
            (stock_availability.c.product_id == pairs.c.product_id)
            & (stock_availability.c.warehouse_id == pairs.c.warehouse_id),
        )
        .where(stock_availability.c.id.is_(None))
        .order_by(pairs.c.product_id, pairs.c.warehouse_id)
    )
    for r in await conn.execute(untracked):
        problems.append(f"available to sell product={r.product_id} warehouse={r.warehouse_id}: not tracked")
    return problems


async def journal_problems(conn: AsyncConnection) -> list[str]:
    """The journal: sequence numbers 1..last with no gap."""
    problems: list[str] = []
    last = (await conn.execute(select(event_counter.c.last_seq))).scalar() or 0
    count, max_seq = (
        await conn.execute(select(func.count(), func.coalesce(func.max(event.c.seq), 0)).select_from(event))
    ).one()
    if max_seq != last or (count and count != max_seq):
        problems.append(f"event journal: {count} events, max seq {max_seq}, counter {last}")
    return problems
