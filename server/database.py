"""Engines and transactions for SQLite (embedded default) and PostgreSQL.

* ``Database.write()`` opens a write transaction: ``BEGIN IMMEDIATE`` on SQLite, so writers are
  serialised by the database file lock and a read inside the transaction cannot go stale;
  a plain ``BEGIN`` (READ COMMITTED) on PostgreSQL, where row locks do the same job.
* ``Database.read()`` opens a short read-only connection (a deferred ``BEGIN`` on SQLite).
* After a write transaction commits, ``after_commit`` callbacks run (the event bus wakes up);
  they never run for a rolled-back transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from server import audit
from server.settings import pool_limits

COMMIT_HOOKS_KEY = "jxc_after_commit"


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @sa_event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on every connect
        # Take over transaction control from the sqlite3 module (its legacy mode breaks SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa_event.listens_for(sync_engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("jxc_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """Engine, write/read transactions and after-commit hooks of one database.

    On PostgreSQL the pool holds ``pool_size`` connections and opens up to ``max_overflow`` more
    under load (defaults from ``JXC_DB_POOL_SIZE`` / ``JXC_DB_MAX_OVERFLOW``); each server process also
    keeps one listener connection for the event bus. The server's PostgreSQL must therefore allow
    ``workers × (pool_size + max_overflow + 1)`` connections for jxc, besides everything else it serves.
    """

    def __init__(self, url: str, *, pool_size: int | None = None, max_overflow: int | None = None,
                 echo: bool = False):
        default_size, default_overflow = pool_limits()
        pool_size = default_size if pool_size is None else pool_size
        max_overflow = default_overflow if max_overflow is None else max_overflow
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # hide_parameters: a failing statement must never log its values (password hashes, tokens)
            engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True)
            _configure_sqlite(engine)
        else:
            engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False,
                hide_parameters=True,
            )
        self.engine = engine
        self._write_engine = engine.execution_options(jxc_write=True)
        # SQLite allows one writer at a time; queueing writers of this process here is fair and
        # cheap, while SQLite's busy handler would make them sleep and retry (long tail latencies).
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.after_commit: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; commits on success, rolls back on any exception."""
        async with self._write_lock or contextlib.nullcontext():
            async with self._write_engine.connect() as conn:
                from server.events.journal import discard_events, flush_events

                conn.info.pop(COMMIT_HOOKS_KEY, None)
                audit.discard(conn)
                discard_events(conn)
                async with conn.begin():
                    yield conn
                    await audit.flush(conn)  # the audit entry commits with the change, or not at all
                    await flush_events(conn)  # last: the event counter lock is held only to commit
                wrote_events = conn.info.pop(COMMIT_HOOKS_KEY, None)
        if wrote_events:
            for callback in self.after_commit:
                callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def mark_events_written(conn: AsyncConnection) -> None:
    """Ask ``Database.write`` to wake the event bus once this transaction has committed."""
    conn.info[COMMIT_HOOKS_KEY] = True
