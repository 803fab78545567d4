"""Access control through the API: every root field declares a permission; calls without it are denied
with PERMISSION_DENIED and change nothing; cost fields need cost.view; sign-in, me, logout; actors."""

from __future__ import annotations

import asyncio

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from sqlalchemy import func, select

from schema.auth.permissions import required_permission
from schema.relay import to_global_id
from schema.schema import schema
from server.auth import services as auth
from server.inventory.models import stock_operation
from server.inventory.services import StockLine, do_receive_stock
from server.models import metadata
from tests.factories import make_product, make_world
from tests.gql import admin_token

PUBLIC = {("Mutation", "login")}


def _root_fields():
    for type_name in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(type_name)
        for field in definition.fields:
            yield type_name, field


def test_every_root_field_declares_a_permission():
    undeclared = [
        f"{t}.{f.python_name}"
        for t, f in _root_fields()
        if required_permission(f) is False and (t, f.python_name) not in PUBLIC
    ]
    assert undeclared == []


def _dummy(gql_type):
    """A syntactically valid value for any input type (the permission check comes first)."""
    if isinstance(gql_type, GraphQLNonNull):
        return _dummy(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return [_dummy(gql_type.of_type)]
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        return {name: _dummy(f.type) for name, f in gql_type.fields.items() if isinstance(f.type, GraphQLNonNull)}
    assert isinstance(gql_type, GraphQLScalarType)
    return {"Int": 1, "Boolean": True, "Float": 1, "Date": "2026-01-01", "DateTime": "2026-01-01T00:00:00Z"}.get(
        gql_type.name, "1"
    )


def _operation(field_name: str, kind: str):
    root = getattr(schema._schema, f"{kind.lower()}_type")
    field = root.fields[field_name]
    args = {name: _dummy(a.type) for name, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
    decl = ", ".join(f"${n}: {field.args[n].type}" for n in args)
    call = ", ".join(f"{n}: ${n}" for n in args)
    return (
        f"{kind.lower()}{f'({decl})' if decl else ''} {{ {field_name}{f'({call})' if call else ''} {{ __typename }} }}"
    ), args


async def _row_counts(db) -> dict:
    async with db.read() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
        }


# mutations a read-only viewer may call: sending feedback (用户反馈) needs catalog.view, which every office
# role holds — a viewer may report a problem too (tests/test_feedback.py); anonymous callers are still denied
VIEWER_MAY = {"submitFeedback"}


async def test_every_mutation_is_denied_without_its_permission_and_changes_nothing(gql):
    viewer = await admin_token(gql.db, role="viewer")
    mutations = [
        (f.name, required_permission(schema.get_type_by_name("Mutation").fields[i]))
        for i, f in enumerate(schema.get_type_by_name("Mutation").fields)
    ]
    before = await _row_counts(gql.db)
    checked = 0
    for python_index, (_name, permission) in enumerate(mutations):
        if permission is False:
            continue
        gql_name = schema.config.name_converter.get_graphql_name(
            schema.get_type_by_name("Mutation").fields[python_index]
        )
        query, variables = _operation(gql_name, "Mutation")
        for token in (None, viewer if permission else None):
            if (permission is None or gql_name in VIEWER_MAY) and token is not None:
                continue
            body = await gql.post(query, variables, token=token)
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            assert codes == ["PERMISSION_DENIED"], (gql_name, token, body)
            checked += 1
    assert checked >= 20
    assert await _row_counts(gql.db) == before


async def test_subscriptions_are_denied_without_permission(gql):
    from schema.context import Context

    for kind in ("Subscription",):
        for _, field in [(t, f) for t, f in _root_fields() if t == kind]:
            query, variables = _operation(schema.config.name_converter.get_graphql_name(field), kind)
            ctx = Context(db=gql.db, settings=gql.app.state.jxc.settings, tailer=gql.app.state.jxc.tailer)
            result = await schema.subscribe(query, variable_values=variables, context_value=ctx)
            first = await result.__anext__() if hasattr(result, "__anext__") else result
            assert first.errors[0].extensions["code"] == "PERMISSION_DENIED"


async def test_queries_are_denied_to_anonymous_callers(gql):
    for _, field in [(t, f) for t, f in _root_fields() if t == "Query"]:
        query, variables = _operation(schema.config.name_converter.get_graphql_name(field), "Query")
        body = await gql.post(query, variables, token=None)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"], (field.name, body)


async def test_cost_fields_need_cost_view(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="2", unit_cost="3.00")])
    keeper = await admin_token(gql.db, role="warehouse_keeper")
    query = "{ stockMoves { edges { node { quantity value } } } }"
    body = await gql.post(query, token=keeper, lang="en")
    assert body["data"]["stockMoves"]["edges"] == [{"node": {"quantity": "2", "value": None}}]
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert "cost.view" in body["errors"][0]["message"]
    assert (await gql.execute(query))["stockMoves"]["edges"][0]["node"]["value"] == "6.00"  # admin sees it


async def test_login_me_logout(gql):
    await auth.do_create_user(gql.db, username="li", password="correct horse", roles=["sales"])
    login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }"
    bad = (await gql.execute(login, {"u": "li", "p": "nope"}, token=None))["login"]
    assert bad == {"token": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}
    token = (await gql.execute(login, {"u": "li", "p": "correct horse"}, token=None))["login"]["token"]
    me = (await gql.execute("{ me { kind name permissions } }", token=token))["me"]
    assert me["kind"] == "user" and me["name"] == "li" and "sales.order.edit" in me["permissions"]
    assert "stock.receive" not in me["permissions"]
    assert (await gql.execute("mutation { logout { ok } }", token=token))["logout"]["ok"] is True
    body = await gql.post("{ me { name } }", token=token)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_stock_operations_record_their_actor(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await gql.execute(
        """mutation($l: [ReceiveLineInput!]!) { receiveStock(lines: $l, idempotencyKey: "a") { errors { code } } }""",
        {
            "l": [
                {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
            ]
        },
    )
    async with gql.db.read() as conn:
        assert (await conn.execute(select(stock_operation.c.actor))).scalar_one() == "token:test-admin"


def test_websocket_needs_a_valid_token(test_databases):
    import websockets

    from tests.servers import running_server

    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))

    async def attempt(base: str, token: str | None):
        async with websockets.connect(
            base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as ws:
            await ws.send('{"type": "connection_init", "payload": {"token": %s}}' % (f'"{token}"' if token else "null"))
            try:
                return await asyncio.wait_for(ws.recv(), 5)
            except websockets.exceptions.ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None

    with running_server(url) as base:
        assert asyncio.run(attempt(base, "jxc_wrong")) == 4403
        assert asyncio.run(attempt(base, None)) == 4403
        assert '"connection_ack"' in asyncio.run(attempt(base, base.token))


@pytest.mark.parametrize("role,allowed", [("warehouse_keeper", True), ("sales", False), ("scanner", False)])
async def test_roles_decide_who_may_receive(gql, role, allowed):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    token = await admin_token(gql.db, role=role)
    body = await gql.post(
        """mutation($l: [ReceiveLineInput!]!) { receiveStock(lines: $l, idempotencyKey: "r") { errors { code } } }""",
        {
            "l": [
                {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}
            ]
        },
        token=token,
    )
    if allowed:
        assert body["data"]["receiveStock"]["errors"] == []
    else:
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


# ---- hardening ---------------------------------------------------------------------------------


async def test_introspection_can_be_switched_off(db_url):
    from tests.gql import gql_client

    query = "{ __schema { queryType { name } } }"
    async with gql_client(db_url) as gql:
        assert (await gql.execute(query))["__schema"]["queryType"]["name"] == "Query"
    async with gql_client(db_url, introspection=False) as gql:
        body = await gql.post(query)
        assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        assert (await gql.execute("{ me { name } }"))["me"]["name"] == "test-admin"  # the rest works


async def test_oversized_requests_are_refused(db_url):
    from tests.gql import gql_client

    async with gql_client(db_url, max_request_bytes=2048) as gql:
        resp = await gql.http.post(
            "/graphql",
            json={"query": "{ me { name } }", "variables": {"pad": "x" * 4096}},
            headers={"authorization": f"Bearer {gql.token}"},
        )
        assert resp.status_code == 413 and resp.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert (await gql.execute("{ me { name } }"))["me"]["name"] == "test-admin"


async def test_cors_allows_only_configured_origins(db_url):
    from tests.gql import gql_client

    preflight = {
        "origin": "https://shop.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    async with gql_client(db_url, cors_origins=("https://shop.example.com",)) as gql:
        resp = await gql.http.options("/graphql", headers=preflight)
        assert resp.headers.get("access-control-allow-origin") == "https://shop.example.com"
        resp = await gql.http.options("/graphql", headers=dict(preflight, origin="https://evil.example"))
        assert resp.headers.get("access-control-allow-origin") is None


async def test_passwords_and_tokens_never_reach_the_logs(gql, caplog):
    import logging

    import schema.inventory.mutations as inventory_schema

    caplog.set_level(logging.DEBUG)
    await auth.do_create_user(gql.db, username="li", password="s3cret-password", roles=["admin"])
    login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
    await gql.post(login, {"u": "li", "p": "wrong-s3cret"}, token=None)
    token = (await gql.execute(login, {"u": "li", "p": "s3cret-password"}, token=None))["login"]["token"]

    async def explode(*args, **kwargs):
        raise RuntimeError("boom")

    original = inventory_schema.services.do_issue_stock
    inventory_schema.services.do_issue_stock = explode
    try:
        await gql.post("""mutation { issueStock(lines: [], idempotencyKey: "x") { errors { code } } }""", token=token)
    finally:
        inventory_schema.services.do_issue_stock = original
    text = caplog.text
    assert "boom" in text  # the internal error was logged…
    for secret in ("s3cret-password", "wrong-s3cret", token, gql.token):
        assert secret not in text  # …but no password or token


# ---- administration through the API ----------------------------------------------------------------


async def test_admin_creates_a_user_restricted_to_one_warehouse(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    created = await gql.execute(
        """mutation($i: CreateUserInput!) { createUser(input: $i) { ok errors { field code } } }""",
        {
            "i": {
                "username": "zhao",
                "password": "correct horse",
                "roles": ["warehouse_keeper"],
                "warehouseIds": [to_global_id("Warehouse", w.wh1)],
            }
        },
    )
    assert created["createUser"] == {"ok": True, "errors": []}
    login = 'mutation { login(username: "zhao", password: "correct horse") { token } }'
    token = (await gql.execute(login, token=None))["login"]["token"]
    receive = """mutation($l: [ReceiveLineInput!]!, $k: String!) { receiveStock(lines: $l, idempotencyKey: $k) {
                 errors { field code } } }"""

    def line(location):
        return [
            {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", location), "quantity": "1"}
        ]

    ok = await gql.execute(receive, {"l": line(w.a1), "k": "in-wh1"}, token=token)
    assert ok["receiveStock"]["errors"] == []
    denied = await gql.execute(receive, {"l": line(w.b1), "k": "in-wh2"}, token=token)
    assert denied["receiveStock"]["errors"] == [{"field": "lines", "code": "PERMISSION_DENIED"}]
    users = (await gql.execute("{ users { edges { node { username roles active } } } }"))["users"]["edges"]
    assert {"username": "zhao", "roles": ["warehouse_keeper"], "active": True} in [e["node"] for e in users]


async def test_custom_roles_and_api_tokens_through_the_api(gql):
    made = await gql.execute("""mutation { createRole(code: "receiver", name: "收货员",
                                permissions: ["stock.view", "stock.receive"]) { ok errors { code } } }""")
    assert made["createRole"]["ok"] is True
    bad = await gql.execute("""mutation { createRole(code: "x", name: "x", permissions: ["stock.fly"]) {
                               ok errors { field code } } }""")
    assert bad["createRole"] == {"ok": False, "errors": [{"field": "permissions", "code": "INVALID_VALUE"}]}
    issued = await gql.execute(
        """mutation { createApiToken(name: "dock-1", role: "receiver") { id token errors { code } } }"""
    )
    token, token_id = issued["createApiToken"]["token"], issued["createApiToken"]["id"]
    me = (await gql.execute("{ me { kind name permissions } }", token=token))["me"]
    assert me == {"kind": "token", "name": "dock-1", "permissions": ["stock.receive", "stock.view"]}
    roles = (await gql.execute("{ roles(first: 50) { edges { node { code builtin permissions } } } }"))["roles"][
        "edges"
    ]
    assert {"code": "receiver", "builtin": False, "permissions": ["stock.receive", "stock.view"]} in [
        e["node"] for e in roles
    ]
    assert (await gql.execute("mutation($id: Int!) { revokeApiToken(id: $id) { ok } }", {"id": token_id}))[
        "revokeApiToken"
    ]["ok"]
    assert (await gql.post("{ me { name } }", token=token))["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_restricted_user_sees_only_its_warehouses(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=loc, quantity="1") for loc in (w.a1, w.b1)])
    await auth.do_create_user(
        gql.db, username="zhao", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    token = (await auth.do_login(gql.db, "zhao", "correct horse"))[0]
    data = await gql.execute(
        """{ warehouses { edges { node { code } } } locations { edges { node { code } } }
        stockLevels { edges { node { location { code } } } } stockMoves { edges { node { toLocation { code } } } } }""",
        token=token,
    )
    assert [e["node"]["code"] for e in data["warehouses"]["edges"]] == ["WH2"]
    assert [e["node"]["code"] for e in data["locations"]["edges"]] == ["WH2-B-01"]
    assert [e["node"]["location"]["code"] for e in data["stockLevels"]["edges"]] == ["WH2-B-01"]
    assert [e["node"]["toLocation"]["code"] for e in data["stockMoves"]["edges"]] == ["WH2-B-01"]
    everything = await gql.execute("{ stockLevels { totalCount } }")  # the admin token sees both
    assert everything["stockLevels"]["totalCount"] == 2


async def test_a_restricted_user_does_not_see_the_far_end_of_a_transfer(gql):
    from server.inventory.services import do_transfer_stock

    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="2")])
    await do_transfer_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, to_location_id=w.b1, quantity="1")])
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=loc, quantity="1") for loc in (w.a1, w.b1)])
    await auth.do_create_user(
        gql.db, username="qian", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    token = (await auth.do_login(gql.db, "qian", "correct horse"))[0]
    data = await gql.execute(
        """{ stockMoves { edges { node { fromLocation { code } toLocation { code }
        operation { moves { edges { node { fromLocation { code } toLocation { code } } } } } } } } }""",
        token=token,
    )
    nodes = [e["node"] for e in data["stockMoves"]["edges"]]
    moves = [(n["fromLocation"], n["toLocation"]) for n in nodes]
    assert sorted(moves, key=str) == sorted([(None, {"code": "WH2-B-01"}), (None, {"code": "WH2-B-01"})], key=str)
    # the receipt into both warehouses shows only its WH2 move
    for n in nodes:
        assert all(m["node"]["toLocation"] == {"code": "WH2-B-01"} for m in n["operation"]["moves"]["edges"])
