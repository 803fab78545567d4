"""One action contract: every ``do_*`` action takes the acting principal the same way and decides
permissions and warehouse scope through server/auth/scope.py; what the system does itself (jobs, the
CLI) is audited like an API call; actions without a caller got one."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import server
from schema.relay import to_global_id
from server.auth import services as auth
from server.core.errors import DomainError
from tests.factories import make_product, make_world
from tests.gql import admin_token

# actions a caller cannot have a principal for: signing in, and what only the system does
NO_PRINCIPAL = {
    "server.auth.services.do_login",
    "server.automation.auto_po.do_auto_purchase_orders",
    "server.inventory.lots.do_alert_expiring_lots",
}


def _actions():
    for info in pkgutil.walk_packages(server.__path__, "server."):
        if info.name.startswith(("server.cli", "server.demo", "server.web")):
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("do_") and inspect.iscoroutinefunction(fn) and fn.__module__ == module.__name__:
                yield f"{module.__name__}.{name}", fn


def test_every_action_takes_the_acting_principal():
    missing = [
        name
        for name, fn in _actions()
        if "principal" not in inspect.signature(fn).parameters and name not in NO_PRINCIPAL
    ]
    assert missing == []
    old_style = [
        name for name, fn in _actions() if {"actor", "warehouses", "allowed"} & set(inspect.signature(fn).parameters)
    ]
    assert old_style == []


def test_only_the_scope_module_compares_permissions():
    """No module but server/auth/scope.py asks a principal for a permission or its warehouses."""
    import pathlib
    import re

    root = pathlib.Path(server.__file__).parent.parent
    pattern = re.compile(r"principal\.(can\(|permissions\b|warehouse_ids\b)|\.warehouse_ids\s+(is|in|not)")
    offenders = []
    for path in [*root.glob("server/**/*.py"), *root.glob("schema/**/*.py")]:
        if path.name == "scope.py" or path.as_posix().endswith("server/auth/services.py"):
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(root)}:{no}: {line.strip()}")
    assert offenders == []


async def test_catalog_and_partner_actions_check_their_permission(db):
    from server.catalog.services import do_create_unit
    from server.partners.services import PartnerInput, do_create_partner
    from tests.purchasing_helpers import principal

    clerk = principal("sales", 70, "xiaowang")
    with pytest.raises(DomainError) as exc:
        await do_create_unit(db, code="X", name="x", precision=0, principal=clerk)
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(DomainError) as exc:
        await do_create_partner(db, "supplier", PartnerInput(code="S9", name="供应商"), principal=clerk)
    assert exc.value.details[0].code == "PERMISSION_DENIED"


WAREHOUSE = (
    "mutation($i: UpdateWarehouseInput!) { updateWarehouse(input: $i) { warehouse { name address } errors { code } } }"
)
LOCATION = (
    "mutation($i: UpdateLocationInput!) { updateLocation(input: $i) { location { name sortOrder } errors { code } } }"
)


async def test_warehouses_and_locations_can_be_renamed_inside_the_callers_warehouses(gql):
    w = await make_world(gql.db)
    done = await gql.execute(
        WAREHOUSE, {"i": {"id": to_global_id("Warehouse", w.wh1), "name": "北京一号仓", "address": "北京市朝阳区"}}
    )
    assert done["updateWarehouse"] == {"warehouse": {"name": "北京一号仓", "address": "北京市朝阳区"}, "errors": []}
    moved = await gql.execute(LOCATION, {"i": {"id": to_global_id("Location", w.a1), "name": "A区", "sortOrder": 5}})
    assert moved["updateLocation"] == {"location": {"name": "A区", "sortOrder": 5}, "errors": []}
    await auth.do_create_user(
        gql.db, username="zhao", password="correct horse", roles=["warehouse_keeper"], warehouse_ids=[w.wh2]
    )
    zhao = (await auth.do_login(gql.db, "zhao", "correct horse"))[0]
    other = await gql.execute(WAREHOUSE, {"i": {"id": to_global_id("Warehouse", w.wh1), "name": "x"}}, token=zhao)
    assert other["updateWarehouse"] == {"warehouse": None, "errors": [{"code": "PERMISSION_DENIED"}]}
    bin_ = await gql.execute(LOCATION, {"i": {"id": to_global_id("Location", w.a1), "name": "x"}}, token=zhao)
    assert bin_["updateLocation"] == {"location": None, "errors": [{"code": "PERMISSION_DENIED"}]}
    own = await gql.execute(LOCATION, {"i": {"id": to_global_id("Location", w.b1), "name": "B区"}}, token=zhao)
    assert own["updateLocation"]["errors"] == []


async def test_a_reorder_rule_can_be_deleted(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    ids = {"p": to_global_id("Product", p), "w": to_global_id("Warehouse", w.wh1)}
    assert (
        await gql.execute(
            """mutation($p: ID!, $w: ID!) { setReorderRule(productId: $p, warehouseId: $w,
        minQuantity: "5", maxQuantity: "20") { ok } }""",
            ids,
        )
    )["setReorderRule"]["ok"]
    delete = "mutation($p: ID!, $w: ID!) { deleteReorderRule(productId: $p, warehouseId: $w) { ok errors { code } } }"
    assert (await gql.execute(delete, ids))["deleteReorderRule"] == {"ok": True, "errors": []}
    assert (await gql.execute(delete, ids))["deleteReorderRule"] == {"ok": False, "errors": [{"code": "NOT_FOUND"}]}
    scanner = await admin_token(gql.db, role="scanner")
    denied = await gql.post(delete, ids, token=scanner)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_restricted_user_cannot_edit_another_warehouses_sales_order(db):
    from server.sales import orders as so
    from tests.sales_helpers import SALES, make_sales_world

    sw = await make_sales_world(db)
    order = await so.do_create_sales_order(
        db,
        so.SalesOrderInput(
            customer_id=sw.customer,
            warehouse_id=sw.w.wh1,
            lines=[so.SalesLineInput(product_id=sw.widget, quantity="1")],
        ),
        SALES,
    )
    from dataclasses import replace

    outsider = replace(SALES, warehouse_ids=frozenset({sw.w.wh2}))
    change = so.SalesOrderInput(
        customer_id=sw.customer, warehouse_id=sw.w.wh2, lines=[so.SalesLineInput(product_id=sw.widget, quantity="2")]
    )
    with pytest.raises(DomainError) as exc:
        await so.do_update_sales_order(db, order, change, outsider)
    assert exc.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(DomainError) as exc:
        await so.do_submit_sales_order(db, order, outsider)
    assert exc.value.details[0].code == "PERMISSION_DENIED"
