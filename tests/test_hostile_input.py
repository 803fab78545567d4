"""Hostile or careless input is bounded, typed, and never stops anything.

Options are enums (an unknown value is refused at validation), integers and dates have bounds, NUL bytes
and lone surrogates are refused everywhere text enters, numbers are ASCII digits only, and a refused
request is no ERROR in the log while an unexpected one is logged once, shortened. (The property test
over the whole schema is tests/test_fuzz_api.py.)"""

from __future__ import annotations

import json
import logging

import pytest
from graphql import GraphQLEnumType, get_named_type
from sqlalchemy import func, select

from schema.error_policy import loggable_query
from schema.relay import to_global_id
from schema.schema import schema
from server.catalog.models import category
from server.core.numbers import NumberError, parse_decimal, qty_to_scaled
from server.inventory.models import stock_move
from tests.factories import make_product, make_world
from tests.gql import admin_token


def codes(body) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def no_internal(body) -> None:
    assert "INTERNAL_ERROR" not in codes(body), body


async def post_raw(gql, query: str, variables: dict | None = None, token: str | bool | None = True) -> dict:
    """Send the body as ASCII JSON (``\\ud800`` escapes): httpx's own JSON cannot encode a lone surrogate."""
    headers = {"content-type": "application/json"}
    token = gql.token if token is True else token
    if token:
        headers["authorization"] = f"Bearer {token}"
    resp = await gql.http.post(
        "/graphql", content=json.dumps({"query": query, "variables": variables or {}}), headers=headers
    )
    assert resp.status_code in (200, 400), resp.text
    return resp.json()


async def count(db, table) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


# ---- options are enums ------------------------------------------------------------------------------------

OPTION_ARGUMENTS = {
    ("Query", "salesReport", "groupBy"): "SalesGrouping",
    ("Query", "stockAsOf", "groupBy"): "StockGrouping",
    ("Query", "inventoryTurnover", "groupBy"): "TurnoverGrouping",
    ("Query", "inventoryTurnover", "dayBasis"): "DayBasis",
    ("Query", "purchaseSpend", "groupBy"): "SpendGrouping",
    ("Query", "demandForecast", "serviceLevel"): "ServiceLevel",
    ("Query", "labelLinks", "kind"): "LabelKind",
    ("Query", "labelLinks", "layout"): "LabelLayout",
    ("Query", "financialStatement", "kind"): "StatementKind",
    ("Query", "transfers", "status"): "TransferStatus",
    ("Query", "stockCounts", "status"): "StockCountStatus",
    ("Query", "productionOrders", "status"): "ProductionStatus",
    ("Query", "vouchers", "status"): "VoucherStatus",
    ("Query", "expenseBills", "status"): "ExpenseStatus",
    ("Mutation", "setupBooks", "standard"): "AccountingStandard",
    ("Mutation", "reclassifyCashFlow", "item"): "CashFlowItemKey",
    ("Mutation", "payExpense", "method"): "PaymentMethod",
    ("Mutation", "runJob", "name"): "JobName",
    ("Mutation", "setAutomation", "name"): "AutomationName",
    ("Mutation", "startScanSession", "mode"): "ScanMode",
    ("Subscription", "documentStatusChanged", "documentTypes"): "DocumentType",
}
OPTION_INPUT_FIELDS = {
    ("ProductInput", "tracking"): "TrackingMode",
    ("AddressInput", "kind"): "AddressKind",
    ("PartnerInput", "creditRating"): "CreditRating",
    ("PartnerInput", "invoiceType"): "InvoiceType",
    ("GoodsReceiptInput", "landedAllocation"): "LandedAllocation",
    ("SupplierPaymentInput", "method"): "PaymentMethod",
    ("CustomerReceiptInput", "method"): "ReceiptMethod",
    ("SalesSettingsInput", "creditMode"): "CreditMode",
    ("OpenCountInput", "mode"): "CountMode",
    ("ClearSuspenseInput", "lossTreatment"): "LossTreatment",
    ("ClearSuspenseInput", "gainTreatment"): "GainTreatment",
    ("AccountInput", "dimensions"): "AccountDimension",
}


def test_arguments_that_choose_an_option_are_enums():
    gs = schema._schema
    for (root, field, arg), enum_name in OPTION_ARGUMENTS.items():
        named = get_named_type(gs.get_type(root).fields[field].args[arg].type)
        assert isinstance(named, GraphQLEnumType) and named.name == enum_name, (field, arg, named)
    for (input_type, field), enum_name in OPTION_INPUT_FIELDS.items():
        named = get_named_type(gs.get_type(input_type).fields[field].type)
        assert isinstance(named, GraphQLEnumType) and named.name == enum_name, (input_type, field, named)


async def test_an_unknown_option_is_refused_before_the_resolver(gql):
    for query, variables in [
        ("query($g: SalesGrouping!) { salesReport(groupBy: $g) { groupBy } }", {"g": "nonsense"}),
        ("query($g: SalesGrouping!) { salesReport(groupBy: $g) { groupBy } }", {"g": "product"}),  # the name counts
        ("{ inventoryTurnover(dayBasis: DAYS_400) { dayBasis } }", None),
        ('{ stockAsOf(on: "2026-06-01", groupBy: "product") { key } }', None),  # a string is no enum value
    ]:
        body = await gql.post(query, variables)
        assert body["errors"] and body.get("data") is None, body
        no_internal(body)


async def test_enum_options_reach_the_domain_as_its_values(gql):
    report = (
        await gql.execute(
            '{ salesReport(groupBy: CUSTOMER, start: "2026-06-01", end: "2026-06-15") { groupBy csvUrl } }'
        )
    )["salesReport"]
    assert report == {
        "groupBy": "customer",
        "csvUrl": "/reports/sales.csv?start=2026-06-01&end=2026-06-15&group_by=customer",
    }
    turnover = await gql.execute("{ inventoryTurnover(groupBy: CATEGORY, dayBasis: DAYS_365) { dayBasis } }")
    assert turnover["inventoryTurnover"]["dayBasis"] == 365
    links = await gql.execute('{ labelLinks(productIds: ["P"], kind: GS1_128, layout: LABEL_50X30) { sheetPdf } }')
    assert links["labelLinks"]["sheetPdf"].endswith("&kind=gs1_128&layout=50x30")
    w = await make_world(gql.db)
    created = await gql.execute(
        "mutation($i: ProductInput!) { createProduct(input: $i) { product { tracking } errors { code } } }",
        {"i": {"sku": "LOT-1", "name": "批次商品", "baseUnitId": to_global_id("Unit", w.pcs), "tracking": "LOT"}},
    )
    assert created["createProduct"] == {"product": {"tracking": "LOT"}, "errors": []}
    refused = await gql.post(
        "mutation($i: ProductInput!) { createProduct(input: $i) { errors { code } } }",
        {"i": {"sku": "LOT-2", "name": "x", "baseUnitId": to_global_id("Unit", w.pcs), "tracking": "bulk"}},
    )
    assert refused["errors"] and refused.get("data") is None
    no_internal(refused)


# ---- integers and dates have bounds -----------------------------------------------------------------------

BIG = 2**31 - 1


@pytest.mark.parametrize(
    "query",
    [
        f"{{ expiringSoon(days: {BIG}) {{ totalCount }} }}",
        f"{{ slowMovers(days: {BIG}) {{ label }} }}",
        f"{{ abcClassification(days: {BIG}) {{ rank }} }}",
        "{ abcClassification(days: 0) { rank } }",
        '{ demandForecast(productId: "x", leadTimeDays: %d) { method } }' % BIG,
        "{ salesReport(top: -1) { groupBy } }",
        f"{{ salesReport(bottom: {BIG}) {{ groupBy }} }}",
        "{ trialBalance(period: 202613) { code } }",
        "{ trialBalance(period: 0) { code } }",
        f"{{ financialStatement(kind: BALANCE_SHEET, period: {BIG}) {{ title }} }}",
        '{ detailLedger(accountCode: "1001", fromPeriod: 202601, toPeriod: 999999) { closing } }',
        '{ generalLedger(accountCode: "1001", year: 0) { period } }',
        '{ generalLedger(accountCode: "1001", year: 10000) { period } }',
        f"{{ vouchers(period: {BIG}) {{ totalCount }} }}",
    ],
)
async def test_integer_arguments_out_of_bounds_are_invalid_value(gql, query):
    body = await gql.post(query)
    assert codes(body) == ["INVALID_VALUE"], body
    assert body["errors"][0]["message"].startswith("值无效")


@pytest.mark.parametrize(
    "value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "2026-02-30", "２０２６-01-01", "20260101"]
)
async def test_dates_are_iso_and_bounded(gql, value):
    """``end - timedelta(days=29)`` from 0001-01-01 used to overflow (INTERNAL_ERROR)."""
    for body in (
        await gql.post("query($d: Date) { salesReport(end: $d) { groupBy } }", {"d": value}),
        await gql.post('{ salesReport(end: "%s") { groupBy } }' % value),
    ):
        assert codes(body) == ["INVALID_VALUE"], body


async def test_mutation_integers_out_of_bounds_are_payload_errors(gql):
    body = await gql.execute("mutation { closePeriod(period: 202613) { ok errors { field code } } }")
    assert body["closePeriod"] == {"ok": False, "errors": [{"field": "period", "code": "INVALID_VALUE"}]}


# ---- NUL bytes and lone surrogates --------------------------------------------------------------------------

CREATE_CATEGORY = "mutation($i: CreateCategoryInput!) { createCategory(input: $i) { errors { code } } }"


@pytest.mark.parametrize("text", ["A\x00B", "\x00", "A\ud800", "\udfff", "ok\ud83d"])
async def test_nul_and_lone_surrogates_in_variables_are_refused(gql, text):
    before = await count(gql.db, category)
    for query, variables in [
        (CREATE_CATEGORY, {"i": {"code": text, "name": "名称"}}),
        (CREATE_CATEGORY, {"i": {"code": "C1", "name": text}}),
        ("query($t: String) { products(filter: {text: $t}) { totalCount } }", {"t": text}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["UHJvZHVjdDox", text]}),  # nested in a list
        (
            "mutation($i: CreateUserInput!) { createUser(input: $i) { errors { code } } }",
            {"i": {"username": "li", "password": "long-enough-pw", "roles": ["viewer", text]}},
        ),
    ]:
        body = await post_raw(gql, query, variables)
        assert codes(body) == ["INVALID_VALUE"], (query, body)
        assert body.get("data") is None
    assert await count(gql.db, category) == before


async def test_nul_in_literals_is_refused_and_lone_surrogate_escapes_do_not_parse(gql):
    before = await count(gql.db, category)
    body = await gql.post('mutation { createCategory(input: {code: "A\\u0000", name: "x"}) { errors { code } } }')
    assert codes(body) == ["INVALID_VALUE"] and body.get("data") is None, body
    body = await gql.post('{ lotTrace(code: "\\u0000") { __typename } }')
    assert codes(body) == ["INVALID_VALUE"], body
    body = await gql.post('{ products(filter: {text: "a\\ud800b"}) { totalCount } }')  # graphql-core: syntax error
    assert body["errors"] and body.get("data") is None
    no_internal(body)
    assert await count(gql.db, category) == before


async def test_nul_is_refused_for_a_restricted_caller_too(gql):
    viewer = await admin_token(gql.db, role="viewer")
    body = await post_raw(
        gql, "query($t: String) { products(filter: {text: $t}) { totalCount } }", {"t": "\x00"}, token=viewer
    )
    assert codes(body) == ["INVALID_VALUE"], body


async def test_nul_in_a_subscription_is_refused(gql):
    from schema.context import Context

    ctx = Context(db=gql.db, settings=gql.app.state.jxc.settings, tailer=gql.app.state.jxc.tailer)
    await ctx.sign_in(gql.token)
    result = await schema.subscribe(
        'subscription { scanSession(sessionId: "a\\u0000") { __typename } }', context_value=ctx
    )
    first = await result.__anext__() if hasattr(result, "__anext__") else result
    if hasattr(result, "aclose"):
        await result.aclose()
    assert [e.extensions.get("code") for e in first.errors] == ["INVALID_VALUE"]


# ---- numbers are ASCII digits -------------------------------------------------------------------------------

NOT_NUMBERS = [
    "１２",
    "١٢",
    "۱۲",
    "1_000",
    "1,000",
    "1e3",
    "1E3",
    "12e-1",
    "0x10",
    "1.2.3",
    "--1",
    "+-1",
    ". ",
    "NaN",
    "Infinity",
    "inf",
    "",
    " ",
    "1 2",
    "\u200b12",
    "12\u3000",
    "٣.٥",
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_parse_decimal_takes_ascii_digits_only(text):
    with pytest.raises(NumberError):
        parse_decimal(text)


@pytest.mark.parametrize(
    "text,expected",
    [("12", "12"), ("-0.5", "-0.5"), ("+3", "3"), (".5", "0.5"), ("12.", "12"), (" 7 ", "7"), ("0.000001", "0.000001")],
)
def test_parse_decimal_still_takes_plain_numbers(text, expected):
    assert parse_decimal(text) == parse_decimal(expected)


def test_over_long_number_text_is_out_of_range():
    with pytest.raises(NumberError) as exc:
        qty_to_scaled("1" * 5000, 0)  # int("1" * 5000) would raise inside the domain
    assert exc.value.code == "OUT_OF_RANGE"


RECEIVE = """mutation($lines: [ReceiveLineInput!]!, $key: String!) {
  receiveStock(lines: $lines, idempotencyKey: $key) { errors { field code } operation { id } } }"""


@pytest.mark.parametrize("text", ["１２", "١٢", "1_000", "1e3", "0E+3", "1" * 100])
async def test_quantities_and_prices_refuse_other_digits_separators_and_exponents(gql, text):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    line = {"productId": to_global_id("Product", p), "locationId": to_global_id("Location", w.a1)}
    for bad in (dict(line, quantity=text), dict(line, quantity="1", unitCost=text)):
        body = await gql.post(RECEIVE, {"lines": [bad], "key": f"k-{len(text)}"})
        assert codes(body) == ["INVALID_VALUE"], body
    assert await count(gql.db, stock_move) == 0


async def test_string_numbers_reaching_the_domain_refuse_other_digits(gql):
    """creditLimit and discount are plain strings parsed by the domain (server/core/numbers.py)."""
    body = await gql.execute(
        """mutation($i: PartnerInput!) { createCustomer(input: $i) {
        customer { id } errors { field code } } }""",
        {"i": {"code": "C1", "name": "客户", "creditLimit": "１０００", "discount": "0.1e0"}},
    )
    assert body["createCustomer"]["customer"] is None
    assert sorted(e["field"] for e in body["createCustomer"]["errors"]) == ["creditLimit", "discount"]
    assert {e["code"] for e in body["createCustomer"]["errors"]} == {"INVALID_VALUE"}


# ---- logging ------------------------------------------------------------------------------------------------


def _records(caplog, min_level=logging.DEBUG):
    return [r for r in caplog.records if r.levelno >= min_level and r.name.startswith(("jxc", "strawberry"))]


async def test_refused_requests_write_no_error_and_no_query(gql, caplog):
    caplog.set_level(logging.DEBUG)
    huge = "x" * 300_000
    bodies = [
        await gql.post('{ products(filter: {text: "%s"}) { totalCount } }' % huge, token=None),  # anonymous
        await gql.post('{ products(filter: {text: "%s"}) { totalCount } nope }' % huge),  # validation error
        await gql.post('{ products(filter: {text: "%s\\u0000"}) { totalCount } }' % huge),  # NUL
        await gql.post("query($q: Quantity!) { __typename }", {"q": 1.5}),  # a refused variable
        await gql.post("{ trialBalance(period: 1) { code } }"),  # out of bounds
    ]
    assert all(b["errors"] for b in bodies)
    records = _records(caplog)
    assert not [r for r in records if r.levelno >= logging.WARNING], [r.getMessage()[:200] for r in records]
    assert not [r for r in records if r.exc_info]
    assert sum(len(r.getMessage()) for r in records) < 5_000  # one short line each, never the query


async def test_an_unexpected_error_is_logged_once_with_request_id_and_a_short_query(gql, caplog, monkeypatch):
    import schema.reports.queries as reports_schema

    async def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reports_schema.sales, "sales_report", explode)
    caplog.set_level(logging.DEBUG)
    query = "query SalesOfJune { salesReport(groupBy: PRODUCT) { groupBy } %s }" % " ".join(
        f"aliasNumber{i}WithAFairlyLongName: __typename" for i in range(25)
    )
    body = await gql.post(query)
    assert codes(body) == ["INTERNAL_ERROR"]
    request_id = body["errors"][0]["extensions"]["requestId"]
    errors = [r for r in _records(caplog) if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage()[:200] for r in errors]
    message = errors[0].getMessage()
    assert request_id in message and "SalesOfJune" in message and "boom" in message
    assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError
    assert len(message) < 1_000 and "aliasNumber24" not in message and "chars)" in message  # shortened
    assert not [r for r in caplog.records if r.name.startswith("strawberry") and r.levelno >= logging.ERROR]


def test_logged_queries_hide_password_and_token_literals():
    text = loggable_query('mutation {\n login(username: "li", password: "s3cret \\" x") { token } }')
    assert "s3cret" not in text and 'password: "***"' in text and "\n" not in text
    assert len(loggable_query("{ x }" * 1000)) < 600
