"""Small SQL helpers that hide the few differences between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table: Table):
    """``INSERT`` with ``ON CONFLICT`` support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


def like_pattern(text: str) -> str:
    """A ``LIKE`` pattern matching ``text`` anywhere, with ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
