"""Every operation is authenticated, not just the connection: revoked tokens, ended sessions and
disabled users stop working on open WebSockets too, within a second and across server processes;
logout with an API token is refused; `jxc token revoke` touches API tokens only; sign-ins are
throttled per client address in front of the per-account lock; idempotency keys belong to their
principal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import httpx
import pytest
import websockets

from schema.relay import to_global_id
from server.auth import services as auth
from server.auth import throttle
from server.auth.errors import AuthError
from tests.factories import make_product, make_world
from tests.servers import running_server

STOCK_SUB = "subscription { stockChanged { seq quantity } }"
CREATE_ADMIN_TOKEN = 'mutation { createApiToken(name: "x", role: "admin") { id token errors { code } } }'


class Socket:
    """One ``graphql-transport-ws`` connection carrying several operations."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def send(self, query: str) -> str:
        self.next_id += 1
        op = str(self.next_id)
        await self.ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))
        return op

    async def result(self, op: str, timeout: float = 5.0) -> dict:
        """The first message for ``op`` (``next`` payload or ``error``)."""
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if msg.get("id") == op and msg["type"] in ("next", "error"):
                return msg["payload"] if msg["type"] == "next" else {"errors": msg["payload"]}


@contextlib.asynccontextmanager
async def socket(base: str, token: str):
    url = base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        yield Socket(ws)


def _codes(payload: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in payload.get("errors") or []]


async def _session(db, username: str = "li", roles=("admin",)) -> str:
    await auth.do_create_user(db, username=username, password="correct horse", roles=list(roles))
    return (await auth.do_login(db, username, "correct horse"))[0]


@pytest.mark.parametrize("how", ["revoke_token", "logout", "disable_user", "new_password"])
async def test_a_socket_stops_running_operations_once_its_credentials_end(db, db_url, how):
    if how == "revoke_token":
        token_id, token = await auth.do_create_api_token(db, name="integration", role_code="admin")
    else:
        token = await _session(db)
    with running_server(db_url) as base:
        async with socket(base, token) as ws:
            ok = await ws.result(await ws.send("{ me { name } }"))
            assert ok["data"]["me"]["name"] in ("integration", "li")
            if how == "revoke_token":
                await auth.do_revoke_token(db, token_id)
            elif how == "logout":
                await auth.do_logout(db, token)
            elif how == "disable_user":
                await auth.do_set_user_active(db, "li", False)
            else:
                await auth.do_set_password(db, "li", "another horse")
            await asyncio.sleep(1.0)  # the server process learns of it within a second
            denied = await ws.result(await ws.send(CREATE_ADMIN_TOKEN))
    assert _codes(denied) == ["PERMISSION_DENIED"], denied
    assert denied["data"] is None or denied["data"]["createApiToken"] is None
    async with db.read() as conn:
        from sqlalchemy import func, select

        from server.auth.models import auth_token

        tokens = (
            await conn.execute(select(func.count()).select_from(auth_token).where(auth_token.c.name == "x"))
        ).scalar_one()
    assert tokens == 0  # the mutation did not run


async def test_a_revoked_token_ends_its_subscription_within_a_second_in_another_process(db, db_url):
    """Revoked through server B, the subscription on server A ends within 1 s (NOTIFY on PostgreSQL,
    the journal watch on SQLite)."""
    token_id, token = await auth.do_create_api_token(db, name="wall-display", role_code="viewer")
    with running_server(db_url) as server_a, running_server(db_url) as server_b:
        async with socket(server_a, token) as ws:
            sub = await ws.send(STOCK_SUB)
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient() as http:
                resp = await http.post(
                    server_b + "/graphql",
                    json={
                        "query": "mutation($id: Int!) { revokeApiToken(id: $id) { ok } }",
                        "variables": {"id": token_id},
                    },
                    headers={"authorization": f"Bearer {server_b.token}"},
                )
                assert resp.json()["data"]["revokeApiToken"]["ok"] is True
            revoked = time.monotonic()
            ended = await ws.result(sub, timeout=5)
            elapsed = time.monotonic() - revoked
            assert "PERMISSION_DENIED" in json.dumps(ended)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.ws.recv(), 5)
    assert elapsed < 1.0, elapsed
    assert closed.value.rcvd.code == 4403


async def test_logout_with_an_api_token_is_refused_and_the_token_stays_valid(gql):
    _, token = await auth.do_create_api_token(gql.db, name="erp", role_code="viewer")
    body = await gql.execute("mutation { logout { ok errors { code message } } }", token=token, lang="en")
    assert body["logout"]["ok"] is False
    assert body["logout"]["errors"][0]["code"] == "NOT_A_SESSION"
    assert "revoke" in body["logout"]["errors"][0]["message"]
    assert (await gql.execute("{ me { name } }", token=token))["me"]["name"] == "erp"


async def test_logout_with_a_session_ends_it(gql):
    token = await _session(gql.db, roles=("viewer",))
    assert (await gql.execute("mutation { logout { ok errors { code } } }", token=token))["logout"] == {
        "ok": True,
        "errors": [],
    }
    body = await gql.post("{ me { name } }", token=token)
    assert _codes(body) == ["PERMISSION_DENIED"]


async def test_token_revoke_touches_api_tokens_only(db, monkeypatch, capsys):
    from sqlalchemy import select

    from server.auth.models import auth_token

    session = await _session(db)
    async with db.read() as conn:
        session_id = (await conn.execute(select(auth_token.c.id).where(auth_token.c.kind == "session"))).scalar_one()
    with pytest.raises(AuthError) as exc:
        await auth.do_revoke_token(db, session_id)
    assert exc.value.details[0].code == "NOT_FOUND"
    assert await auth.authenticate(db, session) is not None  # the admin's sign-in goes on

    from server.cli import main

    monkeypatch.setenv("DATABASE_URL", db.url)
    assert await asyncio.to_thread(main, ["token", "revoke", str(session_id)]) != 0
    auth.forget_tokens()
    assert await auth.authenticate(db, session) is not None
    api_id, api = await auth.do_create_api_token(db, name="gun", role_code="scanner")
    assert await asyncio.to_thread(main, ["token", "revoke", str(api_id)]) == 0
    auth.forget_tokens()
    assert await auth.authenticate(db, api) is None


async def test_an_address_that_fails_too_often_is_throttled_before_the_password_check(db):
    await auth.do_create_user(db, username="admin", password="correct horse", roles=["admin"])
    throttle.configure("3/15 minutes")
    try:
        for i in range(3):
            with pytest.raises(AuthError) as exc:
                await auth.do_login(db, f"user{i}", "guess", client="203.0.113.9")  # any usernames count
            assert exc.value.details[0].code == "INVALID_CREDENTIALS"
        with pytest.raises(AuthError) as exc:  # now even the right password from there is refused
            await auth.do_login(db, "admin", "correct horse", client="203.0.113.9")
        assert exc.value.details[0].code == "TOO_MANY_ATTEMPTS"
        assert "minute" in exc.value.details[0].message("en")
        token, _ = await auth.do_login(db, "admin", "correct horse", client="192.0.2.7")  # elsewhere: fine
        assert await auth.authenticate(db, token) is not None
    finally:
        throttle.configure(None)


async def test_nobody_can_lock_admin_out_from_outside(db):
    await auth.do_create_user(db, username="admin", password="correct horse", roles=["admin"])
    for _ in range(auth.MAX_FAILED_LOGINS + 2):
        with pytest.raises(AuthError):
            await auth.do_login(db, "admin", "guess", client="198.51.100.66")
    with pytest.raises(AuthError) as exc:  # that address is locked out of admin, even with the password …
        await auth.do_login(db, "admin", "correct horse", client="198.51.100.66")
    assert exc.value.details[0].code == "INVALID_CREDENTIALS"
    token, _ = await auth.do_login(db, "admin", "correct horse", client="192.0.2.7")  # … the admin is not
    assert await auth.authenticate(db, token) is not None


async def test_sign_in_through_the_api_uses_the_client_address(db_url):
    from server.web.app import create_app
    from tests.gql import app_settings

    app = create_app(app_settings(db_url))
    login = 'mutation { login(username: "admin", password: "guess") { token errors { code } } }'
    throttle.configure("2/15 minutes")
    try:
        async with app.router.lifespan_context(app):
            await auth.do_create_user(app.state.jxc.db, username="admin", password="correct horse", roles=["admin"])
            for address, expected in (
                ("203.0.113.9", "INVALID_CREDENTIALS"),
                ("203.0.113.9", "INVALID_CREDENTIALS"),
                ("203.0.113.9", "TOO_MANY_ATTEMPTS"),
                ("192.0.2.7", "INVALID_CREDENTIALS"),
            ):
                transport = httpx.ASGITransport(app=app, client=(address, 5000))
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                    body = (await http.post("/graphql", json={"query": login})).json()
                assert body["data"]["login"]["errors"] == [{"code": expected}], (address, body)
    finally:
        throttle.configure(None)


RECEIVE = """mutation($l: [ReceiveLineInput!]!, $k: String!) { receiveStock(lines: $l, idempotencyKey: $k) {
             replayed errors { code } operation { id } } }"""


async def test_idempotency_keys_belong_to_their_principal(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    keeper_a = (await auth.do_create_api_token(gql.db, name="gun-a", role_code="warehouse_keeper"))[1]
    keeper_b = (await auth.do_create_api_token(gql.db, name="gun-b", role_code="warehouse_keeper"))[1]

    def lines(qty: str) -> dict:
        return {
            "l": [
                {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": qty}
            ],
            "k": "scan-0001",
        }

    first = (await gql.execute(RECEIVE, lines("2"), token=keeper_a))["receiveStock"]
    again = (await gql.execute(RECEIVE, lines("2"), token=keeper_a))["receiveStock"]
    assert first["errors"] == [] and again["replayed"] is True and again["operation"] == first["operation"]
    # the same key text from another principal neither answers with A's result …
    other = (await gql.execute(RECEIVE, lines("2"), token=keeper_b))["receiveStock"]
    assert other["replayed"] is False and other["errors"] == [] and other["operation"] != first["operation"]
    # … nor blocks B's different request
    different = (await gql.execute(RECEIVE, {**lines("5"), "k": "scan-0002"}, token=keeper_a))["receiveStock"]
    assert different["errors"] == []
    b_own = (await gql.execute(RECEIVE, {**lines("7"), "k": "scan-0002"}, token=keeper_b))["receiveStock"]
    assert b_own["errors"] == [] and b_own["replayed"] is False
    stock = await gql.execute(
        "query($p: ID!) { productStock(productId: $p) { quantity } }", {"p": to_global_id("Product", p)}
    )
    assert stock["productStock"]["quantity"] == "16"  # 2 (A) + 2 (B) + 5 (A) + 7 (B)
