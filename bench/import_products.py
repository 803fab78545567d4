"""Import 10,000 generated products (a CSV with a pack unit, two barcodes and a category each): the
dry run, the commit and a second, unchanged import. Target: dry run + commit ≤ 60 s.

Run with ``python -m bench.import_products`` on the database of ``JXC_BENCH_DB`` (a URL; it must be
migrated and have no products with these SKUs), else on a fresh PostgreSQL database that is dropped
afterwards. ``JXC_BENCH_PRODUCTS`` sets the number of products.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import time

from server.catalog.gtin import gs1_check_digit
from server.catalog.services import do_create_category, do_create_unit
from server.core.database import Database
from server.imports.products import header, import_products

PRODUCTS = int(os.environ.get("JXC_BENCH_PRODUCTS", "10000"))
TARGET_S = 60.0


def _gtin(payload: str) -> str:
    return payload + str(gs1_check_digit(payload))


def generate(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header())
    for i in range(n):
        writer.writerow(
            [
                f"BENCH-{i:06d}",
                f"基准商品 {i}",
                f"{i % 50 + 1}kg",
                f"BC{i % 20:02d}",
                "BPCS",
                "BBOX=12",
                f"{_gtin(f'690{i:09d}')};BBOX:{_gtin(f'1690{i:09d}')}",
                f"{i % 1000 + 1}.25",
                f"{i % 1000 + 2}.50",
                "0.13",
                ("none", "lot", "serial")[i % 3],
                str(i % 100),
                str(i % 200),
            ]
        )
    return out.getvalue().encode()


async def bench_import(url: str) -> dict[str, float]:
    db = Database(url)
    try:
        await do_create_unit(db, code="BPCS", name="个", precision=0)
        await do_create_unit(db, code="BBOX", name="箱", precision=0)
        for c in range(20):
            await do_create_category(db, code=f"BC{c:02d}", name=f"基准分类 {c}")
        data = generate(PRODUCTS)
        print(f"  {PRODUCTS:,} products, {len(data) / 1e6:.1f} MB of CSV", flush=True)
        times: dict[str, float] = {}
        for label, commit in (("dry run", False), ("commit", True), ("re-import (unchanged)", True)):
            t0 = time.perf_counter()
            report = await import_products(db, data, "bench.csv", commit=commit)
            times[label] = time.perf_counter() - t0
            assert report.ok, report.errors[:5]
            print(
                f"  {label:22s} {times[label]:6.1f} s   created {report.created:,}, updated {report.updated:,}, "
                f"unchanged {report.unchanged:,}",
                flush=True,
            )
        total = times["dry run"] + times["commit"]
        print(f"dry run + commit: {total:.1f} s (target ≤ {TARGET_S:.0f} s), ratio {total / TARGET_S:.2f}")
        return times
    finally:
        await db.dispose()


async def _main() -> int:
    url = os.environ.get("JXC_BENCH_DB")
    if url:
        await bench_import(url)
        return 0
    from server.migrate import upgrade
    from tests.dbutil import create_pg_database, drop_pg_database, pg_reachable

    if not await pg_reachable():
        print("PostgreSQL not reachable; set JXC_BENCH_DB to a migrated database URL", file=sys.stderr)
        return 1
    url = await create_pg_database()
    try:
        upgrade(url)
        await bench_import(url)
    finally:
        await drop_pg_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
