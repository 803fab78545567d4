"""Purchasing through the API: the whole flow with the roles that do it in real life, payload
errors, cost fields hidden from warehouse staff, warehouse restrictions and numbering."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.relay import to_global_id
from server.auth.services import do_create_api_token
from server.core import clock
from tests.factories import make_product, make_world
from tests.gql import admin_token

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`
TODAY = clock.today()

SUPPLIER = """mutation($input: PartnerInput!) { createSupplier(input: $input) {
  supplier { id code paymentTermsDays currency bankAccount } errors { field code } } }"""

CREATE_PO = """mutation($input: PurchaseOrderInput!, $key: String) {
  createPurchaseOrder(input: $input, idempotencyKey: $key) {
    order { id number status amount tax total lines { id quantity baseQuantity unitPrice amount tax } }
    errors { field code message } } }"""

TRANSITION = """mutation($id: ID!, $comment: String!) { %s(id: $id, comment: $comment) {
  order { status approvalsRequired approvalsDone history { action actor role comment } }
  errors { code message } } }"""

SUBMIT = """mutation($id: ID!) { submitPurchaseOrder(id: $id) { order { status approvalsRequired }
  errors { code } } }"""

RECEIVE = """mutation($input: GoodsReceiptInput!, $key: String) { receiveGoods(input: $input, idempotencyKey: $key) {
  receipt { id number inspectionNumber order { status } lines { id acceptedQuantity rejectedQuantity
    rejectReason location { code } } }
  errors { field code message } } }"""


async def _setup(gql):
    w = await make_world(gql.db)
    widget = await make_product(gql.db, w, purchase_price="12.50")
    data = await gql.execute(
        SUPPLIER,
        {"input": {"code": "S100", "name": "华南电子", "paymentTermsDays": 30, "bankAccount": "6222020200001234567"}},
    )
    supplier = data["createSupplier"]["supplier"]
    assert supplier["paymentTermsDays"] == 30 and supplier["currency"] == "CNY"
    tokens = {
        role: await admin_token(gql.db, role)
        for role in ("purchaser", "purchase_manager", "warehouse_keeper", "accountant", "cashier")
    }
    return w, widget, supplier["id"], tokens


async def test_purchase_to_payment_through_the_api(gql):
    w, widget, supplier_id, t = await _setup(gql)
    po_input = {
        "supplierId": supplier_id,
        "warehouseId": to_global_id("Warehouse", w.wh1),
        "lines": [
            {"productId": to_global_id("Product", widget), "quantity": "3", "unitPrice": "33.33"},
            {"productId": to_global_id("Product", widget), "quantity": "1", "unitId": to_global_id("Unit", w.box)},
        ],
    }
    body = await gql.execute(CREATE_PO, {"input": po_input, "key": "po-1"}, token=t["purchaser"])
    order = body["createPurchaseOrder"]["order"]
    assert order["number"].endswith("-000001") and order["status"] == "DRAFT"
    # 3 × 33.33 = 99.99, VAT 13.00; one box of 12 at 12.50 = 150.00, VAT 19.50
    assert (order["amount"], order["tax"], order["total"]) == ("249.99", "32.50", "282.49")
    assert [ln["baseQuantity"] for ln in order["lines"]] == ["3", "12"]
    again = await gql.execute(CREATE_PO, {"input": po_input, "key": "po-1"}, token=t["purchaser"])
    assert again["createPurchaseOrder"]["order"]["id"] == order["id"]  # a retry creates nothing new

    sub = await gql.execute(SUBMIT, {"id": order["id"]}, token=t["purchaser"])
    assert sub["submitPurchaseOrder"]["order"] == {"status": "SUBMITTED", "approvalsRequired": [""]}
    denied = await gql.post(
        TRANSITION % "approvePurchaseOrder", {"id": order["id"], "comment": ""}, token=t["purchaser"]
    )
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    ok = await gql.execute(
        TRANSITION % "approvePurchaseOrder", {"id": order["id"], "comment": "同意"}, token=t["purchase_manager"]
    )
    approved = ok["approvePurchaseOrder"]["order"]
    assert approved["status"] == "APPROVED"
    assert [h["action"] for h in approved["history"]] == ["submitted", "approved"]
    assert approved["history"][1]["comment"] == "同意"

    # the warehouse keeper sees the order lines but not their prices
    seen = await gql.post(
        """query { purchaseOrders { edges { node { number lines { quantity unitPrice } } } } }""",
        token=t["warehouse_keeper"],
    )
    assert seen["data"]["purchaseOrders"]["edges"][0]["node"]["lines"][0]["unitPrice"] is None
    assert {e["extensions"]["code"] for e in seen["errors"]} == {"PERMISSION_DENIED"}

    line1, line2 = order["lines"]
    over = await gql.execute(
        RECEIVE,
        {
            "input": {
                "orderId": order["id"],
                "lines": [
                    {"orderLineId": line1["id"], "receivedQuantity": "4", "locationId": to_global_id("Location", w.a1)}
                ],
            }
        },
        token=t["warehouse_keeper"],
        lang="en",
    )
    err = over["receiveGoods"]["errors"][0]
    assert (err["code"], err["field"]) == ("OVER_RECEIPT", "lines.0.receivedQuantity")
    assert "Over-receipt" in err["message"]
    rec = await gql.execute(
        RECEIVE,
        {
            "input": {
                "orderId": order["id"],
                "landedCost": "10.00",
                "lines": [
                    {
                        "orderLineId": line1["id"],
                        "receivedQuantity": "3",
                        "rejectedQuantity": "1",
                        "rejectReason": "外箱破损",
                        "locationId": to_global_id("Location", w.a1),
                    },
                    {"orderLineId": line2["id"], "receivedQuantity": "1", "locationId": to_global_id("Location", w.a2)},
                ],
            },
            "key": "rc-1",
        },
        token=t["warehouse_keeper"],
    )
    receipt = rec["receiveGoods"]["receipt"]
    assert receipt["number"].startswith("RC") and receipt["inspectionNumber"].startswith("QC")
    assert receipt["order"]["status"] == "PARTIALLY_RECEIVED"
    assert [(ln["acceptedQuantity"], ln["rejectedQuantity"]) for ln in receipt["lines"]] == [("2", "1"), ("12", "0")]

    # stock: 14 pieces at 2 × 33.33 + 150.00 + 10.00 landed = 226.66
    stock = await gql.execute(
        "query($p: ID!) { productStock(productId: $p) { quantity value } }", {"p": to_global_id("Product", widget)}
    )
    assert stock["productStock"] == {"quantity": "14", "value": "226.66"}

    bill = await gql.execute(
        """mutation($input: SupplierBillInput!) { createSupplierBill(input: $input) {
      bill { id number status total openAmount dueDate lines { flags } } errors { code } } }""",
        {
            "input": {
                "supplierId": supplier_id,
                "supplierInvoiceNo": "25440000000012345678",
                "billDate": TODAY.isoformat(),
                "lines": [{"receiptLineId": receipt["lines"][0]["id"], "quantity": "2"}],
            }
        },
        token=t["accountant"],
    )
    b = bill["createSupplierBill"]["bill"]
    assert (b["status"], b["total"], b["dueDate"]) == (
        "OPEN",
        "75.33",
        (TODAY + timedelta(days=30)).isoformat(),
    )  # 66.66 + 8.67
    pay = await gql.execute(
        """mutation($input: SupplierPaymentInput!) { recordSupplierPayment(input: $input) {
      payment { number amount unallocated allocations { amount bill { status } } } errors { code } } }""",
        {
            "input": {
                "supplierId": supplier_id,
                "amount": "100.00",
                "allocations": [{"billId": b["id"], "amount": "75.33"}],
            }
        },
        token=t["cashier"],
    )
    p = pay["recordSupplierPayment"]["payment"]
    assert (p["unallocated"], p["allocations"][0]["bill"]["status"]) == ("24.67", "PAID")
    payables = await gql.execute(
        "query { supplierPayables { edges { node { balance prepayments openBills } } } }", token=t["accountant"]
    )
    assert payables["supplierPayables"]["edges"][0]["node"] == {
        "balance": "-24.67",
        "prepayments": "24.67",
        "openBills": "0.00",
    }


async def test_separation_of_duties_and_thresholds_through_the_api(gql):
    w, widget, supplier_id, t = await _setup(gql)
    both = (await do_create_api_token(gql.db, name="both", role_code="purchase_manager"))[1]
    po_input = {
        "supplierId": supplier_id,
        "warehouseId": to_global_id("Warehouse", w.wh1),
        "lines": [{"productId": to_global_id("Product", widget), "quantity": "5000", "unitPrice": "12"}],
    }
    order = (await gql.execute(CREATE_PO, {"input": po_input}, token=both))["createPurchaseOrder"]["order"]
    sub = await gql.execute(SUBMIT, {"id": order["id"]}, token=both)
    # 60,000 + 13 % VAT = 67,800 > 50,000: a purchase manager must approve
    assert sub["submitPurchaseOrder"]["order"]["approvalsRequired"] == ["purchase_manager"]
    own = await gql.execute(
        TRANSITION % "approvePurchaseOrder", {"id": order["id"], "comment": ""}, token=both, lang="en"
    )
    assert own["approvePurchaseOrder"]["errors"][0]["code"] == "SELF_APPROVAL"
    reject = await gql.execute(
        TRANSITION % "rejectPurchaseOrder", {"id": order["id"], "comment": ""}, token=t["purchase_manager"]
    )
    assert reject["rejectPurchaseOrder"]["errors"][0]["code"] == "REQUIRED"
    reject = await gql.execute(
        TRANSITION % "rejectPurchaseOrder", {"id": order["id"], "comment": "价格太高"}, token=t["purchase_manager"]
    )
    assert reject["rejectPurchaseOrder"]["order"]["status"] == "REJECTED"


async def test_restricted_keeper_cannot_receive_into_another_warehouse(gql):
    w, widget, supplier_id, _t = await _setup(gql)
    po_input = {
        "supplierId": supplier_id,
        "warehouseId": to_global_id("Warehouse", w.wh2),
        "lines": [{"productId": to_global_id("Product", widget), "quantity": "2"}],
    }
    order = (await gql.execute(CREATE_PO, {"input": po_input}))["createPurchaseOrder"]["order"]
    from server.auth.services import do_create_user

    await do_create_user(
        gql.db, username="keeper1", password="secret-password-1", roles=["warehouse_keeper"], warehouse_ids=[w.wh1]
    )
    login = await gql.execute(
        """mutation { login(username: "keeper1", password: "secret-password-1") { token } }""", token=None
    )
    keeper = login["login"]["token"]
    listed = await gql.execute("query { purchaseOrders { edges { node { number } } } }", token=keeper)
    assert listed["purchaseOrders"]["edges"] == []  # an order for another warehouse is not shown
    seen = await gql.post("query($id: ID!) { node(id: $id) { id } }", {"id": order["id"]}, token=keeper)
    assert seen["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_bad_ids_and_amounts_are_payload_errors(gql):
    w, widget, supplier_id, _t = await _setup(gql)
    body = await gql.execute(
        CREATE_PO,
        {
            "input": {
                "supplierId": to_global_id("Product", 1),
                "warehouseId": to_global_id("Warehouse", w.wh1),
                "lines": [{"productId": to_global_id("Product", widget), "quantity": "1.5"}],
            }
        },
    )
    errors = body["createPurchaseOrder"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("supplierId", "NOT_FOUND")]
    body = await gql.execute(
        CREATE_PO,
        {
            "input": {
                "supplierId": supplier_id,
                "warehouseId": to_global_id("Warehouse", w.wh1),
                "lines": [{"productId": to_global_id("Product", widget), "quantity": "1.5"}],
            }
        },
    )
    assert [(e["field"], e["code"]) for e in body["createPurchaseOrder"]["errors"]] == [
        ("lines.0.quantity", "TOO_MANY_DECIMALS")
    ]
    orders = await gql.execute("query { purchaseOrders { edges { node { id } } } }")
    assert orders["purchaseOrders"]["edges"] == []
