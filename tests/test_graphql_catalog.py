"""The catalog through GraphQL: units, categories, products, filters, pagination, node IDs, errors."""

from __future__ import annotations

import base64

import pytest

from schema.relay import to_global_id as gid
from server.catalog.gtin import gs1_check_digit
from server.inventory.warehouses import do_create_location, do_create_warehouse
from server.partners.services import PartnerInput, do_create_partner

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

GTIN_PAYLOAD = "952123454321"
GTIN13 = GTIN_PAYLOAD + str(gs1_check_digit(GTIN_PAYLOAD))
BAD_GTIN13 = GTIN_PAYLOAD + str((gs1_check_digit(GTIN_PAYLOAD) + 1) % 10)
GTIN14_PAYLOAD = "1952123454321"
GTIN14 = GTIN14_PAYLOAD + str(gs1_check_digit(GTIN14_PAYLOAD))

ERR = "errors { field code message }"

CREATE_UNIT = f"""mutation($input: CreateUnitInput!) {{
  createUnit(input: $input) {{ unit {{ id code name nameEn precision active }} {ERR} }} }}"""

CREATE_CATEGORY = f"""mutation($input: CreateCategoryInput!) {{
  createCategory(input: $input) {{ category {{ id code name active parent {{ code }} children {{ code }} }} {ERR} }} }}"""

UPDATE_CATEGORY = f"""mutation($input: UpdateCategoryInput!) {{
  updateCategory(input: $input) {{ category {{ id code name parent {{ code }} }} {ERR} }} }}"""

PRODUCT_FIELDS = """id sku name spec salePrice purchasePrice vatRate reorderPoint reorderQuantity tracking active
  category { code } baseUnit { code precision } units { factor unit { code } }
  barcodes { code kind unit { code } }"""

CREATE_PRODUCT = f"""mutation($input: ProductInput!, $key: String) {{
  createProduct(input: $input, idempotencyKey: $key) {{ product {{ {PRODUCT_FIELDS} }} {ERR} }} }}"""

SET_ACTIVE = f"""mutation($id: ID!, $active: Boolean!) {{
  setProductActive(id: $id, active: $active) {{ product {{ id sku active }} {ERR} }} }}"""

PRODUCTS = """query($filter: ProductFilter, $orderBy: ProductOrder, $first: Int, $after: String) {
  products(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id sku name active } } } }"""


# ---- helpers ---------------------------------------------------------------------------------


async def create_unit(gql, code, name, precision=0, name_en="", **kw):
    data = await gql.execute(
        CREATE_UNIT, {"input": {"code": code, "name": name, "nameEn": name_en, "precision": precision}}, **kw
    )
    return data["createUnit"]


async def create_category(gql, code, name, parent=None, **kw):
    inp = {"code": code, "name": name}
    if parent:
        inp["parentId"] = parent
    return (await gql.execute(CREATE_CATEGORY, {"input": inp}, **kw))["createCategory"]


async def create_product(gql, key=None, lang=None, **inp):
    return (await gql.execute(CREATE_PRODUCT, {"input": inp, "key": key}, lang=lang))["createProduct"]


async def products(gql, filter=None, order_by=None, first=None, after=None):
    data = await gql.execute(PRODUCTS, {"filter": filter, "orderBy": order_by, "first": first, "after": after})
    return data["products"]


def skus(conn) -> list[str]:
    return [e["node"]["sku"] for e in conn["edges"]]


async def graphql_errors(gql, query, variables=None, lang=None) -> list[dict]:
    body = await gql.post(query, variables, lang=lang)
    assert body.get("errors"), body
    return body["errors"]


async def units_world(gql) -> dict:
    pcs = (await create_unit(gql, "PCS", "个", 0, "piece"))["unit"]["id"]
    box = (await create_unit(gql, "BOX", "箱", 0, "box"))["unit"]["id"]
    kg = (await create_unit(gql, "KG", "千克", 3, "kilogram"))["unit"]["id"]
    return {"pcs": pcs, "box": box, "kg": kg}


async def catalog_world(gql) -> dict:
    """Units, a three-level category tree and six products with distinct names and barcodes."""
    w = await units_world(gql)
    food = (await create_category(gql, "FOOD", "食品"))["category"]["id"]
    drink = (await create_category(gql, "DRINK", "饮料", food))["category"]["id"]
    tea = (await create_category(gql, "TEA", "茶饮", drink))["category"]["id"]
    tools = (await create_category(gql, "TOOLS", "工具"))["category"]["id"]
    w.update(food=food, drink=drink, tea=tea, tools=tools)
    specs = [
        ("P-001", "Apple Juice 苹果汁", "1L", food, "INT-APPLE"),
        ("P-002", "Green Tea 绿茶", "500ml", tea, "INT-GREEN"),
        ("P-003", "Cola 可乐", "330ml", drink, "INT-COLA"),
        ("P-004", "Hammer 锤子", "steel", tools, "INT-HAMMER"),
        ("P-005", "Black Tea 红茶", "250g", tea, "INT-BLACK"),
        ("P-006", "Screwdriver 螺丝刀", "PH2", None, "INT-SCREW"),
    ]
    ids = {}
    for sku, name, spec, cat, code in specs:
        inp = {"sku": sku, "name": name, "spec": spec, "baseUnitId": w["pcs"], "barcodes": [{"code": code}]}
        if cat:
            inp["categoryId"] = cat
        payload = await create_product(gql, **inp)
        assert payload["errors"] == [], payload
        ids[sku] = payload["product"]["id"]
    w["products"] = ids
    return w


# ---- creation --------------------------------------------------------------------------------


async def test_create_unit_category_and_product_return_their_fields(gql):
    unit = await create_unit(gql, "PCS", "个", 0, "piece")
    assert unit["errors"] == []
    assert {k: v for k, v in unit["unit"].items() if k != "id"} == {
        "code": "PCS",
        "name": "个",
        "nameEn": "piece",
        "precision": 0,
        "active": True,
    }
    pcs = unit["unit"]["id"]
    box = (await create_unit(gql, "BOX12", "箱", 0))["unit"]["id"]

    root = await create_category(gql, "FOOD", "食品")
    assert root["errors"] == []
    assert root["category"]["parent"] is None and root["category"]["active"] is True
    child = await create_category(gql, "DRINK", "饮料", root["category"]["id"])
    assert child["errors"] == []
    assert child["category"]["code"] == "DRINK" and child["category"]["parent"] == {"code": "FOOD"}
    tree = await gql.execute(
        """query($id: ID!) { node(id: $id) { ... on Category { code children { code } } } }""",
        {"id": root["category"]["id"]},
    )
    assert tree["node"] == {"code": "FOOD", "children": [{"code": "DRINK"}]}

    payload = await create_product(
        gql,
        sku="SKU-COKE",
        name="可口可乐 330ml",
        spec="330ml 罐装",
        categoryId=child["category"]["id"],
        baseUnitId=pcs,
        salePrice="3.50",
        purchasePrice="2.10",
        vatRate="0.13",
        reorderPoint="24",
        reorderQuantity="48",
        tracking="LOT",
        units=[{"unitId": box, "factor": "12"}],
        barcodes=[{"code": GTIN13}, {"code": GTIN14, "unitId": box}, {"code": "INT-0001"}],
    )
    assert payload["errors"] == []
    p = payload["product"]
    assert p["id"].startswith(gid("Product", 1)[:8])
    assert {k: v for k, v in p.items() if k != "id"} == {
        "sku": "SKU-COKE",
        "name": "可口可乐 330ml",
        "spec": "330ml 罐装",
        "salePrice": "3.50",
        "purchasePrice": "2.10",
        "vatRate": "0.13",
        "reorderPoint": "24",
        "reorderQuantity": "48",
        "tracking": "LOT",
        "active": True,
        "category": {"code": "DRINK"},
        "baseUnit": {"code": "PCS", "precision": 0},
        "units": [{"factor": "12", "unit": {"code": "BOX12"}}],
        "barcodes": [
            {"code": GTIN13, "kind": "gtin", "unit": None},
            {"code": GTIN14, "kind": "gtin", "unit": {"code": "BOX12"}},
            {"code": "INT-0001", "kind": "internal", "unit": None},
        ],
    }
    # the same product through node() and through the list
    again = await gql.execute(
        f"query($id: ID!) {{ node(id: $id) {{ __typename ... on Product {{ {PRODUCT_FIELDS} }} }} }}", {"id": p["id"]}
    )
    assert again["node"] == {"__typename": "Product", **p}
    assert skus(await products(gql)) == ["SKU-COKE"]


async def test_kg_product_quantities_use_the_unit_precision(gql):
    w = await units_world(gql)
    payload = await create_product(gql, sku="RICE", name="大米", baseUnitId=w["kg"], reorderPoint="2.5")
    assert payload["errors"] == []
    assert payload["product"]["reorderPoint"] == "2.500"
    assert payload["product"]["reorderQuantity"] == "0.000"
    bad = await create_product(gql, sku="RICE2", name="大米", baseUnitId=w["kg"], reorderPoint="2.5005")
    assert bad["product"] is None
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("reorderPoint", "TOO_MANY_DECIMALS")]


async def test_unit_factor_of_ten_is_rendered_as_plain_decimal(gql):
    w = await units_world(gql)
    payload = await create_product(
        gql,
        sku="EGG",
        name="鸡蛋",
        baseUnitId=w["pcs"],
        units=[{"unitId": w["box"], "factor": "10"}, {"unitId": w["kg"], "factor": "100"}],
    )
    assert payload["errors"] == []
    assert payload["product"]["units"] == [
        {"factor": "10", "unit": {"code": "BOX"}},
        {"factor": "100", "unit": {"code": "KG"}},
    ]
    rice = await create_product(
        gql, sku="RICE", name="大米", baseUnitId=w["kg"], units=[{"unitId": w["box"], "factor": "2.5"}]
    )
    assert rice["product"]["units"] == [{"factor": "2.5", "unit": {"code": "BOX"}}]


# ---- payload errors: nothing is created ------------------------------------------------------


async def test_duplicate_codes_are_payload_errors_and_create_nothing(gql):
    w = await units_world(gql)
    dup_unit = await create_unit(gql, "PCS", "件")
    assert dup_unit["unit"] is None
    assert [(e["field"], e["code"]) for e in dup_unit["errors"]] == [("code", "DUPLICATE_CODE")]
    assert (await gql.execute("{ units { totalCount } }"))["units"]["totalCount"] == 3

    assert (await create_category(gql, "FOOD", "食品"))["errors"] == []
    dup_cat = await create_category(gql, "FOOD", "别的")
    assert dup_cat["category"] is None
    assert [(e["field"], e["code"]) for e in dup_cat["errors"]] == [("code", "DUPLICATE_CODE")]
    assert (await gql.execute("{ categories { totalCount } }"))["categories"]["totalCount"] == 1

    first = await create_product(gql, sku="SKU-1", name="一号", baseUnitId=w["pcs"], barcodes=[{"code": GTIN13}])
    assert first["errors"] == []
    dup = await create_product(gql, sku="SKU-1", name="另一个", baseUnitId=w["pcs"])
    assert dup["product"] is None
    assert [(e["field"], e["code"]) for e in dup["errors"]] == [("sku", "DUPLICATE_CODE")]
    assert "SKU-1" in dup["errors"][0]["message"]
    # a barcode that already belongs to another product
    dup_bc = await create_product(gql, sku="SKU-2", name="二号", baseUnitId=w["pcs"], barcodes=[{"code": GTIN13}])
    assert dup_bc["product"] is None
    assert [e["code"] for e in dup_bc["errors"]] == ["DUPLICATE_CODE"]
    # the same barcode twice in one request
    twice = await create_product(
        gql, sku="SKU-3", name="三号", baseUnitId=w["pcs"], barcodes=[{"code": "INT-X"}, {"code": "INT-X"}]
    )
    assert twice["product"] is None
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("barcodes", "DUPLICATE_CODE")]

    listed = await products(gql)
    assert listed["totalCount"] == 1 and skus(listed) == ["SKU-1"]
    assert (await gql.execute('{ productByBarcode(code: "INT-X") { sku } }'))["productByBarcode"] is None


async def test_duplicate_barcode_error_names_the_barcode_line(gql):
    w = await units_world(gql)
    assert (await create_product(gql, sku="SKU-1", name="一号", baseUnitId=w["pcs"], barcodes=[{"code": GTIN13}]))[
        "errors"
    ] == []
    dup = await create_product(
        gql, sku="SKU-2", name="二号", baseUnitId=w["pcs"], barcodes=[{"code": "INT-OK"}, {"code": GTIN13}]
    )
    assert [(e["field"], e["code"]) for e in dup["errors"]] == [("barcodes.1.code", "DUPLICATE_CODE")]


async def test_gtin_with_a_bad_check_digit_is_refused_and_nothing_is_created(gql):
    w = await units_world(gql)
    assert (await create_product(gql, sku="OK", name="好", baseUnitId=w["pcs"]))["errors"] == []
    before = (await products(gql))["totalCount"]
    expected = gs1_check_digit(GTIN_PAYLOAD)

    bad = await create_product(
        gql,
        sku="BAD",
        name="坏条码",
        baseUnitId=w["pcs"],
        units=[{"unitId": w["box"], "factor": "12"}],
        barcodes=[{"code": BAD_GTIN13}, {"code": "INT-FINE"}],
    )
    assert bad["product"] is None
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("barcodes.0.code", "BAD_CHECK_DIGIT")]
    assert bad["errors"][0]["message"] == f"条码校验位错误：应为 {expected}。"

    # the same error in English
    bad_en = await create_product(
        gql, sku="BAD", name="坏条码", baseUnitId=w["pcs"], barcodes=[{"code": BAD_GTIN13}], lang="en"
    )
    assert bad_en["errors"] == [
        {
            "field": "barcodes.0.code",
            "code": "BAD_CHECK_DIGIT",
            "message": f"Bad barcode check digit: expected {expected}.",
        }
    ]

    # a wrong-length all-digit code is malformed, in the second line
    short = await create_product(
        gql, sku="BAD", name="坏条码", baseUnitId=w["pcs"], barcodes=[{"code": GTIN13}, {"code": "12345"}]
    )
    assert [(e["field"], e["code"]) for e in short["errors"]] == [("barcodes.1.code", "INVALID_BARCODE")]

    after = await products(gql)
    assert after["totalCount"] == before == 1
    assert (await products(gql, filter={"text": "BAD"}))["totalCount"] == 0
    for code in (BAD_GTIN13, GTIN13, "INT-FINE"):
        found = await gql.execute("query($c: String!) { productByBarcode(code: $c) { sku } }", {"c": code})
        assert found["productByBarcode"] is None
    # the corrected request then succeeds with the same SKU
    good = await create_product(gql, sku="BAD", name="好条码", baseUnitId=w["pcs"], barcodes=[{"code": GTIN13}])
    assert good["errors"] == [] and good["product"]["barcodes"][0]["code"] == GTIN13


async def test_several_field_errors_are_reported_together(gql):
    w = await units_world(gql)
    payload = await create_product(gql, sku="HAS SPACE", name="  ", baseUnitId=w["pcs"], salePrice="1.234", vatRate="2")
    assert payload["product"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == sorted(
        [
            ("sku", "INVALID_VALUE"),
            ("name", "REQUIRED"),
            ("salePrice", "TOO_MANY_DECIMALS"),
            ("vatRate", "INVALID_VALUE"),
        ]
    )
    assert (await products(gql))["totalCount"] == 0


async def test_update_category_refuses_cycles(gql):
    a = (await create_category(gql, "A", "甲"))["category"]["id"]
    b = (await create_category(gql, "B", "乙", a))["category"]["id"]
    c = (await create_category(gql, "C", "丙", b))["category"]["id"]
    d = (await create_category(gql, "D", "丁"))["category"]["id"]

    for parent in (c, b, a):  # a descendant, a child, itself
        res = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": a, "parentId": parent}}))["updateCategory"]
        assert res["category"] is None
        assert [(e["field"], e["code"]) for e in res["errors"]] == [("parentId", "INVALID_PARENT")]
    en = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": a, "parentId": c}}, lang="en"))["updateCategory"]
    assert en["errors"][0]["message"] == "Invalid parent (it would create a cycle)."
    zh = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": a, "parentId": c}}))["updateCategory"]
    assert zh["errors"][0]["message"] == "上级无效（不能形成循环）。"

    state = await gql.execute("query($id: ID!) { node(id: $id) { ... on Category { parent { code } } } }", {"id": a})
    assert state["node"]["parent"] is None

    # legitimate moves still work: C under D, rename B, make C a root again
    moved = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": c, "parentId": d}}))["updateCategory"]
    assert moved["errors"] == [] and moved["category"]["parent"] == {"code": "D"}
    renamed = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": b, "name": "乙二"}}))["updateCategory"]
    assert renamed["category"]["name"] == "乙二" and renamed["category"]["parent"] == {"code": "A"}
    roots = await gql.execute("{ categories(rootsOnly: true) { edges { node { code } } } }")
    assert [e["node"]["code"] for e in roots["categories"]["edges"]] == ["A", "D"]


async def test_update_category_make_root(gql):
    a = (await create_category(gql, "A", "甲"))["category"]["id"]
    b = (await create_category(gql, "B", "乙", a))["category"]["id"]
    res = (await gql.execute(UPDATE_CATEGORY, {"input": {"id": b, "makeRoot": True}}))["updateCategory"]
    assert res["errors"] == []
    assert res["category"]["parent"] is None
    roots = await gql.execute("{ categories(rootsOnly: true) { edges { node { code } } } }")
    assert [e["node"]["code"] for e in roots["categories"]["edges"]] == ["A", "B"]


# ---- archive, filters, ordering --------------------------------------------------------------


async def test_archived_product_is_listed_inactive_and_filtered_out(gql):
    w = await catalog_world(gql)
    pid = w["products"]["P-003"]
    res = (await gql.execute(SET_ACTIVE, {"id": pid, "active": False}))["setProductActive"]
    assert res["errors"] == [] and res["product"] == {"id": pid, "sku": "P-003", "active": False}

    everything = await products(gql)
    assert everything["totalCount"] == 6
    assert {e["node"]["sku"]: e["node"]["active"] for e in everything["edges"]}["P-003"] is False
    active = await products(gql, filter={"active": True})
    assert active["totalCount"] == 5 and "P-003" not in skus(active)
    archived = await products(gql, filter={"active": False})
    assert skus(archived) == ["P-003"]

    restored = (await gql.execute(SET_ACTIVE, {"id": pid, "active": True}))["setProductActive"]
    assert restored["product"]["active"] is True
    assert (await products(gql, filter={"active": True}))["totalCount"] == 6


async def test_product_filters_text_category_subtree_and_barcode(gql):
    w = await catalog_world(gql)
    # text: SKU, name (case-insensitive for ASCII, Chinese) and spec
    assert skus(await products(gql, filter={"text": "tea"})) == ["P-002", "P-005"]
    assert skus(await products(gql, filter={"text": "  TEA "})) == ["P-002", "P-005"]
    assert skus(await products(gql, filter={"text": "可乐"})) == ["P-003"]
    assert skus(await products(gql, filter={"text": "p-004"})) == ["P-004"]
    assert skus(await products(gql, filter={"text": "ml"})) == ["P-002", "P-003"]
    assert (await products(gql, filter={"text": "nothing-like-this"}))["totalCount"] == 0
    # category: the root includes every sub-category; a leaf only itself
    food = await products(gql, filter={"categoryId": w["food"]})
    assert skus(food) == ["P-001", "P-002", "P-003", "P-005"] and food["totalCount"] == 4
    assert skus(await products(gql, filter={"categoryId": w["drink"]})) == ["P-002", "P-003", "P-005"]
    assert skus(await products(gql, filter={"categoryId": w["tea"]})) == ["P-002", "P-005"]
    assert skus(await products(gql, filter={"categoryId": w["tools"]})) == ["P-004"]
    # an id of another type or an unknown category matches nothing (not everything)
    assert (await products(gql, filter={"categoryId": w["pcs"]}))["totalCount"] == 0
    assert (await products(gql, filter={"categoryId": gid("Category", 999)}))["totalCount"] == 0
    # combined filters
    assert skus(await products(gql, filter={"categoryId": w["drink"], "text": "black"})) == ["P-005"]
    # barcode
    assert skus(await products(gql, filter={"barcode": "INT-COLA"})) == ["P-003"]
    assert skus(await products(gql, filter={"barcode": " INT-COLA "})) == ["P-003"]
    assert (await products(gql, filter={"barcode": "INT-NONE"}))["totalCount"] == 0


async def test_text_filter_treats_like_wildcards_literally(gql):
    w = await catalog_world(gql)
    assert (await create_product(gql, sku="P_100%", name="100% 纯棉", baseUnitId=w["pcs"]))["errors"] == []
    assert skus(await products(gql, filter={"text": "%"})) == ["P_100%"]
    assert skus(await products(gql, filter={"text": "_"})) == ["P_100%"]
    assert skus(await products(gql, filter={"text": "p_1"})) == ["P_100%"]
    assert (await products(gql, filter={"text": "P%6"}))["totalCount"] == 0
    assert (await products(gql, filter={"text": "\\"}))["totalCount"] == 0


async def test_product_by_barcode(gql):
    w = await units_world(gql)
    payload = await create_product(
        gql,
        sku="COKE",
        name="可乐",
        baseUnitId=w["pcs"],
        units=[{"unitId": w["box"], "factor": "24"}],
        barcodes=[{"code": GTIN13}, {"code": GTIN14, "unitId": w["box"]}],
    )
    pid = payload["product"]["id"]
    q = "query($c: String!) { productByBarcode(code: $c) { id sku barcodes { code unit { code } } } }"
    for code in (GTIN13, GTIN14, f"  {GTIN13}\t"):
        found = (await gql.execute(q, {"c": code}))["productByBarcode"]
        assert found["id"] == pid and found["sku"] == "COKE"
    assert (await gql.execute(q, {"c": "0000000000000"}))["productByBarcode"] is None


async def test_ordering_by_name_desc_and_other_orders(gql):
    await catalog_world(gql)
    by_name_desc = await products(gql, order_by={"field": "NAME", "direction": "DESC"})
    names = [e["node"]["name"] for e in by_name_desc["edges"]]
    assert names == sorted(names, reverse=True)
    assert skus(by_name_desc) == ["P-006", "P-004", "P-002", "P-003", "P-005", "P-001"]
    by_name = await products(gql, order_by={"field": "NAME"})
    assert skus(by_name) == list(reversed(skus(by_name_desc)))
    assert skus(await products(gql, order_by={"field": "SKU", "direction": "DESC"})) == [
        f"P-00{i}" for i in range(6, 0, -1)
    ]
    assert skus(await products(gql, order_by={"field": "CREATED_AT"})) == [f"P-00{i}" for i in range(1, 7)]


# ---- pagination ------------------------------------------------------------------------------


async def test_cursor_pagination(gql):
    await catalog_world(gql)
    order = {"field": "SKU", "direction": "ASC"}
    page1 = await products(gql, order_by=order, first=2)
    assert skus(page1) == ["P-001", "P-002"]
    assert page1["totalCount"] == 6
    assert page1["pageInfo"]["hasNextPage"] is True and page1["pageInfo"]["hasPreviousPage"] is False
    assert page1["pageInfo"]["startCursor"] == page1["edges"][0]["cursor"]
    assert page1["pageInfo"]["endCursor"] == page1["edges"][-1]["cursor"]

    page2 = await products(gql, order_by=order, first=2, after=page1["pageInfo"]["endCursor"])
    assert skus(page2) == ["P-003", "P-004"]
    assert page2["totalCount"] == 6
    assert page2["pageInfo"]["hasNextPage"] is True and page2["pageInfo"]["hasPreviousPage"] is True

    page3 = await products(gql, order_by=order, first=2, after=page2["pageInfo"]["endCursor"])
    assert skus(page3) == ["P-005", "P-006"]
    assert page3["pageInfo"]["hasNextPage"] is False and page3["pageInfo"]["hasPreviousPage"] is True

    past_end = await products(gql, order_by=order, first=2, after=page3["pageInfo"]["endCursor"])
    assert past_end["edges"] == [] and past_end["pageInfo"]["hasNextPage"] is False
    assert past_end["pageInfo"]["startCursor"] is None and past_end["pageInfo"]["endCursor"] is None

    # the pages together are the whole list, each item once; a filtered list paginates within the filter
    whole = await products(gql, order_by=order, first=100)
    assert skus(page1) + skus(page2) + skus(page3) == skus(whole)
    assert whole["pageInfo"]["hasNextPage"] is False
    tea1 = await products(gql, filter={"text": "tea"}, first=1)
    assert skus(tea1) == ["P-002"] and tea1["totalCount"] == 2 and tea1["pageInfo"]["hasNextPage"] is True
    tea2 = await products(gql, filter={"text": "tea"}, first=1, after=tea1["pageInfo"]["endCursor"])
    assert skus(tea2) == ["P-005"] and tea2["pageInfo"]["hasNextPage"] is False

    # default page size is 20, first: 0 gives no edges
    assert len((await products(gql))["edges"]) == 6
    empty = await products(gql, first=0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True and empty["totalCount"] == 6


async def test_page_size_limit_and_bad_cursor_are_graphql_errors(gql):
    await catalog_world(gql)
    assert len((await products(gql, first=100))["edges"]) == 6

    errors = await graphql_errors(gql, PRODUCTS, {"first": 101})
    assert [e["extensions"]["code"] for e in errors] == ["PAGE_SIZE_TOO_LARGE"]
    assert errors[0]["message"] == "每页最多 100 条。" and errors[0]["path"] == ["products"]
    errors_en = await graphql_errors(gql, PRODUCTS, {"first": 101}, lang="en")
    assert errors_en[0]["message"] == "At most 100 items per page."
    assert errors_en[0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
    assert (await graphql_errors(gql, PRODUCTS, {"first": -1}))[0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
    for q in (
        "{ units(first: 101) { totalCount } }",
        "{ categories(first: 101) { totalCount } }",
        "{ stockLevels(first: 101) { totalCount } }",
        "{ suppliers(first: 1000) { totalCount } }",
    ):
        assert (await graphql_errors(gql, q))[0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"

    bad_cursors = [
        "zzz",  # not base64
        base64.b64encode(b"offset:abc").decode(),
        base64.b64encode(b"offset:-5").decode(),
        base64.b64encode(b"Product:1").decode(),  # a global ID is not a cursor
        base64.b64encode(b"\xff\xfe").decode(),
    ]
    for cursor in bad_cursors:
        errors = await graphql_errors(gql, PRODUCTS, {"first": 2, "after": cursor})
        assert [e["extensions"]["code"] for e in errors] == ["INVALID_CURSOR"], cursor
        assert errors[0]["message"] == "分页游标无效。"
    en = await graphql_errors(gql, PRODUCTS, {"after": "zzz"}, lang="en-US,en;q=0.9")
    assert en[0]["message"] == "Invalid pagination cursor."


# ---- node IDs --------------------------------------------------------------------------------


async def test_node_returns_the_right_type_for_each_global_id(gql):
    w = await catalog_world(gql)
    wh = await do_create_warehouse(gql.db, code="WH1", name="上海仓")
    loc = await do_create_location(gql.db, warehouse_id=wh, code="WH1-A-01", name="A-01")
    sup = await do_create_partner(gql.db, "supplier", PartnerInput(code="S1", name="供应商一"))
    cust = await do_create_partner(gql.db, "customer", PartnerInput(code="C1", name="客户一"))
    cases = {
        w["products"]["P-002"]: ("Product", "P-002"),
        w["pcs"]: ("Unit", "PCS"),
        w["tea"]: ("Category", "TEA"),
        gid("Warehouse", wh): ("Warehouse", "WH1"),
        gid("Location", loc): ("Location", "WH1-A-01"),
        gid("Supplier", sup): ("Supplier", "S1"),
        gid("Customer", cust): ("Customer", "C1"),
    }
    q = """query($id: ID!) { node(id: $id) { __typename id
             ... on Product { code: sku } ... on Unit { code } ... on Category { code }
             ... on Warehouse { code } ... on Location { code } ... on Supplier { code } ... on Customer { code } } }"""
    for node_id, (typename, code) in cases.items():
        node = (await gql.execute(q, {"id": node_id}))["node"]
        assert node == {"__typename": typename, "id": node_id, "code": code}
    # several at once, a missing one is null
    ids = list(cases) + [gid("Product", 9999)]
    many = await gql.execute("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids})
    assert [n and n["__typename"] for n in many["nodes"]] == [t for t, _ in cases.values()] + [None]
    # a well-formed id of a known type that does not exist is simply null
    assert (await gql.execute("query($id: ID!) { node(id: $id) { id } }", {"id": gid("Unit", 424242)}))["node"] is None


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-base64!",
        base64.b64encode(b"Product").decode(),  # no colon
        base64.b64encode(b"Product:abc").decode(),
        base64.b64encode(b"Product:0").decode(),
        base64.b64encode(b"Product:-3").decode(),
        base64.b64encode(b":5").decode(),
        base64.b64encode(b"Spaceship:1").decode(),  # unknown type
        "",
    ],
)
async def test_malformed_node_id_is_an_invalid_id_error(gql, bad_id):
    body = await gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert body["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ID"]
    assert body["errors"][0]["message"] == "ID 无效或类型不符。"
    body_en = await gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": bad_id}, lang="en")
    assert body_en["errors"][0]["message"] == "Invalid ID or ID of another type."


async def test_an_id_of_another_type_in_a_mutation_is_not_found(gql):
    w = await catalog_world(gql)
    unit_id, product_id = w["pcs"], w["products"]["P-001"]

    res = (await gql.execute(SET_ACTIVE, {"id": unit_id, "active": False}))["setProductActive"]
    assert res["product"] is None
    assert res["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "找不到商品。"}]
    res_en = (await gql.execute(SET_ACTIVE, {"id": unit_id, "active": False}, lang="en"))["setProductActive"]
    assert res_en["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "Product not found."}]
    # a malformed id in a mutation argument is the same payload error, not a GraphQL error
    res_bad = (await gql.execute(SET_ACTIVE, {"id": "garbage", "active": False}))["setProductActive"]
    assert [(e["field"], e["code"]) for e in res_bad["errors"]] == [("id", "NOT_FOUND")]
    # an existing product's id used where a unit or category is expected
    bad_unit = await create_product(gql, sku="NEW", name="新", baseUnitId=product_id)
    assert bad_unit["product"] is None
    assert [(e["field"], e["code"]) for e in bad_unit["errors"]] == [("baseUnitId", "NOT_FOUND")]
    bad_cat = await create_product(gql, sku="NEW", name="新", baseUnitId=w["pcs"], categoryId=w["box"])
    assert [(e["field"], e["code"]) for e in bad_cat["errors"]] == [("categoryId", "NOT_FOUND")]
    bad_alt = await create_product(
        gql, sku="NEW", name="新", baseUnitId=w["pcs"], units=[{"unitId": w["food"], "factor": "6"}]
    )
    assert [(e["field"], e["code"]) for e in bad_alt["errors"]] == [("units.0.unitId", "NOT_FOUND")]
    bad_parent = await create_category(gql, "NEWCAT", "新分类", product_id)
    assert [(e["field"], e["code"]) for e in bad_parent["errors"]] == [("parentId", "NOT_FOUND")]
    upd = await gql.execute(
        f"""mutation($id: ID!) {{ updateProduct(id: $id, input: {{name: "x"}}) {{
                                 product {{ id }} {ERR} }} }}""",
        {"id": w["tea"]},
    )
    assert [(e["field"], e["code"]) for e in upd["updateProduct"]["errors"]] == [("id", "NOT_FOUND")]
    # and nothing changed
    assert (await products(gql))["totalCount"] == 6
    assert (await products(gql, filter={"active": False}))["totalCount"] == 0
    assert (await gql.execute("{ categories { totalCount } }"))["categories"]["totalCount"] == 4


async def test_messages_follow_accept_language(gql):
    w = await units_world(gql)
    variants = {
        None: "小数位数过多：最多 2 位。",
        "zh-CN": "小数位数过多：最多 2 位。",
        "zh-CN,zh;q=0.9,en;q=0.8": "小数位数过多：最多 2 位。",
        "en": "Too many decimals: at most 2 allowed.",
        "en-GB,en;q=0.9": "Too many decimals: at most 2 allowed.",
        "fr-FR": "小数位数过多：最多 2 位。",
    }
    for lang, message in variants.items():
        payload = await create_product(gql, sku="P", name="一", baseUnitId=w["pcs"], salePrice="9.999", lang=lang)
        assert payload["errors"] == [{"field": "salePrice", "code": "TOO_MANY_DECIMALS", "message": message}], lang
    assert (await products(gql))["totalCount"] == 0


async def test_duplicate_message_follows_accept_language(gql):
    w = await units_world(gql)
    assert (await create_product(gql, sku="DUP", name="一", baseUnitId=w["pcs"]))["errors"] == []
    for lang, message in {None: "编码“DUP”已存在。", "en": "Code “DUP” already exists."}.items():
        payload = await create_product(gql, sku="DUP", name="二", baseUnitId=w["pcs"], lang=lang)
        assert payload["errors"] == [{"field": "sku", "code": "DUPLICATE_CODE", "message": message}], lang
    assert (await products(gql))["totalCount"] == 1


async def test_create_product_idempotency_key(gql):
    w = await units_world(gql)
    first = await create_product(gql, key="create-p-1", sku="IDEM", name="幂等", baseUnitId=w["pcs"])
    again = await create_product(gql, key="create-p-1", sku="IDEM", name="幂等", baseUnitId=w["pcs"])
    assert first["errors"] == [] and again["errors"] == []
    assert again["product"]["id"] == first["product"]["id"]
    other = await create_product(gql, key="create-p-1", sku="IDEM-2", name="别的", baseUnitId=w["pcs"])
    assert other["product"] is None
    assert [(e["field"], e["code"]) for e in other["errors"]] == [("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")]
    assert (await products(gql))["totalCount"] == 1
