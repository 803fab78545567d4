"""The web console served by jxc (server/web/console.py): index.html at / and at every client route
(SPA fallback), hashed assets cached for good, nothing from elsewhere (CSP), the API, GraphiQL,
downloads and /healthz untouched — and without a build, / still leads to GraphiQL."""

from __future__ import annotations

import pytest

from tests.gql import gql_client

INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>'


@pytest.fixture
def console_build(tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('jxc')")
    (dist / "robots.txt").write_text("User-agent: *\n")
    monkeypatch.setenv("JXC_CONSOLE_DIR", str(dist))
    return dist


async def test_the_console_is_served_at_root_and_at_its_client_routes(db_url, console_build):
    async with gql_client(db_url) as c:
        for path in (
            "/",
            "/signin",
            "/purchasing/orders",
            "/purchasing/orders/UHVyY2hhc2VPcmRlcjox",
            "/catalog/products",
        ):
            resp = await c.http.get(path)
            assert resp.status_code == 200, path
            assert resp.headers["content-type"].startswith("text/html")
            assert '<div id="app">' in resp.text
            assert resp.headers["cache-control"] == "no-cache"
            csp = resp.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        asset = await c.http.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert (await c.http.get("/robots.txt")).status_code == 200
        # missing files are 404s, not the page (a stale chunk must fail loudly, not parse HTML)
        assert (await c.http.get("/assets/gone-000.js")).status_code == 404
        assert (await c.http.get("/purchasing/orders/x.js")).status_code == 404


async def test_the_api_graphiql_downloads_and_health_stay_where_they_were(db_url, console_build):
    async with gql_client(db_url) as c:
        data = await c.execute("{ me { kind } }")
        assert data["me"]["kind"] == "token"
        ide = await c.http.get("/graphql", headers={"accept": "text/html"})
        assert ide.status_code == 200 and "GraphiQL" in ide.text
        assert (await c.http.get("/static/graphiql/jxc-graphiql.js")).status_code == 200
        health = await c.http.get("/healthz")
        assert health.json()["status"] == "ok"
        # the server's own prefixes are never the console's page
        assert (await c.http.get("/reports/stock.csv")).status_code == 401
        assert (await c.http.get("/reports/nothing")).status_code == 404
        assert (await c.http.get("/auth/session")).status_code in (404, 405)
        assert (await c.http.get("/labels/")).status_code == 404


async def test_without_a_build_root_leads_to_graphiql(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("JXC_CONSOLE_DIR", str(tmp_path / "no-build"))
    async with gql_client(db_url) as c:
        resp = await c.http.get("/", follow_redirects=False)
        assert resp.status_code in (302, 307) and resp.headers["location"] == "/graphql"
        assert (await c.http.get("/purchasing/orders")).status_code == 404
        assert (await c.execute("{ me { kind } }"))["me"]["kind"] == "token"


def test_client_routes_are_told_from_the_servers_paths():
    from server.web.console import is_client_route

    assert is_client_route("/") and is_client_route("/purchasing/orders/abc")
    # console pages under a prefix the downloads share: a reload must get the page, not a 404
    assert is_client_route("/finance/vouchers") and is_client_route("/finance/statements")
    for path in (
        "/graphql",
        "/graphql/x",
        "/healthz",
        "/assets/a.js",
        "/auth/session",
        "/reports/x",
        "/static/x",
        "/a.js",
        "/finance/statements/balance_sheet.pdf",
        "/print/voucher/Vm91Y2hlcjox.pdf",
    ):
        assert not is_client_route(path), path


async def test_the_handheld_app_manifest_and_service_worker_are_served_for_installing(db_url, console_build):
    """/scan is an installable web app (issue #18): the manifest with its type, the service worker as
    JavaScript and never cached (a new build reaches the handhelds at once), /scan the SPA page."""
    (console_build / "manifest.webmanifest").write_text('{"name": "jxc"}')
    (console_build / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    async with gql_client(db_url) as c:
        manifest = await c.http.get("/manifest.webmanifest")
        assert manifest.status_code == 200
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        assert manifest.headers["cache-control"] == "no-cache"
        sw = await c.http.get("/sw.js")
        assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
        assert sw.headers["cache-control"] == "no-cache"
        assert sw.headers["service-worker-allowed"] == "/"
        page = await c.http.get("/scan")
        assert page.status_code == 200 and '<div id="app">' in page.text
