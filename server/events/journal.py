"""Writing to the event journal (outbox) inside the business transaction.

Sequence numbers come from the single ``event_counter`` row, locked by the event insert, which is the
*last* statement before commit. The row lock serialises that tail of concurrent transactions, so
events become visible in exactly their sequence order: a reader that has seen ``seq = n`` can never
later find an event with a smaller number. That is what makes ``since``-replay and the journal
tailers gap-free.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import BigInteger, String, Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.database import EVENTS_ORDER, mark_events_written, on_before_commit
from server.core.db_types import UtcDateTime
from server.core.sql import prepared
from server.events.models import event, event_counter
from server.events.types import DOCUMENT_STATUS_CHANGED as DOCUMENT_STATUS_CHANGED
from server.events.types import MONEY_APPLIED as MONEY_APPLIED
from server.events.types import STOCK_CHANGED as STOCK_CHANGED
from server.events.types import EventData, serialize_event

NOTIFY_CHANNEL = "jxc_events"
# The event names, their fields and the payload format: server/events/types.py (the names above are
# re-exported from there for older imports).


def _build_append(_insert):
    """``INSERT … SELECT last_seq + 1 FROM event_counter … FOR UPDATE``: one statement takes the counter
    row lock and assigns the next number; a trigger on ``event`` moves the counter on. The lock is
    therefore held only from this statement to commit (SQLite serialises writers anyway)."""
    source = (
        select(
            event_counter.c.last_seq + 1,
            bindparam("b_type", type_=String),
            bindparam("b_product_id", type_=BigInteger),
            bindparam("b_payload", type_=Text),
            bindparam("b_created_at", type_=UtcDateTime),
        )
        .where(event_counter.c.id == 1)
        .with_for_update()
    )
    return event.insert().from_select(["seq", "event_type", "product_id", "payload", "created_at"], source)


PENDING_KEY = "jxc_pending_events"


async def append_events(conn: AsyncConnection, events: Iterable[EventData]) -> None:
    """Queue events (the typed events of ``server/events/types.py``) for this transaction;
    ``Database.write`` writes them, in order, as the very last statement before commit
    (``flush_events``). The event counter lock is therefore always the last lock a transaction takes,
    whatever order the business code produced its events in — which keeps the global lock order and
    holds the counter for the shortest time."""
    events = list(events)
    for ev in events:
        if not isinstance(ev, EventData):
            raise TypeError(f"not a journal event (server/events/types.py): {ev!r}")
    if events:
        conn.info.setdefault(PENDING_KEY, []).extend(events)


def discard_events(conn: AsyncConnection) -> None:
    conn.info.pop(PENDING_KEY, None)


async def flush_events(conn: AsyncConnection) -> None:
    """Write the queued events, numbered in commit order (see the module docstring)."""
    events = conn.info.pop(PENDING_KEY, None)
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "b_type": ev.event_type,
            "b_product_id": ev.journal_product_id,
            "b_payload": serialize_event(ev),
            "b_created_at": now,
        }
        for ev in events
    ]
    # On PostgreSQL a statement trigger on ``event`` also sends NOTIFY jxc_events (delivered on commit).
    stmt = prepared(conn, "event.append", _build_append)
    await conn.execute(stmt, rows[0] if len(rows) == 1 else rows)
    mark_events_written(conn)


# ``Database.write`` writes the queued events as the last statement before every commit: the kernel offers
# the hook, the journal registers on it (so server/core never imports the journal).
on_before_commit("events", order=EVENTS_ORDER, flush=flush_events, discard=discard_events)


async def read_events(conn: AsyncConnection, after_seq: int, limit: int = 500, event_type: str | None = None):
    """Events with ``seq > after_seq`` in order, as ``(seq, type, created_at, payload dict)``; the typed
    event of a row is ``parse_event(type, payload)`` (``server/events/types.py``)."""
    q = select(event.c.seq, event.c.event_type, event.c.created_at, event.c.payload).where(event.c.seq > after_seq)
    if event_type:
        q = q.where(event.c.event_type == event_type)
    rows = (await conn.execute(q.order_by(event.c.seq).limit(limit))).all()
    return [(r.seq, r.event_type, r.created_at, json.loads(r.payload)) for r in rows]


async def last_sequence(conn: AsyncConnection) -> int:
    return (await conn.execute(select(event_counter.c.last_seq).where(event_counter.c.id == 1))).scalar_one()


async def last_sequence_of(conn: AsyncConnection, event_type: str) -> int:
    """The newest sequence number of one event type (index ``ix_event_type_seq``), 0 if none."""
    return (await conn.execute(select(func.max(event.c.seq)).where(event.c.event_type == event_type))).scalar() or 0
