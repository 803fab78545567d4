"""A paired handheld's token (role ``scan_device``, issue #18) scans and does nothing else: every root
field but the scanning ones (and ``me``, which the page asks to check the pairing) is denied to it."""

from __future__ import annotations

from schema.auth.permissions import required_permission
from schema.schema import schema
from server.auth.permissions import BUILTIN_ROLES
from tests.gql import admin_token
from tests.test_permissions import _operation, _row_counts

SCANNING = {
    "startScanSession",
    "scan",
    "scanBatch",
    "undoLastScan",
    "completeScanSession",
    "resolveBarcode",
    "scanSession",
}
# any signed-in caller; they answer only about the caller itself (or nothing it may see)
SELF = {
    "me",
    "logout",
    "node",
    "nodes",
    "approvalsInbox",
    "approveSalesOrder",
    "rejectSalesOrder",
    "documentStatusChanged",
}


def test_the_scan_device_role_holds_scan_use_alone():
    assert BUILTIN_ROLES["scan_device"][2] == frozenset({"scan.use"})


async def test_a_scan_device_token_is_denied_every_query_and_mutation_but_scanning(gql):
    device = await admin_token(gql.db, role="scan_device")
    before = await _row_counts(gql.db)
    checked = []
    for kind in ("Query", "Mutation"):
        for field in schema.get_type_by_name(kind).fields:
            name = schema.config.name_converter.get_graphql_name(field)
            permission = required_permission(field)
            if name in SCANNING:
                assert permission == "scan.use", name
                continue
            if permission is False or name in SELF:
                continue
            query, variables = _operation(name, kind)
            body = await gql.post(query, variables, token=device)
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            assert codes == ["PERMISSION_DENIED"], (name, body)
            checked.append(name)
    assert len(checked) > 100
    assert await _row_counts(gql.db) == before
    # the self-answering fields give it nothing of the company's
    body = await gql.post("{ me { kind permissions } }", {}, token=device)
    assert body["data"]["me"]["permissions"] == ["scan.use"], body


PAIR = "mutation($n: String!) { createDeviceToken(name: $n) { token errors { field code } } }"


async def test_a_warehouse_supervisor_pairs_a_handheld_and_its_token_only_scans(gql):
    keeper = await admin_token(gql.db, role="warehouse_keeper")
    body = (await gql.execute(PAIR, {"n": "gun-07"}, token=keeper))["createDeviceToken"]
    assert body["errors"] == [] and body["token"]
    me = await gql.post("{ me { permissions } }", {}, token=body["token"])
    assert me["data"]["me"]["permissions"] == ["scan.use"]
    # pairing hands out scanning alone: the supervisor cannot make any other token
    denied = await gql.post('mutation { createApiToken(name: "x", role: "admin") { token } }', {}, token=keeper)
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["PERMISSION_DENIED"]
    # a name is required and bounded; a salesperson cannot pair at all
    bad = (await gql.execute(PAIR, {"n": "x" * 65}, token=keeper))["createDeviceToken"]
    assert (bad["token"], [e["code"] for e in bad["errors"]]) == (None, ["INVALID_VALUE"])
    sales = await admin_token(gql.db, role="sales")
    refused = await gql.post(PAIR, {"n": "gun-08"}, token=sales)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
