"""Order intake benchmark: shop orders taken over HTTP (``intakeSalesOrder``, issue #22; target p99
≤ 100 ms).

A fresh database gets 20 products with ample stock in one bin and a shop customer; ``jxc serve`` (2
workers on PostgreSQL, 1 on SQLite) then takes: new orders from one shop connection sent one after the
other (as a platform pushes them), new orders from 8 connections at once, and resends of orders taken
already (8 connections: what a platform that retries costs). Every order has two lines, is approved at
once and reserves its stock. Afterwards the benchmark checks that each new order made exactly one sales
order and that the reservations equal what the orders hold: a benchmark that loses orders measures nothing.

Run alone with ``python -m bench.order_intake`` (PostgreSQL when reachable, else SQLite;
``JXC_BENCH_DB=sqlite`` forces SQLite), or as part of ``make bench``.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

from sqlalchemy import func, select

from bench.fresh import on_fresh_database
from bench.loadgen import Connection, RunResult, run_load
from schema.relay import to_global_id
from server.catalog.services import ProductInput, do_create_product, do_create_unit
from server.core.database import Database
from server.integrations.models import sales_order_intake
from server.inventory.models import stock_reservation
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.warehouses import do_create_location, do_create_warehouse
from server.partners.services import PartnerInput, do_create_partner
from server.sales.models import sales_order_line
from tests.servers import running_server

PRODUCTS = 20
SEQUENTIAL = int(os.environ.get("JXC_BENCH_INTAKE_ORDERS", "300"))
CLIENTS = 8
TARGET_P99_MS = 100.0
DURATION = float(os.environ.get("JXC_BENCH_SECONDS", "5"))

INTAKE = (
    'mutation($i:OrderIntakeInput!){intakeSalesOrder(source:"shop:bench",input:$i)'
    "{outcome hold{code} errors{code} order{status}}}"
)


async def seed(url: str) -> tuple[str, str, list[str]]:
    """The warehouse, the shop customer and the products' global ids."""
    db = Database(url)
    try:
        pcs = await do_create_unit(db, code="PCS", name="个", precision=0)
        wh = await do_create_warehouse(db, code="SHOPWH", name="电商仓")
        bin_id = await do_create_location(db, warehouse_id=wh, code="SHOPWH-01")
        products = [
            await do_create_product(
                db,
                ProductInput(sku=f"SHOP{i:03d}", name=f"网店商品{i}", base_unit_id=pcs, sale_price="19.90"),
            )
            for i in range(PRODUCTS)
        ]
        await do_receive_stock(
            db, [StockLine(product_id=p, location_id=bin_id, quantity="10000000", unit_cost="8") for p in products]
        )
        shop = await do_create_partner(db, "customer", PartnerInput(code="TMALL", name="天猫旗舰店散客"))
    finally:
        await db.dispose()
    return (
        to_global_id("Warehouse", wh),
        to_global_id("Customer", shop),
        [to_global_id("Product", p) for p in products],
    )


def _order(number: str, warehouse: str, customer: str, products: list[str], n: int) -> dict:
    lines = [
        {"productId": products[n % PRODUCTS], "quantity": "2", "unitPrice": "19.90"},
        {"productId": products[(n * 7 + 3) % PRODUCTS], "quantity": "1", "unitPrice": "39.00"},
    ]
    return {
        "query": INTAKE,
        "variables": {
            "i": {
                "externalOrderId": number,
                "warehouseId": warehouse,
                "customerId": customer,
                "lines": lines,
                "platformStatus": "WAIT_SELLER_SEND_GOODS",
                "consigneeName": "张三",
                "consigneePhone": "13800000000",
                "shipAddress": "上海市浦东新区世纪大道 100 号",
            }
        },
    }


def _taken(outcome: str):
    def ok(data: dict) -> bool:
        if data.get("errors"):
            return False
        p = data["data"]["intakeSalesOrder"]
        return p["errors"] == [] and p["hold"] == [] and p["outcome"] == outcome and p["order"]["status"] == "APPROVED"

    return ok


def _line(label: str, what: str, res: RunResult) -> str:
    p99 = res.pct(99)
    return (
        f"  {label:<11} {what:<34} {res.rate:6.0f}/s  p50 {res.pct(50):6.1f} ms  p99 {p99:6.1f} ms  "
        f"failed {res.failed}  (target p99 ≤ {TARGET_P99_MS:.0f} ms: ratio {p99 / TARGET_P99_MS:.2f})"
    )


async def bench_intake(url: str, label: str, workers: int) -> dict:
    warehouse, customer, products = await seed(url)
    run = uuid.uuid4().hex[:6]
    out: dict = {"label": label}
    with running_server(url, workers=workers) as base:
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])

        # one platform connection pushing new orders one after the other
        conn = Connection(host, port, base.token)
        await conn.open()
        one = RunResult(1)
        started = time.perf_counter()
        try:
            for n in range(SEQUENTIAL):
                t0 = time.perf_counter()
                status, data = await conn.post_json("/graphql", _order(f"{run}-S{n}", warehouse, customer, products, n))
                one.latencies.append(time.perf_counter() - t0)
                if status == 200 and _taken("CREATED")(data):
                    one.ok += 1
                else:
                    one.failed += 1
        finally:
            conn.close()
        one.elapsed = time.perf_counter() - started
        print(_line(label, "new orders, 1 connection", one), flush=True)

        def new(client: int, n: int) -> dict:
            return _order(f"{run}-C{client}-{n}", warehouse, customer, products, client * 1000 + n)

        many = await run_load(host, port, CLIENTS, DURATION, new, _taken("CREATED"), base.token)
        print(_line(label, f"new orders, {CLIENTS} connections", many), flush=True)

        def resend(client: int, n: int) -> dict:
            k = (client * 37 + n) % SEQUENTIAL
            return _order(f"{run}-S{k}", warehouse, customer, products, k)

        again = await run_load(host, port, CLIENTS, DURATION, resend, _taken("UNCHANGED"), base.token)
        print(_line(label, f"resends, {CLIENTS} connections", again), flush=True)

    db = Database(url)
    try:
        async with db.read() as conn:
            taken = (await conn.execute(select(func.count()).select_from(sales_order_intake))).scalar_one()
            held = (await conn.execute(select(func.coalesce(func.sum(sales_order_line.c.reserved_qty), 0)))).scalar()
            reserved = (
                await conn.execute(select(func.coalesce(func.sum(stock_reservation.c.reserved_qty), 0)))
            ).scalar()
    finally:
        await db.dispose()
    out["ok"] = taken == one.ok + many.ok and held == reserved and not one.failed and not many.failed
    if not out["ok"]:
        print(f"  CHECK FAILED: {taken} orders for {one.ok + many.ok} taken; reserved {reserved} vs held {held}")
    out.update(one=one, many=many, again=again)
    return out


async def run_fresh() -> dict:
    """On a fresh PostgreSQL database (2 workers) when one is reachable (``JXC_BENCH_DB=sqlite``: SQLite,
    1 worker), dropped after."""
    return await on_fresh_database(
        "intake", lambda url, label: bench_intake(url, label, 2 if label == "PostgreSQL" else 1)
    )


async def main() -> int:
    print(f"order intake benchmark — {os.cpu_count()} CPUs", flush=True)
    return 0 if (await run_fresh())["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
