"""Webhooks end to end: endpoints registered through the API, the journal delivered to a real HTTP
receiver (tests/webhook_receiver.py) by the sender of server/integrations/delivery.py — signatures,
payloads with the API's global ids, filters, retries with backoff, disabling, replay, ping, and
permissions. The sender killed with kill -9 is tests/test_webhooks_crash.py."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.core import clock
from server.events.journal import last_sequence, read_events
from server.events.types import WEBHOOK_DISABLED
from server.integrations import endpoints
from server.integrations.config import DeliveryConfig
from server.integrations.delivery import WebhookSender, prune_delivery_log
from server.integrations.errors import IntegrationError
from server.integrations.models import webhook_delivery, webhook_endpoint
from server.integrations.signing import new_secret, verify
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.gql import admin_token
from tests.purchasing_helpers import principal
from tests.webhook_receiver import Receiver

FAST = DeliveryConfig(timeout=2.0, backoff=0.02, backoff_max=0.05, lease=5.0, poll=0.01, batch=50)

CREATE = """mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
  secret endpoint { id name url eventTypes enabled cursor } errors { field code message } } }"""
SET_ENABLED = """mutation($id: ID!, $on: Boolean!, $skip: Boolean) {
  setWebhookEndpointEnabled(id: $id, enabled: $on, skipMissed: $skip) { endpoint { enabled } errors { code } } }"""
DELIVERIES = """query($e: ID, $s: Int) { webhookDeliveries(endpointId: $e, sequence: $s, first: 100) { totalCount
  edges { node { sequence messageId eventType attempt statusCode durationMs outcome error } } } }"""


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.stop()


async def register(gql, receiver: Receiver, path: str, event_types: list[str], **extra) -> tuple[str, str]:
    data = await gql.execute(
        CREATE, {"i": {"name": f"接收方 {path}", "url": receiver.url(path), "eventTypes": event_types, **extra}}
    )
    payload = data["createWebhookEndpoint"]
    assert payload["errors"] == [], payload
    receiver.secrets[path] = [payload["secret"]]
    return payload["endpoint"]["id"], payload["secret"]


async def receive(db, w, products: list[int], *, location: int | None = None, key: str | None = None) -> None:
    await do_receive_stock(
        db,
        [StockLine(product_id=p, location_id=location or w.a1, quantity="2", unit_cost="3.50") for p in products],
        idempotency_key=key,
    )


async def deliver(db, config: DeliveryConfig = FAST) -> WebhookSender:
    sender = WebhookSender(db, config, owner="test-sender")
    try:
        await sender.run_until_idle(within=20)
    finally:
        await sender.close()
    return sender


async def stock_seqs(db, after: int = 0) -> list[int]:
    async with db.read() as conn:
        return [seq for seq, kind, _at, _p in await read_events(conn, after, 10_000) if kind == "stock.changed"]


# ---- signatures and payloads ---------------------------------------------------------------------------------


async def test_deliveries_are_signed_and_carry_the_api_global_ids(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    endpoint_id, secret = await register(gql, receiver, "/hook", ["STOCK_CHANGED"])
    assert secret.startswith("whsec_")
    async with gql.db.read() as conn:
        start = await last_sequence(conn)
    await receive(gql.db, w, [p])
    await deliver(gql.db)

    (got,) = receiver.on("/hook")
    assert got.verified is True and got.status == 200
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-signature"].startswith("v1,")
    body = got.json
    assert body["version"] == 1 and body["type"] == "stock.changed"
    assert body["id"] == got.id == f"evt_{body['sequence']}" and body["sequence"] == start + 1
    assert body["occurredAt"].endswith("Z")
    data = body["data"]
    assert data["product"] == {"id": to_global_id("Product", p)}
    assert data["warehouse"] == {"id": to_global_id("Warehouse", w.wh1)}
    assert data["location"] == {"id": to_global_id("Location", w.a1)}
    assert (data["delta"], data["quantity"], data["lot"]) == ("2", "2", None)
    # a tampered body, another secret or a stale timestamp do not verify
    now = clock.utcnow().timestamp()
    assert not verify(secret, got.headers, got.body + b" ", now=now)
    assert not verify(new_secret(), got.headers, got.body, now=now)
    assert not verify(secret, got.headers, got.body, now=now + 3600)

    listed = await gql.execute(DELIVERIES, {"e": endpoint_id})
    (log,) = [e["node"] for e in listed["webhookDeliveries"]["edges"]]
    assert log["outcome"] == "DELIVERED" and log["statusCode"] == 200 and log["attempt"] == 1
    assert log["messageId"] == got.id and log["durationMs"] >= 0


async def test_a_rotated_secret_signs_beside_the_new_one_for_its_grace_period(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    endpoint_id, old = await register(gql, receiver, "/rot", ["STOCK_CHANGED"])
    rotated = await gql.execute(
        "mutation($id: ID!) { rotateWebhookSecret(id: $id, graceHours: 1) { secret "
        "endpoint { previousSecretExpiresAt } errors { code } } }",
        {"id": endpoint_id},
    )
    new = rotated["rotateWebhookSecret"]["secret"]
    assert new != old and rotated["rotateWebhookSecret"]["endpoint"]["previousSecretExpiresAt"]
    receiver.secrets["/rot"] = [old, new]  # both must verify
    await receive(gql.db, w, [p])
    await deliver(gql.db)
    (first,) = receiver.on("/rot")
    assert first.verified and len(first.headers["webhook-signature"].split(" ")) == 2

    clock.set_clock(clock.utcnow() + timedelta(hours=2))  # the grace period is over
    receiver.secrets["/rot"] = [new]
    await receive(gql.db, w, [p])
    await deliver(gql.db)
    second = receiver.on("/rot")[1]
    assert second.verified and len(second.headers["webhook-signature"].split(" ")) == 1
    assert not verify(old, second.headers, second.body, now=clock.utcnow().timestamp())


# ---- what is sent to whom ---------------------------------------------------------------------------------


async def test_event_types_and_warehouse_and_category_filters(gql, receiver):
    from server.catalog.services import do_create_category

    w = await make_world(gql.db)
    p1, p2 = await make_product(gql.db, w), await make_product(gql.db, w)
    food = await do_create_category(gql.db, code="FOOD", name="食品")
    async with gql.db.write() as conn:
        from server.catalog.models import product

        await conn.execute(product.update().where(product.c.id == p1).values(category_id=food))
    await register(gql, receiver, "/all", ["STOCK_CHANGED"])
    await register(gql, receiver, "/wh2", ["STOCK_CHANGED"], warehouseIds=[to_global_id("Warehouse", w.wh2)])
    await register(gql, receiver, "/food", ["STOCK_CHANGED"], categoryIds=[to_global_id("Category", food)])
    await register(gql, receiver, "/docs", ["SHIPMENT", "INVOICE"])
    await receive(gql.db, w, [p1, p2])  # wh1
    await receive(gql.db, w, [p2], location=w.b1)  # wh2
    await deliver(gql.db)

    assert len(receiver.on("/all")) == 3
    (wh2,) = receiver.on("/wh2")
    assert wh2.json["data"]["warehouse"]["id"] == to_global_id("Warehouse", w.wh2)
    (food_event,) = receiver.on("/food")
    assert food_event.json["data"]["product"]["id"] == to_global_id("Product", p1)
    assert receiver.on("/docs") == []  # no shipment or invoice happened
    assert all(r.verified for r in receiver.received)


async def test_invalid_registrations_are_refused_with_every_problem(gql):
    data = await gql.execute(
        CREATE,
        {
            "i": {
                "name": " ",
                "url": "ftp://example.com/x",
                "eventTypes": [],
                "secret": "not-a-secret",
                "warehouseIds": ["V2FyZWhvdXNlOjk5"],
            }
        },
        lang="en",
    )
    errors = {(e["field"], e["code"]) for e in data["createWebhookEndpoint"]["errors"]}
    assert errors == {
        ("name", "REQUIRED"),
        ("url", "INVALID_URL"),
        ("eventTypes", "NO_EVENT_TYPES"),
        ("secret", "INVALID_SECRET"),
        ("warehouseIds.0", "NOT_FOUND"),
    }
    too_long = {"name": "x", "url": "https://example.com/" + "a" * 2000, "eventTypes": ["STOCK_CHANGED"]}
    data = await gql.execute(CREATE, {"i": too_long}, lang="en")
    assert [(e["field"], e["code"]) for e in data["createWebhookEndpoint"]["errors"]] == [("url", "INVALID_URL")]
    async with gql.db.read() as conn:
        assert (await conn.execute(select(webhook_endpoint))).all() == []


# ---- failures, retries, disabling ----------------------------------------------------------------------------


async def test_a_receiver_answering_500_then_200_gets_the_event_after_backoff_and_order_is_kept(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    endpoint_id, _ = await register(gql, receiver, "/flaky", ["STOCK_CHANGED"])
    receiver.script["/flaky"] = [500, 503]
    await receive(gql.db, w, [p], key="one")
    await receive(gql.db, w, [p], key="two")
    await deliver(gql.db)

    got = receiver.on("/flaky")
    assert [r.status for r in got] == [500, 503, 200, 200]
    first, second = got[0].id, got[3].id
    assert [r.id for r in got] == [first, first, first, second]  # the second waited for the first
    assert int(second.removeprefix("evt_")) > int(first.removeprefix("evt_"))
    assert [r.duplicate for r in got] == [False, False, False, False]  # failed attempts do not count as seen
    stamps = [int(r.headers["webhook-timestamp"]) for r in got]
    assert stamps == sorted(stamps)

    log = await gql.execute(DELIVERIES, {"e": endpoint_id, "s": int(first.removeprefix("evt_"))})
    attempts = sorted(
        (e["node"]["attempt"], e["node"]["statusCode"], e["node"]["outcome"]) for e in log["webhookDeliveries"]["edges"]
    )
    assert attempts == [(1, 500, "FAILED"), (2, 503, "FAILED"), (3, 200, "DELIVERED")]
    ep = await gql.execute(
        "query($id: ID!) { webhookEndpoint(id: $id) { attempt failingSince lastSuccessAt } }", {"id": endpoint_id}
    )
    assert ep["webhookEndpoint"]["attempt"] == 0 and ep["webhookEndpoint"]["failingSince"] is None


async def test_the_backoff_grows_and_a_dead_receiver_does_not_delay_the_others(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await register(gql, receiver, "/dead", ["STOCK_CHANGED"])
    await register(gql, receiver, "/slow", ["STOCK_CHANGED"])
    await register(gql, receiver, "/good", ["STOCK_CHANGED"])
    receiver.script["/dead"] = [500] * 1000
    receiver.delay["/slow"] = 1.0  # longer than the timeout: every attempt times out
    for i in range(5):
        await receive(gql.db, w, [p], key=f"k{i}")
    config = DeliveryConfig(timeout=0.3, backoff=0.05, backoff_max=10, lease=5, poll=0.01, batch=50)
    sender = WebhookSender(gql.db, config, owner="test-sender")
    task = asyncio.create_task(sender.run_forever())
    try:
        await receiver.wait_for(lambda: len(receiver.on("/good")) == 5, timeout=3)
        elapsed_dead = len(receiver.on("/dead"))
    finally:
        await sender.close()
        await task
    assert len({r.id for r in receiver.on("/good")}) == 5
    assert 1 <= elapsed_dead <= 12  # retried with a growing delay, not in a tight loop (hundreds)
    async with gql.db.read() as conn:
        head = await last_sequence(conn)
        rows = {r.url.rsplit("/", 1)[1]: r for r in (await conn.execute(select(webhook_endpoint))).all()}
    # past every event it wants (the journal may end with events it does not want: stock.available_to_sell)
    assert rows["good"].attempt == 0 and (await stock_seqs(gql.db))[-1] <= rows["good"].cursor <= head
    assert rows["dead"].cursor < head and rows["dead"].lease_owner is None  # a stopped sender lets go
    async with gql.db.read() as conn:
        tries = (
            await conn.execute(
                select(webhook_delivery.c.attempt, webhook_delivery.c.outcome)
                .where(webhook_delivery.c.endpoint_id == rows["dead"].id)
                .order_by(webhook_delivery.c.id)
            )
        ).all()
    assert [t.attempt for t in tries] == list(range(1, len(tries) + 1)) and len(tries) >= 1
    assert {t.outcome for t in tries} == {"failed"}
    assert rows["dead"].attempt == len(tries) and rows["dead"].next_attempt_at is not None


async def test_an_endpoint_failing_too_long_is_disabled_and_its_owner_alerted(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    dead_id, _ = await register(gql, receiver, "/down", ["STOCK_CHANGED"])
    await register(gql, receiver, "/ops", ["WEBHOOK_DISABLED"])
    receiver.script["/down"] = [500] * 1000
    config = DeliveryConfig(timeout=1, backoff=0.01, backoff_max=0.02, lease=5, poll=0.01, failing_for=3600)
    await receive(gql.db, w, [p])
    sender = WebhookSender(gql.db, config, owner="test-sender")
    try:
        for _ in range(3):
            await sender.round()
            await asyncio.sleep(0.05)
        async with gql.db.read() as conn:
            row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.url.like("%/down")))).one()
        assert row.enabled and row.failing_since is not None  # still within the hour
        clock.set_clock(clock.utcnow() + timedelta(hours=2))
        await sender.run_until_idle(within=10)
    finally:
        await sender.close()
    async with gql.db.read() as conn:
        row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.url.like("%/down")))).one()
        alerts = [e for e in await read_events(conn, 0, 1000) if e[1] == WEBHOOK_DISABLED]
    assert not row.enabled and row.disabled_reason.startswith("failing since")
    (alert,) = alerts
    assert alert[3]["owner"] == "token:test-admin" and alert[3]["url"] == receiver.url("/down")
    (ops,) = receiver.on("/ops")  # the alert itself is delivered to whoever subscribed to it
    assert ops.json["type"] == "webhook.disabled" and ops.json["data"]["endpoint"]["id"] == dead_id

    # enabled again, it resumes at the event it was stuck on: nothing was lost
    receiver.script["/down"] = []
    assert (await gql.execute(SET_ENABLED, {"id": dead_id, "on": True}))["setWebhookEndpointEnabled"]["errors"] == []
    await deliver(gql.db)
    assert receiver.on("/down")[-1].status == 200


async def test_a_disabled_endpoint_receives_nothing(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    off_id, _ = await register(gql, receiver, "/off", ["STOCK_CHANGED"])
    await register(gql, receiver, "/on", ["STOCK_CHANGED"])
    assert (await gql.execute(SET_ENABLED, {"id": off_id, "on": False}))["setWebhookEndpointEnabled"] == {
        "endpoint": {"enabled": False},
        "errors": [],
    }
    for i in range(3):
        await receive(gql.db, w, [p], key=f"d{i}")
    await deliver(gql.db)
    assert len(receiver.on("/on")) == 3
    assert receiver.on("/off") == []
    # enabled with skipMissed, it starts at the end of the journal
    await gql.execute(SET_ENABLED, {"id": off_id, "on": True, "skip": True})
    await deliver(gql.db)
    assert receiver.on("/off") == []
    await receive(gql.db, w, [p], key="after")
    await deliver(gql.db)
    assert len(receiver.on("/off")) == 1 and len(receiver.on("/on")) == 4


# ---- replay, ping, delete -------------------------------------------------------------------------------------


async def test_replay_from_a_sequence_number_sends_the_same_ids_again_in_order(gql, receiver):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    endpoint_id, _ = await register(gql, receiver, "/replay", ["STOCK_CHANGED"])
    for i in range(4):
        await receive(gql.db, w, [p], key=f"r{i}")
    await deliver(gql.db)
    first = receiver.ids("/replay")
    seqs = [int(i.removeprefix("evt_")) for i in first]
    replay = """mutation($id: ID!, $s: Int!) { replayWebhookEndpoint(id: $id, fromSequence: $s) {
      endpoint { cursor } errors { code } } }"""
    done = await gql.execute(replay, {"id": endpoint_id, "s": seqs[2]})
    assert done["replayWebhookEndpoint"] == {"endpoint": {"cursor": seqs[2] - 1}, "errors": []}
    await deliver(gql.db)
    again = receiver.on("/replay")[4:]
    assert [r.id for r in again] == first[2:] and all(r.duplicate for r in again)
    beyond = await gql.execute(replay, {"id": endpoint_id, "s": 10**6})
    assert beyond["replayWebhookEndpoint"]["errors"] == [{"code": "INVALID_SEQUENCE"}]


async def test_ping_sends_a_signed_test_message_and_logs_it(gql, receiver):
    endpoint_id, _ = await register(gql, receiver, "/ping", ["STOCK_LOW"])
    ping = """mutation($id: ID!) { pingWebhookEndpoint(id: $id) { delivery { sequence messageId eventType statusCode
      outcome } errors { code } } }"""
    done = (await gql.execute(ping, {"id": endpoint_id}))["pingWebhookEndpoint"]
    assert done["errors"] == []
    assert done["delivery"] == {
        "sequence": None,
        "messageId": done["delivery"]["messageId"],
        "eventType": "webhook.ping",
        "statusCode": 200,
        "outcome": "DELIVERED",
    }
    (got,) = receiver.on("/ping")
    assert got.verified and got.id == done["delivery"]["messageId"] and got.json["type"] == "webhook.ping"
    receiver.script["/ping"] = [404]
    failed = (await gql.execute(ping, {"id": endpoint_id}))["pingWebhookEndpoint"]["delivery"]
    assert (failed["statusCode"], failed["outcome"]) == (404, "FAILED") and failed["messageId"] != got.id

    deleted = await gql.execute(
        "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { ok errors { code } } }", {"id": endpoint_id}
    )
    assert deleted["deleteWebhookEndpoint"] == {"ok": True, "errors": []}
    async with gql.db.read() as conn:
        assert (await conn.execute(select(webhook_delivery))).all() == []
    again = await gql.execute(ping, {"id": endpoint_id})
    assert again["pingWebhookEndpoint"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_the_delivery_log_is_pruned_after_its_retention(db):
    w = await make_world(db)
    eid, _ = await endpoints.do_create_webhook_endpoint(
        db, endpoints.EndpointSpec(name="x", url="http://127.0.0.1:9/x", event_types=["stock_changed"]), None
    )
    async with db.write() as conn:
        await conn.execute(
            webhook_delivery.insert(),
            [
                dict(
                    endpoint_id=eid,
                    seq=1,
                    message_id="evt_1",
                    event_type="stock.changed",
                    attempt=1,
                    at=clock.utcnow() - timedelta(days=40),
                    status_code=200,
                    duration_ms=1,
                    outcome="delivered",
                    sender="t",
                ),
                dict(
                    endpoint_id=eid,
                    seq=2,
                    message_id="evt_2",
                    event_type="stock.changed",
                    attempt=1,
                    at=clock.utcnow(),
                    status_code=200,
                    duration_ms=1,
                    outcome="delivered",
                    sender="t",
                ),
            ],
        )
    assert await prune_delivery_log(db, DeliveryConfig(log_days=30)) == 1
    assert w.wh1


# ---- permissions ---------------------------------------------------------------------------------------------


async def test_a_non_admin_cannot_register_or_read_endpoints(gql, receiver):
    keeper = await admin_token(gql.db, role="warehouse_keeper")
    body = await gql.post(
        CREATE, {"i": {"name": "x", "url": receiver.url("/x"), "eventTypes": ["STOCK_CHANGED"]}}, token=keeper
    )
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    body = await gql.post("{ webhookEndpoints { totalCount } }", token=keeper)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    with pytest.raises(IntegrationError) as exc:
        await endpoints.do_create_webhook_endpoint(
            gql.db,
            endpoints.EndpointSpec(name="x", url=receiver.url("/x"), event_types=["stock_changed"]),
            principal("warehouse_keeper", 70, "li"),
        )
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    async with gql.db.read() as conn:
        assert (await conn.execute(select(webhook_endpoint))).all() == []
    # the admin may; the secret is never readable afterwards
    await register(gql, receiver, "/x", ["STOCK_CHANGED"])
    listed = await gql.execute("{ webhookEndpoints { totalCount edges { node { owner enabled eventTypes } } } }")
    assert listed["webhookEndpoints"]["totalCount"] == 1
    assert listed["webhookEndpoints"]["edges"][0]["node"] == {
        "owner": "token:test-admin",
        "enabled": True,
        "eventTypes": ["STOCK_CHANGED"],
    }
    assert json.dumps(listed).find("whsec_") == -1
