"""Racing machinery for the PostgreSQL concurrency tests: several independent ``Database`` objects,
and actions started together while a blocker transaction holds the contended lock, so that they
all reach it at the same instant (``race``) or in a chosen order (``staged_race``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select, text

from server.core.database import Database
from server.core.errors import DomainError
from server.events.journal import DOCUMENT_STATUS_CHANGED
from server.events.models import event
from server.sales.check import verify_ledger

N_DATABASES = 4
CONNECTIONS_EACH = 6


@contextlib.asynccontextmanager
async def open_databases(db_url: str):
    """Independent ``Database`` objects, each with its connections already open (the ``dbs`` fixture)."""
    databases = [Database(db_url, pool_size=CONNECTIONS_EACH, max_overflow=2) for _ in range(N_DATABASES)]
    try:
        # concurrent pings force every pool to open CONNECTIONS_EACH connections and keep them
        await asyncio.gather(*(d.ping() for d in databases for _ in range(CONNECTIONS_EACH)))
        yield databases
    finally:
        for d in databases:
            await d.dispose()


Call = Callable[[Database], Awaitable[object]]


async def _lock_waiters(db: Database) -> int:
    async with db.read() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one()


async def _wait_for_waiters(observer: Database, expected: int, tasks: list[asyncio.Task]) -> int:
    deadline = time.monotonic() + 15
    seen = 0
    while time.monotonic() < deadline:
        seen = await _lock_waiters(observer)
        if seen >= expected or all(t.done() for t in tasks):
            break
        await asyncio.sleep(0.01)
    return seen


async def _outcome(call: Call, d: Database):
    try:
        return await call(d)
    except Exception as exc:
        return exc


async def race(
    dbs: list[Database],
    calls: list[Call],
    *,
    observer: Database | None = None,
    hold: Callable | None = None,
    waiters: int | None = None,
) -> list[object]:
    """Run ``calls`` at once, call i on ``dbs[i % len(dbs)]``; returns each result or the exception
    it raised (the caller asserts what it expects).

    With ``hold`` (``async (conn) -> None``), a blocker transaction on ``observer`` runs it first and
    keeps its locks until ``waiters`` backends (default: all calls) are waiting for a lock, then
    rolls back, so every call competes for the same row at the same instant."""
    if hold is None:
        return await asyncio.gather(*(_outcome(c, dbs[i % len(dbs)]) for i, c in enumerate(calls)))

    assert observer is not None
    expected = len(calls) if waiters is None else waiters
    async with observer.engine.connect() as blocker:
        trans = await blocker.begin()
        await hold(blocker)
        tasks = [asyncio.create_task(_outcome(c, dbs[i % len(dbs)])) for i, c in enumerate(calls)]
        seen = await _wait_for_waiters(observer, expected, tasks)
        await trans.rollback()
        results = await asyncio.gather(*tasks)
    assert seen >= expected, f"only {seen} of {expected} actions queued on the held lock: {results}"
    return results


async def staged_race(dbs: list[Database], calls: list[Call], *, observer: Database, hold: Callable) -> list[object]:
    """Like a gated ``race``, but call i is started only once calls 0..i-1 wait for a lock, so the
    calls reach their contended locks in exactly the given order: one chosen interleaving, replayed
    deterministically."""
    async with observer.engine.connect() as blocker:
        trans = await blocker.begin()
        await hold(blocker)
        tasks: list[asyncio.Task] = []
        for i, c in enumerate(calls):
            tasks.append(asyncio.create_task(_outcome(c, dbs[i % len(dbs)])))
            seen = await _wait_for_waiters(observer, i + 1, tasks)
            if seen < i + 1:
                break
        await trans.rollback()
        results = await asyncio.gather(*tasks)
    assert len(results) == len(calls) and seen >= len(calls), (
        f"only {seen} of {len(calls)} actions queued on the held lock: {results}"
    )
    return results


def codes(outcome) -> list[str]:
    assert isinstance(outcome, DomainError), f"expected a domain error, got {outcome!r}"
    return [d.code for d in outcome.details]


def split(results: list[object], allowed: tuple[type, ...] = (DomainError,)) -> tuple[list[object], list[object]]:
    """(successes, failures); any failure that is not one of ``allowed`` fails the test right here."""
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)]
    assert not unexpected, unexpected
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, allowed)]
    return ok, failed


def lock_row_sql(table: str, row_id: int):
    async def hold(conn):
        await conn.execute(text(f"SELECT 1 FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})

    return hold


async def status_events(db: Database, doc_type: str, row_id: int) -> list[tuple[str, str]]:
    """(from, to) of every ``document.status_changed`` event of one document, in journal order."""
    async with db.read() as conn:
        rows = (
            (
                await conn.execute(
                    select(event.c.payload).where(event.c.event_type == DOCUMENT_STATUS_CHANGED).order_by(event.c.seq)
                )
            )
            .scalars()
            .all()
        )
    out = []
    for raw in rows:
        p = json.loads(raw)
        if p["doc_type"] == doc_type and p["id"] == row_id:
            out.append((p["from"], p["to"]))
    return out


async def assert_ledger_clean(db: Database) -> None:
    async with db.read() as conn:
        problems = await verify_ledger(conn)
    assert problems == [], problems


def numbers_1_to(prefix: str, year: int, n: int) -> list[str]:
    return [f"{prefix}{year}-{i:06d}" for i in range(1, n + 1)]
