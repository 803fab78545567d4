"""External ids and the upserts by them (issue #22, server/integrations/external_ids.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from schema.relay import to_global_id
from server.catalog.errors import CatalogError
from server.catalog.models import barcode, product
from server.catalog.services import BarcodeInput, ProductInput, do_create_product
from server.core.audit import audit_log
from server.events.models import event
from server.integrations.errors import IntegrationError
from server.integrations.external_ids import (
    ExternalRef,
    do_upsert_customer,
    do_upsert_product,
    do_upsert_supplier,
    external_ids,
    find_by_external_id,
)
from server.integrations.models import external_ref
from server.partners.models import customer, supplier
from server.partners.services import PartnerInput
from tests.factories import make_world
from tests.gql import admin_token

TAOBAO = "shop:taobao"
KINGDEE = "erp:kingdee"


def _water(world, **changes) -> ProductInput:
    values = dict(
        sku="WATER-550",
        name="矿泉水",
        spec="550ml",
        base_unit_id=world.pcs,
        sale_price="2.50",
        purchase_price="1.20",
        barcodes=[BarcodeInput(code="INT-WATER")],
    )
    values.update(changes)
    return ProductInput(**values)


async def _writes(db) -> tuple[int, ...]:
    """Rows of everything an upsert may write: audit entries, journal events, products, partners, refs."""
    async with db.read() as conn:
        return tuple(
            [
                (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (audit_log, event, product, barcode, customer, supplier, external_ref)
            ]
        )


async def _updated_at(db, product_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(product.c.updated_at).where(product.c.id == product_id))).scalar_one()


async def test_upsert_creates_then_the_same_again_is_unchanged_and_writes_nothing(db):
    w = await make_world(db)
    before = await _writes(db)
    pid, outcome = await do_upsert_product(db, TAOBAO, "tb-1001", _water(w))
    assert outcome == "created"
    after_create = await _writes(db)
    assert after_create[2] == before[2] + 1 and after_create[-1] == before[-1] + 1
    assert after_create[0] > before[0]  # the product's and the ref's audit entries
    stamp = await _updated_at(db, pid)

    # the nightly resend: whitespace and an equal price spelled otherwise change nothing
    again = _water(w, name=" 矿泉水 ", sale_price="2.5")
    assert await do_upsert_product(db, TAOBAO, "tb-1001", again) == (pid, "unchanged")
    assert await _writes(db) == after_create
    assert await _updated_at(db, pid) == stamp
    assert await external_ids(db, "product", pid) == [ExternalRef(TAOBAO, "tb-1001")]


async def test_a_changed_field_is_updated_through_the_catalog(db):
    w = await make_world(db)
    pid, _ = await do_upsert_product(db, TAOBAO, "tb-1001", _water(w))
    before = await _writes(db)
    assert await do_upsert_product(db, TAOBAO, "tb-1001", _water(w, sale_price="2.80")) == (pid, "updated")
    async with db.read() as conn:
        row = (await conn.execute(select(product).where(product.c.id == pid))).one()
        audit = (
            await conn.execute(select(audit_log.c.target).where(audit_log.c.id > 0).order_by(audit_log.c.id.desc()))
        ).first()
    assert row.sale_price_fen == 280 and row.name == "矿泉水"
    after = await _writes(db)
    assert after[0] == before[0] + 1 and after[2:] == before[2:]  # one audit entry; no new row
    assert audit.target == f"product:{pid}"
    # a new barcode is added; the one it has is not sent again (the catalog would refuse it)
    more = _water(w, sale_price="2.80", barcodes=[BarcodeInput(code="INT-WATER"), BarcodeInput(code="INT-WATER-2")])
    assert await do_upsert_product(db, TAOBAO, "tb-1001", more) == (pid, "updated")
    assert await do_upsert_product(db, TAOBAO, "tb-1001", more) == (pid, "unchanged")


async def test_the_catalogs_rules_apply_and_a_refused_update_writes_nothing(db):
    w = await make_world(db)
    await do_upsert_product(db, TAOBAO, "tb-1001", _water(w))
    before = await _writes(db)
    with pytest.raises(CatalogError) as err:
        await do_upsert_product(db, TAOBAO, "tb-1001", _water(w, sale_price="-1", base_unit_id=w.kg))
    assert {d.field for d in err.value.details} >= {"salePrice"}
    with pytest.raises(CatalogError):
        await do_upsert_product(db, TAOBAO, "tb-1001", _water(w, base_unit_id=w.kg))  # the base unit is fixed
    with pytest.raises(CatalogError):  # a new product without its required fields
        await do_upsert_product(db, TAOBAO, "tb-2002", ProductInput(sku="NEW-1"))
    assert await _writes(db) == before


async def test_two_sources_keep_their_own_ids_for_one_product(db):
    w = await make_world(db)
    pid, outcome = await do_upsert_product(db, TAOBAO, "tb-1001", _water(w))
    assert outcome == "created"
    # the ERP knows the same SKU by its own id: linked, not created again
    assert await do_upsert_product(db, KINGDEE, "KD-77", _water(w)) == (pid, "updated")
    assert await external_ids(db, "product", pid) == [ExternalRef(KINGDEE, "KD-77"), ExternalRef(TAOBAO, "tb-1001")]
    assert await find_by_external_id(db, TAOBAO, "product", "tb-1001") == pid
    assert await find_by_external_id(db, KINGDEE, "product", "KD-77") == pid
    assert await find_by_external_id(db, KINGDEE, "product", "tb-1001") is None
    assert await find_by_external_id(db, TAOBAO, "customer", "tb-1001") is None
    # a second id of the same source for a SKU that source has already: the catalog's duplicate SKU
    with pytest.raises(CatalogError) as err:
        await do_upsert_product(db, TAOBAO, "tb-9999", _water(w))
    assert err.value.details[0].code == "DUPLICATE_CODE"


async def test_an_existing_sku_is_linked_and_updated(db):
    w = await make_world(db)
    pid = await do_create_product(db, _water(w, barcodes=[]))
    got, outcome = await do_upsert_product(db, TAOBAO, "tb-1001", _water(w, spec="500ml"))
    assert (got, outcome) == (pid, "updated")
    async with db.read() as conn:
        row = (await conn.execute(select(product).where(product.c.id == pid))).one()
        codes = (await conn.execute(select(barcode.c.code).where(barcode.c.product_id == pid))).scalars().all()
    assert row.spec == "500ml" and codes == ["INT-WATER"]
    assert await do_upsert_product(db, TAOBAO, "tb-1001", _water(w, spec="500ml")) == (pid, "unchanged")


@pytest.mark.parametrize(
    "source,external_id,codes",
    [
        ("Shop:Taobao", "tb-1", ["INVALID_SOURCE"]),
        ("shop taobao", "tb-1", ["INVALID_SOURCE"]),
        ("", "tb-1", ["INVALID_SOURCE"]),
        ("s" * 65, "tb-1", ["INVALID_SOURCE"]),
        ("shop:taobao", "", ["INVALID_EXTERNAL_ID"]),
        ("shop:taobao", "x" * 129, ["INVALID_EXTERNAL_ID"]),
        ("shop:taobao", "tb\n1", ["INVALID_EXTERNAL_ID"]),
        ("shop:taobao", "   ", ["INVALID_EXTERNAL_ID"]),
        ("商店", "\t", ["INVALID_SOURCE", "INVALID_EXTERNAL_ID"]),
    ],
)
async def test_a_bad_source_or_external_id_is_refused_with_no_write(db, source, external_id, codes):
    w = await make_world(db)
    before = await _writes(db)
    for upsert, data in (
        (do_upsert_product, _water(w)),
        (do_upsert_customer, PartnerInput(code="C1", name="华联")),
        (do_upsert_supplier, PartnerInput(code="S1", name="五金")),
    ):
        with pytest.raises(IntegrationError) as err:
            await upsert(db, source, external_id, data)
        assert [d.code for d in err.value.details] == codes
    assert await _writes(db) == before
    # the limits themselves are fine
    assert (await do_upsert_product(db, "a" * 64, "x" * 128, _water(w)))[1] == "created"
    assert (await do_upsert_product(db, "erp:kd_2.v-1", "编号 42/α", _water(w, sku="W2", barcodes=[])))[1] == "created"


async def test_customers_and_suppliers_upsert_alike(db):
    before = await _writes(db)
    cid, outcome = await do_upsert_customer(
        db, TAOBAO, "buyer-1", PartnerInput(code="C-TB-1", name="张三", credit_limit="", discount="0.05")
    )
    assert outcome == "created"
    mid = await _writes(db)
    assert await do_upsert_customer(
        db, TAOBAO, "buyer-1", PartnerInput(code="C-TB-1", name="张三 ", credit_limit="", discount="0.050")
    ) == (cid, "unchanged")
    assert await _writes(db) == mid
    assert await do_upsert_customer(db, TAOBAO, "buyer-1", PartnerInput(code="C-TB-1", name="张三丰")) == (
        cid,
        "updated",
    )
    sid, outcome = await do_upsert_supplier(db, KINGDEE, "V-1", PartnerInput(code="S-1", name="五金", currency="cny"))
    assert outcome == "created"
    assert await do_upsert_supplier(db, KINGDEE, "V-1", PartnerInput(code="S-1", name="五金", currency="CNY")) == (
        sid,
        "unchanged",
    )
    # a supplier and a customer of one source may share an external id: the entity type tells them apart
    assert (await do_upsert_supplier(db, TAOBAO, "buyer-1", PartnerInput(code="S-2", name="供货")))[1] == "created"
    assert await external_ids(db, "customer", cid) == [ExternalRef(TAOBAO, "buyer-1")]
    assert await external_ids(db, "supplier", sid) == [ExternalRef(KINGDEE, "V-1")]
    after = await _writes(db)
    assert after[4] == before[4] + 1 and after[5] == before[5] + 2


async def test_upserting_needs_the_create_permission(db):
    from server.auth.services import Principal

    w = await make_world(db)
    viewer = Principal("token", "viewer", None, None, frozenset({"catalog.view", "partner.view"}))
    before = await _writes(db)
    with pytest.raises(IntegrationError) as err:
        await do_upsert_product(db, TAOBAO, "tb-1", _water(w), viewer)
    assert err.value.details[0].code == "PERMISSION_DENIED"
    with pytest.raises(IntegrationError):
        await do_upsert_customer(db, TAOBAO, "c-1", PartnerInput(code="C1", name="华联"), viewer)
    assert await _writes(db) == before


@pytest.mark.postgres
async def test_concurrent_identical_upserts_make_one_product(dbs):
    w = await make_world(dbs[0])
    results = await asyncio.gather(
        *(do_upsert_product(dbs[i % len(dbs)], TAOBAO, "tb-1001", _water(w)) for i in range(8)),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    ids = {r[0] for r in results}
    outcomes = sorted(r[1] for r in results)
    assert len(ids) == 1 and outcomes == ["created"] + ["unchanged"] * 7
    async with dbs[0].read() as conn:
        assert (await conn.execute(select(func.count()).select_from(product))).scalar_one() == 1
        assert (await conn.execute(select(func.count()).select_from(external_ref))).scalar_one() == 1


@pytest.mark.postgres
async def test_concurrent_upserts_of_one_sku_from_two_sources_link_one_product(dbs):
    w = await make_world(dbs[0])
    results = await asyncio.gather(
        *(
            do_upsert_product(dbs[i % len(dbs)], source, ext, _water(w))
            for i, (source, ext) in enumerate([(TAOBAO, "tb-1"), (KINGDEE, "kd-1"), ("shop:jd", "jd-1")])
        ),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r[0] for r in results}) == 1
    assert sorted(r[1] for r in results) == ["created", "updated", "updated"]


# ---- the API ------------------------------------------------------------------------------------------

UPSERT_PRODUCT = """
mutation($source: String!, $ext: String!, $input: ProductInput!) {
  upsertProduct(source: $source, externalId: $ext, input: $input) {
    outcome errors { field code message }
    product { id sku salePrice externalIds { source externalId } }
  }
}"""
UPSERT_CUSTOMER = """
mutation($source: String!, $ext: String!, $input: PartnerInput!) {
  upsertCustomer(source: $source, externalId: $ext, input: $input) {
    outcome errors { field code message } customer { id code externalIds { source externalId } }
  }
}"""
UPSERT_SUPPLIER = """
mutation($source: String!, $ext: String!, $input: PartnerInput!) {
  upsertSupplier(source: $source, externalId: $ext, input: $input) {
    outcome errors { field code message } supplier { id code externalIds { source externalId } }
  }
}"""
BY_EXTERNAL_ID = """
query($source: String!, $type: ExternalEntityType!, $ext: String!) {
  byExternalId(source: $source, entityType: $type, externalId: $ext) { id entityType source externalId }
}"""


async def test_graphql_round_trip(gql):
    w = await make_world(gql.db)
    data = {
        "sku": "WATER-550",
        "name": "矿泉水",
        "baseUnitId": to_global_id("Unit", w.pcs),
        "salePrice": "2.50",
    }
    first = (await gql.execute(UPSERT_PRODUCT, {"source": TAOBAO, "ext": "tb-1", "input": data}))["upsertProduct"]
    assert first["outcome"] == "CREATED" and first["errors"] == []
    assert first["product"]["externalIds"] == [{"source": TAOBAO, "externalId": "tb-1"}]
    pid = first["product"]["id"]
    again = (await gql.execute(UPSERT_PRODUCT, {"source": TAOBAO, "ext": "tb-1", "input": data}))["upsertProduct"]
    assert again["outcome"] == "UNCHANGED" and again["product"]["id"] == pid
    changed = {**data, "salePrice": "3.00"}
    upd = (await gql.execute(UPSERT_PRODUCT, {"source": KINGDEE, "ext": "KD-1", "input": changed}))["upsertProduct"]
    assert upd["outcome"] == "UPDATED" and upd["product"]["salePrice"] == "3.00"
    assert upd["product"]["externalIds"] == [
        {"source": KINGDEE, "externalId": "KD-1"},
        {"source": TAOBAO, "externalId": "tb-1"},
    ]

    found = (await gql.execute(BY_EXTERNAL_ID, {"source": TAOBAO, "type": "PRODUCT", "ext": "tb-1"}))["byExternalId"]
    assert found == {"id": pid, "entityType": "PRODUCT", "source": TAOBAO, "externalId": "tb-1"}
    for variables in (
        {"source": TAOBAO, "type": "PRODUCT", "ext": "tb-2"},
        {"source": TAOBAO, "type": "CUSTOMER", "ext": "tb-1"},
        {"source": "BAD SOURCE", "type": "PRODUCT", "ext": "tb-1"},
    ):
        assert (await gql.execute(BY_EXTERNAL_ID, variables))["byExternalId"] is None

    bad = (await gql.execute(UPSERT_PRODUCT, {"source": "Shop", "ext": "", "input": data}))["upsertProduct"]
    assert bad["outcome"] is None and bad["product"] is None
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        ("source", "INVALID_SOURCE"),
        ("externalId", "INVALID_EXTERNAL_ID"),
    ]
    # the catalog's own errors come back as they are
    dup = (await gql.execute(UPSERT_PRODUCT, {"source": TAOBAO, "ext": "tb-3", "input": {**data, "salePrice": "-1"}}))[
        "upsertProduct"
    ]
    assert [(e["field"], e["code"]) for e in dup["errors"]] == [("salePrice", "INVALID_VALUE")]

    c = (await gql.execute(UPSERT_CUSTOMER, {"source": TAOBAO, "ext": "b-1", "input": {"code": "C1", "name": "张三"}}))[
        "upsertCustomer"
    ]
    assert c["outcome"] == "CREATED" and c["customer"]["externalIds"] == [{"source": TAOBAO, "externalId": "b-1"}]
    s = (
        await gql.execute(UPSERT_SUPPLIER, {"source": KINGDEE, "ext": "v-1", "input": {"code": "S1", "name": "五金"}})
    )["upsertSupplier"]
    assert s["outcome"] == "CREATED" and s["supplier"]["code"] == "S1"
    found = (await gql.execute(BY_EXTERNAL_ID, {"source": KINGDEE, "type": "SUPPLIER", "ext": "v-1"}))["byExternalId"]
    assert found["id"] == s["supplier"]["id"]


async def test_external_ids_of_a_list_are_one_query(gql):
    w = await make_world(gql.db)
    for i in range(5):
        await do_upsert_product(gql.db, TAOBAO, f"tb-{i}", _water(w, sku=f"W-{i}", barcodes=[]))
    statements: list[str] = []
    from sqlalchemy import event as sa_event

    def count(conn, cursor, statement, *args):
        if "external_ref" in statement:
            statements.append(statement)

    engine = gql.db.engine.sync_engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        data = await gql.execute("{ products(first: 10) { edges { node { sku externalIds { externalId } } } } }")
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    nodes = [e["node"] for e in data["products"]["edges"]]
    assert sorted(n["externalIds"][0]["externalId"] for n in nodes) == [f"tb-{i}" for i in range(5)]
    assert len(statements) == 1


async def test_a_viewer_may_not_upsert(gql):
    w = await make_world(gql.db)
    viewer = await admin_token(gql.db, role="viewer")
    before = await _writes(gql.db)
    variables = {
        "source": TAOBAO,
        "ext": "tb-1",
        "input": {"sku": "W", "name": "水", "baseUnitId": to_global_id("Unit", w.pcs)},
    }
    body = await gql.post(UPSERT_PRODUCT, variables, token=viewer)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"]
    partner = {"source": TAOBAO, "ext": "c-1", "input": {"code": "C1", "name": "张三"}}
    for query in (UPSERT_CUSTOMER, UPSERT_SUPPLIER):
        body = await gql.post(query, partner, token=viewer)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"]
    after = await _writes(gql.db)
    assert after == before
    # the viewer reads what it may see, and not the ids of what it may not
    await do_upsert_product(gql.db, TAOBAO, "tb-1", _water(w))
    scan = await admin_token(gql.db, role="scan_device")
    body = await gql.post(BY_EXTERNAL_ID, {"source": TAOBAO, "type": "PRODUCT", "ext": "tb-1"}, token=viewer)
    assert body["data"]["byExternalId"]["source"] == TAOBAO
    body = await gql.post(BY_EXTERNAL_ID, {"source": TAOBAO, "type": "PRODUCT", "ext": "tb-1"}, token=scan)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERMISSION_DENIED"]
