"""Serving: the port guard of `jxc serve`, WebSocket origins, the self-hosted GraphiQL page,
introspection and suggestions, the one guard of the non-GraphQL routes and their parameter checks."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from schema.relay import to_global_id
from server.cli import serve as cli
from server.core.settings import load_settings
from tests.factories import make_product, make_world
from tests.gql import admin_token, gql_client

CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- jxc serve refuses a port that is taken -------------------------------------------------------------


def _other_database(tmp_path) -> str:
    """A second, migrated database: the case of the bug was two servers on different databases."""
    from server.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/other.sqlite3"
    upgrade(url)
    return url


def _second_serve(port: int, workers: int, database_url: str) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, DATABASE_URL=database_url, JXC_LOG_LEVEL="warning")
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("first_workers", [1, 2])
def test_a_second_server_on_a_taken_port_refuses_to_start(test_databases, tmp_path, first_workers):
    from tests.servers import running_server

    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    other = _other_database(tmp_path)
    with running_server(url, workers=first_workers) as base:
        port = int(base.rsplit(":", 1)[1])
        for workers in (1, 2):
            started = time.monotonic()
            second = _second_serve(port, workers, other)
            assert second.returncode != 0, (workers, second.stdout, second.stderr)
            assert time.monotonic() - started < 20
            assert "already in use" in second.stderr and "已被占用" in second.stderr, second.stderr
            assert "Traceback" not in second.stderr
        # the first keeps serving every new connection, and alone: the token of its database works
        for _ in range(20):
            with httpx.Client() as http:  # a new connection each time
                assert http.get(base + "/healthz", timeout=5).status_code == 200
                me = http.post(
                    base + "/graphql",
                    json={"query": "{ me { name } }"},
                    headers={"authorization": f"Bearer {base.token}"},
                    timeout=5,
                ).json()
                assert me["data"]["me"]["name"], me


def test_sockets_supervisors_bind_cannot_be_joined_by_a_plain_bind():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    first = cli._listening_socket("127.0.0.1", port)  # `--workers 1`: plain, no SO_REUSEPORT
    try:
        with pytest.raises(cli.CannotListen):
            cli._listening_socket("127.0.0.1", port)
        with pytest.raises(cli.CannotListen):
            cli._listening_socket("127.0.0.1", port, reuse_port=True)
    finally:
        first.close()
    workers = [cli._listening_socket("127.0.0.1", port, reuse_port=True) for _ in range(2)]  # `--workers 2`
    try:
        with pytest.raises(cli.CannotListen):  # the probe every `jxc serve` starts with
            cli._listening_socket("127.0.0.1", port)
        lock = cli._serve_lock("127.0.0.1", port)
        if lock is not None:  # Linux: a second supervisor cannot slip in while the first binds
            with pytest.raises(cli.CannotListen):
                cli._serve_lock("127.0.0.1", port)
            lock.close()
    finally:
        for w in workers:
            w.close()


# ---- WebSocket origins follow JXC_CORS_ORIGINS --------------------------------------------------------


async def _ws_outcome(base: str, origin: str | None) -> str:
    import websockets

    try:
        async with websockets.connect(
            base.replace("http://", "ws://") + "/graphql", origin=origin, subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": base.token}}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))["type"]
    except websockets.exceptions.InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def test_websocket_origins_follow_the_cors_setting(test_databases, monkeypatch):
    from tests.servers import running_server

    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    monkeypatch.setenv("JXC_CORS_ORIGINS", "https://shop.example.com")
    with running_server(url) as base:
        assert asyncio.run(_ws_outcome(base, "https://shop.example.com")) == "connection_ack"
        assert asyncio.run(_ws_outcome(base, "https://evil.example.net")) == "refused 403"
        assert asyncio.run(_ws_outcome(base, base)) == "connection_ack"  # same origin
        assert asyncio.run(_ws_outcome(base, None)) == "connection_ack"  # not a browser
    monkeypatch.delenv("JXC_CORS_ORIGINS")
    with running_server(url) as base:  # no origins configured: only same-origin browsers
        assert asyncio.run(_ws_outcome(base, "https://shop.example.com")) == "refused 403"
        assert asyncio.run(_ws_outcome(base, base)) == "connection_ack"


# ---- GraphiQL from our own assets ----------------------------------------------------------------------


async def test_graphiql_page_loads_nothing_from_elsewhere(db_url):
    async with gql_client(db_url, with_token=False) as gql:
        page = await gql.http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "http://" not in html and "https://" not in html and "//unpkg" not in html and "cdn" not in html.lower()
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assets = [a for a in assets if not a.startswith("data:")]
        assert len(assets) == 5 and all(a.startswith("/static/graphiql/") for a in assets), assets
        kinds = {".js": "javascript", ".css": "text/css"}
        for asset in assets:
            resp = await gql.http.get(asset)
            assert resp.status_code == 200, asset
            assert kinds[Path(asset).suffix] in resp.headers["content-type"], (asset, resp.headers["content-type"])
            assert resp.content == (Path(__file__).parents[1] / "server/web" / asset.lstrip("/")).read_bytes()
        init = (await gql.http.get("/static/graphiql/jxc-graphiql.js")).text
        assert "GraphiQL.createFetcher" in init and "subscriptionUrl" in init  # subscriptions over graphql-transport-ws


async def test_graphiql_can_be_switched_off(db_url):
    async with gql_client(db_url, graphiql=False) as gql:
        assert (await gql.http.get("/graphql", headers={"accept": "text/html"})).status_code == 404
        assert (await gql.http.get("/static/graphiql/graphiql.min.js")).status_code == 404
        assert (await gql.execute("{ me { name } }"))["me"]["name"]  # the API itself is unchanged


def test_production_settings(monkeypatch):
    for name in ("JXC_ENV", "JXC_GRAPHIQL", "JXC_INTROSPECTION"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(env_file=None)
    assert (s.environment, s.graphiql, s.introspection) == ("development", True, True)
    monkeypatch.setenv("JXC_GRAPHIQL", "0")
    assert load_settings(env_file=None).graphiql is False
    monkeypatch.delenv("JXC_GRAPHIQL")
    monkeypatch.setenv("JXC_ENV", "production")
    s = load_settings(env_file=None)
    assert (s.environment, s.graphiql, s.introspection) == ("production", False, False)
    monkeypatch.setenv("JXC_INTROSPECTION", "1")  # explicit settings win over the environment's defaults
    monkeypatch.setenv("JXC_GRAPHIQL", "1")
    s = load_settings(env_file=None)
    assert (s.graphiql, s.introspection) == (True, True)
    monkeypatch.setenv("JXC_ENV", "prod")  # a typo must not leave production open
    with pytest.raises(ValueError):
        load_settings(env_file=None)


# ---- introspection and suggestions ---------------------------------------------------------------------

SCHEMA_QUERY = "{ __schema { queryType { name } } }"
HIDDEN = 'query { ...F } fragment F on Query { __type(name: "Product") { name } }'
TYPO = "{ prodcts { totalCount } }"
BAD_ARGUMENT = "{ products(frist: 1) { totalCount } }"


async def test_introspection_is_for_signed_in_callers(db_url):
    async with gql_client(db_url) as gql:
        for query in (SCHEMA_QUERY, HIDDEN, '{ __type(name: "Query") { name } }'):
            body = await gql.post(query, token=None, lang="en")
            assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", body
            assert "sign-in" in body["errors"][0]["message"]
        zh = await gql.post(SCHEMA_QUERY, token=None)
        assert CJK.search(zh["errors"][0]["message"])
        assert (await gql.post("{ __typename }", token=None)) == {"data": {"__typename": "Query"}}
        assert (await gql.execute(SCHEMA_QUERY))["__schema"]["queryType"]["name"] == "Query"
        assert (await gql.execute(HIDDEN))["__type"]["name"] == "Product"
        # suggestions spell the schema out: not for anonymous callers
        signed_in = await gql.post(TYPO)
        assert "Did you mean 'products'" in signed_in["errors"][0]["message"]
        for query in (TYPO, BAD_ARGUMENT):
            anonymous = await gql.post(query, token=None)
            assert anonymous["errors"] and all("Did you mean" not in e["message"] for e in anonymous["errors"])
        assert "Did you mean" in (await gql.post(TYPO))["errors"][0]["message"]  # cached errors were not altered


async def test_without_introspection_nobody_introspects_or_gets_suggestions(db_url):
    async with gql_client(db_url, introspection=False) as gql:
        body = await gql.post(SCHEMA_QUERY)
        assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        assert "introspection" in (await gql.post(HIDDEN))["errors"][0]["message"].lower()
        for query in (TYPO, BAD_ARGUMENT):
            for token in (True, None):
                errors = (await gql.post(query, token=token))["errors"]
                assert errors and all("Did you mean" not in e["message"] for e in errors), errors
        assert (await gql.execute("{ __typename }")) == {"__typename": "Query"}


# ---- the guard of the non-GraphQL routes --------------------------------------------------------------


async def test_downloads_answer_401_and_403_as_typed_bilingual_json(gql):
    urls = [
        "/reports/sales.csv",
        "/finance/statements/trial_balance.xlsx?period=202611",
        f"/labels/location/{to_global_id('Location', 1)}.png",
        "/labels/document/PO2026-000001.png",
    ]
    keeper = await admin_token(gql.db, "scanner")  # scan.use, catalog.view, stock.view, stock.count
    for url in urls:
        for headers in ({}, {"authorization": "Bearer jxc_not-a-token"}, {"authorization": "Basic abc"}):
            resp = await gql.http.get(url, headers={**headers, "accept-language": "en"})
            assert resp.status_code == 401, (url, resp.text)
            assert resp.json()["error"]["code"] == "PERMISSION_DENIED" and resp.headers["www-authenticate"] == "Bearer"
    for url in urls[:2]:
        en = await gql.http.get(url, headers={"authorization": f"Bearer {keeper}", "accept-language": "en-GB,zh;q=0.5"})
        zh = await gql.http.get(url, headers={"authorization": f"Bearer {keeper}", "accept-language": "zh-CN"})
        assert en.status_code == zh.status_code == 403
        assert en.json()["error"]["code"] == zh.json()["error"]["code"] == "PERMISSION_DENIED"
        assert not CJK.search(en.json()["error"]["message"]) and CJK.search(zh.json()["error"]["message"])
        assert ("report.view" if "reports" in url else "finance.view") in en.json()["error"]["message"]


async def test_labels_of_bins_outside_the_callers_warehouses_are_refused(gql):
    from server.auth.services import do_create_user, do_login

    w = await make_world(gql.db)
    await do_create_user(
        gql.db, username="zhao", password="long enough pw", roles=["warehouse_keeper"], warehouse_ids=[w.wh1]
    )
    token = (await do_login(gql.db, "zhao", "long enough pw"))[0]
    headers = {"authorization": f"Bearer {token}"}
    own = await gql.http.get(f"/labels/location/{to_global_id('Location', w.a1)}.png", headers=headers)
    assert own.status_code == 200
    other = await gql.http.get(f"/labels/location/{to_global_id('Location', w.b1)}.png", headers=headers)
    assert other.status_code == 403 and other.json()["error"]["code"] == "PERMISSION_DENIED"
    sheet = await gql.http.get(f"/labels/sheet.pdf?locations={to_global_id('Location', w.b1)}", headers=headers)
    assert sheet.status_code == 403


async def test_every_download_route_refuses_bad_parameters_with_400(gql):
    w = await make_world(gql.db)
    pid = to_global_id("Product", await make_product(gql.db, w, barcodes=("9521234543213",)))
    lid = to_global_id("Location", w.a1)
    many = ",".join([pid] * 501)
    bad = {
        # reports: dates YYYY-MM-DD only, options from their list, whole numbers in ASCII within bounds
        "/reports/sales.csv?start=2026-13-01": "INVALID_VALUE",
        "/reports/sales.csv?start=20261101": "INVALID_VALUE",
        "/reports/sales.csv?start=2026-W48-1": "INVALID_VALUE",
        "/reports/sales.csv?end=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11-01": "INVALID_VALUE",  # full-width digits
        "/reports/sales.xlsx?start=2026-11-02&end=2026-11-01": "INVALID_VALUE",
        "/reports/sales.csv?end=0001-01-01": "INVALID_VALUE",
        "/reports/sales.csv?start=2026-11-01%00": "INVALID_VALUE",
        "/reports/sales.csv?group_by=nonsense": "INVALID_VALUE",
        "/reports/stock.csv?on=yesterday": "INVALID_VALUE",
        "/reports/stock.xlsx?group_by=supplier": "INVALID_VALUE",
        "/reports/turnover.csv?day_basis=300": "INVALID_VALUE",
        "/reports/turnover.csv?group_by=customer": "INVALID_VALUE",
        "/reports/aging.csv?on=2026-02-30": "INVALID_VALUE",
        "/reports/slow_movers.csv?days=-5": "INVALID_VALUE",
        "/reports/slow_movers.csv?days=%D9%A3%D9%A0": "INVALID_VALUE",  # Arabic-Indic digits
        "/reports/slow_movers.csv?days=1_000": "INVALID_VALUE",
        "/reports/slow_movers.csv?days=99999999999999999999": "INVALID_VALUE",
        "/reports/abc.csv?days=0": "INVALID_VALUE",
        "/reports/purchase_spend.csv?group_by=customer": "INVALID_VALUE",
        # financial statements: period yyyymm, kind and format from their lists, account codes of digits
        "/finance/statements/balance_sheet.xlsx": "INVALID_VALUE",
        "/finance/statements/balance_sheet.xlsx?period=202613": "INVALID_VALUE",
        "/finance/statements/balance_sheet.pdf?period=2026-11": "INVALID_VALUE",
        "/finance/statements/balance_sheet.pdf?period=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96%EF%BC%91%EF%BC%91": "INVALID_VALUE",
        "/finance/statements/balance_sheet.xlsx?period=99999999999999999999": "INVALID_VALUE",
        "/finance/statements/nonsense.xlsx?period=202611": "INVALID_VALUE",
        "/finance/statements/balance_sheet.doc?period=202611": "INVALID_VALUE",
        "/finance/statements/detail_ledger.xlsx?period=202611": "INVALID_VALUE",
        "/finance/statements/detail_ledger.xlsx?period=202611&account=10%25": "INVALID_VALUE",
        "/finance/statements/general_ledger.pdf?period=202611&account=cash": "INVALID_VALUE",
        # labels: well-formed IDs of the right type, kinds, layouts, dates, lots and numbers
        "/labels/product/garbage.png": "INVALID_ID",
        f"/labels/product/{lid}.png": "INVALID_ID",
        f"/labels/product/{to_global_id('Product', 0)}.png": "INVALID_ID",
        f"/labels/product/{pid}.png?kind=pdf417": "INVALID_VALUE",
        f"/labels/product/{pid}.png?kind=gs1_128&expiry=2025-02-30": "INVALID_VALUE",
        f"/labels/product/{pid}.png?kind=gs1_128&expiry=31.12.2025": "INVALID_VALUE",
        f"/labels/product/{pid}.png?kind=gs1_128&lot=ABCDEFGHIJKLMNOPQRSTU": "INVALID_VALUE",  # 21 characters
        f"/labels/product/{pid}.png?kind=qr&lot=%E6%89%B9%E6%AC%A1": "INVALID_VALUE",  # 批次: not GS1
        "/labels/location/xx.png": "INVALID_ID",
        f"/labels/location/{pid}.png": "INVALID_ID",
        "/labels/document/%E5%8D%95%E6%8D%AE.png": "INVALID_VALUE",
        f"/labels/document/{'A' * 41}.png": "INVALID_VALUE",
        "/labels/sheet.pdf": "INVALID_VALUE",
        "/labels/sheet.pdf?products=bad": "INVALID_ID",
        f"/labels/sheet.pdf?products={pid}&layout=a5": "INVALID_VALUE",
        f"/labels/sheet.pdf?products={pid}&kind=nope": "INVALID_VALUE",
        f"/labels/sheet.pdf?locations={pid}": "INVALID_ID",
        f"/labels/sheet.pdf?products={many}": "INVALID_VALUE",
    }
    headers = {"authorization": f"Bearer {gql.token}"}
    for url, code in bad.items():
        en = await gql.http.get(url, headers={**headers, "accept-language": "en"})
        assert en.status_code == 400, (url, en.status_code, en.text)
        error = en.json()["error"]
        assert error["code"] == code and error["message"] and not CJK.search(error["message"].split("“")[0]), (
            url,
            error,
        )
        zh = await gql.http.get(url, headers=headers)  # no Accept-Language: JXC_LANGUAGE, zh-CN
        assert zh.status_code == 400 and zh.json()["error"]["code"] == code
        assert CJK.search(zh.json()["error"]["message"]), (url, zh.json())
    # a missing object is a typed 404, and so is an unknown report
    for url in (
        f"/labels/product/{to_global_id('Product', 999)}.png",
        f"/labels/location/{to_global_id('Location', 999)}.png",
        "/reports/nope.csv",
        "/reports/sales.pdf",
    ):
        resp = await gql.http.get(url, headers=headers)
        assert resp.status_code == 404 and resp.json()["error"]["code"] in ("UNKNOWN_BARCODE", "NOT_FOUND"), (
            url,
            resp.text,
        )
    # and good parameters still work
    for url in (
        "/reports/sales.csv?start=2026-11-01&end=2026-11-28&group_by=customer",
        "/reports/slow_movers.csv?days=30",
        f"/labels/product/{pid}.png?kind=gs1_128&lot=AB-12/3&expiry=2027-01-31",
        f"/labels/sheet.pdf?products={pid}&locations={lid}&layout=50x30",
    ):
        assert (await gql.http.get(url, headers=headers)).status_code == 200, url


def test_domain_export_modules_do_not_speak_http():
    root = Path(__file__).parents[1]
    for module in ("server/reports/export.py", "server/finance/export.py", "server/scanning/labels.py"):
        assert "starlette" not in (root / module).read_text(), module
    assert not (root / "server/app.py").exists() and not (root / "server/scanning/http.py").exists()
    labels = (root / "server/web/labels.py").read_text()
    assert "schema.relay" not in labels and "from schema" not in labels  # IDs: server/core/global_ids.py
