"""A fresh, migrated database for one benchmark: PostgreSQL when it is reachable (``JXC_BENCH_DB=sqlite``
forces SQLite), dropped (or deleted) afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Awaitable, Callable

from server.migrate import upgrade
from tests.dbutil import create_pg_database, drop_pg_database, pg_reachable


async def on_fresh_database(name: str, bench: Callable[[str, str], Awaitable[dict]]) -> dict:
    """``bench(url, label)`` on a fresh database; ``label`` is ``PostgreSQL`` or ``SQLite``."""
    if os.environ.get("JXC_BENCH_DB") != "sqlite" and await pg_reachable():
        url = await create_pg_database()
        try:
            upgrade(url)
            return await bench(url, "PostgreSQL")
        finally:
            await drop_pg_database(url)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/{name}.sqlite3"
        upgrade(url)
        return await bench(url, "SQLite")
