"""Delivering the event journal to the webhook endpoints: at least once, in journal order per endpoint,
signed, retried with backoff, from the job worker — never from inside a request.

**Cursor and lease.** Each endpoint has a cursor, the last journal sequence number it is done with
(delivered, or not one of its events). A sender claims an endpoint with one conditional UPDATE — the
lease is free or expired — exactly as the scheduler claims a job (``server/automation/jobs.py``), so
several senders (two workers, a worker and a server) share the endpoints without sending one event
twice at a time. The owner reads up to ``batch`` events after the cursor, POSTs the ones the endpoint
wants one after the other, then writes the delivery log, moves the cursor and renews its lease in one
transaction. A sender killed mid-batch has not moved the cursor past what it sent: its successor (after
the lease expires) sends those events again. Receivers therefore see every event at least once, in
order, and de-duplicate by ``webhook-id`` (``evt_<seq>``, the same on every retry and replay).

**Failures.** A non-2xx answer, a timeout or a refused connection stops the endpoint at that event
(later events wait: order is kept) and schedules a retry after ``backoff × 2^(attempt-1)`` seconds (at
most ``backoff_max``) with jitter (½ to 1 of it, so failed endpoints do not retry in lockstep). An
endpoint failing for longer than ``failing_for`` is disabled, and a ``webhook.disabled`` event alerts
its owner (it is in the journal: subscribe another endpoint to it); its events stay at its cursor until
it is enabled again.

**Concurrency.** Every claimed endpoint runs in its own task with a short HTTP timeout, so a slow or
dead receiver delays only itself; the API never waits for a receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.models import category, product
from server.core.clock import utcnow
from server.core.database import Database
from server.core.global_ids import encode
from server.events.journal import append_events, last_sequence
from server.events.models import event
from server.events.types import EventData, EventFormatError, WebhookDisabled, parse_event
from server.integrations.config import DeliveryConfig, load_config
from server.integrations.models import webhook_delivery, webhook_endpoint
from server.integrations.payloads import JOURNAL_TYPES, VERSION, Selection, body_of, message_id, payload
from server.integrations.signing import secret_key, signature_header

log = logging.getLogger("jxc.webhooks")

USER_AGENT = "jxc-webhooks/1"
CACHE_EVENTS = 20_000  # recent journal events kept decoded (the endpoints read the same ones)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


# ---- one HTTP attempt -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str


def signing_keys(row, now: datetime) -> list[bytes]:
    """The current secret's key, and the previous one's while its grace period lasts."""
    keys = [k for k in (secret_key(row.secret),) if k]
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
        previous = secret_key(row.previous_secret)
        if previous:
            keys.append(previous)
    return keys


async def post(
    client: httpx.AsyncHTTPTransport, url: str, keys: list[bytes], msg_id: str, body: bytes, limit_s: float
) -> Attempt:
    """POST one signed message; 2xx is delivered, anything else (or no answer within ``limit_s``
    seconds, connecting included) failed. Sent through httpx's transport, without the client's cookie,
    auth and redirect layers (a webhook follows no redirect and keeps no cookie): half the CPU per
    request, which is what limits a sender (bench/webhooks.py)."""
    stamp = int(utcnow().timestamp())
    request = httpx.Request(
        "POST",
        url,
        content=body,
        headers={
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature_header(keys, msg_id, stamp, body),
        },
        extensions={"timeout": httpx.Timeout(limit_s).as_dict()},
    )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit_s):
            resp = await client.handle_async_request(request)
            try:
                await resp.aread()
            finally:
                await resp.aclose()
        status: int | None = resp.status_code
        ok = 200 <= resp.status_code < 300
        error = "" if ok else f"HTTP {resp.status_code}"
    except TimeoutError:
        status, ok, error = None, False, f"timeout after {limit_s:g} s"
    except httpx.HTTPError as exc:
        status, ok, error = None, False, f"{type(exc).__name__}: {exc}"
    return Attempt(ok, status, int((time.perf_counter() - started) * 1000), error[:300])


def new_client(config: DeliveryConfig) -> httpx.AsyncHTTPTransport:
    """One endpoint's connection (kept alive between requests)."""
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=4, max_keepalive_connections=1))


def backoff(config: DeliveryConfig, attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th failure: exponential, capped, with jitter."""
    delay = min(config.backoff * 2 ** min(attempt - 1, 40), config.backoff_max)
    return delay * random.uniform(0.5, 1.0)


# ---- reading the journal once for every endpoint ------------------------------------------------------------


@dataclass
class Entry:
    seq: int
    event_type: str
    event: EventData | None  # None: not a type webhooks deliver, or a payload that does not fit
    created_at: datetime
    _body: bytes | None = None

    @property
    def body(self) -> bytes:
        if self._body is None:
            assert self.event is not None
            self._body = body_of(payload(self.seq, self.event, self.created_at))
        return self._body


class JournalCache:
    """Recent journal events, decoded and serialised once however many endpoints read them. The journal
    is gap-free (server/events/journal.py), so ``seq + 1 … seq + n`` in the cache are exactly the
    events after ``seq``."""

    def __init__(self, size: int = CACHE_EVENTS):
        self.size = size
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._lock = asyncio.Lock()

    def _cached_after(self, seq: int, limit: int) -> list[Entry]:
        out: list[Entry] = []
        nxt = seq + 1
        while len(out) < limit and nxt in self._entries:
            out.append(self._entries[nxt])
            nxt += 1
        return out

    async def after(self, db: Database, seq: int, limit: int) -> list[Entry]:
        hit = self._cached_after(seq, limit)
        if len(hit) == limit:
            return hit
        async with self._lock:  # one query for several endpoints waiting on the same events
            hit = self._cached_after(seq, limit)
            if len(hit) == limit:
                return hit
            start = seq + len(hit)
            async with db.read() as conn:
                rows = (
                    await conn.execute(
                        select(event.c.seq, event.c.event_type, event.c.created_at, event.c.payload)
                        .where(event.c.seq > start)
                        .order_by(event.c.seq)
                        .limit(max(limit - len(hit), 500))
                    )
                ).all()
            for r in rows:
                parsed = None
                if r.event_type in JOURNAL_TYPES:
                    try:
                        parsed = parse_event(r.event_type, r.payload)
                    except EventFormatError as exc:
                        log.warning("journal event %s does not fit its type, not delivered: %s", r.seq, exc)
                self._entries[r.seq] = Entry(r.seq, r.event_type, parsed, r.created_at)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return [*hit, *self._cached_after(start, limit - len(hit))]


class Categories:
    """Products' categories and the category tree, for category filters (re-read every minute)."""

    TTL = 60.0

    def __init__(self) -> None:
        self._product: dict[int, int | None] = {}
        self._children: dict[int, list[int]] = {}
        self._read_at = -1e9

    async def refresh(self, db: Database, product_ids: set[int]) -> None:
        if time.monotonic() - self._read_at > self.TTL:
            self._product.clear()
            async with db.read() as conn:
                children: dict[int, list[int]] = {}
                for cid, parent in (await conn.execute(select(category.c.id, category.c.parent_id))).all():
                    if parent is not None:
                        children.setdefault(parent, []).append(cid)
            self._children = children
            self._read_at = time.monotonic()
        missing = sorted(p for p in product_ids if p not in self._product)
        if missing:
            async with db.read() as conn:
                for i in range(0, len(missing), 500):
                    chunk = missing[i : i + 500]
                    found = dict(
                        (
                            await conn.execute(
                                select(product.c.id, product.c.category_id).where(product.c.id.in_(chunk))
                            )
                        ).all()
                    )
                    for p in chunk:
                        self._product[p] = found.get(p)

    def of(self, product_id: int) -> int | None:
        return self._product.get(product_id)

    def with_descendants(self, ids: list[int]) -> frozenset[int]:
        out, todo = set(), list(ids)
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self._children.get(c, ()))
        return frozenset(out)


# ---- the sender -------------------------------------------------------------------------------------------


class WebhookSender:
    """Delivers to every endpoint it can claim, one task per endpoint; ``run_forever`` in the job worker
    (``jxc worker``, or a server with jobs on), ``run_until_idle`` in tests and benchmarks."""

    def __init__(
        self,
        db: Database,
        config: DeliveryConfig | None = None,
        *,
        owner: str | None = None,
        client: httpx.AsyncHTTPTransport | None = None,
    ):
        self.db = db
        self.config = config or load_config()
        self.owner = owner or process_name()
        self._client = client  # given: used for every endpoint (tests); else one client per endpoint
        self._clients: dict[int, httpx.AsyncHTTPTransport] = {}
        self._gone: dict[int, bool] = {}
        self._tasks: dict[int, asyncio.Task] = {}
        self._stopping = asyncio.Event()
        self.journal = JournalCache()
        self.categories = Categories()
        self.sent = 0  # attempts made (delivered or failed), for benchmarks

    def client_for(self, endpoint_id: int) -> httpx.AsyncHTTPTransport:
        """The endpoint's own client: its keep-alive connection is reused from batch to batch, and no
        endpoint waits on another's connection pool."""
        if self._client is not None:
            return self._client
        client = self._clients.get(endpoint_id)
        if client is None:
            client = self._clients[endpoint_id] = new_client(self.config)
        return client

    async def close(self) -> None:
        """Stop: every endpoint finishes the request in flight and writes its cursor (so a restart sends
        nothing twice), within the timeout; what is still running then is cancelled."""
        self._stopping.set()
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.config.timeout + 2)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def run_forever(self, stopping: asyncio.Event | None = None) -> None:
        stopping = stopping or self._stopping
        try:
            while not stopping.is_set():
                try:
                    await self.round()
                except Exception:
                    log.exception("webhook round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.config.poll)
        finally:
            await self.close()

    async def run_until_idle(self, within: float = 30.0, *, retries: bool = True) -> None:
        """Deliver until every enabled endpoint is at the end of the journal (``retries=False``: until
        nothing is due now, retries waiting for later aside)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            started = await self.round()
            if self._tasks:
                await asyncio.wait(list(self._tasks.values()), timeout=max(0.0, deadline - time.monotonic()))
                continue
            if not started and not (retries and await self._pending()):
                return
            await asyncio.sleep(self.config.poll)
        raise TimeoutError("webhook deliveries did not finish")

    async def _pending(self) -> bool:
        async with self.db.read() as conn:
            head = await last_sequence(conn)
            return (
                await conn.execute(
                    select(webhook_endpoint.c.id)
                    .where(webhook_endpoint.c.enabled.is_(True), webhook_endpoint.c.cursor < head)
                    .limit(1)
                )
            ).first() is not None

    async def round(self) -> int:
        """Claim the endpoints with due work that no sender holds, and start a task for each."""
        self._tasks = {k: t for k, t in self._tasks.items() if not t.done()}
        now = utcnow()
        async with self.db.read() as conn:
            head = await last_sequence(conn)
            due = (
                (
                    await conn.execute(
                        select(webhook_endpoint.c.id).where(
                            webhook_endpoint.c.enabled.is_(True),
                            webhook_endpoint.c.cursor < head,
                            or_(
                                webhook_endpoint.c.next_attempt_at.is_(None), webhook_endpoint.c.next_attempt_at <= now
                            ),
                            or_(
                                webhook_endpoint.c.lease_until.is_(None),
                                webhook_endpoint.c.lease_until < now,
                                webhook_endpoint.c.lease_owner == self.owner,
                            ),
                        )
                    )
                )
                .scalars()
                .all()
            )
        started = 0
        for endpoint_id in due:
            if endpoint_id in self._tasks or self._stopping.is_set():
                continue
            if await self._claim(endpoint_id):
                self._tasks[endpoint_id] = asyncio.create_task(self._serve(endpoint_id), name=f"webhook-{endpoint_id}")
                started += 1
        return started

    async def _claim(self, endpoint_id: int) -> bool:
        now = utcnow()
        async with self.db.write() as conn:
            return (
                await conn.execute(
                    update(webhook_endpoint)
                    .where(
                        webhook_endpoint.c.id == endpoint_id,
                        webhook_endpoint.c.enabled.is_(True),
                        or_(
                            webhook_endpoint.c.lease_until.is_(None),
                            webhook_endpoint.c.lease_until < now,
                            webhook_endpoint.c.lease_owner == self.owner,
                        ),
                    )
                    .values(lease_owner=self.owner, lease_until=now + timedelta(seconds=self.config.lease))
                )
            ).rowcount == 1

    async def _release(self, endpoint_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                update(webhook_endpoint)
                .where(webhook_endpoint.c.id == endpoint_id, webhook_endpoint.c.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def _serve(self, endpoint_id: int) -> None:
        try:
            while not self._stopping.is_set() and await self._batch(endpoint_id):
                pass
            if self._gone.pop(endpoint_id, False):  # deleted or disabled: its connection is not needed
                client = self._clients.pop(endpoint_id, None)
                if client is not None:
                    await client.aclose()
        except Exception:
            log.exception("webhook endpoint %s: delivery failed", endpoint_id)
        finally:
            with contextlib.suppress(Exception):
                await self._release(endpoint_id)

    async def _batch(self, endpoint_id: int) -> bool:
        """Deliver one batch; returns whether to go on at once."""
        now = utcnow()
        async with self.db.read() as conn:
            row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id))).first()
        if row is None or not row.enabled:
            self._gone[endpoint_id] = True
            return False
        if row.lease_owner != self.owner or (row.next_attempt_at is not None and row.next_attempt_at > now):
            return False
        entries = await self.journal.after(self.db, row.cursor, self.config.batch)
        if not entries:
            return False
        categories = json.loads(row.category_ids)
        if categories:
            await self.categories.refresh(
                self.db, {e.event.journal_product_id for e in entries if e.event and e.event.journal_product_id}
            )
        selection = Selection.of(
            json.loads(row.event_types),
            json.loads(row.warehouse_ids),
            self.categories.with_descendants(categories) if categories else None,
        )
        keys = signing_keys(row, now)
        client = self.client_for(endpoint_id)
        cursor, attempt, failing_since = row.cursor, row.attempt, row.failing_since
        last_success, next_attempt_at = row.last_success_at, None
        logged: list[dict] = []
        budget = time.monotonic() + self.config.lease / 3  # renew the lease well before it runs out
        for entry in entries:
            if entry.event is None or not selection.wants(entry.event, self.categories.of):
                cursor = entry.seq
                continue
            msg_id = message_id(entry.seq)
            result = await post(client, row.url, keys, msg_id, entry.body, self.config.timeout)
            self.sent += 1
            at = utcnow()
            logged.append(
                {
                    "endpoint_id": endpoint_id,
                    "seq": entry.seq,
                    "message_id": msg_id,
                    "event_type": entry.event_type,
                    "attempt": attempt + 1,
                    "at": at,
                    "status_code": result.status_code,
                    "duration_ms": result.duration_ms,
                    "outcome": "delivered" if result.ok else "failed",
                    "error": result.error,
                    "sender": self.owner,
                }
            )
            if not result.ok:
                attempt += 1
                failing_since = failing_since or at
                next_attempt_at = at + timedelta(seconds=backoff(self.config, attempt))
                break
            cursor, attempt, failing_since, last_success = entry.seq, 0, None, at
            if time.monotonic() > budget or self._stopping.is_set():
                break
        give_up = (
            next_attempt_at is not None
            and failing_since is not None
            and (utcnow() - failing_since).total_seconds() >= self.config.failing_for
        )
        await self._commit(row, cursor, attempt, failing_since, last_success, next_attempt_at, logged, give_up)
        return next_attempt_at is None

    async def _commit(
        self, row, cursor, attempt, failing_since, last_success, next_attempt_at, logged, give_up: bool
    ) -> None:
        now = utcnow()
        lease = now + timedelta(seconds=self.config.lease)
        async with self.db.write() as conn:
            if logged:
                await conn.execute(webhook_delivery.insert(), logged)
            values: dict = dict(
                cursor=cursor,
                attempt=attempt,
                failing_since=failing_since,
                last_success_at=last_success,
                next_attempt_at=next_attempt_at,
                lease_until=lease,
            )
            if give_up:
                reason = f"failing since {failing_since.isoformat()}: {logged[-1]['error'] if logged else ''}"[:200]
                values.update(
                    enabled=False, disabled_reason=reason, disabled_at=now, lease_owner=None, lease_until=None
                )
            moved = (
                await conn.execute(
                    update(webhook_endpoint)
                    .where(
                        webhook_endpoint.c.id == row.id,
                        webhook_endpoint.c.lease_owner == self.owner,
                        webhook_endpoint.c.generation == row.generation,
                    )
                    .values(**values)
                )
            ).rowcount
            if not moved:  # replayed meanwhile (the cursor is the replay's) or the lease was lost
                await conn.execute(
                    update(webhook_endpoint)
                    .where(webhook_endpoint.c.id == row.id, webhook_endpoint.c.lease_owner == self.owner)
                    .values(lease_until=lease)
                )
            elif give_up:
                log.warning("webhook endpoint %s (%s) disabled: %s", row.id, row.url, values["disabled_reason"])
                await _alert(conn, row, values["disabled_reason"])


async def _alert(conn: AsyncConnection, row, reason: str) -> None:
    await append_events(
        conn, [WebhookDisabled(endpoint_id=row.id, name=row.name, url=row.url, owner=row.owner, reason=reason)]
    )


# ---- the test ping and the log's retention -------------------------------------------------------------------


async def ping(db: Database, row, config: DeliveryConfig, *, number: int) -> int:
    """Send a signed ``webhook.ping`` to ``row``'s URL now and log it; returns the log row's id."""
    msg_id = f"ping_{row.id}_{number}"
    now = utcnow()
    body = body_of(
        {
            "version": VERSION,
            "id": msg_id,
            "sequence": None,
            "type": "webhook.ping",
            "occurredAt": now.isoformat().replace("+00:00", "Z"),
            "data": {"endpoint": {"id": encode("WebhookEndpoint", row.id)}, "name": row.name},
        }
    )
    async with new_client(config) as client:
        result = await post(client, row.url, signing_keys(row, now), msg_id, body, config.timeout)
    async with db.write() as conn:
        return (
            await conn.execute(
                webhook_delivery.insert()
                .values(
                    endpoint_id=row.id,
                    seq=None,
                    message_id=msg_id,
                    event_type="webhook.ping",
                    attempt=1,
                    at=utcnow(),
                    status_code=result.status_code,
                    duration_ms=result.duration_ms,
                    outcome="delivered" if result.ok else "failed",
                    error=result.error,
                    sender=process_name(),
                )
                .returning(webhook_delivery.c.id)
            )
        ).scalar_one()


async def prune_delivery_log(db: Database, config: DeliveryConfig | None = None) -> int:
    """Delete delivery-log rows older than ``log_days`` (the scheduler runs it daily)."""
    config = config or load_config()
    cutoff = utcnow() - timedelta(days=config.log_days)
    async with db.write() as conn:
        return (await conn.execute(delete(webhook_delivery).where(and_(webhook_delivery.c.at < cutoff)))).rowcount
