"""``jxc check``: prove on a live database that the running totals equal the ledger (and that sales
reservations equal what the orders hold and never exceed stock on hand).

Every check is a GROUP BY over integers, exact on both databases. Returns one line per mismatch.
"""

from __future__ import annotations

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.events.models import event, event_counter
from server.inventory.models import product_cost, stock_level, stock_move
from server.sales.models import sales_order_line, stock_reservation


def _signed_moves():
    m = stock_move
    lot_key = func.coalesce(m.c.lot_id, 0)
    inbound = select(m.c.product_id, m.c.to_location_id.label("location_id"), lot_key.label("lot_key"), m.c.qty.label("qty")).where(
        m.c.to_location_id.is_not(None)
    )
    outbound = select(m.c.product_id, m.c.from_location_id.label("location_id"), lot_key.label("lot_key"), (-m.c.qty).label("qty")).where(
        m.c.from_location_id.is_not(None)
    )
    return union_all(inbound, outbound).subquery("signed")


async def verify_ledger(conn: AsyncConnection) -> list[str]:
    problems: list[str] = []
    signed = _signed_moves()
    ledger = (
        select(signed.c.product_id, signed.c.location_id, signed.c.lot_key, func.sum(signed.c.qty).label("qty"))
        .group_by(signed.c.product_id, signed.c.location_id, signed.c.lot_key)
    )
    by_ledger = {(r.product_id, r.location_id, r.lot_key): int(r.qty) for r in await conn.execute(ledger)}
    levels = {
        (r.product_id, r.location_id, r.lot_key): int(r.qty)
        for r in await conn.execute(select(stock_level.c.product_id, stock_level.c.location_id, stock_level.c.lot_key, stock_level.c.qty))
    }
    for key in sorted(set(by_ledger) | set(levels)):
        moved, level = by_ledger.get(key, 0), levels.get(key, 0)
        if moved != level:
            problems.append(f"stock level product={key[0]} location={key[1]} lot={key[2]}: level {level} != ledger {moved}")
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
        for r in await conn.execute(select(m.c.product_id, func.sum(value_delta).label("value")).group_by(m.c.product_id))
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
            problems.append(f"product {product_id}: stock value {value} != ledger value {ledger_values.get(product_id, 0)}")
        if value < 0:
            problems.append(f"product {product_id}: negative stock value {value}")
        if qty == 0 and value != 0:
            problems.append(f"product {product_id}: value {value} with zero quantity")

    # reservations: each (product, warehouse) total = Σ what open order lines hold, and ≤ on hand
    reserved = {(r.product_id, r.warehouse_id): int(r.reserved_qty)
                for r in await conn.execute(select(stock_reservation)) if r.reserved_qty}
    held = {(r.product_id, r.warehouse_id): int(r.qty) for r in await conn.execute(
        select(sales_order_line.c.product_id, sales_order_line.c.warehouse_id,
               func.sum(sales_order_line.c.reserved_qty).label("qty"))
        .where(sales_order_line.c.reserved_qty > 0)
        .group_by(sales_order_line.c.product_id, sales_order_line.c.warehouse_id))}
    on_hand: dict[tuple[int, int], int] = {}
    for r in await conn.execute(select(stock_level.c.product_id, stock_level.c.warehouse_id, stock_level.c.qty)):
        on_hand[(r.product_id, r.warehouse_id)] = on_hand.get((r.product_id, r.warehouse_id), 0) + int(r.qty)
    for key in sorted(set(reserved) | set(held)):
        if reserved.get(key, 0) != held.get(key, 0):
            problems.append(f"reservation product={key[0]} warehouse={key[1]}: {reserved.get(key, 0)} != "
                            f"Σ order lines {held.get(key, 0)}")
        if reserved.get(key, 0) > on_hand.get(key, 0):
            problems.append(f"reservation product={key[0]} warehouse={key[1]}: {reserved.get(key, 0)} reserved > "
                            f"{on_hand.get(key, 0)} on hand")

    # the journal: sequence numbers 1..last with no gap
    last = (await conn.execute(select(event_counter.c.last_seq))).scalar() or 0
    count, max_seq = (await conn.execute(select(func.count(), func.coalesce(func.max(event.c.seq), 0)).select_from(event))).one()
    if max_seq != last or (count and count != max_seq):
        problems.append(f"event journal: {count} events, max seq {max_seq}, counter {last}")
    return problems
