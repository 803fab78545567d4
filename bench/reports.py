"""Report timings on the large demo company (``jxc demo-data --scale large``): ≥ 10,000 products,
≥ 1,000,000 stock moves, ≥ 200,000 sales lines. Target: ≤ 1 s per report on PostgreSQL.

Run alone with ``python -m bench.reports [DATABASE_URL]`` (an existing large database is reused), or
as part of ``make bench`` (a fresh PostgreSQL database is generated and dropped; set
``JXC_BENCH_PRODUCTS`` for a smaller company).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from server.core import clock
from server.core.database import Database
from server.demo.large import load_large_demo
from server.inventory import abc
from server.inventory.models import stock_move
from server.reports import dashboard, inventory, purchasing, sales
from server.sales.models import shipment_line

PRODUCTS = int(os.environ.get("JXC_BENCH_PRODUCTS", "10000"))
TARGET_S = 1.0


def _reports(today: date):
    year_ago, quarter_ago = today - timedelta(days=364), today - timedelta(days=90)
    return [
        ("sales by product, 1 year", lambda c: sales.sales_report(c, year_ago, today, "product")),
        ("sales by month, 1 year", lambda c: sales.sales_report(c, year_ago, today, "month")),
        ("sales by customer, 30 days", lambda c: sales.sales_report(c, today - timedelta(days=29), today, "customer")),
        ("stock by product, 6 months ago", lambda c: inventory.stock_as_of(c, today - timedelta(days=182), "product")),
        ("stock by warehouse, today", lambda c: inventory.stock_as_of(c, today, "warehouse")),
        ("turnover by product, quarter", lambda c: inventory.turnover(c, quarter_ago, today, "product")),
        ("slow movers, 30 days", lambda c: inventory.slow_movers(c, today, 30)),
        ("overstock and shortage", lambda c: inventory.overstock_and_shortage(c)),
        ("ABC classes, 1 year", lambda c: abc.abc_items(c, today)),
        ("purchase spend by supplier", lambda c: purchasing.purchase_spend(c, year_ago, today)),
        ("dashboard", lambda c: dashboard.dashboard(c, today)),
    ]


async def bench_reports(url: str, *, generate: bool = True) -> dict[str, float]:
    db = Database(url)
    try:
        if generate:
            t0 = time.perf_counter()
            await load_large_demo(db, products=PRODUCTS)
            print(f"  large demo generated in {time.perf_counter() - t0:.0f} s", flush=True)
        async with db.read() as conn:
            moves = (await conn.execute(select(func.count()).select_from(stock_move))).scalar_one()
            lines = (await conn.execute(select(func.count()).select_from(shipment_line))).scalar_one()
        print(f"  {moves:,} stock moves, {lines:,} sales lines", flush=True)
        today = clock.today()
        out = {}
        for label, make in _reports(today):
            times = []
            for _ in range(3):
                async with db.read() as conn:
                    t0 = time.perf_counter()
                    await make(conn)
                    times.append(time.perf_counter() - t0)
            out[label] = statistics.median(times)
            mark = "ok" if out[label] <= TARGET_S else "SLOW"
            print(
                f"  {label:<32} {out[label] * 1000:8.0f} ms  (median of 3; target ≤ {TARGET_S:.0f} s) {mark}",
                flush=True,
            )
        return out
    finally:
        await db.dispose()


async def _main(argv: list[str]) -> int:
    if argv:
        await bench_reports(argv[0], generate=False)
        return 0
    from server.migrate import upgrade
    from tests.dbutil import create_pg_database, drop_pg_database, pg_reachable

    if not await pg_reachable():
        print("PostgreSQL not reachable", file=sys.stderr)
        return 1
    url = await create_pg_database()
    try:
        upgrade(url)
        await bench_reports(url)
    finally:
        await drop_pg_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
