"""DataLoaders keep a nested list query at a small, constant number of SQL statements (no N+1)."""

from __future__ import annotations

import contextlib
import contextvars
import re
import time

from sqlalchemy import event

from server.catalog.services import ProductInput, do_create_category, do_create_product
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.warehouses import do_create_location
from tests.factories import make_world

N_PRODUCTS = 25
QUERY = """query($first: Int) { stockLevels(first: $first) { edges { node {
  quantity
  product { sku name baseUnit { code } category { name } }
  location { code warehouse { code } } } } } }"""

# Upper bound on statements for the query above, whatever the page size. Measured: 1 on PostgreSQL
# (the page reads its products, units, categories, locations and warehouses with it and primes the
# loaders: issue #20) and 2 on SQLite (the request's one read transaction with its BEGIN).
MAX_STATEMENTS = {"postgresql": 1, "sqlite": 2}

_in_request: contextvars.ContextVar[bool] = contextvars.ContextVar("in_request", default=False)


AUTH_TABLES = re.compile(r"\b(auth_token|app_user|user_role|user_warehouse|role_permission|role)\b")


@contextlib.contextmanager
def count_statements(db):
    """SQL statements run on behalf of the code inside the block.

    The app's event tailer polls the database from its own task; the context variable (inherited by
    the tasks and greenlets the request spawns, not by the tailer) keeps its statements out.
    """
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if _in_request.get() and not AUTH_TABLES.search(statement):  # authentication is cached, not our subject
            statements.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    token = _in_request.set(True)
    try:
        yield statements
    finally:
        _in_request.reset(token)
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


async def make_stock(db) -> None:
    """25 products (two base units, three categories) × 4 locations in 2 warehouses = 100 stock levels."""
    w = await make_world(db)
    b2 = await do_create_location(db, warehouse_id=w.wh2, code="WH2-B-02", name="B-02")
    cats = [await do_create_category(db, code=f"C{i}", name=f"分类{i}") for i in range(3)]
    products = []
    for i in range(N_PRODUCTS):
        unit = w.kg if i % 5 == 0 else w.pcs
        products.append(
            (
                await do_create_product(
                    db,
                    ProductInput(
                        sku=f"SKU-{i:03d}",
                        name=f"商品{i:03d}",
                        base_unit_id=unit,
                        category_id=cats[i % 3],
                        purchase_price="3.00",
                    ),
                ),
                unit,
            )
        )
    for n, loc in enumerate((w.a1, w.a2, w.b1, b2)):
        lines = [
            StockLine(product_id=p, location_id=loc, quantity=str(10 + n + i) if unit == w.pcs else "1.5")
            for i, (p, unit) in enumerate(products)
        ]
        await do_receive_stock(db, lines, idempotency_key=f"seed-{n}")


async def run_counted(gql, first: int) -> tuple[list[dict], list[str]]:
    await gql.execute("{ me { name } }")  # authentication is cached for a few seconds: not counted below
    with count_statements(gql.db) as statements:
        body = await gql.post(QUERY, {"first": first})
    assert not body.get("errors"), body["errors"]
    return body["data"]["stockLevels"]["edges"], list(statements)


async def test_stock_level_list_uses_a_constant_number_of_statements(gql):
    await make_stock(gql.db)
    dialect = gql.db.dialect
    bound = MAX_STATEMENTS[dialect]

    t0 = time.perf_counter()
    edges, statements = await run_counted(gql, 100)
    elapsed = time.perf_counter() - t0
    assert len(edges) == 100
    nodes = [e["node"] for e in edges]
    assert len({(n["product"]["sku"], n["location"]["code"]) for n in nodes}) == 100
    first = nodes[0]
    assert first["product"] == {
        "sku": "SKU-000",
        "name": "商品000",
        "baseUnit": {"code": "KG"},
        "category": {"name": "分类0"},
    }
    assert first["quantity"] == "1.500" and first["location"] == {"code": "WH1-A-01", "warehouse": {"code": "WH1"}}
    assert {n["location"]["warehouse"]["code"] for n in nodes} == {"WH1", "WH2"}
    assert {n["product"]["category"]["name"] for n in nodes} == {"分类0", "分类1", "分类2"}
    assert nodes[4]["product"]["sku"] == "SKU-001" and nodes[4]["quantity"] == "11"

    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(statements) <= bound, "\n---\n".join(statements)
    # one SELECT for the page, joined to product, unit, category, location and warehouse (the loaders
    # are primed with their rows: tests/test_list_statements.py)
    assert len(queries) == 1, "\n---\n".join(queries)
    assert re.search(r"\bFROM\s+stock_level\b", queries[0])
    tables = sorted(set(re.findall(r"\bJOIN\s+(\w+)", queries[0])))
    assert {"category", "location", "product", "unit", "warehouse"} <= set(tables), tables
    assert elapsed < 5, elapsed

    # ten rows cost exactly as many statements as a hundred
    small_edges, small_statements = await run_counted(gql, 10)
    assert len(small_edges) == 10
    assert [e["node"] for e in small_edges] == nodes[:10]
    assert len(small_statements) == len(statements)
    one_edge, one_statements = await run_counted(gql, 1)
    assert len(one_edge) == 1 and len(one_statements) == len(statements)


async def test_counter_sees_every_request_statement(gql):
    """Sanity check of the counting itself: a plain page query plus totalCount is two statements (+BEGINs)."""
    await make_world(gql.db)
    await gql.execute("{ me { name } }")  # authenticate once (cached)
    with count_statements(gql.db) as statements:
        await gql.execute("{ units(first: 5) { totalCount edges { node { code } } } }")
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(queries) == 2, statements
    assert "count(" in queries[1].lower()
    with count_statements(gql.db) as statements:
        pass
    assert statements == []


async def test_document_lines_are_loaded_in_one_batch(gql):
    """Listing transfers with their lines: one statement for the page, one for all their lines."""
    from server.inventory.transfers import DispatchInput, DispatchLineInput, do_dispatch_transfer
    from tests.factories import make_product

    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="20")])
    for _ in range(5):
        await do_dispatch_transfer(
            gql.db, DispatchInput(w.wh2, [DispatchLineInput(p, "1", w.a1), DispatchLineInput(p, "2", w.a1)]), None
        )
    await gql.execute("{ me { name } }")
    with count_statements(gql.db) as statements:
        body = await gql.post("{ transfers { edges { node { number lines { quantity } } } } }")
    assert [[ln["quantity"] for ln in e["node"]["lines"]] for e in body["data"]["transfers"]["edges"]] == [
        ["1", "2"]
    ] * 5
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(queries) == 2, "\n---\n".join(queries)
