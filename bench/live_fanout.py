"""Live fan-out: one stock change delivered to 200 ``stockChanged`` subscriptions of one process.

The subscriptions run through the served schema (``schema.subscribe``) on one event tailer, each with
its own context and its own API token, selecting what a wall display shows (quantity, product,
location, warehouse). ``JXC_BENCH_LIVE_EVENTS`` stock changes (default 40) are made one after the
other; for each, the time from its commit to each subscriber's resolved result is taken (p50/p99 over
every delivery, and of the slowest subscriber per event), and the SQL statements run to deliver it,
outside the writer, are counted (``before_cursor_execute``) — the same for 1 subscriber and for 200
(issue #20: 100 subscribers used to cost ~200 statements per event).

Run alone with ``python -m bench.live_fanout`` (PostgreSQL when reachable, else SQLite;
``JXC_BENCH_DB=sqlite`` forces SQLite), or as part of ``make bench``. Takes ~10–20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time

from sqlalchemy import event

from bench.fresh import on_fresh_database
from schema.context import Context
from schema.schema import schema
from server.auth import services as auth
from server.catalog.services import ProductInput, do_create_product, do_create_unit
from server.core.database import Database
from server.core.settings import load_settings
from server.events.bus import EventTailer
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.warehouses import do_create_location, do_create_warehouse

SUBSCRIBERS = int(os.environ.get("JXC_BENCH_LIVE_SUBSCRIBERS", "200"))
EVENTS = int(os.environ.get("JXC_BENCH_LIVE_EVENTS", "40"))
TARGET_P99_MS = 100.0  # every one of 200 screens shows a stock change within 100 ms of its commit

SUB = """subscription { stockChanged {
  seq delta quantity moveType product { sku name } location { code } warehouse { code }
} }"""


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _fan_out(db: Database, product: int, location: int, subscribers: int, events: int) -> dict:
    settings = load_settings(env_file=None)
    tailer = EventTailer(db, poll_interval=3600)
    unregister = auth.on_tokens_forgotten(tailer.recheck_subscribers)
    commits: list[float] = []
    db.after_commit.append(lambda: commits.append(time.perf_counter()))
    await tailer.start()

    writer: asyncio.Task | None = None
    counting = False
    statements = 0

    def on_execute(*_args) -> None:
        nonlocal statements
        if counting and asyncio.current_task() is not writer:
            statements += 1

    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", on_execute)
    received: list[list[tuple[int, float]]] = [[] for _ in range(subscribers)]
    errors: list = []
    arrived: dict[int, int] = {}  # seq: how many subscribers have it
    all_arrived = asyncio.Event()

    async def listen(i: int, token: str) -> None:
        ctx = Context(db=db, settings=settings, tailer=tailer)
        await ctx.sign_in(token)
        async for result in await schema.subscribe(SUB, context_value=ctx):
            if result.errors:
                errors.append(result.errors)
                all_arrived.set()
                return
            seq = result.data["stockChanged"]["seq"]
            received[i].append((seq, time.perf_counter()))
            arrived[seq] = arrived.get(seq, 0) + 1
            if arrived[seq] == subscribers:
                all_arrived.set()

    tokens = [
        (await auth.do_create_api_token(db, name=f"screen-{i}", role_code="viewer"))[1] for i in range(subscribers)
    ]
    tasks = [asyncio.create_task(listen(i, t)) for i, t in enumerate(tokens)]
    try:
        while len(tailer._subscribers) < subscribers:  # noqa: ASYNC110 (the tailer has no such signal)
            await asyncio.sleep(0.01)
        writer = asyncio.current_task()
        per_event_statements: list[int] = []
        latencies: list[float] = []  # ms, every delivery
        slowest: list[float] = []  # ms, the last subscriber of each event
        cpu = 0.0  # seconds of this process's CPU while delivering the measured events
        for n in range(events + 1):  # the first event warms up (what each subscription keeps)
            statements, counting = 0, True
            commits.clear()
            all_arrived.clear()
            cpu_before = time.process_time()
            await do_receive_stock(
                db,
                [StockLine(product_id=product, location_id=location, quantity="1")],
                idempotency_key=f"live-{subscribers}-{n}",
            )
            committed = commits[-1]
            await asyncio.wait_for(all_arrived.wait(), 60)
            cpu_spent = time.process_time() - cpu_before
            await asyncio.sleep(0.02)  # a late statement would still be counted
            counting = False
            if errors:
                raise RuntimeError(f"a subscription failed: {errors[0]}")
            if n == 0:
                continue
            cpu += cpu_spent
            times = [(r[n][1] - committed) * 1000 for r in received]
            latencies += times
            slowest.append(max(times))
            per_event_statements.append(statements)
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(BaseException):
                await t
        event.remove(sync_engine, "before_cursor_execute", on_execute)
        await tailer.stop()
        unregister()
        db.after_commit.pop()
    return {
        "p50": statistics.median(latencies),
        "p99": _pct(latencies, 99),
        "slowest_p50": statistics.median(slowest),
        "statements": statistics.median(per_event_statements),
        "statements_max": max(per_event_statements),
        "cpu_ms_per_delivery": cpu * 1000 / (events * subscribers),
    }


async def bench_live(url: str, label: str) -> dict:
    db = Database(url)
    try:
        pcs = await do_create_unit(db, code="PCS", name="个", precision=0)
        wh = await do_create_warehouse(db, code="LW1", name="看板仓")
        loc = await do_create_location(db, warehouse_id=wh, code="LW1-01")
        product = await do_create_product(db, ProductInput(sku="L0001", name="看板商品", base_unit_id=pcs))
        one = await _fan_out(db, product, loc, 1, min(EVENTS, 20))
        many = await _fan_out(db, product, loc, SUBSCRIBERS, EVENTS)
    finally:
        await db.dispose()
    print(
        f"  {label}: one stock change to {SUBSCRIBERS} subscribers: p50 {many['p50']:.1f} ms, "
        f"p99 {many['p99']:.1f} ms (slowest subscriber per event, p50 {many['slowest_p50']:.1f} ms); "
        f"target p99 ≤ {TARGET_P99_MS:.0f} ms, ratio {TARGET_P99_MS / many['p99']:.2f}\n"
        f"    SQL statements per event: {many['statements']:.0f} (max {many['statements_max']}) for {SUBSCRIBERS} "
        f"subscribers, {one['statements']:.0f} for 1 (target: the same); 1 subscriber p50 {one['p50']:.1f} ms\n"
        f"    CPU per delivery (write included): {many['cpu_ms_per_delivery']:.2f} ms with {SUBSCRIBERS} subscribers, "
        f"{one['cpu_ms_per_delivery']:.2f} ms with 1",
        flush=True,
    )
    return {"label": label, "one": one, "many": many, "ok": many["statements_max"] <= one["statements_max"] + 1}


async def run_fresh() -> dict:
    """On a fresh PostgreSQL database when one is reachable (``JXC_BENCH_DB=sqlite``: SQLite), dropped after."""
    return await on_fresh_database("live", bench_live)


async def main() -> int:
    print(f"live fan-out benchmark — {os.cpu_count()} CPUs", flush=True)
    return 0 if (await run_fresh())["ok"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
