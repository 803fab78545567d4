"""Lots about to expire, and their alerts (tracing a lot both ways — receipts and shipments —
is a report: ``lot_trace`` in server/reports/lots.py).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.auth import scope
from server.core import clock
from server.core.clock import utcnow
from server.core.database import Database
from server.events.journal import append_events
from server.events.types import LOT_EXPIRING as LOT_EXPIRING  # the name, re-exported
from server.events.types import LotExpiring
from server.inventory.models import lot, lot_expiry_alert, stock_level


def expiring_soon(
    within_days: int,
    *,
    on: date | None = None,
    warehouse_id: int | None = None,
    warehouses: frozenset[int] | None = None,
):
    """The query of stock of lots that expire within ``within_days`` (or already expired), earliest
    first (paginated by the caller)."""
    limit = (on or clock.today()) + timedelta(days=within_days)
    q = (
        select(
            lot.c.id.label("lot_id"),
            lot.c.code,
            lot.c.expiry_date,
            stock_level.c.product_id,
            stock_level.c.location_id,
            stock_level.c.warehouse_id,
            stock_level.c.qty,
        )
        .join(stock_level, stock_level.c.lot_id == lot.c.id)
        .where(lot.c.expiry_date.is_not(None), lot.c.expiry_date <= limit, stock_level.c.qty > 0)
        .order_by(lot.c.expiry_date, lot.c.code, stock_level.c.location_id)
    )
    if warehouse_id is not None:
        q = q.where(stock_level.c.warehouse_id == warehouse_id)
    return q.where(scope.within(warehouses, stock_level.c.warehouse_id))


async def do_alert_expiring_lots(db: Database, within_days: int = 30, *, on: date | None = None) -> int:
    """Write one ``lot.expiring`` event per lot in stock that expires within ``within_days`` and was
    not alerted before (run it daily: ``jxc expiring``); returns the number of new alerts."""
    async with db.write() as conn:
        rows = (
            await conn.execute(
                expiring_soon(within_days, on=on).where(lot.c.id.not_in(select(lot_expiry_alert.c.lot_id)))
            )
        ).all()
        events, seen = [], set()
        for r in rows:
            if r.lot_id in seen:
                continue
            seen.add(r.lot_id)
            events.append(
                LotExpiring(
                    lot_id=r.lot_id,
                    product_id=r.product_id,
                    code=r.code,
                    expiry_date=r.expiry_date,
                    warehouse_id=r.warehouse_id,
                )
            )
        if events:
            now = utcnow()
            await conn.execute(lot_expiry_alert.insert(), [{"lot_id": lot_id, "alerted_at": now} for lot_id in seen])
            await append_events(conn, events)
    return len(events)
