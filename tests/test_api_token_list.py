"""The administrator's token list (``apiTokens``) and the permission codes with their names
(``permissionCodes``): what the console's token and role screens read (#17 Administration)."""

from __future__ import annotations

from server.auth.permissions import PERMISSIONS
from server.auth.services import do_create_device_token, do_revoke_token
from tests.gql import admin_token

TOKENS = """query($active: Boolean) { apiTokens(active: $active, first: 50) { totalCount edges { node {
  tokenId name role device active createdAt lastUsedAt revokedAt } } } }"""


async def test_tokens_are_listed_newest_first_with_role_kind_and_state(gql):
    purchaser = await admin_token(gql.db, "purchaser")
    device_id, _secret = await do_create_device_token(gql.db, name="PDA-01")
    await gql.execute("{ me { name } }", token=purchaser)  # used once: last_used_at is set
    data = (await gql.execute(TOKENS))["apiTokens"]
    nodes = [e["node"] for e in data["edges"]]
    assert [n["name"] for n in nodes][:3] == ["PDA-01", "test-purchaser", "test-admin"]
    device, bought, _admin = nodes[:3]
    assert device["device"] is True and device["role"] == "scan_device" and device["tokenId"] == device_id
    assert bought["device"] is False and bought["role"] == "purchaser" and bought["active"] is True
    await do_revoke_token(gql.db, device_id)
    after = [e["node"] for e in (await gql.execute(TOKENS))["apiTokens"]["edges"]]
    assert after[0]["active"] is False and after[0]["revokedAt"] is not None
    active = [e["node"]["name"] for e in (await gql.execute(TOKENS, {"active": True}))["apiTokens"]["edges"]]
    assert "PDA-01" not in active and "test-purchaser" in active
    # sign-in sessions are not tokens an administrator manages here
    assert all(n["role"] for n in after)


async def test_only_administrators_see_tokens_and_permission_codes(gql):
    codes = (await gql.execute("{ permissionCodes { code name nameEn } }"))["permissionCodes"]
    assert [c["code"] for c in codes] == list(PERMISSIONS)
    assert {"code": "user.admin", "name": PERMISSIONS["user.admin"][0], "nameEn": PERMISSIONS["user.admin"][1]} in codes
    purchaser = await admin_token(gql.db, "purchaser")
    for query in (TOKENS, "{ permissionCodes { code } }"):
        body = await gql.post(query, token=purchaser)
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", body
