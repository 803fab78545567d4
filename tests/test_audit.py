"""The audit log: every successful mutation leaves one entry in its own transaction; failures none."""

from __future__ import annotations

import json

from schema.relay import to_global_id
from tests.factories import make_product, make_world
from tests.gql import admin_token

AUDIT = """query($f: AuditFilter) { auditLog(filter: $f) { edges { node { actor operation target details } } } }"""


async def _entries(gql, **filter_) -> list[dict]:
    data = await gql.execute(AUDIT, {"f": filter_ or None})
    return [e["node"] for e in data["auditLog"]["edges"]]


async def test_mutations_are_audited_with_actor_target_and_changes(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    pid = to_global_id("Product", p)
    await gql.execute(
        """mutation($id: ID!) { updateProduct(id: $id, input: {name: "新名字", salePrice: "25.00"}) {
                         errors { code } } }""",
        {"id": pid},
    )
    [entry] = await _entries(gql, operation="updateProduct")
    assert entry["actor"] == "token:test-admin" and entry["target"] == f"product:{p}"
    details = json.loads(entry["details"])
    assert details["after"]["name"] == "新名字" and details["after"]["sale_price_fen"] == 2500
    assert details["before"]["sale_price_fen"] == 2000 and details["before"]["name"].startswith("测试商品")

    await gql.execute(
        """mutation($l: [ReceiveLineInput!]!) { receiveStock(lines: $l, idempotencyKey: "a1") {
                         errors { code } } }""",
        {"l": [{"productId": pid, "locationId": to_global_id("Location", w.a1), "quantity": "3"}]},
    )
    [entry] = await _entries(gql, operation="receiveStock")
    moves = json.loads(entry["details"])["after"]["moves"]
    assert entry["target"].startswith("stock_operation:") and moves[0]["qty"] == 3 * 10**6


async def test_failed_and_denied_mutations_leave_no_entry(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1), "quantity": "5"}
    issue = """mutation($l: [IssueLineInput!]!) { issueStock(lines: $l, idempotencyKey: "i1") { errors { code } } }"""
    assert (await gql.execute(issue, {"l": [line]}))["issueStock"]["errors"] == [{"code": "INSUFFICIENT_STOCK"}]
    viewer = await admin_token(gql.db, role="viewer")
    await gql.post(issue, {"l": [line]}, token=viewer)
    assert await _entries(gql, operation="issueStock") == []


async def test_reading_the_audit_log_needs_audit_view(gql):
    keeper = await admin_token(gql.db, role="warehouse_keeper")
    body = await gql.post(AUDIT, token=keeper)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    # token creation itself was audited (by the service, with its own actor)
    assert [e["operation"] for e in await _entries(gql, operation="token.create")] == ["token.create"] * 2


async def test_cost_fields_are_left_out_of_the_audit_for_readers_without_cost_view(gql):
    from server.auth.services import do_create_role

    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    await gql.execute(
        """mutation($id: ID!) { updateProduct(id: $id, input: {purchasePrice: "11.00", name: "改"}) {
                         errors { code } } }""",
        {"id": to_global_id("Product", p)},
    )
    await do_create_role(gql.db, code="auditor", name="审计", permissions=["audit.view"])
    auditor = await admin_token(gql.db, role="auditor")
    data = await gql.execute(AUDIT, {"f": {"operation": "updateProduct"}}, token=auditor)
    details = json.loads(data["auditLog"]["edges"][0]["node"]["details"])
    assert details["after"]["name"] == "改" and "purchase_price_fen" not in details["after"]
    assert "purchase_price_fen" not in details["before"]
    full = json.loads((await _entries(gql, operation="updateProduct"))[0]["details"])  # admin: cost.view
    assert full["after"]["purchase_price_fen"] == 1100
