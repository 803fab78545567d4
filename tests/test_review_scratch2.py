import asyncio
import pytest
from server.events import bus
from server.events.bus import EventTailer
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.test_dataloader_queries import count_statements
from schema.relay import to_global_id as gid

async def _recv(db, w, p, key):
    await do_receive_stock(db, [StockLine(p, "1", location_id=w.a1)], idempotency_key=key)

async def test_overflow_loses_event(db, monkeypatch):
    monkeypatch.setattr(bus, "QUEUE_SIZE", 2)
    w = await make_world(db); p = await make_product(db, w)
    tailer = EventTailer(db)
    agen = tailer.stream(lambda e: True)
    t = asyncio.create_task(agen.__anext__())
    await asyncio.sleep(0.2)
    for i in range(3):
        await _recv(db, w, p, f"k{i}")
    await tailer._drain()
    seqs = [(await t).seq]
    seqs.append((await agen.__anext__()).seq)   # from the replay after overflow
    await _recv(db, w, p, "k3"); await tailer._drain()   # committed while the replay is being consumed
    seqs.append((await agen.__anext__()).seq)
    await _recv(db, w, p, "k4"); await tailer._drain()
    seqs.append((await asyncio.wait_for(agen.__anext__(), 3)).seq)
    print(seqs)
    await agen.aclose()

async def test_since_ahead(db):
    w = await make_world(db); p = await make_product(db, w)
    tailer = EventTailer(db); await tailer.start()
    try:
        agen = tailer.stream(lambda e: True, since=50)
        t = asyncio.create_task(agen.__anext__())
        await asyncio.sleep(0.2)
        await _recv(db, w, p, "a")
        try:
            ev = await asyncio.wait_for(t, 3)
            print("got", ev.seq)
        except asyncio.TimeoutError:
            print("TIMEOUT: event lost")
    finally:
        await tailer.stop()

Q = """mutation($lines: [ReceiveLineInput!]!) { receiveStock(lines: $lines, idempotencyKey: "x") { errors { code } operation { moves { quantity } } } }"""
async def test_nplus1(gql):
    w = await make_world(gql.db)
    ps = [await make_product(gql.db, w) for _ in range(20)]
    lines = [{"productId": gid("Product", p), "locationId": gid("Location", w.a1), "quantity": "1"} for p in ps]
    with count_statements(gql.db) as st:
        body = await gql.post(Q, {"lines": lines})
    assert not body.get("errors")
    print(len(st)); print("\n".join(s[:80] for s in st))

async def test_nodes_nplus1(gql):
    w = await make_world(gql.db)
    ps = [await make_product(gql.db, w) for _ in range(20)]
    with count_statements(gql.db) as st:
        body = await gql.post("query($ids:[ID!]!){ nodes(ids:$ids) { id } }", {"ids": [gid("Product", p) for p in ps]})
    assert not body.get("errors")
    print("nodes", len(st))
