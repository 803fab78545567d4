"""Monthly stock snapshots: quantity and value per product and location at the end of each completed
month, built incrementally (last snapshot + that month's moves) by the ``stock_snapshot`` job.

Moves are stamped with the time they are posted and never backdated, so a completed month's snapshot
never changes; the job only snapshots months that ended more than a day ago (no transaction still
open from before midnight). ``stock_as_of`` reads the latest snapshot before the date plus the moves
after it — a month of moves instead of the whole ledger.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.database import Database
from server.inventory.models import stock_move
from server.reports.models import stock_snapshot


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def signed_moves(before: datetime, after: datetime | None = None):
    """Each move as +qty/+value at its destination and −qty/−value at its source, in [after, before)."""

    def window(q):
        q = q.where(stock_move.c.created_at < before)
        return q if after is None else q.where(stock_move.c.created_at >= after)

    into = window(
        select(
            stock_move.c.product_id,
            stock_move.c.to_location_id.label("location_id"),
            stock_move.c.qty.label("qty"),
            stock_move.c.value_fen.label("value"),
        ).where(stock_move.c.to_location_id.is_not(None))
    )
    out = window(
        select(
            stock_move.c.product_id,
            stock_move.c.from_location_id.label("location_id"),
            (-stock_move.c.qty).label("qty"),
            (-stock_move.c.value_fen).label("value"),
        ).where(stock_move.c.from_location_id.is_not(None))
    )
    return into, out


async def latest_snapshot(conn: AsyncConnection, on: date) -> date | None:
    return (
        await conn.execute(select(func.max(stock_snapshot.c.month_end)).where(stock_snapshot.c.month_end <= on))
    ).scalar()


def positions_as_of(on: date, snapshot: date | None):
    """(product_id, location_id, qty, value) rows whose sums are the stock at the end of ``on``."""
    if snapshot is None:
        into, out = signed_moves(clock.end_of(on))
        return union_all(into, out).subquery("signed")
    base = select(
        stock_snapshot.c.product_id,
        stock_snapshot.c.location_id,
        stock_snapshot.c.qty,
        stock_snapshot.c.value_fen.label("value"),
    ).where(stock_snapshot.c.month_end == snapshot)
    into, out = signed_moves(clock.end_of(on), clock.end_of(snapshot))
    return union_all(base, into, out).subquery("signed")


async def refresh_stock_snapshots(db: Database, today: date | None = None) -> int:
    """Write the snapshots of every completed month not yet snapshotted; returns how many months."""
    today = today or clock.today()
    async with db.read() as conn:
        first_move = (await conn.execute(select(func.min(stock_move.c.created_at)))).scalar()
        last = (await conn.execute(select(func.max(stock_snapshot.c.month_end)))).scalar()
    if first_move is None:
        return 0
    month = month_end(clock.business_date(first_move)) if last is None else month_end(last + timedelta(days=1))
    written = 0
    while month < today - timedelta(days=1):
        async with db.write() as conn:
            prev = await latest_snapshot(conn, month - timedelta(days=1))
            pos = positions_as_of(month, prev)
            rows = [
                {"month_end": month, "product_id": p, "location_id": loc, "qty": int(q), "value_fen": int(v)}
                for p, loc, q, v in await conn.execute(
                    select(pos.c.product_id, pos.c.location_id, func.sum(pos.c.qty), func.sum(pos.c.value)).group_by(
                        pos.c.product_id, pos.c.location_id
                    )
                )
                if q or v
            ]
            for i in range(0, len(rows), 5000):  # a month without stock writes nothing and costs nothing
                await conn.execute(stock_snapshot.insert(), rows[i : i + 5000])
        written += 1
        month = month_end(month + timedelta(days=1))
    return written
