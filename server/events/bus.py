"""Fan-out of journal events to live subscribers, within and across server processes.

Each process runs one ``EventTailer``. It reads new events from the journal in sequence order and
offers them to local subscriptions. It is woken:

* in-process, right after a local write transaction that wrote events commits (SQLite and PostgreSQL);
* on PostgreSQL, by ``LISTEN jxc_events`` on one dedicated asyncpg connection (not a pooled one),
  which NOTIFY reaches from every process on commit. The listener reconnects with back-off and, on
  every (re)connect, wakes the tailer, which resumes from its last sequence number: nothing is lost;
* by a slow poll, as a safety net (and for several processes sharing one SQLite file).

A subscription registers first and then replays the journal from its cursor, dropping anything at
or below the cursor, so a client that resumes with ``since`` sees every event once, in order.

**Watches.** ``watch(event_type, callback, channel)`` calls ``callback`` soon after an event of that
type commits in any process, whether or not anyone subscribes: on PostgreSQL a NOTIFY on ``channel``
(sent by the writer in its transaction) wakes it at once; otherwise the journal is polled for that
type every ``WATCH_POLL_SECONDS`` (one indexed ``max(seq)`` query). Revoked credentials use it to end
open subscriptions in every process within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import asyncpg

from server.core.database import Database
from server.core.errors import ApiError
from server.events.journal import NOTIFY_CHANNEL, last_sequence, last_sequence_of, read_events
from server.events.types import EventData, EventFormatError, parse_event

log = logging.getLogger("jxc.events")

QUEUE_SIZE = 1000
PAGE = 500
RECHECK_SECONDS = 2.0
WATCH_POLL_SECONDS = 0.5  # without NOTIFY (SQLite); with it, a slow safety poll
WATCH_SAFETY_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class JournalEvent:
    """One journal row as the tailer offers it to subscriptions: ``data`` is the typed event
    (``server/events/types.py``), parsed once per row on first use and shared by every subscriber;
    ``payload`` the stored JSON object; ``shared`` what subscribers read for it, also shared."""

    seq: int
    event_type: str
    created_at: datetime
    payload: dict

    @cached_property
    def data(self) -> EventData:
        return parse_event(self.event_type, self.payload)

    @cached_property
    def shared(self) -> dict:
        """Scratch space of this one event, shared by every subscription the tailer offers it to (one
        object per journal row and process): what the first subscriber read to resolve the event,
        the others reuse. It lives as long as the event does; a replay reads its own events."""
        return {}


RECHECK = None  # queued to a subscriber: ask ``still_allowed`` now (credentials changed somewhere)


def _matches(predicate: Callable[[JournalEvent], bool], ev: JournalEvent) -> bool:
    """``predicate(ev)``; a row whose payload does not fit its type (``EventFormatError``, none is known)
    is passed over with a warning instead of stopping the tailer for every subscription."""
    try:
        return predicate(ev)
    except EventFormatError as exc:
        log.warning("journal event %s (%s) does not fit its type, not delivered: %s", ev.seq, ev.event_type, exc)
        return False


class _Subscriber:
    def __init__(self, predicate: Callable[[JournalEvent], bool]):
        self.predicate = predicate
        self.queue: asyncio.Queue[JournalEvent | None] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False

    def offer(self, ev: JournalEvent) -> None:
        if self.overflowed or not _matches(self.predicate, ev):
            return
        self._put(ev)

    def poke(self) -> None:
        self._put(RECHECK)

    def _put(self, item: JournalEvent | None) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # a slow consumer falls back to reading the journal (and re-checks); it never silently loses events
            self.overflowed = True


@dataclass
class _Watch:
    event_type: str
    callback: Callable[[], None]
    channel: str | None
    last_seq: int = 0


class EventTailer:
    def __init__(self, db: Database, *, poll_interval: float = 2.0):
        self.db = db
        self.poll_interval = poll_interval
        self.last_seq = 0
        self._subscribers: set[_Subscriber] = set()
        self._stale = True
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._watches: list[_Watch] = []
        self._watch_wake = asyncio.Event()

    def watch(self, event_type: str, callback: Callable[[], None], *, channel: str | None = None) -> None:
        """Call ``callback`` after events of ``event_type`` commit anywhere (see the module docstring).
        Register before ``start``."""
        self._watches.append(_Watch(event_type, callback, channel))

    def recheck_subscribers(self) -> None:
        """Make every open subscription ask its ``still_allowed`` now."""
        for sub in list(self._subscribers):
            sub.poke()

    async def start(self) -> None:
        self.db.after_commit.append(self.wake)
        self._tasks.append(asyncio.create_task(self._run(), name="jxc-event-tailer"))
        if self._watches:
            self._tasks.append(asyncio.create_task(self._run_watches(), name="jxc-event-watches"))
        if not self.db.is_sqlite:
            self._tasks.append(asyncio.create_task(self._listen(), name="jxc-event-listener"))

    async def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(ValueError):
            self.db.after_commit.remove(self.wake)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def wake(self) -> None:
        """A commit happened (here or, via NOTIFY, elsewhere). Without subscribers there is nothing to
        do: the next subscriber replays the journal itself when it registers."""
        if self._subscribers:
            self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            try:
                await self._drain()
            except Exception:  # keep tailing; the next wake or poll retries from last_seq
                log.exception("event tailer failed to read the journal")
                await asyncio.sleep(0.5)

    async def _drain(self) -> None:
        if not self._subscribers:
            # Nobody listens: do not read the journal at all (no query per commit). The next
            # subscriber re-anchors ``last_seq`` when it registers (see ``stream``).
            self._stale = True
            return
        while True:
            async with self.db.read() as conn:
                rows = await read_events(conn, self.last_seq, PAGE)
            for seq, event_type, created_at, payload in rows:
                ev = JournalEvent(seq, event_type, created_at, payload)
                for sub in list(self._subscribers):
                    sub.offer(ev)
                self.last_seq = seq
            if len(rows) < PAGE:
                return

    async def _run_watches(self) -> None:
        poll = WATCH_POLL_SECONDS if self.db.is_sqlite else WATCH_SAFETY_POLL_SECONDS
        anchored = False
        while not self._stopping and not anchored:  # what happened before we started is no news
            try:
                async with self.db.read() as conn:
                    for w in self._watches:
                        w.last_seq = await last_sequence_of(conn, w.event_type)
                anchored = True
            except Exception as exc:  # the database is not reachable yet: /healthz says so; keep trying
                log.warning("event watch cannot read the journal yet (%s)", exc)
                await asyncio.sleep(poll)
        while not self._stopping:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._watch_wake.wait(), poll)
            self._watch_wake.clear()
            try:
                async with self.db.read() as conn:
                    for w in self._watches:
                        seq = await last_sequence_of(conn, w.event_type)
                        if seq > w.last_seq:
                            w.last_seq = seq
                            w.callback()
            except Exception:  # keep watching; the next wake or poll retries
                log.exception("event watch failed to read the journal")
                await asyncio.sleep(0.5)

    async def _listen(self) -> None:
        dsn = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        backoff = 0.2
        while not self._stopping:
            conn = None
            try:
                conn = await asyncpg.connect(dsn, server_settings={"application_name": "jxc-listener"})
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _c: closed.set())
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_args: self.wake())
                for channel in {w.channel for w in self._watches if w.channel}:
                    await conn.add_listener(channel, lambda *_args: self._watch_wake.set())
                self.wake()  # read whatever was committed while we were not listening
                self._watch_wake.set()
                backoff = 0.2
                while not closed.is_set():
                    try:
                        await asyncio.wait_for(closed.wait(), 5)
                    except TimeoutError:
                        await conn.execute("SELECT 1")  # notices a dead connection
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", exc, backoff)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
            if not self._stopping:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def stream(
        self,
        predicate: Callable[[JournalEvent], bool],
        since: int | None = None,
        event_type: str | None = None,
        still_allowed: Callable[[], Awaitable[bool]] | None = None,
    ) -> AsyncIterator[JournalEvent]:
        """Events after ``since`` (default: from now on), in order, each once; then live events.

        ``still_allowed`` is asked every ``RECHECK_SECONDS`` while the stream is idle; the stream ends
        when it answers False (a revoked or expired token)."""
        sub = _Subscriber(predicate)
        async with self.db.read() as conn:
            anchor = await last_sequence(conn)
        # No await between here and registering: the tailer cannot run in between. Events up to
        # ``anchor`` are replayed from the journal below; a stale tailer resumes after ``anchor``.
        self._subscribers.add(sub)
        if self._stale:
            self.last_seq = max(self.last_seq, anchor)
            self._stale = False
        try:
            if since is not None and since > anchor:
                raise ApiError("INVALID_SINCE", since=since, last=anchor)
            cursor = anchor if since is None else since
            while True:
                # Drop what is queued (all of it is in the journal) and re-arm *before* reading the
                # journal: an event committed from now on is then read below, or queued, or both.
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.overflowed = False
                async for ev in self._replay(predicate, cursor, event_type):
                    cursor = ev.seq
                    yield ev
                checked = time.monotonic()
                while not sub.overflowed:
                    try:
                        queued = await asyncio.wait_for(sub.queue.get(), 1.0)
                    except TimeoutError:
                        if still_allowed is not None and time.monotonic() - checked >= RECHECK_SECONDS:
                            if not await still_allowed():
                                return
                            checked = time.monotonic()
                        continue
                    if queued is RECHECK:
                        if still_allowed is not None and not await still_allowed():
                            return
                        checked = time.monotonic()
                        continue
                    if queued.seq <= cursor:
                        continue
                    cursor = queued.seq
                    yield queued
        finally:
            self._subscribers.discard(sub)

    async def _replay(self, predicate, cursor: int, event_type: str | None) -> AsyncIterator[JournalEvent]:
        while True:
            async with self.db.read() as conn:
                rows = await read_events(conn, cursor, PAGE, event_type)
            for seq, et, created_at, payload in rows:
                cursor = seq
                ev = JournalEvent(seq, et, created_at, payload)
                if _matches(predicate, ev):
                    yield ev
            if len(rows) < PAGE:
                return
