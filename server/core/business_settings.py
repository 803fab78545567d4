"""Business settings stored in the database (``app_setting``): one JSON value per key, with who set it
and when (approval thresholds, tolerances, the ABC split, automation switches)."""

from __future__ import annotations

import json

from sqlalchemy import Column, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.db_types import UtcDateTime, metadata
from server.core.sql import dialect_insert

app_setting = Table(
    "app_setting",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", String(96), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime, nullable=False),
)


async def read_setting(conn: AsyncConnection, key: str, default):
    """A business setting (JSON value) or ``default`` when nobody has set it."""
    raw = (await conn.execute(select(app_setting.c.value).where(app_setting.c.key == key))).scalar()
    return default if raw is None else json.loads(raw)


async def write_setting(conn: AsyncConnection, key: str, value, actor: str) -> None:
    stmt = dialect_insert(conn, app_setting).values(
        key=key, value=json.dumps(value), updated_by=actor, updated_at=utcnow()
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "value": stmt.excluded.value,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )
