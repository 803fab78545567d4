"""``jxc demo-data --scale large``: a large trading company for the report benchmarks — by default
10,000 products, a year of history with ≥ 1,000,000 stock moves and ≥ 200,000 sales lines (orders,
shipments and invoices), bulk-inserted with a progress bar.

The history is simulated per product in integer arithmetic, exactly as the ledger would book it
(moving-average issues, receipts when stock runs low, transfers between bins), and written straight
into the tables in large batches — going through the services would take hours. The result keeps
every invariant ``jxc check`` verifies for stock: levels and the cost state equal the ledger. Its
books are not set up (the bulk history writes no journal events); use the normal demo for finance.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text

from server.catalog.models import product
from server.catalog.services import do_create_category, do_create_unit
from server.core import clock
from server.core.business_settings import write_setting
from server.core.clock import utcnow
from server.core.database import Database
from server.core.numbers import QTY_SCALE
from server.inventory.availability import note_availability
from server.inventory.models import product_cost, reorder_rule, stock_level, stock_move, stock_operation
from server.inventory.warehouses import do_create_location, do_create_warehouse
from server.partners.models import customer
from server.sales.models import (
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_line,
    shipment,
    shipment_line,
)

MARKER = "demo.large"
BATCH = 5000
SALES_PER_PRODUCT = 20
TRANSFERS_PER_PRODUCT = 80
CUSTOMERS = 50


def _bar(label: str, done: int, total: int) -> None:
    n = done * 30 // max(total, 1)
    print(
        f"\r{label:<12} [{'#' * n}{'.' * (30 - n)}] {done}/{total}",
        end="" if done < total else "\n",
        file=sys.stderr,
        flush=True,
    )


class _Writer:
    """Buffers rows per table and inserts them in batches."""

    def __init__(self, db: Database):
        self.db = db
        self.rows: dict = {}
        self.written = 0

    async def add(self, table, row: dict) -> None:
        buf = self.rows.setdefault(table, [])
        buf.append(row)
        if len(buf) >= BATCH:
            await self.flush(table)

    async def flush(self, table=None) -> None:
        for t in [table] if table is not None else list(self.rows):
            buf = self.rows.get(t)
            if buf:
                async with self.db.write() as conn:
                    await conn.execute(t.insert(), buf)
                self.written += len(buf)
                self.rows[t] = []


async def _next_ids(db: Database, tables) -> dict:
    async with db.read() as conn:
        return {t: ((await conn.execute(select(func.max(t.c.id)))).scalar() or 0) + 1 for t in tables}


async def load_large_demo(
    db: Database, *, products: int = 10_000, days: int = 365, seed: int = 7, today: date | None = None
) -> bool:
    async with db.read() as conn:
        from server.core.business_settings import read_setting

        if await read_setting(conn, MARKER, None) is not None:
            return False
    rnd = random.Random(seed)
    today = today or clock.today()
    first_day = today - timedelta(days=days - 1)
    now = utcnow()

    pcs = await do_create_unit(db, code="L-PCS", name="件", name_en="piece", precision=0, idempotency_key="large-unit")
    cats = [
        await do_create_category(db, code=f"L-CAT{i:02d}", name=f"品类{i:02d}", idempotency_key=f"large-cat-{i}")
        for i in range(20)
    ]
    wh1 = await do_create_warehouse(db, code="L-WH1", name="大仓一号", idempotency_key="large-wh1")
    wh2 = await do_create_warehouse(db, code="L-WH2", name="大仓二号", idempotency_key="large-wh2")
    bins = {
        wh: [
            await do_create_location(db, warehouse_id=wh, code=f"{code}-B{i:02d}", idempotency_key=f"{code}-b{i}")
            for i in range(20)
        ]
        for wh, code in ((wh1, "L-WH1"), (wh2, "L-WH2"))
    }

    ids = await _next_ids(
        db,
        [
            product,
            customer,
            sales_order,
            sales_order_line,
            shipment,
            shipment_line,
            sales_invoice,
            sales_invoice_line,
            stock_operation,
            stock_move,
        ],
    )
    w = _Writer(db)
    customer_ids = list(range(ids[customer], ids[customer] + CUSTOMERS))
    for i, cid in enumerate(customer_ids):
        await w.add(customer, {"id": cid, "code": f"L-C{i:04d}", "name": f"大客户{i:04d}", "created_at": now})
    product_ids = list(range(ids[product], ids[product] + products))
    prices = {}
    for n, pid in enumerate(product_ids):
        buy = rnd.randint(200, 20000)  # fen
        prices[pid] = (buy, buy * rnd.randint(115, 180) // 100)
        await w.add(
            product,
            {
                "id": pid,
                "sku": f"L{n:06d}",
                "name": f"大批量商品{n:06d}",
                "category_id": cats[n % 20],
                "base_unit_id": pcs,
                "sale_price_fen": prices[pid][1],
                "purchase_price_fen": buy,
                "vat_rate_bp": 1300,
                "created_at": now,
                "updated_at": now,
            },
        )
    await w.flush()

    sales_plan = {
        pid: sorted(
            (rnd.randrange(1, days), rnd.choice(customer_ids), rnd.randint(1, 8)) for _ in range(SALES_PER_PRODUCT)
        )
        for pid in product_ids
    }
    next_id = dict(ids)

    def take(table) -> int:
        next_id[table] += 1
        return next_id[table] - 1

    receipt_ops = {d: take(stock_operation) for d in range(days)}
    transfer_ops = {d: take(stock_operation) for d in range(days)}

    def stamp(day: int, minute: int = 0) -> datetime:
        return clock.start_of(first_day + timedelta(days=day)) + timedelta(hours=9, minutes=minute)

    for d in range(days):
        for op_id, kind in ((receipt_ops[d], "receipt"), (transfer_ops[d], "transfer")):
            await w.add(
                stock_operation,
                {
                    "id": op_id,
                    "op_type": kind,
                    "reference": f"LARGE-{kind}-{d}",
                    "reason": "大批量演示 bulk demo",
                    "actor": "demo",
                    "created_at": stamp(d),
                },
            )

    # pass 1: simulate every product in integer arithmetic into compact tuples
    levels: list[dict] = []
    costs: list[dict] = []
    rules: list[dict] = []
    moves: list[tuple] = []  # (op, type, product, qty, value, from, to, day, minute)
    sale_lines: list[tuple] = []  # (doc key, product, qty, cost, location, warehouse, n)
    for n, pid in enumerate(product_ids):
        buy, sell = prices[pid]
        wh = wh1 if n % 3 else wh2
        a, b = bins[wh][n % 20], bins[wh][(n + 7) % 20]
        qty = {a: 0, b: 0}
        value = 0
        sales_by_day: dict[int, list] = {}
        for day, cid, q in sales_plan[pid]:
            sales_by_day.setdefault(day, []).append((cid, q))
        transfer_days = set(rnd.sample(range(1, days), min(TRANSFERS_PER_PRODUCT, days - 1)))
        for day in range(days):
            wanted = sum(q for _c, q in sales_by_day.get(day, []))
            if day == 0 or qty[a] + qty[b] < wanted + 10:  # receive before selling short
                rq = rnd.randint(60, 120)
                unit_cost = buy * rnd.randint(95, 105) // 100
                moves.append((receipt_ops[day], "receipt", pid, rq, rq * unit_cost, None, a, day, 1))
                qty[a] += rq
                value += rq * unit_cost
            for cid, q in sales_by_day.get(day, []):
                if qty[a] < q:  # gather the stock in ``a`` first
                    share = (value * qty[b] * 2 + qty[a] + qty[b]) // (2 * (qty[a] + qty[b]))
                    moves.append((transfer_ops[day], "transfer", pid, qty[b], share, b, a, day, 2))
                    qty[a], qty[b] = qty[a] + qty[b], 0
                total_qty = qty[a] + qty[b]
                cost = (value * q * 2 + total_qty) // (2 * total_qty)  # moving average, half-up
                key = (day, cid, wh)
                moves.append((key, "issue", pid, q, cost, a, None, day, 3))
                sale_lines.append((key, pid, q, cost, a, wh, n))
                qty[a] -= q
                value -= cost
            if day in transfer_days and qty[a] + qty[b] > 1:
                src, dst = (a, b) if qty[a] >= qty[b] else (b, a)
                tq = qty[src] // 2
                if tq:
                    share = (value * tq * 2 + qty[a] + qty[b]) // (2 * (qty[a] + qty[b]))
                    moves.append((transfer_ops[day], "transfer", pid, tq, share, src, dst, day, 4))
                    qty[src] -= tq
                    qty[dst] += tq
        for loc, q in qty.items():
            if q:
                levels.append(
                    {
                        "product_id": pid,
                        "location_id": loc,
                        "warehouse_id": wh,
                        "lot_key": 0,
                        "qty": q * QTY_SCALE,
                        "updated_at": now,
                    }
                )
        costs.append({"product_id": pid, "qty": (qty[a] + qty[b]) * QTY_SCALE, "value_fen": value})
        rules.append(
            {
                "product_id": pid,
                "warehouse_id": wh,
                "min_qty": 20 * QTY_SCALE,
                "max_qty": 150 * QTY_SCALE,
                "below": qty[a] + qty[b] < 20,
            }
        )
        if n % 200 == 199 or n == products - 1:
            _bar("simulate", n + 1, products)

    # documents: one order, shipment (one stock operation) and invoice per day, customer and warehouse
    doc_of: dict[tuple, dict] = {}
    for key, pid, q, cost, _loc, _wh, _n in sale_lines:
        doc = doc_of.get(key)
        if doc is None:
            doc = doc_of[key] = {
                "order": take(sales_order),
                "shipment": take(shipment),
                "invoice": take(sales_invoice),
                "op": take(stock_operation),
                "lines": 0,
                "amount": 0,
                "tax": 0,
                "cost": 0,
            }
        sell = prices[pid][1]
        doc["amount"] += q * sell
        doc["tax"] += (q * sell * 13 + 50) // 100
        doc["cost"] += cost
    for (day, cid, wh), doc in sorted(doc_of.items()):
        on = first_day + timedelta(days=day)
        number = f"{doc['order']:08d}"
        await w.add(
            sales_order,
            {
                "id": doc["order"],
                "number": f"LSO{number}",
                "customer_id": cid,
                "warehouse_id": wh,
                "status": "invoiced",
                "order_date": on,
                "prices_include_vat": False,
                "amount_fen": doc["amount"],
                "tax_fen": doc["tax"],
                "total_fen": doc["amount"] + doc["tax"],
                "created_by": "demo",
                "created_at": stamp(day),
            },
        )
        await w.add(
            stock_operation,
            {
                "id": doc["op"],
                "op_type": "issue",
                "reference": f"LSH{number}",
                "reason": "销售出库 bulk demo",
                "actor": "demo",
                "created_at": stamp(day, 3),
                "source_type": "shipment",
            },
        )
    await w.flush()
    for (day, cid, wh), doc in sorted(doc_of.items()):
        on = first_day + timedelta(days=day)
        number = f"{doc['order']:08d}"
        await w.add(
            shipment,
            {
                "id": doc["shipment"],
                "number": f"LSH{number}",
                "order_id": doc["order"],
                "customer_id": cid,
                "warehouse_id": wh,
                "ship_date": on,
                "operation_id": doc["op"],
                "cost_fen": doc["cost"],
                "actor": "demo",
                "created_at": stamp(day, 3),
            },
        )
        await w.add(
            sales_invoice,
            {
                "id": doc["invoice"],
                "number": f"LSI{number}",
                "kind": "invoice",
                "invoice_type": "normal",
                "customer_id": cid,
                "invoice_date": on,
                "due_date": on + timedelta(days=30),
                "buyer_name": f"大客户{cid}",
                "seller_name": "演示公司",
                "amount_fen": doc["amount"],
                "tax_fen": doc["tax"],
                "total_fen": doc["amount"] + doc["tax"],
                "status": "open",
                "actor": "demo",
                "created_at": stamp(day, 5),
            },
        )
    await w.flush()

    # pass 2: the lines, parents before children in every batch
    for i, (key, pid, q, cost, loc, wh, n) in enumerate(sale_lines):
        doc = doc_of[key]
        doc["lines"] += 1
        sell = prices[pid][1]
        amount, tax = q * sell, (q * sell * 13 + 50) // 100
        ol, sl = take(sales_order_line), take(shipment_line)
        await w.add(
            sales_order_line,
            {
                "id": ol,
                "order_id": doc["order"],
                "line_no": doc["lines"],
                "product_id": pid,
                "unit_id": pcs,
                "unit_factor": QTY_SCALE,
                "quantity": q * QTY_SCALE,
                "qty": q * QTY_SCALE,
                "unit_price_micro": sell * 10_000,
                "vat_rate_bp": 1300,
                "amount_fen": amount,
                "tax_fen": tax,
                "total_fen": amount + tax,
                "warehouse_id": wh,
                "shipped_qty": q * QTY_SCALE,
                "invoiced_qty": q * QTY_SCALE,
            },
        )
        await w.add(
            shipment_line,
            {
                "id": sl,
                "shipment_id": doc["shipment"],
                "line_no": doc["lines"],
                "order_line_id": ol,
                "product_id": pid,
                "location_id": loc,
                "qty": q * QTY_SCALE,
                "cost_fen": cost,
                "invoiced_qty": q * QTY_SCALE,
            },
        )
        await w.add(
            sales_invoice_line,
            {
                "id": take(sales_invoice_line),
                "invoice_id": doc["invoice"],
                "line_no": doc["lines"],
                "shipment_line_id": sl,
                "product_id": pid,
                "item_name": f"大批量商品{n:06d}",
                "qty": q * QTY_SCALE,
                "unit_price_micro": sell * 10_000,
                "vat_rate_bp": 1300,
                "amount_fen": amount,
                "tax_fen": tax,
            },
        )
        if i % 5000 == 4999 or i == len(sale_lines) - 1:
            _bar("sales lines", i + 1, len(sale_lines))
    await w.flush(sales_order_line)
    await w.flush(shipment_line)
    await w.flush(sales_invoice_line)
    for i, (op, move_type, pid, q, v, src, dst, day, minute) in enumerate(moves):
        await w.add(
            stock_move,
            {
                "id": take(stock_move),
                "operation_id": doc_of[op]["op"] if isinstance(op, tuple) else op,
                "line_no": 1,
                "move_type": move_type,
                "product_id": pid,
                "from_location_id": src,
                "to_location_id": dst,
                "qty": q * QTY_SCALE,
                "value_fen": v,
                "source_document": "",
                "actor": "demo",
                "created_at": stamp(day, minute),
            },
        )
        if i % 20000 == 19999 or i == len(moves) - 1:
            _bar("stock moves", i + 1, len(moves))
    await w.flush()
    async with db.write() as conn:
        for i in range(0, len(levels), BATCH):
            await conn.execute(stock_level.insert(), levels[i : i + BATCH])
        # bulk rows bypass the ledger's actions: name the pairs, so their available-to-sell figures are
        # tracked and published as the ledger's would be (``jxc check`` ties them out)
        note_availability(conn, {(lv["product_id"], lv["warehouse_id"]) for lv in levels})
        for i in range(0, len(costs), BATCH):
            await conn.execute(product_cost.insert(), costs[i : i + BATCH])
            await conn.execute(reorder_rule.insert(), rules[i : i + BATCH])
        if db.dialect == "postgresql":  # the explicit ids moved past the sequences
            for t in (
                product,
                customer,
                sales_order,
                sales_order_line,
                shipment,
                shipment_line,
                sales_invoice,
                sales_invoice_line,
                stock_operation,
                stock_move,
            ):
                await conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), (SELECT MAX(id) FROM {t.name}))")
                )
            await conn.execute(text("ANALYZE"))
        await write_setting(conn, MARKER, {"products": products, "days": days}, "demo")
    from server.reports.snapshots import refresh_stock_snapshots

    await refresh_stock_snapshots(db, today)  # what the daily job would have written over the year
    return True
