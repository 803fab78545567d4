"""Edge cases found in review: slow subscribers, cursors, huge numbers, long texts, lock order, N+1."""

from __future__ import annotations

import asyncio
import base64

import pytest

from schema.relay import to_global_id as gid
from server.catalog.errors import CatalogError
from server.catalog.services import AltUnitInput, ProductInput, do_create_product, do_update_product
from server.events import bus
from server.events.bus import EventTailer
from server.inventory.services import StockLine, do_issue_stock, do_receive_stock
from tests.factories import make_product, make_world
from tests.test_dataloader_queries import count_statements

RECEIVE = """mutation($lines: [ReceiveLineInput!]!, $key: String!, $ref: String! = "") {
  receiveStock(lines: $lines, idempotencyKey: $key, reference: $ref) {
    replayed errors { field code message } operation { id } } }"""


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


async def _recv(db, w, p, key, qty="1"):
    await do_receive_stock(db, [StockLine(p, qty, location_id=w.a1)], idempotency_key=key)


def _internal(body) -> bool:
    return any((e.get("extensions") or {}).get("code") == "INTERNAL_ERROR" for e in body.get("errors") or [])


# ---- event bus -------------------------------------------------------------------------------


async def test_slow_subscriber_overflow_loses_no_event(db, monkeypatch):
    monkeypatch.setattr(bus, "QUEUE_SIZE", 2)
    w = await make_world(db)
    p = await make_product(db, w)
    tailer = EventTailer(db)  # driven by hand: _drain() is what the tailer task runs on each wake
    agen = tailer.stream(lambda e: True)
    t = asyncio.create_task(agen.__anext__())
    await asyncio.sleep(0.2)  # registered, waiting live
    for i in range(3):
        await _recv(db, w, p, f"k{i}")
    await tailer._drain()  # seq 1, 2 queued; 3 overflows the queue of 2
    seqs = [(await t).seq, (await agen.__anext__()).seq]  # 1 live, 2 from the catch-up replay
    await _recv(db, w, p, "k3")  # seq 4 commits while the client is still consuming the replay
    await tailer._drain()
    seqs.append((await agen.__anext__()).seq)  # 3
    t = asyncio.create_task(agen.__anext__())
    await asyncio.sleep(0.2)
    await _recv(db, w, p, "k4")  # seq 5
    await tailer._drain()
    seqs.append((await asyncio.wait_for(t, 3)).seq)
    await agen.aclose()
    assert seqs == [1, 2, 3, 4]  # actual: [1, 2, 3, 5] - seq 4 was never delivered


async def test_since_beyond_the_journal_is_refused(db):
    """A cursor from another database (or a restored one) must not silently swallow events."""
    from server.core.errors import ApiError

    tailer = EventTailer(db)
    await tailer.start()
    try:
        with pytest.raises(ApiError) as exc:
            await tailer.stream(lambda e: True, since=50).__anext__()
        assert exc.value.code == "INVALID_SINCE"
    finally:
        await tailer.stop()


# ---- concurrency -----------------------------------------------------------------------------


@pytest.mark.postgres
async def test_new_lots_in_opposite_order_do_not_deadlock(db):
    """Receipts creating the same new lots in opposite line orders: lots are inserted sorted, so
    they cannot wait on each other in a cycle."""
    w = await make_world(db)
    p = await make_product(db, w, tracking="lot")

    def lines(codes):
        return [StockLine(p, "1", location_id=w.a1, lot_code=c) for c in codes]

    for k in range(15):
        a, b = f"A{k}", f"B{k}"
        res = await asyncio.gather(
            do_receive_stock(db, lines([a, b]), idempotency_key=f"t1-{k}"),
            do_receive_stock(db, lines([b, a]), idempotency_key=f"t2-{k}"),
            return_exceptions=True,
        )
        assert not [r for r in res if isinstance(r, Exception)], res


# ---- validation that ends as INTERNAL_ERROR ----------------------------------------------------


@pytest.mark.parametrize(
    "quantity,unit_cost",
    [
        ("1000", "10000000000000000"),  # 1e21 fen does not fit BIGINT
        ("1e999999999", None),  # decimal.Overflow in decimals_of()
        ("1", "1e999999999"),
    ],
)
async def test_huge_numbers_are_typed_errors(gql, quantity, unit_cost):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    line = {"productId": gid("Product", p), "locationId": gid("Location", w.a1), "quantity": quantity}
    if unit_cost:
        line["unitCost"] = unit_cost
    body = await gql.post(RECEIVE, {"key": "k", "lines": [line]})
    assert not _internal(body), body


@pytest.mark.parametrize(
    "query,variables",
    [
        ("query($id: ID!) { node(id: $id) { id } }", {"id": _b64("Product:99999999999999999999")}),
        ("query($a: String) { units(after: $a) { edges { cursor } } }", {"a": _b64("offset:99999999999999999999")}),
    ],
)
async def test_out_of_range_ids_and_cursors(gql, query, variables):
    body = await gql.post(query, variables)
    assert not _internal(body), body


@pytest.mark.postgres
@pytest.mark.parametrize("field", ["lot", "ref"])
async def test_overlong_text_is_a_typed_error(gql, field):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w, tracking="lot")
    line = {"productId": gid("Product", p), "locationId": gid("Location", w.a1), "quantity": "1", "lot": "L1"}
    variables = {"key": "k", "lines": [line]}
    if field == "lot":
        line["lot"] = "L" * 100
    else:
        variables["ref"] = "R" * 100
    body = await gql.post(RECEIVE, variables)
    assert not _internal(body), body


async def test_subscription_errors_are_masked(db, monkeypatch):
    from schema.context import Context
    from schema.schema import schema
    from server.core.settings import load_settings

    async def boom(self, *a, **k):
        raise RuntimeError("secret internal detail")
        yield  # pragma: no cover

    monkeypatch.setattr(EventTailer, "stream", boom)
    ctx = Context(db=db, settings=load_settings(env_file=None), tailer=EventTailer(db))
    res = await schema.subscribe("subscription { stockChanged { seq } }", context_value=ctx)
    async for r in res:
        assert "secret" not in str(r.errors)
        break


# ---- master data vs. the ledger ----------------------------------------------------------------


async def test_tracking_change_with_stock_on_hand(db):
    """Stock received without lots could no longer move if the product became lot-tracked."""
    w = await make_world(db)
    p = await make_product(db, w)
    await _recv(db, w, p, "r", "5")
    with pytest.raises(CatalogError) as exc:
        await do_update_product(db, p, ProductInput(tracking="lot"))
    assert (exc.value.details[0].code, exc.value.details[0].field) == ("INVALID_VALUE", "tracking")
    await do_issue_stock(db, [StockLine(p, "5", location_id=w.a1)], idempotency_key="i")
    await do_update_product(db, p, ProductInput(tracking="lot"))  # allowed once the stock is gone


async def test_duplicate_alt_unit_reports_the_right_field(db):
    w = await make_world(db)
    with pytest.raises(CatalogError) as exc:
        await do_create_product(
            db,
            ProductInput(
                sku="X1", name="x", base_unit_id=w.pcs, units=[AltUnitInput(w.box, "12"), AltUnitInput(w.box, "24")]
            ),
        )
    assert [(d.code, d.field) for d in exc.value.details] == [("DUPLICATE_CODE", "units.1.unitId")]


# ---- GraphQL: N+1 and pagination ---------------------------------------------------------------


OP_MOVES = (
    "query($id: ID!) { node(id: $id) { ... on StockOperation { moves(first: 50) { edges { node { quantity } } } } } }"
)


async def test_operation_moves_constant_queries(gql):
    w = await make_world(gql.db)
    counts = []
    for n in (1, 20):
        ps = [await make_product(gql.db, w) for _ in range(n)]
        res = await do_receive_stock(gql.db, [StockLine(p, "1", location_id=w.a1) for p in ps], idempotency_key=f"x{n}")
        with count_statements(gql.db) as st:
            body = await gql.post(OP_MOVES, {"id": gid("StockOperation", res.operation_id)})
        assert not body.get("errors")
        counts.append(len(st))
    assert counts[1] <= counts[0] + 2, counts  # actual: [8, 46] on SQLite, [4, 23] on PostgreSQL


async def test_nodes_batches(gql):
    w = await make_world(gql.db)
    counts = []
    for n in (1, 20):
        ps = [await make_product(gql.db, w) for _ in range(n)]
        with count_statements(gql.db) as st:
            body = await gql.post(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [gid("Product", p) for p in ps]}
            )
        assert not body.get("errors")
        counts.append(len(st))
    assert counts[1] <= counts[0] + 2, counts


MOVES_PAGE = """query($after: String) { stockMoves(first: 2, after: $after) {
  pageInfo { endCursor } edges { node { id } } } }"""


async def test_stock_moves_pages_do_not_repeat(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    for i in range(3):
        await _recv(gql.db, w, p, f"m{i}")
    page1 = (await gql.execute(MOVES_PAGE, {}))["stockMoves"]
    await _recv(gql.db, w, p, "m3")
    page2 = (await gql.execute(MOVES_PAGE, {"after": page1["pageInfo"]["endCursor"]}))["stockMoves"]
    ids1 = {e["node"]["id"] for e in page1["edges"]}
    assert not ids1 & {e["node"]["id"] for e in page2["edges"]}
