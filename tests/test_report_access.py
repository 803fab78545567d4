"""Who sees what in the reports and their downloads: cost figures need ``cost.view`` besides
``report.view`` (null + PERMISSION_DENIED in GraphQL, columns left out of CSV/XLSX), and a user
limited to some warehouses gets the figures of those warehouses only (PERMISSION_DENIED when asking
for another one by id), on a small world of two warehouses with hand-computed figures."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from schema.relay import to_global_id
from server.auth.services import do_create_role, do_create_user, do_login
from server.core import clock
from server.inventory.reorder import do_set_reorder_rule
from server.inventory.services import StockLine, do_receive_stock, do_transfer_stock
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.bills import BillInput, BillLineInput, do_create_supplier_bill
from server.purchasing.models import goods_receipt_line, purchase_order_line
from server.purchasing.orders import (
    OrderInput,
    OrderLineInput,
    do_approve_purchase_order,
    do_create_purchase_order,
    do_submit_purchase_order,
)
from server.purchasing.receipts import ReceiptInput, ReceiptLineInput, do_receive_goods
from server.reports import inventory
from server.sales.invoicing import InvoiceInput, do_create_invoice
from server.sales.models import sales_order_line
from server.sales.orders import SalesLineInput, SalesOrderInput, do_create_sales_order, do_submit_sales_order
from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
from tests.factories import make_product
from tests.finance_helpers import setup_books
from tests.gql import admin_token
from tests.purchasing_helpers import ACCOUNTANT, KEEPER, MANAGER, PURCHASER, make_purchasing_world
from tests.sales_helpers import SALES

TODAY = clock.today()
Q = 10**6
DENIED = "PERMISSION_DENIED"


@dataclass
class Shop:
    wh1: int
    wh2: int
    widget: int
    dusty1: int  # 5 at 2.00 in warehouse 1, never sold
    dusty2: int  # 7 at 3.00 in warehouse 2, never sold
    c1: int
    c2: int
    supplier: int


async def _buy(db, pw, warehouse_id: int, product_id: int, qty: str, price: str, location_id: int) -> int:
    """An approved PO of ``warehouse_id`` received in full and billed; returns the receipt line id."""
    po = await do_create_purchase_order(
        db,
        OrderInput(
            pw.supplier,
            warehouse_id,
            [OrderLineInput(product_id, qty, unit_price=price, vat_rate="0.13")],
            order_date=TODAY,
        ),
        PURCHASER,
    )
    await do_submit_purchase_order(db, po, PURCHASER)
    await do_approve_purchase_order(db, po, MANAGER)
    async with db.read() as conn:
        pol = (await conn.execute(select(purchase_order_line).where(purchase_order_line.c.order_id == po))).one()
    rc = await do_receive_goods(
        db,
        ReceiptInput(
            lines=[ReceiptLineInput(qty, order_line_id=pol.id, location_id=location_id)],
            order_id=po,
            receipt_date=TODAY,
        ),
        KEEPER,
    )
    async with db.read() as conn:
        rl = (await conn.execute(select(goods_receipt_line).where(goods_receipt_line.c.receipt_id == rc))).one()
    await do_create_supplier_bill(db, BillInput(pw.supplier, [BillLineInput(rl.id, qty)], bill_date=TODAY), ACCOUNTANT)
    return rl.id


async def _sell(db, warehouse_id: int, customer_id: int, product_id: int, qty: str, price: str, location_id: int):
    """An approved sales order of ``warehouse_id`` shipped in full from ``location_id`` and invoiced."""
    so = await do_create_sales_order(
        db,
        SalesOrderInput(customer_id, warehouse_id, [SalesLineInput(product_id, qty, None, price)], order_date=TODAY),
        SALES,
    )
    assert await do_submit_sales_order(db, so, SALES) == "approved"
    async with db.read() as conn:
        sol = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == so))).one()
    sh = await do_ship_goods(
        db, ShipmentInput(so, [ShipmentLineInput(sol.id, qty, location_id)], ship_date=TODAY), KEEPER
    )
    await do_create_invoice(db, InvoiceInput(customer_id, shipment_ids=[sh], invoice_date=TODAY), ACCOUNTANT)


async def two_warehouses(db) -> Shop:
    """widget: 100 bought at 10.00 into WH1 (30 sold to 甲客户 at 20.00), 50 into WH2 (10 sold to 乙客户
    at 25.00), both billed (1,000.00 + 130.00 and 500.00 + 65.00); dusty1 5 at 2.00 in WH1, dusty2 7 at
    3.00 in WH2; reorder rules: widget WH1 80–90 (shortage), widget WH2 10–20 (overstock), dusty2 WH2
    10–20 (shortage); one submitted PO in WH2."""
    await setup_books(db)
    pw = await make_purchasing_world(db)
    w = pw.w
    dusty1 = await make_product(db, w, purchase_price="2.00")
    dusty2 = await make_product(db, w, purchase_price="3.00")
    c1 = await do_create_partner(db, "customer", PartnerInput(code="C1", name="甲客户"))
    c2 = await do_create_partner(db, "customer", PartnerInput(code="C2", name="乙客户"))
    await _buy(db, pw, w.wh1, pw.widget, "100", "10.00", w.a1)
    await _buy(db, pw, w.wh2, pw.widget, "50", "10.00", w.b1)
    await do_receive_stock(
        db,
        [
            StockLine(product_id=dusty1, quantity="5", location_id=w.a2, unit_cost="2.00"),
            StockLine(product_id=dusty2, quantity="7", location_id=w.b1, unit_cost="3.00"),
        ],
    )
    await _sell(db, w.wh1, c1, pw.widget, "30", "20.00", w.a1)
    await _sell(db, w.wh2, c2, pw.widget, "10", "25.00", w.b1)
    await do_set_reorder_rule(db, pw.widget, w.wh1, "80", "90")
    await do_set_reorder_rule(db, pw.widget, w.wh2, "10", "20")
    await do_set_reorder_rule(db, dusty2, w.wh2, "10", "20")
    po = await do_create_purchase_order(
        db,
        OrderInput(pw.supplier, w.wh2, [OrderLineInput(pw.flour, "3", unit_price="4.20")], order_date=TODAY),
        PURCHASER,
    )
    await do_submit_purchase_order(db, po, PURCHASER)
    return Shop(w.wh1, w.wh2, pw.widget, dusty1, dusty2, c1, c2, pw.supplier)


def gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


def denied_paths(body: dict) -> set[str]:
    """The fields answered with PERMISSION_DENIED, as dotted paths without list indexes."""
    assert all(e["extensions"]["code"] == DENIED for e in body.get("errors", [])), body["errors"]
    return {".".join(str(p) for p in e["path"] if not isinstance(p, int)) for e in body.get("errors", [])}


# every report: (query, the cost fields it asks for, as dotted paths)
COST_QUERIES = [
    (
        "{ salesReport { total { quantity revenue sharePercent cost margin marginPercent } "
        "rows { label quantity revenue cost margin marginPercent } } }",
        {
            "salesReport.total.cost",
            "salesReport.total.margin",
            "salesReport.total.marginPercent",
            "salesReport.rows.cost",
            "salesReport.rows.margin",
            "salesReport.rows.marginPercent",
        },
    ),
    ("query($on: Date!) { stockAsOf(on: $on) { label quantity value } }", {"stockAsOf.value"}),
    (
        "{ inventoryTurnover { total { costOfSales openingValue closingValue turnover daysOfInventory } "
        "rows { label costOfSales openingValue closingValue turnover } } }",
        {
            f"inventoryTurnover.{part}.{f}"
            for part in ("total", "rows")
            for f in ("costOfSales", "openingValue", "closingValue")
        },
    ),
    ("{ slowMovers { label quantity value dead } }", {"slowMovers.value"}),
    ("{ purchaseSpend { label quantity amount tax } }", {"purchaseSpend.amount", "purchaseSpend.tax"}),
    (
        "query($p: ID!) { purchasePriceTrend(productId: $p) { month quantity suppliers value averageUnitPrice } }",
        {"purchasePriceTrend.value", "purchasePriceTrend.averageUnitPrice"},
    ),
    ("{ abcClassification { productId rank abcClass consumption } }", {"abcClassification.consumption"}),
    (
        "{ dashboard { salesToday salesMonthToDate turnover30Days lowStockCount openPurchaseOrders openSalesOrders "
        "marginToday marginMonthToDate stockValue } }",
        {"dashboard.marginToday", "dashboard.marginMonthToDate", "dashboard.stockValue"},
    ),
]

COST_HEADERS = {
    "成本 Cost",
    "毛利 Margin",
    "毛利率% Margin %",
    "金额 Value",
    "销售成本 Cost of sales",
    "期初 Opening",
    "期末 Closing",
    "金额 Amount",
    "税额 Tax",
    "消耗金额 Consumption",
}
# what a caller without cost.view gets as columns in each download
VISIBLE_HEADERS = {
    "sales": [
        "项目 Item",
        "数量 Quantity",
        "收入 Revenue",
        "占比% Share",
        "退货率% Return rate",
        "上期收入 Previous revenue",
    ],
    "stock": ["项目 Item", "数量 Quantity"],
    "turnover": ["项目 Item", "周转率 Turnover", "周转天数 Days (360)"],
    "aging": None,  # no cost column at all
    "slow_movers": ["商品 Product", "数量 Quantity", "最后出库 Last issue", "天数 Days", "呆滞 Dead"],
    "overstock_shortage": None,
    "purchase_spend": ["项目 Item", "数量 Quantity"],
    "abc": ["商品 Product ID", "排名 Rank", "类别 Class"],
}


async def download(gql, name: str, fmt: str, token: str, query: str = "") -> tuple[list, list[list]]:
    """(header, rows) of a report download, every cell as text."""
    resp = await gql.http.get(f"/reports/{name}.{fmt}{query}", headers={"authorization": f"Bearer {token}"})
    assert resp.status_code == 200, (name, fmt, resp.text)
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    else:
        ws = load_workbook(io.BytesIO(resp.content)).active
        lines = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    return lines[1], lines[2:]


def table(header: list, rows: list[list]) -> dict[str, dict[str, str]]:
    """Rows by their first column: {first cell: {column: cell}}."""
    return {r[0]: dict(zip(header, r)) for r in rows}


def money(text: str) -> str:
    """CSV cells are exact decimals; XLSX cells may come back as 600 or 600.0: compare as yuan."""
    from decimal import Decimal

    return str(Decimal(text).quantize(Decimal("0.01")))


# ---- (a) report.view without cost.view ----------------------------------------------------------------


async def test_cost_figures_need_cost_view_in_every_report_and_download(gql):
    shop = await two_warehouses(gql.db)
    await do_create_role(
        gql.db, code="report_reader", name="报表查看", name_en="Report reader", permissions=["report.view"]
    )
    reader = await admin_token(gql.db, role="report_reader")
    variables = {"on": TODAY.isoformat(), "p": gid("Product", shop.widget)}
    for query, cost_fields in COST_QUERIES:
        body = await gql.post(query, variables, token=reader, lang="en")
        assert denied_paths(body) == cost_fields, query
        assert all("cost.view" in e["message"] for e in body["errors"])
        admin = await gql.execute(query, variables)  # the admin holds cost.view: no error, figures present
        for path in cost_fields:
            parts = path.split(".")
            node = admin[parts[0]]
            nodes = node if isinstance(node, list) else [node]
            for part in parts[1:-1]:
                nodes = [x for n in nodes for x in (n[part] if isinstance(n[part], list) else [n[part]])]
            assert nodes and all(n[parts[-1]] is not None for n in nodes), (path, admin)
            # and the reader got nulls exactly there
            rnode = body["data"][parts[0]]
            rnodes = rnode if isinstance(rnode, list) else [rnode]
            for part in parts[1:-1]:
                rnodes = [x for n in rnodes for x in (n[part] if isinstance(n[part], list) else [n[part]])]
            assert all(n[parts[-1]] is None for n in rnodes), (path, body["data"])

    # revenue, quantities, ratios and classes stay visible
    total = (await gql.post(COST_QUERIES[0][0], token=reader))["data"]["salesReport"]["total"]
    assert _q(total) == {
        "quantity": "40.00",
        "revenue": "850.00",
        "sharePercent": "100.00",
        "cost": None,
        "margin": None,
        "marginPercent": None,
    }
    turnover = (await gql.post(COST_QUERIES[2][0], token=reader))["data"]["inventoryTurnover"]["total"]
    assert (turnover["turnover"], turnover["daysOfInventory"]) == ("0.71", "509.0")  # 400 ÷ 565.5; 565.5 × 360 ÷ 400
    board = (await gql.post(COST_QUERIES[7][0], token=reader))["data"]["dashboard"]
    assert (board["salesToday"], board["lowStockCount"], board["openPurchaseOrders"]) == ("850.00", 2, 1)
    spend = (await gql.post(COST_QUERIES[4][0], token=reader))["data"]["purchaseSpend"]
    assert [money(s["quantity"]) for s in spend] == ["0.00"]  # by supplier: no quantity, but the row is there
    classes = (await gql.post(COST_QUERIES[6][0], token=reader))["data"]["abcClassification"]
    assert {c["productId"]: c["abcClass"] for c in classes}[gid("Product", shop.widget)] == "A"

    for name, visible in VISIBLE_HEADERS.items():
        for fmt in ("csv", "xlsx"):
            full_head, full_rows = await download(gql, name, fmt, gql.token)
            head, rows = await download(gql, name, fmt, reader)
            assert not COST_HEADERS & set(head), (name, fmt, head)
            assert head == (visible if visible is not None else full_head), (name, fmt, head)
            # the same rows, with the cost columns left out
            keep = [full_head.index(h) for h in head]
            assert rows == [[r[i] for i in keep] for r in full_rows], (name, fmt)
            if visible is not None:
                assert COST_HEADERS & set(full_head), (name, fmt, full_head)  # the admin gets them
    head, rows = await download(gql, "sales", "csv", reader)
    assert table(head, rows)["合计 Total"]["收入 Revenue"] == "850.00"


# ---- (b) a user limited to warehouse 1 ----------------------------------------------------------------


async def _restricted_token(db, shop: Shop) -> str:
    await do_create_role(
        db, code="wh_analyst", name="仓库分析", name_en="Warehouse analyst", permissions=["report.view", "cost.view"]
    )
    await do_create_user(
        db, username="wh1-analyst", password="correct horse", roles=["wh_analyst"], warehouse_ids=[shop.wh1]
    )
    return (await do_login(db, "wh1-analyst", "correct horse"))[0]


REPORTS = """query($on: Date!, $p: ID!) {
  salesReport { total { quantity revenue cost margin } rows { key revenue } }
  byWarehouse: salesReport(groupBy: WAREHOUSE) { rows { key revenue cost } }
  stockAsOf(on: $on) { key quantity value }
  stockByWarehouse: stockAsOf(on: $on, groupBy: WAREHOUSE) { key value }
  inventoryTurnover { total { costOfSales openingValue closingValue turnover } }
  stockAging { productId quantity buckets }
  slowMovers { productId quantity value dead }
  overstockAndShortage { productId warehouseId kind }
  purchaseSpend { amount tax }
  purchaseSpendByProduct: purchaseSpend(groupBy: PRODUCT) { key amount quantity }
  purchasePriceTrend(productId: $p) { quantity value averageUnitPrice suppliers }
  abcClassification { productId consumption abcClass }
  dashboard { salesToday marginToday salesMonthToDate marginMonthToDate stockValue lowStockCount
              openPurchaseOrders openSalesOrders }
  demandForecast(productId: $p, weeks: 4) { history }
}"""


def _q(d: dict, field: str = "quantity") -> dict:
    return {**d, field: money(d[field])}


async def test_a_user_limited_to_a_warehouse_sees_only_its_figures(gql):
    shop = await two_warehouses(gql.db)
    token = await _restricted_token(gql.db, shop)
    variables = {"on": TODAY.isoformat(), "p": gid("Product", shop.widget)}
    mine = await gql.execute(REPORTS, variables, token=token)
    everything = await gql.execute(REPORTS, variables)  # the admin is not limited
    p = {
        shop.widget: gid("Product", shop.widget),
        shop.dusty1: gid("Product", shop.dusty1),
        shop.dusty2: gid("Product", shop.dusty2),
    }

    # sales: WH1 sold 30 for 600.00 at a cost of 300.00; WH2 10 for 250.00 at 100.00
    assert _q(mine["salesReport"]["total"]) == {
        "quantity": "30.00",
        "revenue": "600.00",
        "cost": "300.00",
        "margin": "300.00",
    }
    assert _q(everything["salesReport"]["total"]) == {
        "quantity": "40.00",
        "revenue": "850.00",
        "cost": "400.00",
        "margin": "450.00",
    }
    assert mine["byWarehouse"]["rows"] == [{"key": str(shop.wh1), "revenue": "600.00", "cost": "300.00"}]
    assert {r["key"]: r["revenue"] for r in everything["byWarehouse"]["rows"]} == {
        str(shop.wh1): "600.00",
        str(shop.wh2): "250.00",
    }
    # stock: widget 70 in WH1 + 40 in WH2 at 10.00; dusty1 10.00 in WH1, dusty2 21.00 in WH2
    assert {r["key"]: (money(r["quantity"]), r["value"]) for r in mine["stockAsOf"]} == {
        str(shop.widget): ("70.00", "700.00"),
        str(shop.dusty1): ("5.00", "10.00"),
    }
    assert {r["key"]: (money(r["quantity"]), r["value"]) for r in everything["stockAsOf"]} == {
        str(shop.widget): ("110.00", "1100.00"),
        str(shop.dusty1): ("5.00", "10.00"),
        str(shop.dusty2): ("7.00", "21.00"),
    }
    assert mine["stockByWarehouse"] == [{"key": str(shop.wh1), "value": "710.00"}]
    assert {r["key"]: r["value"] for r in everything["stockByWarehouse"]} == {
        str(shop.wh1): "710.00",
        str(shop.wh2): "421.00",
    }
    # turnover: 300 ÷ ((0 + 710) ÷ 2) = 0.85 for WH1; 400 ÷ ((0 + 1131) ÷ 2) = 0.71 for all
    assert mine["inventoryTurnover"]["total"] == {
        "costOfSales": "300.00",
        "openingValue": "0.00",
        "closingValue": "710.00",
        "turnover": "0.85",
    }
    assert everything["inventoryTurnover"]["total"] == {
        "costOfSales": "400.00",
        "openingValue": "0.00",
        "closingValue": "1131.00",
        "turnover": "0.71",
    }
    assert {r["productId"]: money(r["quantity"]) for r in mine["stockAging"]} == {
        p[shop.widget]: "70.00",
        p[shop.dusty1]: "5.00",
    }
    assert {r["productId"]: money(r["buckets"][0]) for r in everything["stockAging"]} == {
        p[shop.widget]: "110.00",
        p[shop.dusty1]: "5.00",
        p[shop.dusty2]: "7.00",
    }
    assert [(r["productId"], r["value"], r["dead"]) for r in mine["slowMovers"]] == [(p[shop.dusty1], "10.00", True)]
    assert {(r["productId"], r["value"]) for r in everything["slowMovers"]} == {
        (p[shop.dusty1], "10.00"),
        (p[shop.dusty2], "21.00"),
    }
    wh1, wh2 = gid("Warehouse", shop.wh1), gid("Warehouse", shop.wh2)
    assert [(r["productId"], r["warehouseId"], r["kind"]) for r in mine["overstockAndShortage"]] == [
        (p[shop.widget], wh1, "shortage")
    ]
    assert {(r["productId"], r["warehouseId"], r["kind"]) for r in everything["overstockAndShortage"]} == {
        (p[shop.widget], wh1, "shortage"),
        (p[shop.widget], wh2, "overstock"),
        (p[shop.dusty2], wh2, "shortage"),
    }
    # purchases: bill 1,000.00 + 130.00 for WH1's receipt, 500.00 + 65.00 for WH2's
    assert mine["purchaseSpend"] == [{"amount": "1000.00", "tax": "130.00"}]
    assert everything["purchaseSpend"] == [{"amount": "1500.00", "tax": "195.00"}]
    assert [_q(r) for r in mine["purchaseSpendByProduct"]] == [
        {"key": str(shop.widget), "amount": "1000.00", "quantity": "100.00"}
    ]
    assert [_q(r) for r in everything["purchaseSpendByProduct"]] == [
        {"key": str(shop.widget), "amount": "1500.00", "quantity": "150.00"}
    ]
    assert [_q(r) for r in mine["purchasePriceTrend"]] == [
        {"quantity": "100.00", "value": "1000.00", "averageUnitPrice": "10", "suppliers": 1}
    ]
    assert [_q(r)["value"] for r in everything["purchasePriceTrend"]] == ["1500.00"]
    # ABC: consumption is what left the warehouses: WH1 300.00, all 400.00
    assert {r["productId"]: r["consumption"] for r in mine["abcClassification"]} == {
        p[shop.widget]: "300.00",
        p[shop.dusty1]: "0.00",
    }
    assert {r["productId"]: r["consumption"] for r in everything["abcClassification"]} == {
        p[shop.widget]: "400.00",
        p[shop.dusty1]: "0.00",
        p[shop.dusty2]: "0.00",
    }
    assert mine["dashboard"] == {
        "salesToday": "600.00",
        "marginToday": "300.00",
        "salesMonthToDate": "600.00",
        "marginMonthToDate": "300.00",
        "stockValue": "710.00",
        "lowStockCount": 1,
        "openPurchaseOrders": 0,
        "openSalesOrders": 0,
    }
    assert everything["dashboard"] == {
        "salesToday": "850.00",
        "marginToday": "450.00",
        "salesMonthToDate": "850.00",
        "marginMonthToDate": "450.00",
        "stockValue": "1131.00",
        "lowStockCount": 2,
        "openPurchaseOrders": 1,
        "openSalesOrders": 0,
    }
    assert money(mine["demandForecast"]["history"][-1]) == "30.00"
    assert money(everything["demandForecast"]["history"][-1]) == "40.00"

    # receivables belong to no warehouse: null and PERMISSION_DENIED for the limited user, a figure for the admin
    body = await gql.post("{ dashboard { salesToday overdueReceivables } }", token=token, lang="en")
    assert body["data"]["dashboard"] == {"salesToday": "600.00", "overdueReceivables": None}
    assert denied_paths(body) == {"dashboard.overdueReceivables"}
    assert (await gql.execute("{ dashboard { overdueReceivables } }"))["dashboard"]["overdueReceivables"] == "0.00"


async def test_asking_for_another_warehouse_by_id_is_refused(gql):
    shop = await two_warehouses(gql.db)
    token = await _restricted_token(gql.db, shop)
    wh1, wh2, widget = gid("Warehouse", shop.wh1), gid("Warehouse", shop.wh2), gid("Product", shop.widget)
    queries = {
        "stockAsOf": "query($w: ID!, $on: Date!) { stockAsOf(on: $on, warehouseId: $w) { key value } }",
        "abcClassification": "query($w: ID!) { abcClassification(warehouseId: $w) { productId consumption } }",
        "demandForecast": "query($w: ID!, $p: ID!) { demandForecast(productId: $p, warehouseId: $w, weeks: 4) "
        "{ history } }",
    }
    for field, query in queries.items():
        variables = {"w": wh2, "on": TODAY.isoformat(), "p": widget}
        body = await gql.post(query, variables, token=token, lang="en")
        assert body["data"] is None and denied_paths(body) == {field}, body
        assert "warehouse" in body["errors"][0]["message"]
        assert not (await gql.post(query, variables)).get("errors")  # the admin may ask
        own = await gql.post(query, {**variables, "w": wh1}, token=token)  # its own warehouse is fine
        assert not own.get("errors"), own
    own = await gql.execute(queries["stockAsOf"], {"w": wh1, "on": TODAY.isoformat()}, token=token)
    assert {r["key"]: r["value"] for r in own["stockAsOf"]} == {str(shop.widget): "700.00", str(shop.dusty1): "10.00"}
    other = await gql.execute(queries["demandForecast"], {"w": wh2, "p": widget})
    assert money(other["demandForecast"]["history"][-1]) == "10.00"


async def test_downloads_of_a_user_limited_to_a_warehouse_hold_only_its_figures(gql):
    shop = await two_warehouses(gql.db)
    token = await _restricted_token(gql.db, shop)
    for fmt in ("csv", "xlsx"):

        def cell(tbl, row, col):
            return money(tbl[row][col])

        head, rows = await download(gql, "sales", fmt, token, "?group_by=customer")
        t = table(head, rows)
        assert set(t) == {"C1 甲客户", "合计 Total"}
        assert (cell(t, "合计 Total", "收入 Revenue"), cell(t, "合计 Total", "成本 Cost")) == ("600.00", "300.00")
        head, rows = await download(gql, "sales", fmt, gql.token, "?group_by=customer")
        t = table(head, rows)
        assert set(t) == {"C1 甲客户", "C2 乙客户", "合计 Total"} and cell(t, "合计 Total", "收入 Revenue") == "850.00"

        head, rows = await download(gql, "stock", fmt, token, "?group_by=warehouse")
        assert [(r[0], money(r[2])) for r in rows] == [("WH1 上海仓", "710.00")]
        head, rows = await download(gql, "stock", fmt, gql.token, "?group_by=warehouse")
        assert sorted((r[0], money(r[2])) for r in rows) == [("WH1 上海仓", "710.00"), ("WH2 北京仓", "421.00")]

        head, rows = await download(gql, "turnover", fmt, token)
        t = table(head, rows)
        assert (cell(t, "合计 Total", "销售成本 Cost of sales"), cell(t, "合计 Total", "期末 Closing")) == (
            "300.00",
            "710.00",
        )
        head, rows = await download(gql, "turnover", fmt, gql.token)
        assert cell(table(head, rows), "合计 Total", "期末 Closing") == "1131.00"

        for name, mine, everyone in (
            ("aging", 2, 3),
            ("slow_movers", 1, 2),
            ("overstock_shortage", 1, 3),
            ("abc", 2, 3),
        ):
            assert len((await download(gql, name, fmt, token))[1]) == mine, (name, fmt)
            assert len((await download(gql, name, fmt, gql.token))[1]) == everyone, (name, fmt)
        head, rows = await download(gql, "slow_movers", fmt, token)
        assert money(rows[0][head.index("金额 Value")]) == "10.00"
        head, rows = await download(gql, "overstock_shortage", fmt, token)
        assert [(r[1], r[5]) for r in rows] == [(str(shop.wh1), "shortage")]
        head, rows = await download(gql, "abc", fmt, token)
        assert {r[0]: money(r[1]) for r in rows} == {str(shop.widget): "300.00", str(shop.dusty1): "0.00"}

        head, rows = await download(gql, "purchase_spend", fmt, token)
        assert [(money(r[1]), money(r[2])) for r in rows] == [("1000.00", "130.00")]
        head, rows = await download(gql, "purchase_spend", fmt, gql.token)
        assert [(money(r[1]), money(r[2])) for r in rows] == [("1500.00", "195.00")]


# ---- the domain functions -----------------------------------------------------------------------------


async def test_aging_of_a_part_of_the_warehouses_starts_when_goods_arrive_there(db):
    pw = await make_purchasing_world(db)
    w = pw.w
    now = clock.utcnow()
    clock.set_clock(now - timedelta(days=100))
    await do_receive_stock(db, [StockLine(product_id=pw.widget, quantity="10", location_id=w.b1, unit_cost="10")])
    clock.set_clock(now)
    await do_transfer_stock(db, [StockLine(product_id=pw.widget, quantity="4", location_id=w.b1, to_location_id=w.a1)])
    async with db.read() as conn:
        everything = await inventory.stock_aging(conn, TODAY)
        wh1 = await inventory.stock_aging(conn, TODAY, warehouses=frozenset({w.wh1}))
        wh2 = await inventory.stock_aging(conn, TODAY, warehouses=frozenset({w.wh2}))
        none = await inventory.stock_aging(conn, TODAY, warehouses=frozenset())
    # for the company all 10 were received 100 days ago; WH1 got its 4 today, WH2 keeps 6 from then
    assert [r.buckets for r in everything] == [[0, 0, 0, 10 * Q, 0]]
    assert [r.buckets for r in wh1] == [[4 * Q, 0, 0, 0, 0]]
    assert [r.buckets for r in wh2] == [[0, 0, 0, 6 * Q, 0]]
    assert none == []
