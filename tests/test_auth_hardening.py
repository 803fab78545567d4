"""Access-control hardening found in review: warehouse restrictions everywhere, typed errors, no secrets in logs, lockout under concurrency."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from schema.relay import to_global_id
from server.auth import services as auth
from server.auth.errors import AuthError
from server.auth.models import sign_in_lock
from server.core.audit import audit_log
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world


async def _restricted_keeper(gql, w):
    """A warehouse keeper restricted to WH2, with stock in both warehouses."""
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=loc, quantity="1") for loc in (w.a1, w.b1)])
    await auth.do_create_user(
        gql.db, username="zhao", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    return (await auth.do_login(gql.db, "zhao", "correct horse"))[0], p


async def test_node_respects_the_warehouse_restriction(gql):
    w = await make_world(gql.db)
    token, _ = await _restricted_keeper(gql, w)
    body = await gql.post(
        """query($id: ID!) { node(id: $id) { ... on Warehouse { code locations { edges { node { code } } } } } }""",
        {"id": to_global_id("Warehouse", w.wh1)},
        token=token,
    )
    node = (body.get("data") or {}).get("node")
    assert node is None, node  # WH1 and its bins are outside zhao's warehouses


async def test_location_by_code_respects_the_warehouse_restriction(gql):
    w = await make_world(gql.db)
    token, _ = await _restricted_keeper(gql, w)
    body = await gql.post('{ locationByCode(code: "WH1-A-01") { code } }', token=token)
    assert (body.get("data") or {}).get("locationByCode") is None, body


async def test_restricted_keeper_cannot_deactivate_another_warehouse(gql):
    w = await make_world(gql.db)
    token, _ = await _restricted_keeper(gql, w)
    body = await gql.post(
        """mutation($id: ID!) { setWarehouseActive(id: $id, active: false) {
                             warehouse { active } errors { code } } }""",
        {"id": to_global_id("Warehouse", w.wh1)},
        token=token,
    )
    payload = (body.get("data") or {}).get("setWarehouseActive") or {}
    assert body.get("errors") or payload.get("errors"), body  # must be refused


async def test_create_user_with_bad_warehouse_or_duplicate_role_is_a_typed_error(gql):
    await make_world(gql.db)
    q = """mutation($i: CreateUserInput!) { createUser(input: $i) { ok errors { field code } } }"""
    body = await gql.post(
        q, {"i": {"username": "wu", "password": "correct horse", "warehouseIds": [to_global_id("Warehouse", 999999)]}}
    )
    assert body["data"]["createUser"] == {"ok": False, "errors": [{"field": "warehouseIds", "code": "NOT_FOUND"}]}
    body = await gql.post(q, {"i": {"username": "wu", "password": "correct horse", "roles": ["viewer", "viewer"]}})
    assert body["data"]["createUser"] == {"ok": True, "errors": []}  # a repeated role is just one role


async def test_logout_is_audited(gql):
    await auth.do_create_user(gql.db, username="li", password="correct horse", roles=["viewer"])
    token = (await auth.do_login(gql.db, "li", "correct horse"))[0]

    async def count():
        async with gql.db.read() as conn:
            return (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one()

    before = await count()
    assert (await gql.execute("mutation { logout { ok } }", token=token))["logout"]["ok"] is True
    assert await count() == before + 1


@pytest.mark.postgres
async def test_login_with_a_long_unknown_username_is_invalid_credentials(gql):
    body = await gql.post(
        """mutation($u: String!) { login(username: $u, password: "whatever1") {
                             token errors { code } } }""",
        {"u": "x" * 100},
        token=None,
    )
    assert not body.get("errors"), body
    assert body["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


@pytest.mark.postgres
async def test_create_user_with_long_display_name_is_typed_and_leaks_no_hash(gql, caplog):
    caplog.set_level(logging.DEBUG)
    body = await gql.post(
        """mutation($i: CreateUserInput!) { createUser(input: $i) { ok errors { code } } }""",
        {"i": {"username": "wu", "password": "correct horse", "displayName": "名" * 200}},
    )
    assert "$argon2" not in caplog.text
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_ERROR" not in codes, body


@pytest.mark.postgres
async def test_concurrent_wrong_passwords_all_count_towards_the_lock(db):
    await auth.do_create_user(db, username="li", password="correct horse")

    async def guess(i):
        with pytest.raises(AuthError):
            await auth.do_login(db, "li", f"guess-{i}")

    await asyncio.gather(*(guess(i) for i in range(2 * auth.MAX_FAILED_LOGINS)))
    async with db.read() as conn:
        row = (await conn.execute(select(sign_in_lock.c.failed_logins, sign_in_lock.c.locked_until))).one()
    assert row.failed_logins == 2 * auth.MAX_FAILED_LOGINS and row.locked_until is not None, row


async def _zhao_token(gql, w) -> str:
    await auth.do_create_user(
        gql.db, username="zhao", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    return (await auth.do_login(gql.db, "zhao", "correct horse"))[0]


async def test_product_stock_of_a_restricted_user_counts_only_its_warehouses(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(
        gql.db,
        [
            StockLine(product_id=p, location_id=w.a1, quantity="5"),
            StockLine(product_id=p, location_id=w.b1, quantity="2"),
        ],
    )
    token = await _zhao_token(gql, w)
    q = "query($p: ID!) { productStock(productId: $p) { quantity } }"
    pid = to_global_id("Product", p)
    assert (await gql.execute(q, {"p": pid}, token=token))["productStock"]["quantity"] == "2"
    assert (await gql.execute(q, {"p": pid}))["productStock"]["quantity"] == "7"


async def test_replaying_another_users_key_from_outside_the_warehouses_is_denied(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    receive = """mutation($l: [ReceiveLineInput!]!) { receiveStock(lines: $l, idempotencyKey: "shared-key") {
                 replayed errors { code } operation { id } } }"""
    line = {
        "l": [{"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "1"}]
    }
    assert (await gql.execute(receive, line))["receiveStock"]["errors"] == []
    token = await _zhao_token(gql, w)
    replay = (await gql.execute(receive, line, token=token))["receiveStock"]
    assert replay == {"replayed": False, "errors": [{"code": "PERMISSION_DENIED"}], "operation": None}


async def test_stock_fields_leading_to_products_need_catalog_view(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await do_receive_stock(gql.db, [StockLine(product_id=p, location_id=w.a1, quantity="3")])
    await auth.do_create_role(gql.db, code="counter", name="盘点", permissions=["stock.view"])
    token = (await auth.do_create_api_token(gql.db, name="counter-1", role_code="counter"))[1]
    body = await gql.post("{ stockLevels { edges { node { quantity product { sku } } } } }", token=token)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert "catalog.view" in body["errors"][0]["message"]
