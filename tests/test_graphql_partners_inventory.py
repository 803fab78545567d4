"""Partners, warehouses/locations and the four stock primitives through GraphQL; input errors and guard rails."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from schema.relay import to_global_id as gid
from server.inventory.warehouses import do_create_location, do_create_warehouse, do_set_location_active
from server.partners.services import PartnerInput, do_create_partner, do_set_partner_active
from tests.factories import make_product, make_world

ERR = "errors { field code message }"

PARTNER_FIELDS = "id code name contactName phone email address taxId active"
CREATE_SUPPLIER = f"""mutation($input: PartnerInput!) {{
  createSupplier(input: $input) {{ supplier {{ {PARTNER_FIELDS} }} {ERR} }} }}"""
UPDATE_SUPPLIER = f"""mutation($id: ID!, $input: PartnerInput!) {{
  updateSupplier(id: $id, input: $input) {{ supplier {{ {PARTNER_FIELDS} }} {ERR} }} }}"""
CREATE_CUSTOMER = f"""mutation($input: PartnerInput!) {{
  createCustomer(input: $input) {{ customer {{ {PARTNER_FIELDS} }} {ERR} }} }}"""
SET_CUSTOMER_ACTIVE = f"""mutation($id: ID!, $active: Boolean!) {{
  setCustomerActive(id: $id, active: $active) {{ customer {{ id code active }} {ERR} }} }}"""

CREATE_WAREHOUSE = f"""mutation($input: CreateWarehouseInput!) {{
  createWarehouse(input: $input) {{ warehouse {{ id code name address active }} {ERR} }} }}"""
CREATE_LOCATION = f"""mutation($input: CreateLocationInput!) {{
  createLocation(input: $input) {{ location {{ id code name sortOrder active warehouse {{ code }} parent {{ code }} }}
  {ERR} }} }}"""

OP = (
    f"replayed {ERR} operation {{ id operationType reference reason "
    f"moves {{ totalCount edges {{ node {{ lineNo moveType quantity value }} }} }} }}"
)
RECEIVE = f"""mutation($lines: [ReceiveLineInput!]!, $key: String!, $ref: String! = "") {{
  receiveStock(lines: $lines, idempotencyKey: $key, reference: $ref) {{ {OP} }} }}"""
ISSUE = f"""mutation($lines: [IssueLineInput!]!, $key: String!) {{
  issueStock(lines: $lines, idempotencyKey: $key) {{ {OP} }} }}"""
TRANSFER = f"""mutation($lines: [TransferLineInput!]!, $key: String!) {{
  transferStock(lines: $lines, idempotencyKey: $key) {{ {OP} }} }}"""
ADJUST = f"""mutation($lines: [AdjustLineInput!]!, $key: String!, $reason: String!) {{
  adjustStock(lines: $lines, idempotencyKey: $key, reason: $reason) {{ {OP} }} }}"""

LEVELS = """query($filter: StockLevelFilter, $first: Int) {
  stockLevels(filter: $filter, first: $first) { totalCount
    edges { node { quantity product { sku } location { code } warehouse { code } } } } }"""
MOVES = """query($filter: StockMoveFilter) {
  stockMoves(filter: $filter, first: 100) { totalCount
    edges { node { moveType quantity value product { sku } fromLocation { code } toLocation { code }
                   operation { id } } } } }"""
PRODUCT_STOCK = "query($id: ID!) { productStock(productId: $id) { quantity value averageCost } }"


# ---- helpers ---------------------------------------------------------------------------------


async def event_seq(gql) -> int:
    async with gql.db.read() as conn:
        return (await conn.execute(text("SELECT last_seq FROM event_counter"))).scalar_one()


async def levels(gql, **filter) -> dict[tuple[str, str], str]:
    data = await gql.execute(LEVELS, {"filter": filter or None, "first": 100})
    conn = data["stockLevels"]
    out = {(e["node"]["product"]["sku"], e["node"]["location"]["code"]): e["node"]["quantity"] for e in conn["edges"]}
    assert len(out) == conn["totalCount"]
    return out


async def moves(gql, **filter) -> dict:
    return (await gql.execute(MOVES, {"filter": filter or None}))["stockMoves"]


async def product_stock(gql, product_id: str):
    return (await gql.execute(PRODUCT_STOCK, {"id": product_id}))["productStock"]


async def op(gql, mutation: str, lines: list[dict], key: str, lang: str | None = None, **extra) -> dict:
    """The payload, with the operation's first page of moves as a plain list of nodes."""
    data = await gql.execute(mutation, {"lines": lines, "key": key, **extra}, lang=lang)
    payload = next(iter(data.values()))
    if payload.get("operation"):
        page = payload["operation"]["moves"]
        assert page["totalCount"] == len(page["edges"])
        payload["operation"]["moves"] = [e["node"] for e in page["edges"]]
    return payload


def codes(payload) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


class Ids:
    """Global IDs of the factory world."""

    def __init__(self, w, **products):
        self.w = w
        self.pcs, self.box, self.kg = (gid("Unit", x) for x in (w.pcs, w.box, w.kg))
        self.wh1, self.wh2 = gid("Warehouse", w.wh1), gid("Warehouse", w.wh2)
        self.a1, self.a2, self.b1 = (gid("Location", x) for x in (w.a1, w.a2, w.b1))
        for name, pk in products.items():
            setattr(self, name, gid("Product", pk))


async def sku_of(gql, product_id: str) -> str:
    return (await gql.execute("query($id: ID!) { node(id: $id) { ... on Product { sku } } }", {"id": product_id}))[
        "node"
    ]["sku"]


# ---- partners --------------------------------------------------------------------------------


async def test_supplier_create_update_and_customer_archive(gql):
    created = (
        await gql.execute(
            CREATE_SUPPLIER,
            {
                "input": {
                    "code": "SUP-001",
                    "name": "上海华联供应链有限公司",
                    "contactName": "王经理",
                    "phone": "021-12345678",
                    "email": "wang@example.cn",
                    "address": "上海市浦东新区",
                    "taxId": "91310000MA1K000000",
                }
            },
        )
    )["createSupplier"]
    assert created["errors"] == []
    s = created["supplier"]
    assert {k: v for k, v in s.items() if k != "id"} == {
        "code": "SUP-001",
        "name": "上海华联供应链有限公司",
        "contactName": "王经理",
        "phone": "021-12345678",
        "email": "wang@example.cn",
        "address": "上海市浦东新区",
        "taxId": "91310000MA1K000000",
        "active": True,
    }

    updated = await gql.execute(
        UPDATE_SUPPLIER, {"id": s["id"], "input": {"name": "华联供应链", "phone": "13800000000"}}
    )
    updated = updated["updateSupplier"]
    assert updated["errors"] == []
    assert updated["supplier"] == {**s, "name": "华联供应链", "phone": "13800000000"}

    c1 = (await gql.execute(CREATE_CUSTOMER, {"input": {"code": "CUS-001", "name": "北京客户"}}))["createCustomer"]
    c2 = (await gql.execute(CREATE_CUSTOMER, {"input": {"code": "CUS-002", "name": "广州客户"}}))["createCustomer"]
    assert c1["errors"] == [] and c2["errors"] == []
    assert c1["customer"]["email"] == "" and c1["customer"]["active"] is True
    archived = await gql.execute(SET_CUSTOMER_ACTIVE, {"id": c1["customer"]["id"], "active": False})
    assert archived["setCustomerActive"] == {
        "customer": {"id": c1["customer"]["id"], "code": "CUS-001", "active": False},
        "errors": [],
    }
    q = "query($f: PartnerFilter) { customers(filter: $f) { totalCount edges { node { code active } } } }"
    assert (await gql.execute(q, {"f": None}))["customers"]["totalCount"] == 2
    active = (await gql.execute(q, {"f": {"active": True}}))["customers"]
    assert active["edges"] == [{"node": {"code": "CUS-002", "active": True}}]
    assert (await gql.execute(q, {"f": {"active": False}}))["customers"]["edges"] == [
        {"node": {"code": "CUS-001", "active": False}}
    ]
    assert (await gql.execute(q, {"f": {"text": "广州"}}))["customers"]["edges"] == [
        {"node": {"code": "CUS-002", "active": True}}
    ]
    sq = "query($f: PartnerFilter) { suppliers(filter: $f) { totalCount edges { node { code } } } }"
    assert (await gql.execute(sq, {"f": {"text": "王经理"}}))["suppliers"]["totalCount"] == 1
    assert (await gql.execute(sq, {"f": {"text": "sup-0"}}))["suppliers"]["totalCount"] == 1


async def test_partner_errors(gql):
    ok = (await gql.execute(CREATE_SUPPLIER, {"input": {"code": "S1", "name": "一号"}}))["createSupplier"]
    sid = ok["supplier"]["id"]

    bad_email = await gql.execute(CREATE_SUPPLIER, {"input": {"code": "S2", "name": "二号", "email": "not-an-email"}})
    assert bad_email["createSupplier"]["supplier"] is None
    assert codes(bad_email["createSupplier"]) == [("email", "INVALID_VALUE")]
    assert bad_email["createSupplier"]["errors"][0]["message"] == "值无效：not-an-email"
    en = await gql.execute(CREATE_CUSTOMER, {"input": {"code": "C2", "name": "x", "email": "nope"}}, lang="en")
    assert en["createCustomer"]["errors"] == [
        {"field": "email", "code": "INVALID_VALUE", "message": "Invalid value: nope"}
    ]
    missing = (await gql.execute(CREATE_SUPPLIER, {"input": {"name": "无编码"}}))["createSupplier"]
    assert codes(missing) == [("code", "REQUIRED")]
    spaced = (await gql.execute(CREATE_SUPPLIER, {"input": {"code": "S 3", "name": ""}}))["createSupplier"]
    assert sorted(codes(spaced)) == [("code", "INVALID_VALUE"), ("name", "REQUIRED")]

    # update with a bad email leaves the record as it was
    upd = (await gql.execute(UPDATE_SUPPLIER, {"id": sid, "input": {"email": "bad", "name": "新名"}}))["updateSupplier"]
    assert upd["supplier"] is None and codes(upd) == [("email", "INVALID_VALUE")]
    # unknown id, id of another type (a customer's id for a supplier)
    cust = (await gql.execute(CREATE_CUSTOMER, {"input": {"code": "C1", "name": "客户"}}))["createCustomer"]
    for wrong in (gid("Supplier", 999), cust["customer"]["id"], "garbage"):
        res = (await gql.execute(UPDATE_SUPPLIER, {"id": wrong, "input": {"name": "x"}}))["updateSupplier"]
        assert res["supplier"] is None and codes(res) == [("id", "NOT_FOUND")]
    nf = (await gql.execute(SET_CUSTOMER_ACTIVE, {"id": sid, "active": False}))["setCustomerActive"]
    assert nf["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "找不到客户。"}]

    suppliers = await gql.execute("{ suppliers { totalCount edges { node { code name email } } } }")
    assert suppliers["suppliers"]["edges"] == [{"node": {"code": "S1", "name": "一号", "email": ""}}]
    customers = await gql.execute("{ customers { edges { node { code active } } } }")
    assert customers["customers"]["edges"] == [{"node": {"code": "C1", "active": True}}]


async def test_duplicate_partner_warehouse_and_location_codes(gql):
    assert (await gql.execute(CREATE_SUPPLIER, {"input": {"code": "S1", "name": "一号"}}))["createSupplier"][
        "errors"
    ] == []
    dup = (await gql.execute(CREATE_SUPPLIER, {"input": {"code": "S1", "name": "重复"}}))["createSupplier"]
    assert dup["supplier"] is None and codes(dup) == [("code", "DUPLICATE_CODE")]
    assert dup["errors"][0]["message"] == "编码“S1”已存在。"
    # a customer may use a supplier's code (separate tables)
    assert (await gql.execute(CREATE_CUSTOMER, {"input": {"code": "S1", "name": "客户"}}))["createCustomer"][
        "errors"
    ] == []
    wh = (await gql.execute(CREATE_WAREHOUSE, {"input": {"code": "WH", "name": "仓"}}))["createWarehouse"]
    dup_wh = (await gql.execute(CREATE_WAREHOUSE, {"input": {"code": "WH", "name": "仓2"}}))["createWarehouse"]
    assert codes(dup_wh) == [("code", "DUPLICATE_CODE")]
    loc = {"warehouseId": wh["warehouse"]["id"], "code": "L1"}
    assert (await gql.execute(CREATE_LOCATION, {"input": loc}))["createLocation"]["errors"] == []
    dup_loc = (await gql.execute(CREATE_LOCATION, {"input": loc}))["createLocation"]
    assert codes(dup_loc) == [("code", "DUPLICATE_CODE")]
    assert (await gql.execute("{ suppliers { totalCount } }"))["suppliers"]["totalCount"] == 1


# ---- warehouses and locations ----------------------------------------------------------------


async def test_warehouses_locations_and_location_by_code(gql):
    wh1 = await gql.execute(CREATE_WAREHOUSE, {"input": {"code": "SH", "name": "上海仓", "address": "浦东"}})
    wh1 = wh1["createWarehouse"]
    assert wh1["errors"] == []
    assert {k: v for k, v in wh1["warehouse"].items() if k != "id"} == {
        "code": "SH",
        "name": "上海仓",
        "address": "浦东",
        "active": True,
    }
    wh2 = (await gql.execute(CREATE_WAREHOUSE, {"input": {"code": "BJ", "name": "北京仓"}}))["createWarehouse"]
    sh, bj = wh1["warehouse"]["id"], wh2["warehouse"]["id"]

    zone = await gql.execute(CREATE_LOCATION, {"input": {"warehouseId": sh, "code": "SH-A", "name": "A区"}})
    zone = zone["createLocation"]
    assert zone["errors"] == [] and zone["location"]["parent"] is None
    assert zone["location"]["warehouse"] == {"code": "SH"}
    binloc = await gql.execute(
        CREATE_LOCATION,
        {
            "input": {
                "warehouseId": sh,
                "code": "SH-A-01",
                "name": "A区1号",
                "parentId": zone["location"]["id"],
                "sortOrder": 2,
            }
        },
    )
    binloc = binloc["createLocation"]
    assert binloc["errors"] == []
    assert {k: v for k, v in binloc["location"].items() if k != "id"} == {
        "code": "SH-A-01",
        "name": "A区1号",
        "sortOrder": 2,
        "active": True,
        "warehouse": {"code": "SH"},
        "parent": {"code": "SH-A"},
    }
    bj_loc = (await gql.execute(CREATE_LOCATION, {"input": {"warehouseId": bj, "code": "BJ-01"}}))["createLocation"]
    assert bj_loc["errors"] == []

    # a parent in another warehouse is refused, nothing created
    cross = (
        await gql.execute(
            CREATE_LOCATION, {"input": {"warehouseId": bj, "code": "BJ-02", "parentId": zone["location"]["id"]}}
        )
    )["createLocation"]
    assert cross["location"] is None and codes(cross) == [("parentId", "INVALID_PARENT")]
    # ids of the wrong type or unknown
    wrong_wh = await gql.execute(CREATE_LOCATION, {"input": {"warehouseId": zone["location"]["id"], "code": "X1"}})
    assert codes(wrong_wh["createLocation"]) == [("warehouseId", "NOT_FOUND")]
    unknown_wh = await gql.execute(CREATE_LOCATION, {"input": {"warehouseId": gid("Warehouse", 99), "code": "X2"}})
    assert codes(unknown_wh["createLocation"]) == [("warehouseId", "NOT_FOUND")]
    wrong_parent = await gql.execute(CREATE_LOCATION, {"input": {"warehouseId": sh, "code": "X3", "parentId": sh}})
    assert codes(wrong_parent["createLocation"]) == [("parentId", "NOT_FOUND")]
    unknown_parent = await gql.execute(
        CREATE_LOCATION, {"input": {"warehouseId": sh, "code": "X4", "parentId": gid("Location", 99)}}
    )
    assert codes(unknown_parent["createLocation"]) == [("parentId", "NOT_FOUND")]

    by_code = """query($c: String!) { locationByCode(code: $c) { id code warehouse { code } parent { code } } }"""
    found = (await gql.execute(by_code, {"c": " SH-A-01 "}))["locationByCode"]
    assert found == {
        "id": binloc["location"]["id"],
        "code": "SH-A-01",
        "warehouse": {"code": "SH"},
        "parent": {"code": "SH-A"},
    }
    assert (await gql.execute(by_code, {"c": "BJ-02"}))["locationByCode"] is None

    listing = await gql.execute("""{ warehouses { totalCount edges { node { code locations { edges { node { code } } } } } }
                                      locations { totalCount } }""")
    assert listing["warehouses"]["edges"] == [
        {"node": {"code": "BJ", "locations": {"edges": [{"node": {"code": "BJ-01"}}]}}},
        {"node": {"code": "SH", "locations": {"edges": [{"node": {"code": "SH-A"}}, {"node": {"code": "SH-A-01"}}]}}},
    ]
    assert listing["locations"]["totalCount"] == 3
    in_sh = await gql.execute(
        "query($w: ID) { locations(filter: {warehouseId: $w}) { edges { node { code } } } }", {"w": sh}
    )
    assert [e["node"]["code"] for e in in_sh["locations"]["edges"]] == ["SH-A", "SH-A-01"]


async def test_partner_queries(gql):
    """Suppliers and customers made by the services, read through GraphQL (filters, node, archive)."""
    s1 = await do_create_partner(
        gql.db,
        "supplier",
        PartnerInput(code="SUP-001", name="上海华联", contact_name="王经理", email="wang@example.cn"),
    )
    await do_create_partner(gql.db, "supplier", PartnerInput(code="SUP-002", name="北京供应"))
    c1 = await do_create_partner(gql.db, "customer", PartnerInput(code="CUS-001", name="北京客户"))
    await do_create_partner(gql.db, "customer", PartnerInput(code="CUS-002", name="广州客户"))
    await do_set_partner_active(gql.db, "customer", c1, False)

    q = "query($f: PartnerFilter) { customers(filter: $f) { totalCount edges { node { code active } } } }"
    assert (await gql.execute(q, {"f": None}))["customers"]["totalCount"] == 2
    assert (await gql.execute(q, {"f": {"active": True}}))["customers"]["edges"] == [
        {"node": {"code": "CUS-002", "active": True}}
    ]
    assert (await gql.execute(q, {"f": {"active": False}}))["customers"]["edges"] == [
        {"node": {"code": "CUS-001", "active": False}}
    ]
    assert (await gql.execute(q, {"f": {"text": "广州"}}))["customers"]["totalCount"] == 1
    sq = "query($f: PartnerFilter) { suppliers(filter: $f) { totalCount edges { node { code } } } }"
    assert (await gql.execute(sq, {"f": {"text": "王经理"}}))["suppliers"]["edges"] == [{"node": {"code": "SUP-001"}}]
    assert (await gql.execute(sq, {"f": {"text": "sup-00"}}))["suppliers"]["totalCount"] == 2
    assert (await gql.execute(sq, {"f": {"text": "%"}}))["suppliers"]["totalCount"] == 0  # LIKE wildcards are literal
    assert (await gql.execute(sq, {"f": {"text": "SUP_"}}))["suppliers"]["totalCount"] == 0
    node = await gql.execute(
        f"query($id: ID!) {{ node(id: $id) {{ __typename ... on Supplier {{ {PARTNER_FIELDS} }} }} }}",
        {"id": gid("Supplier", s1)},
    )
    assert node["node"] == {
        "__typename": "Supplier",
        "id": gid("Supplier", s1),
        "code": "SUP-001",
        "name": "上海华联",
        "contactName": "王经理",
        "phone": "",
        "email": "wang@example.cn",
        "address": "",
        "taxId": "",
        "active": True,
    }
    # a supplier id is not a customer id
    wrong = await gql.execute("query($id: ID!) { node(id: $id) { __typename } }", {"id": gid("Customer", s1 + 100)})
    assert wrong["node"] is None


async def test_location_queries(gql):
    """Warehouses and locations made by the services, read through GraphQL."""
    sh = await do_create_warehouse(gql.db, code="SH", name="上海仓", address="浦东")
    bj = await do_create_warehouse(gql.db, code="BJ", name="北京仓")
    zone = await do_create_location(gql.db, warehouse_id=sh, code="SH-A", name="A区")
    binloc = await do_create_location(
        gql.db, warehouse_id=sh, code="SH-A-01", name="A区1号", parent_id=zone, sort_order=2
    )
    await do_create_location(gql.db, warehouse_id=bj, code="BJ-01")
    from server.inventory.errors import InventoryError

    with pytest.raises(InventoryError) as exc:  # a parent in another warehouse
        await do_create_location(gql.db, warehouse_id=bj, code="BJ-02", parent_id=zone)
    assert [(d.field, d.code) for d in exc.value.details] == [("parentId", "INVALID_PARENT")]

    by_code = """query($c: String!) { locationByCode(code: $c) { id code name sortOrder active
                   warehouse { code name address } parent { code } } }"""
    found = (await gql.execute(by_code, {"c": " SH-A-01 "}))["locationByCode"]
    assert found == {
        "id": gid("Location", binloc),
        "code": "SH-A-01",
        "name": "A区1号",
        "sortOrder": 2,
        "active": True,
        "warehouse": {"code": "SH", "name": "上海仓", "address": "浦东"},
        "parent": {"code": "SH-A"},
    }
    assert (await gql.execute(by_code, {"c": "BJ-02"}))["locationByCode"] is None
    assert (await gql.execute(by_code, {"c": "sh-a-01"}))["locationByCode"] is None  # codes are exact

    listing = await gql.execute("""{ warehouses { totalCount edges { node { code locations { edges { node { code } } } } } }
                                      locations { totalCount } }""")
    assert listing["warehouses"]["edges"] == [
        {"node": {"code": "BJ", "locations": {"edges": [{"node": {"code": "BJ-01"}}]}}},
        {"node": {"code": "SH", "locations": {"edges": [{"node": {"code": "SH-A"}}, {"node": {"code": "SH-A-01"}}]}}},
    ]
    assert listing["locations"]["totalCount"] == 3
    lq = "query($f: LocationFilter) { locations(filter: $f) { edges { node { code } } } }"
    assert [
        e["node"]["code"]
        for e in (await gql.execute(lq, {"f": {"warehouseId": gid("Warehouse", sh)}}))["locations"]["edges"]
    ] == ["SH-A", "SH-A-01"]
    assert [e["node"]["code"] for e in (await gql.execute(lq, {"f": {"text": "a-0"}}))["locations"]["edges"]] == [
        "SH-A-01"
    ]
    assert (await gql.execute(lq, {"f": {"text": "_"}}))["locations"]["edges"] == []
    await do_set_location_active(gql.db, zone, False)
    assert [e["node"]["code"] for e in (await gql.execute(lq, {"f": {"active": False}}))["locations"]["edges"]] == [
        "SH-A"
    ]


# ---- stock primitives ------------------------------------------------------------------------


async def test_receive_issue_transfer_adjust_quantities_and_cost(gql):
    w = await make_world(gql.db)
    ids = Ids(
        w,
        p=await make_product(gql.db, w, purchase_price="5.00"),
        q=await make_product(gql.db, w, unit="kg", purchase_price="8.00"),
    )
    p_sku, q_sku = await sku_of(gql, ids.p), await sku_of(gql, ids.q)
    seq0 = await event_seq(gql)

    rec = await op(
        gql,
        RECEIVE,
        [
            {"productId": ids.p, "locationId": ids.a1, "quantity": "10", "unitCost": "5.00"},
            {"productId": ids.p, "locationId": ids.a2, "quantity": "2", "unitId": ids.box, "unitCost": "60.00"},
            {"productId": ids.q, "locationId": ids.b1, "quantity": "1.250"},  # default cost: purchase price
        ],
        "rec-1",
        ref="PO-001",
    )
    assert rec["errors"] == [] and rec["replayed"] is False
    assert rec["operation"]["operationType"] == "receipt" and rec["operation"]["reference"] == "PO-001"
    assert rec["operation"]["moves"] == [
        {"lineNo": 1, "moveType": "RECEIPT", "quantity": "10", "value": "50.00"},
        {"lineNo": 2, "moveType": "RECEIPT", "quantity": "24", "value": "120.00"},
        {"lineNo": 3, "moveType": "RECEIPT", "quantity": "1.250", "value": "10.00"},
    ]
    # one stock.changed per changed level, one stock.available_to_sell per (product, warehouse)
    assert await event_seq(gql) == seq0 + 3 + 2

    iss = await op(
        gql,
        ISSUE,
        [
            {"productId": ids.p, "locationId": ids.a1, "quantity": "4"},
            {"productId": ids.q, "locationId": ids.b1, "quantity": "0.250"},
        ],
        "iss-1",
    )
    assert iss["errors"] == []
    assert [(m["moveType"], m["quantity"], m["value"]) for m in iss["operation"]["moves"]] == [
        ("ISSUE", "4", "20.00"),
        ("ISSUE", "0.250", "2.00"),
    ]

    tr = await op(
        gql, TRANSFER, [{"productId": ids.p, "fromLocationId": ids.a2, "toLocationId": ids.b1, "quantity": "5"}], "tr-1"
    )
    assert tr["errors"] == [] and tr["operation"]["moves"][0]["moveType"] == "TRANSFER"

    adj = await op(
        gql,
        ADJUST,
        [
            {"productId": ids.p, "locationId": ids.a1, "quantity": "-1"},
            {"productId": ids.p, "locationId": ids.b1, "quantity": "3"},
        ],
        "adj-1",
        reason="盘点差异",
    )
    assert adj["errors"] == [] and adj["operation"]["reason"] == "盘点差异"
    assert [(m["moveType"], m["quantity"], m["value"]) for m in adj["operation"]["moves"]] == [
        ("ADJUSTMENT", "1", "5.00"),
        ("ADJUSTMENT", "3", "15.00"),
    ]

    # stock levels and their filters
    assert await levels(gql) == {
        (p_sku, "WH1-A-01"): "5",
        (p_sku, "WH1-A-02"): "19",
        (p_sku, "WH2-B-01"): "8",
        (q_sku, "WH2-B-01"): "1.000",
    }
    assert await levels(gql, productId=ids.q) == {(q_sku, "WH2-B-01"): "1.000"}
    assert await levels(gql, warehouseId=ids.wh1) == {(p_sku, "WH1-A-01"): "5", (p_sku, "WH1-A-02"): "19"}
    assert await levels(gql, locationId=ids.b1) == {(p_sku, "WH2-B-01"): "8", (q_sku, "WH2-B-01"): "1.000"}
    assert await levels(gql, productId=ids.p, warehouseId=ids.wh2) == {(p_sku, "WH2-B-01"): "8"}
    assert await levels(gql, productId=ids.a1) == {}  # an id of another type matches nothing

    # empty a location: hidden unless includeEmpty
    assert (await op(gql, ISSUE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "5"}], "iss-2"))[
        "errors"
    ] == []
    assert (p_sku, "WH1-A-01") not in await levels(gql)
    assert (await levels(gql, includeEmpty=True))[(p_sku, "WH1-A-01")] == "0"
    assert await levels(gql, locationId=ids.a1, includeEmpty=True) == {(p_sku, "WH1-A-01"): "0"}

    # totals and moving-average cost
    assert await product_stock(gql, ids.p) == {"quantity": "27", "value": "135.00", "averageCost": "5.00"}
    assert await product_stock(gql, ids.q) == {"quantity": "1.000", "value": "8.00", "averageCost": "8.00"}
    fresh = gid("Product", await make_product(gql.db, w))
    assert await product_stock(gql, fresh) == {"quantity": "0", "value": "0.00", "averageCost": None}
    assert await product_stock(gql, gid("Product", 9999)) is None
    assert await product_stock(gql, ids.a1) is None

    # the ledger, filtered by move type, product and location
    all_moves = await moves(gql)
    assert all_moves["totalCount"] == 9
    by_type = {t: (await moves(gql, moveType=t))["totalCount"] for t in ("RECEIPT", "ISSUE", "TRANSFER", "ADJUSTMENT")}
    assert by_type == {"RECEIPT": 3, "ISSUE": 3, "TRANSFER": 1, "ADJUSTMENT": 2}
    assert (await moves(gql, moveType="PRODUCTION_RECEIPT"))["totalCount"] == 0
    transfers = (await moves(gql, moveType="TRANSFER"))["edges"]
    assert transfers[0]["node"]["fromLocation"] == {"code": "WH1-A-02"}
    assert transfers[0]["node"]["toLocation"] == {"code": "WH2-B-01"}
    assert transfers[0]["node"]["operation"]["id"] == tr["operation"]["id"]
    assert (await moves(gql, productId=ids.q))["totalCount"] == 2
    # location filter matches either side of a move: receipts, issue, transfer-in, gain at B1
    assert (await moves(gql, locationId=ids.b1))["totalCount"] == 4
    assert (await moves(gql, locationId=ids.b1, moveType="ISSUE"))["totalCount"] == 1
    # newest first
    assert (
        all_moves["edges"][0]["node"]["moveType"] == "ISSUE" and all_moves["edges"][-1]["node"]["moveType"] == "RECEIPT"
    )


async def test_moving_average_cost_after_receipts_at_different_prices(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w))
    await op(gql, RECEIVE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "10", "unitCost": "5.00"}], "r1")
    await op(gql, RECEIVE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "20", "unitCost": "6.50"}], "r2")
    assert await product_stock(gql, ids.p) == {"quantity": "30", "value": "180.00", "averageCost": "6.00"}
    iss = await op(gql, ISSUE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "7"}], "i1")
    assert iss["operation"]["moves"][0]["value"] == "42.00"
    assert await product_stock(gql, ids.p) == {"quantity": "23", "value": "138.00", "averageCost": "6.00"}


# ---- idempotency -----------------------------------------------------------------------------


async def test_idempotency_key_replays_and_refuses_reuse(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w))
    lines = [{"productId": ids.p, "locationId": ids.a1, "quantity": "3", "unitCost": "2.00"}]
    first = await op(gql, RECEIVE, lines, "same-key")
    seq = await event_seq(gql)
    second = await op(gql, RECEIVE, lines, "same-key")
    assert first["replayed"] is False and second["replayed"] is True
    assert second["errors"] == []
    assert second["operation"]["id"] == first["operation"]["id"]
    assert second["operation"]["moves"] == first["operation"]["moves"]
    assert (await moves(gql))["totalCount"] == 1
    assert await product_stock(gql, ids.p) == {"quantity": "3", "value": "6.00", "averageCost": "2.00"}
    assert await event_seq(gql) == seq

    # the same key with different lines, or for another kind of operation
    other = await op(gql, RECEIVE, [dict(lines[0], quantity="4")], "same-key")
    assert other["operation"] is None and other["replayed"] is False
    assert other["errors"] == [
        {"field": "idempotencyKey", "code": "IDEMPOTENCY_KEY_REUSED", "message": "幂等键已用于另一个不同的请求。"}
    ]
    other_en = await op(
        gql, ISSUE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "1"}], "same-key", lang="en"
    )
    assert other_en["errors"] == [
        {
            "field": "idempotencyKey",
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "This idempotency key was already used for a different request.",
        }
    ]
    assert (await moves(gql))["totalCount"] == 1
    assert await event_seq(gql) == seq

    # a key whose first attempt failed is not burnt: the corrected retry applies once
    failed = await op(gql, ISSUE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "50"}], "issue-key")
    assert codes(failed) == [("lines.0.quantity", "INSUFFICIENT_STOCK")]
    ok = await op(gql, ISSUE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "1"}], "issue-key")
    assert ok["errors"] == [] and ok["replayed"] is False
    assert (await moves(gql))["totalCount"] == 2
    # an empty or over-long key is an input error
    for bad_key in ("", "k" * 129):
        res = await op(gql, RECEIVE, lines, bad_key)
        assert codes(res) == [("idempotencyKey", "INVALID_VALUE")]
    assert (await moves(gql))["totalCount"] == 2


async def test_insufficient_stock_is_a_payload_error_and_writes_nothing(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w), q=await make_product(gql.db, w))
    await op(
        gql,
        RECEIVE,
        [
            {"productId": ids.p, "locationId": ids.a1, "quantity": "5"},
            {"productId": ids.q, "locationId": ids.a1, "quantity": "5"},
        ],
        "r1",
    )
    before = (await moves(gql))["totalCount"], await levels(gql), await event_seq(gql), await product_stock(gql, ids.p)

    res = await op(
        gql,
        ISSUE,
        [
            {"productId": ids.p, "locationId": ids.a1, "quantity": "2"},
            {"productId": ids.q, "locationId": ids.a1, "quantity": "6"},
        ],
        "i1",
    )
    assert res["operation"] is None
    assert res["errors"] == [
        {"field": "lines.1.quantity", "code": "INSUFFICIENT_STOCK", "message": "第 2 行库存不足：可用 5，需要 6。"}
    ]
    res_en = await op(
        gql, ISSUE, [{"productId": ids.q, "locationId": ids.a1, "quantity": "1", "unitId": ids.box}], "i2", lang="en"
    )
    assert res_en["errors"] == [
        {
            "field": "lines.0.quantity",
            "code": "INSUFFICIENT_STOCK",
            "message": "Line 1: insufficient stock: 5 available, 12 requested.",
        }
    ]
    # from a location where the product never was, and a transfer / negative adjustment too big
    res = await op(
        gql, TRANSFER, [{"productId": ids.p, "fromLocationId": ids.b1, "toLocationId": ids.a1, "quantity": "1"}], "t1"
    )
    assert codes(res) == [("lines.0.quantity", "INSUFFICIENT_STOCK")]
    res = await op(gql, ADJUST, [{"productId": ids.p, "locationId": ids.a1, "quantity": "-6"}], "a1", reason="丢失")
    assert codes(res) == [("lines.0.quantity", "INSUFFICIENT_STOCK")]

    after = (await moves(gql))["totalCount"], await levels(gql), await event_seq(gql), await product_stock(gql, ids.p)
    assert after == before


# ---- bad input -------------------------------------------------------------------------------


async def test_bad_input_gives_typed_errors_and_writes_nothing(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w), k=await make_product(gql.db, w, unit="kg"))
    await op(gql, RECEIVE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "5"}], "seed")

    async def snapshot():
        return (await moves(gql))["totalCount"], await levels(gql, includeEmpty=True), await event_seq(gql)

    before = await snapshot()
    line = {"productId": ids.p, "locationId": ids.a1}

    # payload errors, one per bad line, fields point at the line
    cases = [
        (RECEIVE, [dict(line, quantity="0")], [("lines.0.quantity", "INVALID_QUANTITY")]),
        (RECEIVE, [dict(line, quantity="-1")], [("lines.0.quantity", "INVALID_QUANTITY")]),
        (ISSUE, [dict(line, quantity="-1")], [("lines.0.quantity", "INVALID_QUANTITY")]),
        (RECEIVE, [dict(line, quantity="1.5")], [("lines.0.quantity", "TOO_MANY_DECIMALS")]),
        (
            RECEIVE,
            [{"productId": ids.k, "locationId": ids.a1, "quantity": "0.0005"}],
            [("lines.0.quantity", "TOO_MANY_DECIMALS")],
        ),
        (RECEIVE, [dict(line, quantity="1" + "0" * 20)], [("lines.0.quantity", "INVALID_VALUE")]),  # out of range
        (RECEIVE, [dict(line, quantity="1", unitCost="-2")], [("lines.0.unitCost", "INVALID_VALUE")]),
        (RECEIVE, [dict(line, quantity="1", unitId=ids.kg)], [("lines.0.unitId", "WRONG_UNIT")]),
        (RECEIVE, [dict(line, quantity="1", lot="L1")], [("lines.0.lot", "LOT_NOT_ALLOWED")]),
        (
            RECEIVE,
            [dict(line, quantity="2"), dict(line, quantity="0"), dict(line, quantity="0.5")],
            [("lines.1.quantity", "INVALID_QUANTITY"), ("lines.2.quantity", "TOO_MANY_DECIMALS")],
        ),
        (RECEIVE, [], [("lines", "EMPTY_OPERATION")]),
        (
            RECEIVE,
            [{"productId": gid("Product", 9999), "locationId": ids.a1, "quantity": "1"}],
            [("lines.0.productId", "NOT_FOUND")],
        ),
        (
            RECEIVE,
            [{"productId": ids.a1, "locationId": ids.a1, "quantity": "1"}],  # a Location id as product
            [("lines.0.productId", "NOT_FOUND")],
        ),
        (
            RECEIVE,
            [{"productId": "garbage", "locationId": "garbage", "quantity": "1"}],
            [("lines.0.productId", "NOT_FOUND"), ("lines.0.locationId", "NOT_FOUND")],
        ),
        (
            RECEIVE,
            [{"productId": ids.p, "locationId": ids.wh1, "quantity": "1"}],  # a Warehouse id as location
            [("lines.0.locationId", "NOT_FOUND")],
        ),
        (
            TRANSFER,
            [{"productId": ids.p, "fromLocationId": ids.a1, "toLocationId": ids.a1, "quantity": "1"}],
            [("lines.0.toLocationId", "SAME_LOCATION")],
        ),
    ]
    for i, (mutation, lines, expected) in enumerate(cases):
        res = await op(gql, mutation, lines, f"bad-{i}")
        assert res["operation"] is None, (i, res)
        assert codes(res) == expected, (i, res)
        assert all(e["message"] for e in res["errors"])
    adj = await op(gql, ADJUST, [dict(line, quantity="0")], "bad-adj", reason=" ")
    assert sorted(codes(adj)) == [("lines.0.quantity", "INVALID_QUANTITY"), ("reason", "REQUIRED")]
    zh = await op(gql, RECEIVE, [dict(line, quantity="0")], "bad-zh")
    assert zh["errors"][0]["message"] == "数量必须大于零。"
    en = await op(gql, RECEIVE, [dict(line, quantity="0")], "bad-en", lang="en")
    assert en["errors"][0]["message"] == "The quantity must be greater than zero."
    assert await snapshot() == before

    # GraphQL (not payload) errors: the request never reaches the resolver; status 200/400, never a 500
    async def graphql_error(query, variables=None):
        body = await gql.post(query, variables)  # asserts status 200/400
        assert body.get("errors"), body
        assert body.get("data") is None
        assert all(e.get("extensions", {}).get("code") != "INTERNAL_ERROR" for e in body["errors"])
        return body["errors"][0]["message"]

    # a JSON float is refused by the Quantity scalar (floats are not exact)
    msg = await graphql_error(RECEIVE, {"lines": [dict(line, quantity=1.5)], "key": "float"})
    assert "Quantity" in msg and "floats" in msg
    msg = await graphql_error(RECEIVE, {"lines": [dict(line, quantity="2", unitCost=1.25)], "key": "float-cost"})
    assert "floats" in msg
    # a non-numeric string is refused by the scalar as well (a GraphQL error, not payload INVALID_VALUE)
    msg = await graphql_error(RECEIVE, {"lines": [dict(line, quantity="abc")], "key": "abc"})
    assert "not a decimal number" in msg
    msg = await graphql_error(RECEIVE, {"lines": [dict(line, quantity="NaN")], "key": "nan"})
    assert "not a decimal number" in msg
    msg = await graphql_error(
        f'mutation {{ receiveStock(lines: [{{productId: "{ids.p}", locationId: "{ids.a1}", quantity: "abc"}}], '
        f'idempotencyKey: "abc-inline") {{ replayed }} }}'
    )
    assert "not a decimal number" in msg
    # missing required arguments / fields
    msg = await graphql_error('mutation { receiveStock(idempotencyKey: "x") { replayed } }')
    assert "lines" in msg and "required" in msg
    msg = await graphql_error(RECEIVE, {"lines": [dict(line, quantity="1")]})  # $key not provided
    assert "$key" in msg
    msg = await graphql_error(RECEIVE, {"lines": [{"productId": ids.p, "quantity": "1"}], "key": "no-loc"})
    assert "locationId" in msg
    # wrong types: a string where an Int is expected, an object where a list of lines is expected
    msg = await graphql_error('{ stockLevels(first: "ten") { totalCount } }')
    assert "Int" in msg
    msg = await graphql_error("query($n: Int) { stockMoves(first: $n) { totalCount } }", {"n": "ten"})
    assert "Int" in msg
    msg = await graphql_error(
        f'mutation {{ createLocation(input: {{warehouseId: "{ids.wh1}", code: "Z", '
        f'sortOrder: "first"}}) {{ location {{ id }} }} }}'
    )
    assert "Int" in msg
    msg = await graphql_error(ADJUST, {"lines": [dict(line, quantity="1")], "key": "k", "reason": 5})
    assert "String" in msg
    msg = await graphql_error("{ stockMoves(filter: {moveType: SHIPMENT}) { totalCount } }")
    assert "MoveType" in msg

    assert await snapshot() == before
    async with gql.db.read() as conn:
        keys = (
            await conn.execute(text("SELECT count(*) FROM stock_operation WHERE idempotency_key IS NOT NULL"))
        ).scalar_one()
    assert keys == 1  # only the seed receipt's key; failed attempts leave none behind


async def test_malformed_unit_id_on_a_line_is_refused(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w))
    for i, bad_unit in enumerate(("garbage", ids.a1)):
        res = await op(
            gql,
            RECEIVE,
            [{"productId": ids.p, "locationId": ids.a1, "quantity": "2", "unitId": bad_unit}],
            f"bad-unit-{i}",
        )
        assert res["operation"] is None, res
        assert [f for f, _ in codes(res)] == ["lines.0.unitId"]
    assert (await moves(gql))["totalCount"] == 0


async def test_inactive_product_or_location_is_refused(gql):
    w = await make_world(gql.db)
    ids = Ids(w, p=await make_product(gql.db, w))
    await gql.execute(
        "mutation($id: ID!) { setProductActive(id: $id, active: false) { errors { code } } }", {"id": ids.p}
    )
    res = await op(gql, RECEIVE, [{"productId": ids.p, "locationId": ids.a1, "quantity": "1"}], "r1")
    assert res["errors"] == [{"field": "lines.0.productId", "code": "INACTIVE", "message": "商品已停用。"}]
    q = gid("Product", await make_product(gql.db, w))
    await do_set_location_active(gql.db, w.a2, False)
    res = await op(gql, RECEIVE, [{"productId": q, "locationId": ids.a2, "quantity": "1"}], "r2", lang="en")
    assert res["errors"] == [{"field": "lines.0.locationId", "code": "INACTIVE", "message": "Location is archived."}]
    assert (await moves(gql))["totalCount"] == 0


# ---- reorder point ---------------------------------------------------------------------------


async def test_below_reorder_point_filter(gql):
    w = await make_world(gql.db)
    ids = Ids(
        w,
        low=await make_product(gql.db, w),
        high=await make_product(gql.db, w),
        none=await make_product(gql.db, w),
        split=await make_product(gql.db, w),
        kg=await make_product(gql.db, w, unit="kg"),
    )
    upd = "mutation($id: ID!, $rp: Quantity!) { updateProduct(id: $id, input: {reorderPoint: $rp}) { errors { code } product { reorderPoint } } }"
    for pid, rp in ((ids.low, "10"), (ids.high, "10"), (ids.split, "10"), (ids.kg, "2.5")):
        res = (await gql.execute(upd, {"id": pid, "rp": rp}))["updateProduct"]
        assert res["errors"] == []
    await op(
        gql,
        RECEIVE,
        [
            {"productId": ids.low, "locationId": ids.a1, "quantity": "5"},  # 5 < 10: listed
            {"productId": ids.high, "locationId": ids.a1, "quantity": "20"},  # 20 >= 10: not listed
            {"productId": ids.none, "locationId": ids.a1, "quantity": "1"},  # reorder point 0: not listed
            {"productId": ids.split, "locationId": ids.a1, "quantity": "6"},  # 6 + 6 = 12 in total: not listed
            {"productId": ids.split, "locationId": ids.b1, "quantity": "6"},
            {"productId": ids.kg, "locationId": ids.b1, "quantity": "2.499"},  # 2.499 < 2.5: listed
        ],
        "r1",
    )
    low, kg = await sku_of(gql, ids.low), await sku_of(gql, ids.kg)
    assert await levels(gql, belowReorderPoint=True) == {(low, "WH1-A-01"): "5", (kg, "WH2-B-01"): "2.499"}
    assert await levels(gql, belowReorderPoint=True, warehouseId=ids.wh2) == {(kg, "WH2-B-01"): "2.499"}
    assert await levels(gql, belowReorderPoint=True, productId=ids.high) == {}
    # stock falling below the point puts a product on the list
    await op(gql, ISSUE, [{"productId": ids.high, "locationId": ids.a1, "quantity": "11"}], "i1")
    high = await sku_of(gql, ids.high)
    assert (high, "WH1-A-01") in await levels(gql, belowReorderPoint=True)
    # an emptied bin of a product below its point stays on the reorder list (at zero)
    await op(gql, ISSUE, [{"productId": ids.low, "locationId": ids.a1, "quantity": "5"}], "i2")
    assert (await levels(gql, belowReorderPoint=True))[(low, "WH1-A-01")] == "0"


# ---- guard rails -----------------------------------------------------------------------------


def _nested_categories(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f"{{ products {{ edges {{ node {{ category {{ {inner} }} }} }} }} }}"


async def test_query_depth_and_alias_limits(gql):
    # products > edges > node > category is depth 4; each parent adds one (MAX_DEPTH 16)
    ok = await gql.post(_nested_categories(12))
    assert not ok.get("errors") and ok["data"] == {"products": {"edges": []}}
    too_deep = await gql.post(_nested_categories(13))
    assert too_deep.get("data") is None
    assert "exceeds maximum operation depth of 16" in too_deep["errors"][0]["message"]
    far_too_deep = await gql.post(_nested_categories(40))
    assert "maximum operation depth" in far_too_deep["errors"][0]["message"]
    # the limit also holds inside fragments
    frag = (
        "fragment P on Category { " + "parent { " * 13 + "name" + " }" * 13 + " }"
        " { products { edges { node { category { ...P } } } } }"
    )
    assert "maximum operation depth" in (await gql.post(frag))["errors"][0]["message"]

    def aliases(n: int) -> str:
        return "{ " + " ".join(f"a{i}: units(first: 1) {{ totalCount }}" for i in range(n)) + " }"

    ok = await gql.post(aliases(30))
    assert not ok.get("errors") and len(ok["data"]) == 30
    too_many = await gql.post(aliases(31))
    assert too_many.get("data") is None
    assert "31 aliases found. Allowed: 30" in too_many["errors"][0]["message"]
    nested_aliases = "{ " + " ".join(f"u{i}: units {{ e{i}: edges {{ cursor }} }}" for i in range(16)) + " }"
    assert "aliases" in (await gql.post(nested_aliases))["errors"][0]["message"]
    # a huge document is refused by the token limit
    huge = "{ " + " ".join("units { totalCount }" for _ in range(1000)) + " }"
    assert (await gql.post(huge)).get("errors")
