"""``make bench``: receive-mutation throughput and latency over HTTP (SQLite; PostgreSQL with 2 workers),
the same transaction with raw asyncpg on the same PostgreSQL, a 100-row nested list query, scans
(16 devices; 5,000 serial numbers received end to end, ``bench/scan.py``), the main reports on the
large demo company (``bench/reports.py``; ``JXC_BENCH_REPORTS=0`` skips them) and one stock change
delivered live to 200 subscriptions (``bench/live_fanout.py``; ``JXC_BENCH_LIVE=0`` skips it), the
import of 10,000 products (``bench/import_products.py``; ``JXC_BENCH_IMPORT=0`` skips it), and shop orders
taken by order intake (``bench/order_intake.py``; ``JXC_BENCH_INTAKE=0`` skips it).

Load generator, server and PostgreSQL share the machine: compare the ratios printed at the end,
measured in the same run, rather than absolute rates.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import func, select

from bench.import_products import PRODUCTS as IMPORT_PRODUCTS
from bench.import_products import TARGET_S as IMPORT_TARGET_S
from bench.import_products import bench_import
from bench.live_fanout import SUBSCRIBERS as SUBSCRIBERS_LIVE
from bench.live_fanout import TARGET_P99_MS as LIVE_TARGET_P99_MS
from bench.live_fanout import run_fresh as run_live_fanout
from bench.loadgen import Connection, run_load
from bench.order_intake import TARGET_P99_MS as INTAKE_TARGET_P99_MS
from bench.order_intake import run_fresh as run_order_intake
from bench.reports import PRODUCTS as PRODUCTS_LARGE
from bench.reports import bench_reports
from bench.scan import bench_scans, seed_scan
from bench.webhooks import run_fresh as run_webhooks
from schema.relay import to_global_id
from server.catalog.services import ProductInput, do_create_product, do_create_unit
from server.core.database import Database
from server.inventory.models import stock_move
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.warehouses import do_create_location, do_create_warehouse
from server.migrate import upgrade
from server.sales.check import verify_ledger
from tests.dbutil import create_pg_database, drop_pg_database, pg_reachable
from tests.servers import running_server

DURATION = float(os.environ.get("JXC_BENCH_SECONDS", "5"))
CLIENTS = (1, 8, 32)
PRODUCTS = 64
LOCATIONS = 8
LIST_REQUESTS = 200

RECEIVE = (
    "mutation($l:[ReceiveLineInput!]!,$k:String!){receiveStock(lines:$l,idempotencyKey:$k){errors{code} operation{id}}}"
)
LIST = (
    "{ stockLevels(first: 100) { edges { node { quantity product { sku name baseUnit { code } } "
    "location { code warehouse { code } } } } } }"
)


async def seed(url: str) -> tuple[list[int], list[int]]:
    db = Database(url)
    try:
        pcs = await do_create_unit(db, code="PCS", name="个", precision=0)
        wh = await do_create_warehouse(db, code="BW1", name="基准仓")
        locations = [await do_create_location(db, warehouse_id=wh, code=f"BW1-{i:02d}") for i in range(LOCATIONS)]
        products = [
            await do_create_product(
                db, ProductInput(sku=f"B{i:04d}", name=f"基准商品{i}", base_unit_id=pcs, purchase_price="2.50")
            )
            for i in range(PRODUCTS)
        ]
        await do_receive_stock(
            db,
            [StockLine(product_id=p, location_id=loc, quantity="10") for p in products for loc in locations[:2]],
            idempotency_key="seed",
        )
    finally:
        await db.dispose()
    return products, locations


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (uvicorn workers), from /proc."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


async def bench_server(label: str, url: str, workers: int, products, locations) -> dict:
    out: dict = {"label": label, "runs": {}}
    run_id = uuid.uuid4().hex[:6]

    def body(client: int, n: int) -> dict:
        p = products[(client * 7 + n) % len(products)]
        loc = locations[(client + n) % len(locations)]
        return {
            "query": RECEIVE,
            "variables": {
                "l": [
                    {
                        "productId": to_global_id("Product", p),
                        "locationId": to_global_id("Location", loc),
                        "quantity": "1",
                        "unitCost": "2.50",
                    }
                ],
                "k": f"{run_id}-{client}-{n}",
            },
        }

    def ok(data: dict) -> bool:
        return not data.get("errors") and data["data"]["receiveStock"]["errors"] == []

    with running_server(url, workers=workers) as base:
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
        await run_load(host, port, 4, 1.0, lambda c, n: body(c + 1000, n), ok, base.token)  # warm-up
        total_ok = 0
        for clients in CLIENTS:
            run_id = uuid.uuid4().hex[:6]
            cpu0, t0 = _cpu_seconds(base.pid), time.process_time()
            res = await run_load(host, port, clients, DURATION, body, ok, base.token)
            cpu = _cpu_seconds(base.pid) - cpu0
            total_ok += res.ok
            out["runs"][clients] = res
            print(
                f"  {label:<28} receive  {clients:>2} clients: {res.rate:7.0f}/s  p50 {res.pct(50):6.1f} ms  "
                f"p99 {res.pct(99):6.1f} ms  failed {res.failed}  server CPU {cpu:5.1f}s  "
                f"loadgen CPU {time.process_time() - t0:4.1f}s",
                flush=True,
            )
        out.update(await bench_list(label, host, port, base.token))

    # a benchmark that loses writes measures nothing: every successful request is exactly one move
    db = Database(url)
    try:
        async with db.read() as c:
            moves = (
                await c.execute(select(func.count()).select_from(stock_move).where(stock_move.c.move_type == "receipt"))
            ).scalar()
            problems = await verify_ledger(c)
    finally:
        await db.dispose()
    warmup_and_seed = moves - total_ok
    out["ledger_ok"] = not problems
    print(
        f"  {label:<28} ledger: {moves} receipt moves ({total_ok} measured + {warmup_and_seed} seed/warm-up), "
        f"jxc check: {'OK' if not problems else problems[:3]}",
        flush=True,
    )
    return out


async def bench_list(label: str, host: str, port: int, token: str) -> dict:
    """The 100-row nested list query, sequential: ``list_p50`` / ``list_p99`` in ms."""
    conn = Connection(host, port, token)
    await conn.open()
    for _ in range(20):
        await conn.post_json("/graphql", {"query": LIST})
    lat = []
    for _ in range(LIST_REQUESTS):
        t = time.perf_counter()
        status, data = await conn.post_json("/graphql", {"query": LIST})
        lat.append(time.perf_counter() - t)
        assert status == 200 and len(data["data"]["stockLevels"]["edges"]) == 100, data
    conn.close()
    lat.sort()
    out = {"list_p50": statistics.median(lat) * 1000, "list_p99": lat[int(0.99 * (len(lat) - 1))] * 1000}
    print(f"  {label:<28} 100-row nested list: p50 {out['list_p50']:.1f} ms  p99 {out['list_p99']:.1f} ms", flush=True)
    return out


async def list_only() -> int:
    """``python -m bench.run list``: only the list figure, on SQLite (1 worker) and PostgreSQL if reachable."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        await seed(url)
        with running_server(url, workers=1) as base:
            await bench_list("SQLite", "127.0.0.1", int(base.rsplit(":", 1)[1]), base.token)
    if await pg_reachable():
        url = await create_pg_database()
        try:
            upgrade(url)
            await seed(url)
            with running_server(url, workers=2) as base:
                await bench_list("PostgreSQL", "127.0.0.1", int(base.rsplit(":", 1)[1]), base.token)
        finally:
            await drop_pg_database(url)
    return 0


async def bench_raw_asyncpg(url: str, products, locations, clients: int = 8) -> float:
    """The receive transaction's statements, written by hand with asyncpg prepared statements."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    count = 0
    stop_at = time.perf_counter() + DURATION
    run_id = uuid.uuid4().hex[:6]
    payload_template = {"product_id": 0, "location_id": 0, "delta": 1000000, "quantity": 0}

    async def worker(idx: int) -> None:
        nonlocal count
        n = 0
        async with pool.acquire() as conn:
            while time.perf_counter() < stop_at:
                p = products[(idx * 7 + n) % len(products)]
                loc = locations[(idx + n) % len(locations)]
                key = f"raw-{run_id}-{idx}-{n}"
                n += 1
                async with conn.transaction():
                    op = await conn.fetchval(
                        "INSERT INTO stock_operation (op_type, reference, reason, actor, idempotency_key, request_hash, "
                        "created_at) VALUES ('receipt', '', '', '', $1, $2, now()) "
                        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                        key,
                        "h" * 64,
                    )
                    await conn.fetch(
                        "SELECT 'p' AS kind, p.id, p.base_unit_id, p.tracking, p.active, p.purchase_price_fen, u.precision "
                        "FROM product p JOIN unit u ON u.id = p.base_unit_id WHERE p.id = ANY($1::bigint[]) UNION ALL "
                        "SELECT 'l', l.id, l.warehouse_id, l.code, l.active, coalesce(f.count_id, 0), 0 FROM location l "
                        "LEFT JOIN frozen_location f ON f.location_id = l.id WHERE l.id = ANY($2::bigint[])",
                        [p],
                        [loc],
                    )
                    qty = await conn.fetchval(
                        "INSERT INTO stock_level (product_id, location_id, warehouse_id, lot_id, lot_key, qty, updated_at) "
                        "VALUES ($1, $2, (SELECT warehouse_id FROM location WHERE id = $2), NULL, 0, 1000000, now()) "
                        "ON CONFLICT (product_id, location_id, lot_key) DO UPDATE SET qty = stock_level.qty + excluded.qty, "
                        "updated_at = excluded.updated_at RETURNING qty",
                        p,
                        loc,
                    )
                    # the checks every stock operation makes: frozen locations, reorder rules
                    await conn.fetch(
                        "SELECT location_id, count_id FROM frozen_location WHERE location_id = ANY($1::bigint[])", [loc]
                    )
                    await conn.fetchrow(
                        "INSERT INTO product_cost (product_id, qty, value_fen) VALUES ($1, 0, 0) "
                        "ON CONFLICT (product_id) DO UPDATE SET qty = product_cost.qty "
                        "RETURNING qty, value_fen, method",
                        p,
                    )
                    await conn.execute(
                        "UPDATE product_cost SET qty = qty + 1000000, value_fen = value_fen + 250 "
                        "WHERE product_id = $1",
                        p,
                    )
                    await conn.fetch(
                        "SELECT product_id, warehouse_id FROM reorder_rule WHERE product_id = ANY($1::bigint[])", [p]
                    )
                    move = await conn.fetchval(
                        "INSERT INTO stock_move (operation_id, line_no, move_type, product_id, lot_id, from_location_id, "
                        "to_location_id, qty, value_fen, reason, source_document, source_line_id, actor, created_at) "
                        "VALUES ($1, 1, 'receipt', $2, NULL, NULL, $3, 1000000, 250, '', '', NULL, '', now()) RETURNING id",
                        op,
                        p,
                        loc,
                    )
                    payload = dict(
                        payload_template, product_id=p, location_id=loc, quantity=qty, move_id=move, operation_id=op
                    )
                    await conn.execute(
                        "INSERT INTO event (seq, event_type, product_id, payload, created_at) "
                        "SELECT last_seq + 1, 'stock.changed', $1, $2, now() FROM event_counter "
                        "WHERE id = 1 FOR UPDATE",
                        p,
                        json.dumps(payload),
                    )
                    await conn.execute(
                        "INSERT INTO audit_log (at, actor, operation, target, details) "
                        "VALUES (now(), 'token:bench', 'receiveStock', $1, $2)",
                        f"stock_operation:{op}",
                        json.dumps({"after": {"moves": [payload]}}),
                    )
                count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    rate = count / elapsed
    print(f"  {'PostgreSQL raw asyncpg':<28} receive  {clients:>2} tasks:   {rate:7.0f}/s", flush=True)
    return rate


async def main() -> int:
    print(f"jxc benchmark — {os.cpu_count()} CPUs, {DURATION:.0f}s per run\n", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        products, locations = await seed(url)
        print("SQLite (1 worker):", flush=True)
        results["sqlite"] = await bench_server("SQLite", url, 1, products, locations)
        results["sqlite"]["scan"] = await bench_scans("SQLite", url, 1, *await seed_scan(url), DURATION)

    raw_rate = None
    if await pg_reachable():
        url = await create_pg_database()
        try:
            upgrade(url)
            products, locations = await seed(url)
            print("\nPostgreSQL (2 workers):", flush=True)
            results["pg"] = await bench_server("PostgreSQL", url, 2, products, locations)
            results["pg"]["scan"] = await bench_scans("PostgreSQL", url, 2, *await seed_scan(url), DURATION)
            raw_rate = await bench_raw_asyncpg(url, products, locations)
        finally:
            await drop_pg_database(url)
        if os.environ.get("JXC_BENCH_REPORTS", "1") != "0":
            print(f"\nReports on the large demo company (PostgreSQL, {PRODUCTS_LARGE:,} products):", flush=True)
            url = await create_pg_database()
            try:
                upgrade(url)
                results["reports"] = await bench_reports(url)
            finally:
                await drop_pg_database(url)
    else:
        print("\nPostgreSQL not reachable: skipped", flush=True)
    webhooks_ok = True
    if os.environ.get("JXC_BENCH_WEBHOOKS", "1") != "0":
        print("\nWebhook fan-out (bench/webhooks.py):", flush=True)
        webhooks_ok = (await run_webhooks())["ok"]

    imported = None
    if os.environ.get("JXC_BENCH_IMPORT", "1") != "0" and "pg" in results:
        print(f"\nImport of {IMPORT_PRODUCTS:,} products (bench/import_products.py, PostgreSQL):", flush=True)
        url = await create_pg_database()
        try:
            upgrade(url)
            imported = await bench_import(url)
        finally:
            await drop_pg_database(url)

    intake = None
    if os.environ.get("JXC_BENCH_INTAKE", "1") != "0":
        print("\nOrder intake (bench/order_intake.py):", flush=True)
        intake = await run_order_intake()

    live = None
    if os.environ.get("JXC_BENCH_LIVE", "1") != "0":
        print("\nLive fan-out (bench/live_fanout.py):", flush=True)
        live = await run_live_fanout()

    print("\nSummary / 汇总:")
    if imported:
        total = imported["dry run"] + imported["commit"]
        print(
            f"  import of {IMPORT_PRODUCTS:,} products: dry run + commit {total:.1f} s "
            f"(target ≤ {IMPORT_TARGET_S:.0f} s, ratio {total / IMPORT_TARGET_S:.2f})"
        )
    if intake:
        print(
            f"  order intake ({intake['label']}): new orders p99 {intake['one'].pct(99):.1f} ms from one shop, "
            f"{intake['many'].pct(99):.1f} ms from 8 at once ({intake['many'].rate:.0f}/s); resends p99 "
            f"{intake['again'].pct(99):.1f} ms (target p99 ≤ {INTAKE_TARGET_P99_MS:.0f} ms)"
        )
    reports = results.pop("reports", None)
    if reports:
        slowest = max(reports, key=reports.get)
        print(
            f"  reports on the large company: slowest {slowest} {reports[slowest] * 1000:.0f} ms "
            f"(target ≤ 1 s each; {sum(v <= 1 for v in reports.values())}/{len(reports)} within)"
        )
    for _key, res in results.items():
        r8 = res["runs"][8]
        print(
            f"  {res['label']:<11} 8 clients {r8.rate:6.0f}/s p99 {r8.pct(99):5.1f} ms; "
            f"list p50 {res['list_p50']:5.1f} ms (target ≤ 30)"
        )
        scan = res["scan"]
        print(
            f"  {res['label']:<11} scans from 16 devices {scan['rate'].rate:6.0f}/s p99 {scan['rate'].pct(99):5.1f} ms; "
            f"5,000 serials end to end {scan['serials_s']:.1f} s (target ≤ 10 s on PostgreSQL); "
            f"scan to feedback p95 {scan['feedback_p95_ms']:.1f} ms (target ≤ 100)"
        )
    if raw_rate:
        r8 = results["pg"]["runs"][8]
        ratio = r8.rate / raw_rate
        print(
            f"  ratio GraphQL mutation / raw asyncpg at 8 clients: {ratio:.2f} (target ≥ 0.35), "
            f"p99 {r8.pct(99):.1f} ms (target ≤ 50)"
        )
    if live:
        many = live["many"]
        print(
            f"  live fan-out ({live['label']}): one stock change to {SUBSCRIBERS_LIVE} subscribers p50 "
            f"{many['p50']:.1f} ms p99 {many['p99']:.1f} ms (target p99 ≤ {LIVE_TARGET_P99_MS:.0f} ms); "
            f"{many['statements']:.0f} SQL statements per event, {live['one']['statements']:.0f} for one subscriber"
        )
    live_ok = live is None or live["ok"]
    intake_ok = intake is None or intake["ok"]
    return 0 if webhooks_ok and live_ok and intake_ok and all(r["ledger_ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(list_only() if sys.argv[1:] == ["list"] else main()))
