"""Engines and transactions for SQLite (embedded default) and PostgreSQL.

* ``Database.write()`` opens a write transaction: ``BEGIN IMMEDIATE`` on SQLite, so writers are
  serialised by the database file lock and a read inside the transaction cannot go stale;
  a plain ``BEGIN`` (READ COMMITTED) on PostgreSQL, where row locks do the same job.
* ``Database.read()`` opens a short read-only connection (a deferred ``BEGIN`` on SQLite).
* Just before a write transaction commits, the registered *before-commit hooks* run in order
  (``on_before_commit``): the audit log writes its entries, the event journal its events — last, so
  the event counter lock is held only to commit. The kernel knows them only through this registry,
  so it never imports the layers above it.
* After a write transaction commits, ``after_commit`` callbacks run (the event bus wakes up);
  they never run for a rolled-back transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from server.core.settings import pool_limits

COMMIT_HOOKS_KEY = "jxc_after_commit"


@dataclass(frozen=True)
class BeforeCommitHook:
    """Work queued on a write connection during the transaction and written just before it commits."""

    name: str
    order: int  # lower runs first
    flush: Callable[[AsyncConnection], Awaitable[None]]  # write what was queued (inside the transaction)
    discard: Callable[[AsyncConnection], None]  # forget what an earlier, failed transaction left queued


#: Run order of the kernel's own hooks: the audit entries, then the journal events as the very last
#: statement (the event counter row is the last lock any transaction takes: docs/architecture.md §5).
AUDIT_ORDER = 100
EVENTS_ORDER = 1000

_before_commit: list[BeforeCommitHook] = []


def on_before_commit(
    name: str,
    *,
    order: int,
    flush: Callable[[AsyncConnection], Awaitable[None]],
    discard: Callable[[AsyncConnection], None],
) -> None:
    """Register work to write just before every write transaction commits (once per ``name``; the
    module that queues the work registers when it is imported, so nothing can be queued without it)."""
    global _before_commit
    hooks = [h for h in _before_commit if h.name != name]
    hooks.append(BeforeCommitHook(name, order, flush, discard))
    _before_commit = sorted(hooks, key=lambda h: h.order)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @sa_event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised on every connect
        # Take over transaction control from the sqlite3 module (its legacy mode breaks SAVEPOINT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL persists in the file (migrations set it); switching needs an exclusive lock that a
        # concurrent first connection would be refused at once, so only switch when it is not set yet
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
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

    def __init__(self, url: str, *, pool_size: int | None = None, max_overflow: int | None = None, echo: bool = False):
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
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=False,
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
                conn.info.pop(COMMIT_HOOKS_KEY, None)
                for hook in _before_commit:
                    hook.discard(conn)
                async with conn.begin():
                    yield conn
                    # read again: a hook registered during the transaction (its module imported late) still runs
                    for hook in _before_commit:  # audit entries, then the journal's events (the counter lock last)
                        await hook.flush(conn)
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
