"""Sales through the API: order → approval/reservation → pick list → shipment → invoice → receipt,
with the roles that do it, payload errors and cost fields hidden from sales staff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.relay import to_global_id
from server.core import clock
from tests.gql import admin_token
from tests.sales_helpers import make_sales_world

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`
TODAY = clock.today()

CREATE = """mutation($input: SalesOrderInput!) { createSalesOrder(input: $input) {
  order { id number status amount tax total lines { id baseQuantity unitPrice amount tax total } }
  errors { field code message } } }"""
SUBMIT = """mutation($id: ID!) { submitSalesOrder(id: $id) {
  order { status approvalsRequired { reason } creditCheck { exposure limit overLimit }
          lines { reservedQuantity } } errors { code message } } }"""


async def test_order_to_cash_through_the_api(gql):
    sw = await make_sales_world(gql.db)
    t = {
        role: await admin_token(gql.db, role)
        for role in ("sales", "sales_manager", "warehouse_keeper", "accountant", "cashier")
    }
    await gql.execute("""mutation { changeSalesSettings(input: {sellerName: "示例商贸有限公司",
        sellerTaxId: "91310000MA1FL0009X"}) { errors { code } } }""")
    inclusive = {
        "customerId": to_global_id("Customer", sw.customer),
        "warehouseId": to_global_id("Warehouse", sw.w.wh1),
        "pricesIncludeVat": True,
        "lines": [
            {"productId": to_global_id("Product", sw.widget), "quantity": "3", "unitPrice": "33.33"},
            {"productId": to_global_id("Product", sw.widget), "quantity": "7", "unitPrice": "9.99"},
        ],
    }
    order = (await gql.execute(CREATE, {"input": inclusive}, token=t["sales"]))["createSalesOrder"]["order"]
    # 99.99 → 88.49 + 11.50; 69.93 → 61.88 + 8.05 (domain reference §4.3, VAT-inclusive)
    assert (order["amount"], order["tax"], order["total"]) == ("150.37", "19.55", "169.92")
    sub = (await gql.execute(SUBMIT, {"id": order["id"]}, token=t["sales"]))["submitSalesOrder"]["order"]
    assert sub["status"] == "APPROVED" and sub["approvalsRequired"] == []  # no rule applies: approved at once
    assert sub["creditCheck"] == {"exposure": "169.92", "limit": "10000.00", "overLimit": False}
    assert [ln["reservedQuantity"] for ln in sub["lines"]] == ["3", "7"]

    picks = await gql.execute(
        """query($o: [ID!]!) { pickList(orderIds: $o) { quantity location { code } } }""",
        {"o": [order["id"]]},
        token=t["warehouse_keeper"],
    )
    assert picks["pickList"] == [
        {"quantity": "3", "location": {"code": "WH1-A-01"}},
        {"quantity": "7", "location": {"code": "WH1-A-01"}},
    ]
    # reserved stock cannot be taken by a plain issue: 100 on hand, 10 reserved
    issue = await gql.execute(
        """mutation($l: [IssueLineInput!]!) { issueStock(lines: $l, idempotencyKey: "x1") {
        errors { code } } }""",
        {
            "l": [
                {
                    "productId": to_global_id("Product", sw.widget),
                    "locationId": to_global_id("Location", sw.w.a1),
                    "quantity": "91",
                }
            ]
        },
    )
    assert issue["issueStock"]["errors"] == [{"code": "INSUFFICIENT_STOCK"}]

    line1, line2 = order["lines"]
    over = await gql.execute(
        """mutation($input: ShipmentInput!) { shipGoods(input: $input) { errors { field code } } }""",
        {
            "input": {
                "orderId": order["id"],
                "lines": [
                    {"orderLineId": line1["id"], "quantity": "4", "locationId": to_global_id("Location", sw.w.a1)}
                ],
            }
        },
        token=t["warehouse_keeper"],
    )
    assert over["shipGoods"]["errors"] == [{"field": "lines.0.quantity", "code": "OVER_SHIPMENT"}]
    shipped = await gql.execute(
        """mutation($input: ShipmentInput!) { shipGoods(input: $input) {
        shipment { id number order { status } lines { id quantity } } errors { code } } }""",
        {
            "input": {
                "orderId": order["id"],
                "lines": [
                    {"orderLineId": line1["id"], "quantity": "3", "locationId": to_global_id("Location", sw.w.a1)},
                    {"orderLineId": line2["id"], "quantity": "7", "locationId": to_global_id("Location", sw.w.a1)},
                ],
            }
        },
        token=t["warehouse_keeper"],
    )
    ship = shipped["shipGoods"]["shipment"]
    assert ship["number"].startswith("SH") and ship["order"]["status"] == "SHIPPED"
    cost = await gql.post("query { shipments { edges { node { cost lines { cost } } } } }", token=t["sales"])
    assert cost["data"]["shipments"]["edges"][0]["node"]["cost"] is None  # the salesperson has no cost.view
    cost = await gql.execute("query { shipments { edges { node { cost } } } }", token=t["sales_manager"])
    assert cost["shipments"]["edges"][0]["node"]["cost"] == "100.00"  # 10 × 10.00 at moving average

    inv = await gql.execute(
        """mutation($input: InvoiceInput!) { createSalesInvoice(input: $input) {
        invoice { id number invoiceType buyerName sellerName sellerTaxId amount tax total totalInWords dueDate
                  lines { itemName quantity amount tax } } errors { code } } }""",
        {
            "input": {
                "customerId": to_global_id("Customer", sw.customer),
                "shipmentIds": [ship["id"]],
                "invoiceDate": TODAY.isoformat(),
            }
        },
        token=t["accountant"],
    )
    invoice = inv["createSalesInvoice"]["invoice"]
    assert (invoice["amount"], invoice["tax"], invoice["total"]) == ("150.37", "19.55", "169.92")
    assert invoice["totalInWords"] == "壹佰陆拾玖元玖角贰分"
    assert (invoice["invoiceType"], invoice["sellerName"], invoice["dueDate"]) == (
        "special",
        "示例商贸有限公司",
        (TODAY + timedelta(days=30)).isoformat(),
    )
    again = await gql.execute(
        """mutation($input: InvoiceInput!) { createSalesInvoice(input: $input) {
        errors { code } } }""",
        {"input": {"customerId": to_global_id("Customer", sw.customer), "shipmentIds": [ship["id"]]}},
        token=t["accountant"],
    )
    assert again["createSalesInvoice"]["errors"] == [{"code": "OVER_INVOICE"}]
    status = await gql.execute(
        "query($id: ID!) { node(id: $id) { ... on SalesOrder { status } } }", {"id": order["id"]}, token=t["sales"]
    )
    assert status["node"]["status"] == "INVOICED"

    paid = await gql.execute(
        """mutation($input: CustomerReceiptInput!) { recordCustomerReceipt(input: $input) {
        receipt { number unallocated } errors { code } } }""",
        {
            "input": {
                "customerId": to_global_id("Customer", sw.customer),
                "amount": "200.00",
                "allocations": [{"invoiceId": invoice["id"], "amount": "169.92"}],
            }
        },
        token=t["cashier"],
    )
    assert paid["recordCustomerReceipt"]["receipt"]["unallocated"] == "30.08"
    ar = await gql.execute(
        """query { customerReceivables { edges { node { balance advances openInvoices } } } }""", token=t["accountant"]
    )
    assert ar["customerReceivables"]["edges"][0]["node"] == {
        "balance": "-30.08",
        "advances": "30.08",
        "openInvoices": "0.00",
    }
    overview = await gql.execute(
        """query($c: ID!) { customerOverview(customerId: $c) { openOrders exposure
        topProducts { quantity amount } } }""",
        {"c": to_global_id("Customer", sw.customer)},
        token=t["sales"],
    )
    assert overview["customerOverview"]["topProducts"] == [{"quantity": "10", "amount": "150.37"}]


async def test_credit_limit_needs_a_credit_approval_through_the_api(gql):
    sw = await make_sales_world(gql.db)
    sales, manager = await admin_token(gql.db, "sales"), await admin_token(gql.db, "sales_manager")
    big = {
        "customerId": to_global_id("Customer", sw.customer),
        "warehouseId": to_global_id("Warehouse", sw.w.wh1),
        "lines": [{"productId": to_global_id("Product", sw.widget), "quantity": "90", "unitPrice": "120"}],
    }
    order = (await gql.execute(CREATE, {"input": big}, token=sales))["createSalesOrder"]["order"]
    sub = (await gql.execute(SUBMIT, {"id": order["id"]}, token=sales))["submitSalesOrder"]["order"]
    # 90 × 120 × 1.13 = 12,204.00 > the 10,000.00 limit
    assert sub["status"] == "SUBMITTED" and sub["approvalsRequired"] == [{"reason": "credit"}]
    assert sub["creditCheck"]["overLimit"] is True and sub["lines"][0]["reservedQuantity"] == "0"
    own = await gql.execute(
        """mutation($id: ID!) { approveSalesOrder(id: $id) { errors { code } } }""", {"id": order["id"]}, token=sales
    )
    assert own["approveSalesOrder"]["errors"] == [{"code": "PERMISSION_DENIED"}]
    ok = await gql.execute(
        """mutation($id: ID!) { approveSalesOrder(id: $id, comment: "老客户，同意") {
        order { status lines { reservedQuantity } history { action reason comment } } errors { code } } }""",
        {"id": order["id"]},
        token=manager,
    )
    o = ok["approveSalesOrder"]["order"]
    assert o["status"] == "APPROVED" and o["lines"][0]["reservedQuantity"] == "90"
    assert o["history"][-1] == {"action": "approved", "reason": "credit", "comment": "老客户，同意"}


async def test_jxc_check_finds_reservations_that_do_not_add_up(db):
    from sqlalchemy import update

    from server.inventory.models import stock_reservation
    from server.sales import orders
    from server.sales.check import verify_ledger
    from tests.sales_helpers import SALES

    sw = await make_sales_world(db)
    order_id = await orders.do_create_sales_order(
        db,
        orders.SalesOrderInput(
            customer_id=sw.customer, warehouse_id=sw.w.wh1, lines=[orders.SalesLineInput(sw.widget, "5")]
        ),
        SALES,
    )
    assert await orders.do_submit_sales_order(db, order_id, SALES) == "approved"
    async with db.read() as conn:
        assert await verify_ledger(conn) == []
    async with db.write() as conn:  # tamper: more reserved than the order holds and than is on hand
        await conn.execute(update(stock_reservation).values(reserved_qty=500 * 10**6))
    async with db.read() as conn:
        problems = await verify_ledger(conn)
    assert any("Σ order lines 5000000" in p for p in problems)
    assert any("reserved > 100000000 on hand" in p for p in problems)
