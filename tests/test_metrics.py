"""``/healthz`` with the version and schema revision, ``/metrics`` (server/web/metrics.py) — off without
``JXC_METRICS_TOKEN``, refused without the token, the figures moving with the requests — and JSON logs
(server/web/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from schema.relay import to_global_id
from server.core.settings import load_settings
from server.core.version import jxc_version
from server.maintenance.backup import head_revision
from server.web.logs import JsonFormatter, logging_config
from server.web.metrics import operation_type
from tests.factories import make_product, make_world
from tests.gql import gql_client

TOKEN = "metrics-secret-token"


def _value(body: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    assert found, f"{name} missing from\n{body}"
    return float(found.group(1))


async def test_healthz_shows_version_revision_and_database(db_url):
    async with gql_client(db_url) as gql:
        body = (await gql.http.get("/healthz")).json()
    assert body == {
        "status": "ok",
        "database": gql.db.dialect,
        "version": jxc_version(),
        "revision": head_revision(),
    }


async def test_metrics_are_off_without_a_token_setting(db_url):
    async with gql_client(db_url) as gql:
        resp = await gql.http.get("/metrics", headers={"authorization": f"Bearer {gql.token}"})
    assert resp.status_code == 404


async def test_metrics_need_the_token(db_url):
    async with gql_client(db_url, metrics_token=TOKEN) as gql:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Bearer {gql.token}"}):
            resp = await gql.http.get("/metrics", headers=headers)
            assert resp.status_code == 401 and "监控令牌" in resp.text
        assert (await gql.http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})).status_code == 200


async def test_metrics_count_requests_errors_and_read_the_database(db_url):
    async with gql_client(db_url, metrics_token=TOKEN) as gql:
        await gql.execute("{ me { name } }")
        await gql.execute("query Two { me { name } }")
        await gql.post('mutation { logout { ok } } # "{"')  # an API token cannot log out: NOT_A_SESSION
        await gql.post("{ products(first: 1) { nope } }")  # a validation error, no code
        await gql.post("{ me { name } }", token=False)  # anonymous: PERMISSION_DENIED
        resp = await gql.http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = resp.text
    assert _value(body, 'jxc_graphql_requests_total{type="query"}') == 4
    assert _value(body, 'jxc_graphql_requests_total{type="mutation"}') == 1
    assert _value(body, 'jxc_graphql_request_seconds_count{type="query"}') == 4
    assert _value(body, 'jxc_graphql_request_seconds_bucket{type="query",le="+Inf"}') == 4
    assert _value(body, 'jxc_graphql_errors_total{code="PERMISSION_DENIED"}') >= 1
    assert _value(body, 'jxc_graphql_errors_total{code="UNSPECIFIED"}') == 1
    assert _value(body, "jxc_database_up") == 1
    assert f'version="{jxc_version()}"' in body and f'revision="{head_revision()}"' in body
    for name in ("jxc_jobs_due", "jxc_jobs_running", "jxc_poster_lag_events", "jxc_webhook_backlog_events"):
        assert _value(body, name) >= 0
    # every sample line is "name{labels} number"
    for line in body.splitlines():
        assert line.startswith("#") or re.fullmatch(r"[a-z_]+(\{[^}]*\})? -?[0-9.e+]+", line), line


def test_operation_type_reads_the_top_level_only():
    assert operation_type("{ me { id } }", None) == "query"
    assert operation_type("  # mutation {\n query Q { me { id } }", None) == "query"
    assert operation_type('mutation M($s: String = "subscription {") { logout { ok } }', None) == "mutation"
    doc = "fragment F on User { id } query A { me { ...F } } subscription B { stockChanged { delta } }"
    assert operation_type(doc, "B") == "subscription"
    assert operation_type(doc, "A") == "query"
    assert operation_type(doc, "C") == "unknown"
    assert operation_type("", None) == operation_type(None, None) == "unknown"


async def test_json_logs_carry_the_request_id_and_operation(db_url, monkeypatch):
    """``JXC_LOG_FORMAT=json``: an unexpected error is one JSON line with the id the client was shown."""
    import schema.inventory.mutations as inventory_schema

    async def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(inventory_schema.services, "do_issue_stock", explode)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jxc.graphql")
    logger.addHandler(handler)
    try:
        async with gql_client(db_url) as gql:
            w = await make_world(gql.db)
            p = await make_product(gql.db, w)
            line = {
                "productId": to_global_id("Product", p),
                "locationId": to_global_id("Location", w.a1),
                "quantity": "1",
            }
            body = await gql.post(
                'mutation Issue($l: [IssueLineInput!]!) { issueStock(lines: $l, idempotencyKey: "k") { errors { code } } }',
                {"l": [line]},
            )
    finally:
        logger.removeHandler(handler)
    shown = body["errors"][0]["extensions"]["requestId"]
    records = [json.loads(text) for text in out.getvalue().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["level"] == "ERROR" and record["logger"] == "jxc.graphql"
    assert record["request_id"] == shown and record["operation"] == "Issue"
    assert "RuntimeError: boom" in record["exception"] and record["time"].endswith("+00:00")


def test_log_format_setting(monkeypatch):
    monkeypatch.setenv("JXC_LOG_FORMAT", "JSON")
    assert load_settings(env_file=None).log_format == "json"
    monkeypatch.setenv("JXC_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="JXC_LOG_FORMAT"):
        load_settings(env_file=None)
    monkeypatch.delenv("JXC_LOG_FORMAT")
    assert load_settings(env_file=None).log_format == "text"
    config = logging_config("json", "info")
    assert config["formatters"]["jxc"] == {"()": JsonFormatter} and config["root"]["level"] == "INFO"


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_open_subscriptions_are_counted(db_url):
    """A subscription open on a WebSocket shows in ``jxc_websocket_operations_open`` until it completes."""
    import asyncio
    import time

    from starlette.testclient import TestClient

    from server.core.database import Database
    from server.web.app import create_app
    from tests.gql import admin_token, app_settings

    async def token() -> str:
        db = Database(db_url)
        try:
            return await admin_token(db)
        finally:
            await db.dispose()

    api_token = asyncio.run(token())
    auth = {"authorization": f"Bearer {TOKEN}"}
    gauge = 'jxc_websocket_operations_open{type="subscription"}'
    with TestClient(create_app(app_settings(db_url, metrics_token=TOKEN))) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"token": api_token}})
            assert ws.receive_json()["type"] == "connection_ack"
            query = "subscription { documentStatusChanged { seq } }"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
            for _ in range(50):
                body = client.get("/metrics", headers=auth).text
                if gauge in body:
                    break
                time.sleep(0.02)
            assert _value(body, gauge) == 1
            ws.send_json({"id": "1", "type": "complete"})
            for _ in range(50):
                body = client.get("/metrics", headers=auth).text
                if _value(body, gauge) == 0:
                    break
                time.sleep(0.02)
            assert _value(body, gauge) == 0
