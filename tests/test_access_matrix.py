"""Who may see and do what, walked from introspection for every built-in role.

``tests/access_matrix.py`` keeps the expected matrix: every root field and every field that carries
cost, price, value, margin, amounts or partner contact data, with the permission it needs (``None``:
any signed-in caller / whoever may see the object). A new field without an entry fails here, and so
does a field whose declaration differs from the matrix. Then every built-in role calls every root
field and reads every sensitive field on real data (the demo company): denied exactly when the role
lacks the permission.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    get_named_type,
)

from schema.auth.permissions import required_permission
from schema.schema import schema
from server.auth.permissions import BUILTIN_ROLES
from tests.access_matrix import ROOT_FIELDS, SENSITIVE_FIELDS
from tests.gql import admin_token
from tests.test_permissions import _operation, _row_counts

SENSITIVE_NAME = re.compile(
    r"cost|price|value|margin|amount|tax(?!Rate)|total(?!Count)|spend|consumption|paid|balance|phone|email|"
    r"address|bank|contact|credit(?!Mode)|discount|receivable|payable|advance|prepay|openBills|unallocated|"
    r"days\d|over90|notDue|revenue|invoiced|exposure|debit|opening|closing|increase|decrease|received",
    re.I,
)
SENSITIVE_TYPES = {"Money"}
NOT_SENSITIVE_TYPES = {"Quantity", "Int", "Boolean", "Date", "DateTime", "ID"}
GS = schema._schema
CONV = schema.config.name_converter
ROLES = sorted(BUILTIN_ROLES)


def _declared(perm) -> str | None:
    return None if perm is False else perm


def _root_declarations() -> dict[str, str | None]:
    out = {}
    for t in ("Query", "Mutation", "Subscription"):
        for f in schema.get_type_by_name(t).fields:
            out[f"{t}.{CONV.get_graphql_name(f)}"] = _declared(required_permission(f))
    return out


def _sensitive_declarations() -> dict[str, str | None]:
    out = {}
    for name, t in sorted(GS.type_map.items()):
        if (
            name.startswith("__")
            or name in ("Query", "Mutation", "Subscription")
            or not isinstance(t, GraphQLObjectType)
        ):
            continue
        fields = {CONV.get_graphql_name(f): f for f in getattr(schema.get_type_by_name(name), "fields", [])}
        for fname, f in t.fields.items():
            leaf = get_named_type(f.type).name
            if leaf in SENSITIVE_TYPES or (SENSITIVE_NAME.search(fname) and leaf not in NOT_SENSITIVE_TYPES):
                out[f"{name}.{fname}"] = _declared(required_permission(fields[fname]))
    return out


def _allowed(role: str, perm: str | None) -> bool:
    if perm is None:
        return True
    return any(p in BUILTIN_ROLES[role][2] for p in perm.split(" | "))


def test_every_root_field_is_in_the_matrix_with_its_permission():
    declared = _root_declarations()
    assert sorted(set(declared) - set(ROOT_FIELDS)) == [], "new root fields need an entry in tests/access_matrix.py"
    assert sorted(set(ROOT_FIELDS) - set(declared)) == [], "fields that no longer exist"
    assert {k: v for k, v in declared.items() if ROOT_FIELDS[k] != v} == {}


def test_every_sensitive_field_is_in_the_matrix_with_its_permission():
    declared = _sensitive_declarations()
    assert sorted(set(declared) - set(SENSITIVE_FIELDS)) == [], "new sensitive fields need an entry"
    assert sorted(set(SENSITIVE_FIELDS) - set(declared)) == [], "fields that no longer exist"
    assert {k: v for k, v in declared.items() if SENSITIVE_FIELDS[k] != v} == {}


def _codes(body) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_calls_exactly_the_root_fields_its_permissions_allow(gql, role):
    token = await admin_token(gql.db, role=role)
    wrong = []
    for key, perm in ROOT_FIELDS.items():
        kind, name = key.split(".")
        if kind == "Subscription" or (kind == "Mutation" and _allowed(role, perm)):
            continue  # subscriptions below; allowed mutations would change data with dummy input
        query, variables = _operation(name, kind)
        body = await gql.post(query, variables, token=token)
        denied = "PERMISSION_DENIED" in _codes(body) and (body.get("data") or {}).get(name) is None
        if denied == _allowed(role, perm) and perm is not None:
            wrong.append((key, perm, "denied" if denied else "allowed"))
    assert wrong == []


async def test_refused_mutations_change_nothing_for_any_role(gql):
    before = await _row_counts(gql.db)
    for role in ROLES:
        token = await admin_token(gql.db, role=role)
        for key, perm in ROOT_FIELDS.items():
            kind, name = key.split(".")
            if kind != "Mutation" or _allowed(role, perm):
                continue
            query, variables = _operation(name, kind)
            assert "PERMISSION_DENIED" in _codes(await gql.post(query, variables, token=token)), (role, key)
    after = await _row_counts(gql.db)
    assert {k: v for k, v in after.items() if k not in ("auth_token", "audit_log") and before[k] != v} == {}


async def test_each_role_subscribes_only_where_allowed(gql):
    from schema.context import Context
    from server.auth.services import authenticate

    for role in ROLES:
        principal = await authenticate(gql.db, await admin_token(gql.db, role=role))
        for key, perm in ROOT_FIELDS.items():
            kind, name = key.split(".")
            if kind != "Subscription" or _allowed(role, perm):
                continue
            query, variables = _operation(name, kind)
            ctx = Context(
                db=gql.db, settings=gql.app.state.jxc.settings, tailer=gql.app.state.jxc.tailer, principal=principal
            )
            result = await schema.subscribe(query, variable_values=variables, context_value=ctx)
            first = await result.__anext__() if hasattr(result, "__anext__") else result
            assert first.errors and first.errors[0].extensions["code"] == "PERMISSION_DENIED", (role, key)


# ---- sensitive fields on real data ---------------------------------------------------------------


def _unwrap(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def _no_required_args(field) -> bool:
    return not any(isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined for a in field.args.values())


def _paths() -> dict[str, tuple[str, list[str]]]:
    """For each object type: the shortest path from a root query field without required arguments,
    as (root field permission, field names), following only fields without required arguments."""
    found: dict[str, tuple[str, list[str]]] = {}
    queue = deque()
    for name, field in GS.query_type.fields.items():
        if _no_required_args(field):
            queue.append((_unwrap(field.type), [name], ROOT_FIELDS[f"Query.{name}"]))
    while queue:
        t, path, perm = queue.popleft()
        if not isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)) or len(path) > 8:
            continue
        targets = [t] if isinstance(t, GraphQLObjectType) else list(GS.get_possible_types(t))
        for target in targets:
            key = target.name
            step = path if target is t else [*path, f"... on {target.name}"]
            if key in found:
                continue
            found[key] = (perm, step)
            for fname, field in target.fields.items():
                if _no_required_args(field) and isinstance(
                    _unwrap(field.type), (GraphQLObjectType, GraphQLInterfaceType)
                ):
                    queue.append((_unwrap(field.type), [*step, fname], perm))
    return found


def _query(path: list[str], leaf: str) -> str:
    inner = leaf
    for name in reversed(path):
        inner = f"{name} {{ {inner} }}"
    return "{ " + inner + " }"


def _values_at(data, path: list[str], leaf: str) -> list:
    """Every value of ``leaf`` reached along ``path`` (lists flattened; fragments are transparent)."""
    items = [data]
    for name in [*path, leaf]:
        if name.startswith("..."):
            continue
        nxt = []
        for item in items:
            if isinstance(item, dict) and name in item:
                value = item[name]
                nxt.extend(value if isinstance(value, list) else [value])
        items = [i for i in nxt if i is not None] if name != leaf else nxt
    return items


@pytest.fixture
async def demo(gql):
    from server.demo.company import load_demo_data

    await load_demo_data(gql.db)
    return gql


async def test_each_role_reads_sensitive_fields_only_with_their_permission(demo):
    paths = _paths()
    by_type: dict[str, list[str]] = {}
    for key, perm in SENSITIVE_FIELDS.items():
        if perm is not None:
            type_name, field = key.split(".")
            leaf_type = _unwrap(GS.get_type(type_name).fields[field].type)
            leaf = (
                field
                if not isinstance(leaf_type, (GraphQLObjectType, GraphQLInterfaceType))
                else f"{field} {{ __typename }}"
            )
            by_type.setdefault(type_name, []).append(leaf)
    checked, wrong, unreachable = set(), [], []
    tokens = {role: await admin_token(demo.db, role=role) for role in ROLES}
    for type_name, leaves in sorted(by_type.items()):
        if type_name not in paths:
            unreachable.append(type_name)
            continue
        root_perm, path = paths[type_name]
        for leaf in leaves:
            field = leaf.split()[0]
            perm = SENSITIVE_FIELDS[f"{type_name}.{field}"]
            query = _query(path, leaf)
            admin = await demo.post(query)
            if not any(v is not None for v in _values_at(admin.get("data") or {}, path, field)):
                continue  # no data on this path in the demo company
            checked.add(f"{type_name}.{field}")
            for role in ROLES:
                if not _allowed(role, root_perm):
                    continue  # the role cannot reach the object at all (root fields are checked above)
                body = await demo.post(query, token=tokens[role])
                denied_here = any(
                    e.get("extensions", {}).get("code") == "PERMISSION_DENIED"
                    and (e.get("path") or [None])[-1] == field
                    for e in body.get("errors") or []
                )
                values = [v for v in _values_at(body.get("data") or {}, path, field) if v is not None]
                if _allowed(role, perm):
                    if denied_here:
                        wrong.append((role, f"{type_name}.{field}", perm, "denied"))
                elif not denied_here or values:
                    wrong.append((role, f"{type_name}.{field}", perm, "shown"))
    assert wrong == []
    with_permission = {k for k, v in SENSITIVE_FIELDS.items() if v is not None}
    assert len(checked) >= 0.6 * len(with_permission), sorted(with_permission - checked)


async def test_sensitive_fields_behind_required_arguments(demo):
    """The types only reachable through root fields with required arguments, asked with real ids."""
    from server.core import clock

    product = (await demo.execute('{ products(first: 1, filter: {text: "DRK-001"}) { edges { node { id } } } }'))[
        "products"
    ]["edges"][0]["node"]["id"]
    queries = {
        "ProductStock.value": ("query($p: ID!) { productStock(productId: $p) { value averageCost } }", {"p": product}),
        "StockReportRow.value": (
            "query($on: Date!) { stockAsOf(on: $on) { value } }",
            {"on": clock.today().isoformat()},
        ),
        "PricePoint.value": (
            "query($p: ID!) { purchasePriceTrend(productId: $p) { value averageUnitPrice } }",
            {"p": product},
        ),
        "SupplierRanking.unitPrice": ("query($p: ID!) { rankSuppliers(productId: $p) { unitPrice } }", {"p": product}),
    }
    wrong = []
    for key, (query, variables) in queries.items():
        perm = SENSITIVE_FIELDS[key]
        root = ROOT_FIELDS["Query." + query.split("{ ")[1].split("(")[0]]
        for role in ROLES:
            if not _allowed(role, root):
                continue
            body = await demo.post(query, variables, token=await admin_token(demo.db, role=role))
            denied = any(e.get("extensions", {}).get("code") == "PERMISSION_DENIED" for e in body.get("errors") or [])
            if denied == _allowed(role, perm):
                wrong.append((role, key))
    assert wrong == []
