"""Webhook fan-out: journal events delivered to 10 local receivers by one sender process.

The journal is filled first (``JXC_BENCH_WEBHOOK_EVENTS`` stock.changed events, default 5,000), 10
endpoints subscribe to them, then one sender (``python -m server.integrations``, what ``jxc worker``
runs) delivers everything — signed, logged, one HTTP request per event and endpoint, in order per
endpoint — to 10 receivers served by a separate process (``tests/webhook_receiver.py``). The figure is
events per second fanned out to all 10 (so deliveries per second are 10×); target 1,000 events/s.
It then checks that every receiver got every event and the log holds one delivery per event and
endpoint: a benchmark that loses deliveries measures nothing.

Run alone with ``python -m bench.webhooks`` (PostgreSQL when reachable, else SQLite;
``JXC_BENCH_DB=sqlite`` forces SQLite), or as part of ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

from sqlalchemy import func, select

from bench.fresh import on_fresh_database
from server.core.database import Database
from server.events.journal import last_sequence
from server.integrations.endpoints import EndpointSpec, do_create_webhook_endpoint
from server.integrations.models import webhook_delivery, webhook_endpoint

EVENTS = int(os.environ.get("JXC_BENCH_WEBHOOK_EVENTS", "5000"))
RECEIVERS = 10
TARGET = 1000.0  # events per second, each to every receiver


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _seed(url: str, ports: list[int]) -> None:
    from server.catalog.services import ProductInput, do_create_product, do_create_unit
    from server.inventory.services import StockLine, do_receive_stock
    from server.inventory.warehouses import do_create_location, do_create_warehouse

    db = Database(url)
    try:
        pcs = await do_create_unit(db, code="PCS", name="个", precision=0)
        wh = await do_create_warehouse(db, code="WB1", name="基准仓")
        loc = await do_create_location(db, warehouse_id=wh, code="WB1-01")
        products = [
            await do_create_product(
                db, ProductInput(sku=f"W{i:04d}", name=f"商品{i}", base_unit_id=pcs, purchase_price="1")
            )
            for i in range(100)
        ]
        for i, port in enumerate(ports):
            await do_create_webhook_endpoint(
                db,
                EndpointSpec(name=f"receiver {i}", url=f"http://127.0.0.1:{port}/r{i}", event_types=["stock_changed"]),
                None,
            )
        for n in range(0, EVENTS, len(products)):  # one receipt of 100 lines: 100 stock.changed events
            lines = [StockLine(product_id=p, location_id=loc, quantity="1", unit_cost="1") for p in products]
            await do_receive_stock(db, lines[: EVENTS - n], idempotency_key=f"bench-{n}")
    finally:
        await db.dispose()


async def _progress(db: Database) -> tuple[int, int]:
    async with db.read() as conn:
        head = await last_sequence(conn)
        slowest = (await conn.execute(select(func.min(webhook_endpoint.c.cursor)))).scalar_one()
    return head, slowest


async def bench_webhooks(url: str, label: str) -> dict:
    """One run on the migrated, empty database ``url``; prints the figure, the target and the ratio."""
    receivers = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.webhooks",
        "--receivers",
        str(RECEIVERS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert receivers.stdout is not None and receivers.stdin is not None
    ports = json.loads(await receivers.stdout.readline())
    await _seed(url, ports)
    env = dict(os.environ, DATABASE_URL=url, JXC_LOG_LEVEL="warning", JXC_WEBHOOK_BATCH="500", JXC_WEBHOOK_POLL="0.05")
    db = Database(url)
    started = time.perf_counter()
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.integrations", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        while True:
            head, slowest = await _progress(db)
            if slowest >= head:
                break
            if sender.returncode is not None:
                raise RuntimeError("the sender exited")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        sender_cpu = _cpu_seconds(sender.pid)
        async with db.read() as conn:
            logged = (
                await conn.execute(select(func.count()).where(webhook_delivery.c.outcome == "delivered"))
            ).scalar_one()
    finally:
        sender.terminate()
        await asyncio.wait_for(sender.wait(), 15)
        await db.dispose()
    receivers_cpu = _cpu_seconds(receivers.pid)
    receivers.stdin.write(b"count\n")
    await receivers.stdin.drain()
    received = json.loads(await receivers.stdout.readline())
    receivers.stdin.close()
    await asyncio.wait_for(receivers.wait(), 10)
    rate = EVENTS / elapsed
    ok = logged >= EVENTS * RECEIVERS and received >= EVENTS * RECEIVERS
    print(
        f"  {label}: {EVENTS:,} events × {RECEIVERS} receivers in {elapsed:.2f} s — {rate:,.0f} events/s fanned out "
        f"({rate * RECEIVERS:,.0f} deliveries/s); target {TARGET:,.0f} events/s, ratio {rate / TARGET:.2f}\n"
        f"    CPU: sender {sender_cpu:.1f} s, receivers {receivers_cpu:.1f} s; received {received:,}, "
        f"logged {logged:,} ({'complete' if ok else 'DELIVERIES MISSING'})",
        flush=True,
    )
    return {"label": label, "rate": rate, "ratio": rate / TARGET, "ok": ok}


async def run_fresh() -> dict:
    """On a fresh PostgreSQL database when one is reachable (``JXC_BENCH_DB=sqlite``: SQLite), dropped after."""
    return await on_fresh_database("webhooks", bench_webhooks)


async def main() -> int:
    print(f"webhook fan-out benchmark — {os.cpu_count()} CPUs", flush=True)
    return 0 if (await run_fresh())["ok"] else 1


async def _serve_receivers(n: int) -> None:
    """The receivers' process: ``n`` servers; prints their ports, then the request count on ``count``."""
    from tests.webhook_receiver import Receiver

    receivers = [await Receiver(record=False).start() for _ in range(n)]
    print(json.dumps([r.port for r in receivers]), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        print(json.dumps(sum(r.count for r in receivers)), flush=True)
    for r in receivers:
        await r.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--receivers"]:
        asyncio.run(_serve_receivers(int(sys.argv[2])))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
