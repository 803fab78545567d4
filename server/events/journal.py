"""Writing to the event journal (outbox) inside the business transaction.

Sequence numbers come from the single ``event_counter`` row, updated as the *last* statement before
commit. The row lock serialises that tail of concurrent transactions, so events become visible in
exactly their sequence order: a reader that has seen ``seq = n`` can never later find an event with a
smaller number. That is what makes ``since``-replay and the journal tailers gap-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.database import mark_events_written
from server.db_types import utcnow
from server.events.models import event, event_counter
from server.sql import prepared

NOTIFY_CHANNEL = "jxc_events"

STOCK_CHANGED = "stock.changed"
DOCUMENT_STATUS_CHANGED = "document.status_changed"


@dataclass(frozen=True)
class NewEvent:
    event_type: str
    payload: dict
    product_id: int | None = None


def _build_counter(_insert):
    return (
        update(event_counter)
        .where(event_counter.c.id == 1)
        .values(last_seq=event_counter.c.last_seq + bindparam("b_n"))
        .returning(event_counter.c.last_seq)
    )


async def append_events(conn: AsyncConnection, events: list[NewEvent]) -> list[int]:
    """Append events in order; returns their sequence numbers. Call last in the transaction."""
    if not events:
        return []
    n = len(events)
    last = (await conn.execute(prepared(conn, "event.counter", _build_counter), {"b_n": n})).scalar_one()
    first = last - n + 1
    now = utcnow()
    rows = []
    for i, ev in enumerate(events):
        payload = dict(ev.payload, seq=first + i)
        rows.append(
            {
                "seq": first + i,
                "event_type": ev.event_type,
                "product_id": ev.product_id,
                "payload": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                "created_at": now,
            }
        )
    # On PostgreSQL a statement trigger on ``event`` sends NOTIFY jxc_events (delivered on commit).
    if len(rows) == 1:
        await conn.execute(prepared(conn, "event.insert", lambda _i: event.insert()), rows[0])
    else:
        await conn.execute(event.insert(), rows)
    mark_events_written(conn)
    return list(range(first, last + 1))


async def read_events(conn: AsyncConnection, after_seq: int, limit: int = 500, event_type: str | None = None):
    """Events with ``seq > after_seq`` in order, as ``(seq, type, created_at, payload dict)``."""
    q = select(event.c.seq, event.c.event_type, event.c.created_at, event.c.payload).where(
        event.c.seq > after_seq
    )
    if event_type:
        q = q.where(event.c.event_type == event_type)
    rows = (await conn.execute(q.order_by(event.c.seq).limit(limit))).all()
    return [(r.seq, r.event_type, r.created_at, json.loads(r.payload)) for r in rows]


async def last_sequence(conn: AsyncConnection) -> int:
    return (await conn.execute(select(event_counter.c.last_seq).where(event_counter.c.id == 1))).scalar_one()
