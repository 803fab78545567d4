"""One journal event delivered to many in-process subscribers costs O(1) database statements, not O(N).

The subscribers run through the served schema (``schema.subscribe``) on one process-level event
tailer, each with its own context and its own token, as a thousand wall displays would. We count the
SQL statements (``before_cursor_execute``) and transactions (``begin``) run while one stock change is
delivered, outside the writer's task, and compare one subscriber with twenty. Visibility stays per
subscriber (a warehouse-scoped user sees nothing of another warehouse) and a revoked token still ends
its subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event

from schema.context import Context
from schema.schema import schema
from server.auth import services as auth
from server.core.settings import load_settings
from server.events.bus import EventTailer
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world

SUB = """subscription($filter: StockChangedFilter) {
  stockChanged(filter: $filter) {
    seq delta quantity moveType product { sku name } location { code } warehouse { code }
  }
}"""


@dataclass
class Statements:
    """SQL statements and transactions run by any task but the writer's (the test's own task)."""

    statements: int = 0
    transactions: int = 0
    texts: list[str] = field(default_factory=list)
    _excluded: asyncio.Task | None = None
    active: bool = False

    def _mine(self) -> bool:
        return self.active and asyncio.current_task() is not self._excluded

    def on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self._mine():
            self.statements += 1
            self.texts.append(statement.split()[0] + " " + " ".join(statement.split()[1:6]))

    def on_begin(self, conn) -> None:
        if self._mine():
            self.transactions += 1

    @contextlib.contextmanager
    def counting(self):
        self.statements = self.transactions = 0
        self.texts = []
        self._excluded = asyncio.current_task()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


@contextlib.asynccontextmanager
async def live(db) -> AsyncIterator[tuple[EventTailer, Statements]]:
    """A started tailer (no periodic poll, no journal watch: nothing runs between our events) that
    re-checks subscriptions when credentials are revoked here, and a statement counter on ``db``."""
    tailer = EventTailer(db, poll_interval=3600)
    unregister = auth.on_tokens_forgotten(tailer.recheck_subscribers)
    counter = Statements()
    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", counter.on_execute)
    event.listen(sync_engine, "begin", counter.on_begin)
    await tailer.start()
    try:
        yield tailer, counter
    finally:
        await tailer.stop()
        unregister()
        event.remove(sync_engine, "before_cursor_execute", counter.on_execute)
        event.remove(sync_engine, "begin", counter.on_begin)


class Subscriber:
    def __init__(self, gen):
        self.gen = gen
        self.pending: asyncio.Task | None = None

    def want_next(self) -> asyncio.Task:
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.gen.__anext__())
        return self.pending

    async def next(self, timeout: float = 10.0):
        task = self.want_next()
        result = await asyncio.wait_for(asyncio.shield(task), timeout)
        self.pending = None
        return result

    async def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(BaseException):
                await self.pending
        with contextlib.suppress(BaseException):
            await self.gen.aclose()


async def subscribe(db, tailer: EventTailer, token: str, variables: dict | None = None) -> Subscriber:
    ctx = Context(db=db, settings=load_settings(env_file=None), tailer=tailer)
    await ctx.sign_in(token)
    gen = await schema.subscribe(SUB, variable_values=variables or {}, context_value=ctx)
    sub = Subscriber(gen)
    sub.want_next()
    return sub


async def registered(tailer: EventTailer, n: int) -> None:
    """Wait until ``n`` subscriptions listen on the tailer (each reads the journal's end first)."""
    for _ in range(500):
        if len(tailer._subscribers) >= n:
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(tailer._subscribers)} of {n} subscriptions registered")


async def tokens(db, n: int, role: str = "viewer") -> list[tuple[int, str]]:
    return [await auth.do_create_api_token(db, name=f"screen-{i}", role_code=role) for i in range(n)]


async def deliver_one_change(db, w, product: int, subs: list[Subscriber], counter: Statements, key: str) -> list:
    with counter.counting():
        await do_receive_stock(db, [StockLine(product_id=product, location_id=w.a1, quantity="2")], idempotency_key=key)
        results = await asyncio.gather(*(s.next() for s in subs))
    for r in results:
        assert not r.errors, r.errors
    return [r.data["stockChanged"] for r in results]


async def _cost_of_delivery(db, w, product: int, k: int, *, cold_principal_cache: bool) -> tuple[int, int, list]:
    async with live(db) as (tailer, counter):
        subs = [await subscribe(db, tailer, token) for _, token in await tokens(db, k)]
        try:
            await registered(tailer, k)
            # a first event warms what a subscription keeps (its verified sign-in)
            await deliver_one_change(db, w, product, subs, counter, f"warm-{k}")
            if cold_principal_cache:
                auth._cache.clear()  # as if the principal cache had expired (nothing was revoked)
            events = await deliver_one_change(db, w, product, subs, counter, f"measured-{k}")
        finally:
            for s in subs:
                await s.close()
    assert len({e["seq"] for e in events}) == 1 and len(events) == k
    assert {e["location"]["code"] for e in events} == {"WH1-A-01"}
    assert {e["warehouse"]["code"] for e in events} == {"WH1"}
    return counter.statements, counter.transactions, counter.texts


@pytest.mark.parametrize("cold_principal_cache", [False, True])
async def test_twenty_subscribers_cost_what_one_costs(db, cold_principal_cache):
    w = await make_world(db)
    product = await make_product(db, w)
    one = await _cost_of_delivery(db, w, product, 1, cold_principal_cache=cold_principal_cache)
    twenty = await _cost_of_delivery(db, w, product, 20, cold_principal_cache=cold_principal_cache)
    assert twenty[0] <= one[0] + 1, (one, twenty)  # statements
    assert twenty[1] <= one[1] + 1, (one, twenty)  # transactions
    # the journal read, the blind-count check, the rows the event shows (product, unit, location and
    # warehouse): a handful of short read transactions, however many subscribe (on PostgreSQL the
    # tailer may read the journal once more: woken by the commit and again by its NOTIFY)
    assert one[1] <= 7, one


async def test_a_warehouse_scoped_subscriber_sees_nothing_of_another_warehouse(db):
    w = await make_world(db)
    product = await make_product(db, w)
    await auth.do_create_user(
        db, username="beijing", password="correct horse 1", roles=["viewer"], warehouse_ids=[w.wh2]
    )
    scoped_token, _ = await auth.do_login(db, "beijing", "correct horse 1")
    async with live(db) as (tailer, counter):
        subs = [await subscribe(db, tailer, token) for _, token in await tokens(db, 5)]
        scoped = await subscribe(db, tailer, scoped_token)
        try:
            await registered(tailer, 6)
            events = await deliver_one_change(db, w, product, subs, counter, "wh1")  # a WH1 location
            assert len(events) == 5
            await asyncio.sleep(0.3)
            assert scoped.pending is not None and not scoped.pending.done()  # nothing for WH2's user
            await do_receive_stock(
                db, [StockLine(product_id=product, location_id=w.b1, quantity="3")], idempotency_key="wh2"
            )
            seen = (await scoped.next()).data["stockChanged"]
            assert (seen["warehouse"]["code"], seen["quantity"]) == ("WH2", "3")
        finally:
            for s in [*subs, scoped]:
                await s.close()


async def test_revoking_one_token_ends_only_its_subscription(db):
    w = await make_world(db)
    product = await make_product(db, w)
    issued = await tokens(db, 4)
    async with live(db) as (tailer, counter):
        subs = [await subscribe(db, tailer, token) for _, token in issued]
        try:
            await registered(tailer, 4)
            await deliver_one_change(db, w, product, subs, counter, "before")
            await auth.do_revoke_token(db, issued[0][0])
            ended = await subs[0].next()
            assert ended.errors and ended.errors[0].extensions["code"] == "PERMISSION_DENIED"
            events = await deliver_one_change(db, w, product, subs[1:], counter, "after")
            assert [e["quantity"] for e in events] == ["4", "4", "4"]
        finally:
            for s in subs:
                await s.close()
