"""Browser sessions of the web console (server/web/session.py, server/web/guard.py): sign-in to an
HttpOnly, SameSite=Strict cookie through the same sign-in as the ``login`` mutation (throttle, lock,
audit), CSRF refusal for cookie-authenticated requests, the WebSocket signed in by the cookie,
downloads with the cookie, logout — and bearer tokens unchanged."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from server.auth import services as auth
from server.auth.services import MAX_FAILED_LOGINS
from server.web.guard import csrf_token_for
from tests.gql import gql_client

PASSWORD = "correct horse battery"
ME = "{ me { kind name permissions } }"


async def _user(db, username="wang", roles=("purchase_manager",)):
    await auth.do_create_user(db, username=username, password=PASSWORD, roles=list(roles))


async def _sign_in(http: httpx.AsyncClient, username="wang", password=PASSWORD, **headers) -> httpx.Response:
    return await http.post("/auth/session", json={"username": username, "password": password}, headers=headers)


def _set_cookies(resp: httpx.Response) -> dict[str, str]:
    """name → the whole Set-Cookie header, lower-cased."""
    return {h.split("=", 1)[0]: h.lower() for h in resp.headers.get_list("set-cookie")}


async def _gql(http: httpx.AsyncClient, query: str, headers: dict | None = None) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers=headers or {})


async def test_sign_in_sets_an_http_only_strict_cookie_and_the_csrf_token_signs_requests(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        resp = await _sign_in(c.http)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["ok"] is True and body["expiresAt"]
        assert "token" not in body  # the session token never reaches the page's script
        cookies = _set_cookies(resp)
        session, csrf = cookies["jxc_session"], cookies["jxc_csrf"]
        assert "httponly" in session and "samesite=strict" in session and "path=/" in session
        assert "httponly" not in csrf and "samesite=strict" in csrf
        token = c.http.cookies["jxc_session"]
        assert c.http.cookies["jxc_csrf"] == body["csrfToken"] == csrf_token_for(token)
        assert token.startswith("jxc_")

        ok = await _gql(c.http, ME, {"x-csrf-token": body["csrfToken"]})
        assert ok.status_code == 200
        me = ok.json()["data"]["me"]
        assert (me["kind"], me["name"]) == ("user", "wang")
        assert "purchase.order.approve" in me["permissions"]

        # the sign-in is the session sign-in of server/auth: audited with the address
        async with c.db.read() as conn:
            from sqlalchemy import select

            from server.core.audit import audit_log

            ops = [r.operation for r in await conn.execute(select(audit_log).where(audit_log.c.actor == "user:wang"))]
        assert "auth.login" in ops


async def test_cookie_requests_without_the_csrf_token_are_refused_with_403(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        await _sign_in(c.http)
        for headers in ({}, {"x-csrf-token": "wrong"}, {"x-csrf-token": csrf_token_for("jxc_other")}):
            for lang, text in (("en", "CSRF token"), ("zh-CN", "CSRF 令牌")):
                resp = await _gql(c.http, ME, {**headers, "accept-language": lang})
                assert resp.status_code == 403, resp.text
                error = resp.json()["errors"][0]
                assert error["extensions"]["code"] == "CSRF_REFUSED" and text in error["message"]
        # a mutation never runs without it either
        resp = await _gql(c.http, "mutation { logout { ok } }")
        assert resp.status_code == 403
        me = await _gql(c.http, ME, {"x-csrf-token": c.http.cookies["jxc_csrf"]})
        assert me.json()["data"]["me"]["name"] == "wang"  # the session is still alive
        # a GET query over the cookie without the token is anonymous, not signed in
        got = await c.http.get("/graphql", params={"query": ME}, headers={"accept": "application/json"})
        assert got.json()["data"] is None
        assert got.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        # sign-out needs it too
        assert (await c.http.delete("/auth/session")).status_code == 403


async def test_downloads_work_with_the_session_cookie(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        assert (await c.http.get("/reports/stock.csv")).status_code == 401
        await _sign_in(c.http)
        resp = await c.http.get("/reports/stock.csv")
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/csv")
        # the permission still decides: a purchase manager has no finance.view
        assert (await c.http.get("/finance/statements/balance_sheet.xlsx?period=202606")).status_code == 403


async def test_logout_ends_the_session_and_clears_the_cookies(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        await _sign_in(c.http)
        token, csrf = c.http.cookies["jxc_session"], c.http.cookies["jxc_csrf"]
        resp = await c.http.delete("/auth/session", headers={"x-csrf-token": csrf})
        assert resp.status_code == 200 and resp.json() == {"ok": True}
        cleared = _set_cookies(resp)
        assert 'jxc_session=""' in cleared["jxc_session"] and "max-age=0" in cleared["jxc_session"]
        assert "max-age=0" in cleared["jxc_csrf"]
        assert "jxc_session" not in c.http.cookies
        # the session is over, not only forgotten by this browser
        assert await auth.authenticate(c.db, token) is None
        replay = await _gql(c.http, ME, {"cookie": f"jxc_session={token}", "x-csrf-token": csrf})
        assert replay.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        # signing out again (no session) only clears the cookies; POST /auth/logout is the same
        assert (await c.http.post("/auth/logout")).status_code == 200


async def test_bearer_tokens_keep_working_unchanged(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        login = await _gql(
            c.http, f'mutation {{ login(username: "wang", password: "{PASSWORD}") {{ token errors {{ code }} }} }}'
        )
        token = login.json()["data"]["login"]["token"]
        assert "set-cookie" not in login.headers  # the mutation gives a token, not a cookie
        bearer = {"authorization": f"Bearer {token}"}
        assert (await _gql(c.http, ME, bearer)).json()["data"]["me"]["name"] == "wang"
        # a bearer request carrying some browser's session cookie needs no CSRF token: the bearer decides
        await _user(c.db, "li", roles=("viewer",))
        await _sign_in(c.http, "li")
        both = await _gql(c.http, ME, bearer)
        assert both.status_code == 200 and both.json()["data"]["me"]["name"] == "wang"
        out = await _gql(c.http, "mutation { logout { ok errors { code } } }", bearer)
        assert out.json()["data"]["logout"] == {"ok": True, "errors": []}
        assert (await _gql(c.http, ME, bearer)).json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_sign_in_errors_are_typed_in_the_users_language_and_the_account_lock_holds(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        resp = await _sign_in(c.http, password="wrong password", **{"accept-language": "en"})
        assert resp.status_code == 401
        assert "set-cookie" not in resp.headers
        (error,) = resp.json()["errors"]
        assert (error["code"], error["field"]) == ("INVALID_CREDENTIALS", "password")
        assert error["message"].startswith("Wrong username or password")
        resp = await _sign_in(c.http, username="nobody", password="x" * 9)
        assert resp.json()["errors"][0]["code"] == "INVALID_CREDENTIALS"
        assert "用户名或密码错误" in resp.json()["errors"][0]["message"]
        for _ in range(MAX_FAILED_LOGINS - 1):
            await _sign_in(c.http, password="wrong password")
        # locked out of the account from this address: the right password is refused the same way
        locked = await _sign_in(c.http)
        assert locked.status_code == 401 and locked.json()["errors"][0]["code"] == "INVALID_CREDENTIALS"
        assert "jxc_session" not in c.http.cookies


async def test_sign_in_is_throttled_per_address(db_url):
    from server.auth import throttle

    throttle.configure("3/15 minutes")
    try:
        async with gql_client(db_url, with_token=False) as c:
            for i in range(3):
                await _sign_in(c.http, username=f"u{i}", password="wrong password")
            resp = await _sign_in(c.http, username="someone", password="wrong password")
            assert resp.status_code == 429 and resp.json()["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    finally:
        throttle.configure(None)


async def test_sign_in_refuses_other_sites_and_non_json_bodies(db_url):
    async with gql_client(db_url, with_token=False) as c:
        await _user(c.db)
        resp = await _sign_in(c.http, origin="https://evil.example")
        assert resp.status_code == 403 and resp.json()["errors"][0]["code"] == "CROSS_SITE_REFUSED"
        form = await c.http.post("/auth/session", data={"username": "wang", "password": PASSWORD})
        assert form.status_code == 415
        bad = await c.http.post("/auth/session", content=b"[1]", headers={"content-type": "application/json"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "username"
        assert (await _sign_in(c.http, origin="http://test")).status_code == 200  # our own origin


@pytest.mark.timeout(120)
async def test_the_websocket_is_signed_in_by_the_cookie_with_the_csrf_token(test_databases):
    from tests.servers import running_server

    url = test_databases.fresh_url()
    await test_databases.reset(url)
    with running_server(url) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            from server.core.database import Database

            db = Database(url)
            try:
                await _user(db)
            finally:
                await db.dispose()
            assert (await _sign_in(http)).status_code == 200
            cookie = f"jxc_session={http.cookies['jxc_session']}"
            csrf = http.cookies["jxc_csrf"]
        ws_url = base.replace("http://", "ws://") + "/graphql"

        async def init(payload: dict) -> dict:
            async with websockets.connect(
                ws_url, subprotocols=["graphql-transport-ws"], additional_headers={"cookie": cookie}
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                try:
                    first = json.loads(await asyncio.wait_for(ws.recv(), 5))
                except websockets.ConnectionClosed as closed:
                    return {"closed": closed.rcvd.code if closed.rcvd else None}
                if first["type"] != "connection_ack":
                    return first
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ME}}))
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if msg.get("id") == "1" and msg["type"] == "next":
                        return msg["payload"]

        assert (await init({"csrfToken": csrf}))["data"]["me"]["name"] == "wang"
        assert await init({}) == {"closed": 4403}  # the cookie alone does not sign a socket in
        assert await init({"csrfToken": "wrong"}) == {"closed": 4403}
