"""The event journal (outbox): the events and the counter that numbers them (the idempotency-key store:
server/core/idempotency.py)."""

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, String, Table, Text

from server.core.db_types import UtcDateTime, metadata

event = Table(
    "event",
    metadata,
    # assigned from event_counter while holding its row lock, so commit order == seq order
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_type", String(64), nullable=False),
    Column("product_id", BigInteger, nullable=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_event_type_seq", event.c.event_type, event.c.seq)

event_counter = Table(
    "event_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

__all__ = ["event", "event_counter"]
