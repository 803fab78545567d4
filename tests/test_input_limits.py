"""Every stored length limit is checked at the input.

For a representative set of mutations, every string argument that ends up in a ``String(n)`` column is
sent one character over that column's limit (read from the column, as the services do): the answer
must be the domain's typed ``INVALID_VALUE`` for that field, and no table may gain or lose a row. On
SQLite a missing check would store the long value (SQLite does not enforce ``varchar``), on PostgreSQL
it would be an ``INTERNAL_ERROR`` — run this on both (``JXC_TEST_DB=postgres``).

``test_every_mutation_string_argument_is_accounted_for`` walks the GraphQL schema: each string
argument of every mutation is either one of the cases here or listed in ``NOT_STORED`` with the reason
its length cannot reach a column (a lookup, an enumeration, a secret that is hashed …). A new string
argument fails it until it gets a case or a reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from sqlalchemy import Column, func, inspect, select

from schema.relay import to_global_id
from schema.schema import schema
from server.catalog.models import barcode, category, product, unit
from server.core import clock
from server.core.text_limits import max_length
from server.feedback.models import feedback
from server.feedback.services import MESSAGE_MAX
from server.finance.models import (
    account,
    department,
    expense_bill,
    expense_category,
    voucher,
    voucher_line,
)
from server.integrations.models import sales_order_intake, webhook_endpoint
from server.inventory.counts import (
    CountEntry,
    CountInput,
    do_open_count,
    do_record_counts,
)
from server.inventory.models import (
    location,
    lot,
    stock_count,
    stock_count_line,
    stock_operation,
    transfer_order,
    transfer_order_line,
    warehouse,
)
from server.inventory.services import StockLine, do_receive_stock
from server.inventory.transfers import (
    DispatchInput,
    DispatchLineInput,
    do_dispatch_transfer,
)
from server.models import metadata
from server.partners.models import customer, partner_address, supplier
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    purchase_return,
    supplier_bill,
    supplier_payment,
)
from server.purchasing.orders import (
    OrderInput,
    OrderLineInput,
    do_approve_purchase_order,
    do_create_purchase_order,
    do_submit_purchase_order,
)
from server.sales.models import (
    customer_receipt,
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_line,
    sales_return,
    shipment_line,
)
from server.sales.orders import (
    SalesLineInput,
    SalesOrderInput,
    do_create_sales_order,
    do_submit_sales_order,
)
from server.sales.shipping import ShipmentInput, ShipmentLineInput, do_ship_goods
from tests.finance_helpers import sell, setup_books
from tests.purchasing_helpers import KEEPER, MANAGER, PURCHASER, make_purchasing_world
from tests.sales_helpers import KEEPER as SALES_KEEPER
from tests.sales_helpers import SALES

TODAY = clock.today()


# ---- the world the cases run against ------------------------------------------------------------------


async def _build(db) -> dict:
    """Ids (global where the API wants them) of everything the cases refer to."""
    await setup_books(db)
    pw = await make_purchasing_world(db)
    w = pw.w
    cust = await do_create_partner(db, "customer", PartnerInput(code="C001", name="上海华联"))
    await do_receive_stock(
        db,
        [
            StockLine(product_id=pw.widget, quantity="100", location_id=w.a1, unit_cost="10.00"),
            StockLine(product_id=pw.lotted, quantity="10", location_id=w.a1, lot_code="L1"),
            StockLine(product_id=pw.widget, quantity="5", location_id=w.b1, unit_cost="10.00"),
        ],
    )
    # purchasing: a draft order, a submitted one, an approved one with a plain, a lot and a serial line
    draft = await do_create_purchase_order(
        db, OrderInput(pw.supplier, w.wh1, [OrderLineInput(pw.widget, "1")]), PURCHASER
    )
    submitted = await do_create_purchase_order(
        db, OrderInput(pw.supplier, w.wh1, [OrderLineInput(pw.widget, "1")]), PURCHASER
    )
    await do_submit_purchase_order(db, submitted, PURCHASER)
    approved = await do_create_purchase_order(
        db,
        OrderInput(
            pw.supplier,
            w.wh1,
            [OrderLineInput(pw.widget, "5"), OrderLineInput(pw.lotted, "5"), OrderLineInput(pw.serial, "1")],
        ),
        PURCHASER,
    )
    await do_submit_purchase_order(db, approved, PURCHASER)
    await do_approve_purchase_order(db, approved, MANAGER)
    from tests.finance_helpers import buy

    _po, receipt, receipt_line = await buy(db, pw, pw.widget, "10", "12.00", w.a1, TODAY)
    # sales: shipped and invoiced; shipped only; an approved order of the lot-tracked product; a draft
    _so, shipped, invoice = await sell(db, w, cust, pw.widget, "2", "20.00", w.a1, TODAY)
    so2 = await do_create_sales_order(
        db, SalesOrderInput(cust, w.wh1, [SalesLineInput(pw.widget, "1", None, "20.00")]), SALES
    )
    assert await do_submit_sales_order(db, so2, SALES) == "approved"
    so3 = await do_create_sales_order(
        db, SalesOrderInput(cust, w.wh1, [SalesLineInput(pw.lotted, "1", None, "20.00")]), SALES
    )
    assert await do_submit_sales_order(db, so3, SALES) == "approved"
    so_draft = await do_create_sales_order(db, SalesOrderInput(cust, w.wh1, [SalesLineInput(pw.widget, "1")]), SALES)
    async with db.read() as conn:
        sol = {r.order_id: r.id for r in await conn.execute(select(sales_order_line.c.order_id, sales_order_line.c.id))}
        pol = {
            r.product_id: r.id
            for r in await conn.execute(
                select(purchase_order_line.c.product_id, purchase_order_line.c.id).where(
                    purchase_order_line.c.order_id == approved
                )
            )
        }
        ship_line = (
            await conn.execute(select(shipment_line.c.id).where(shipment_line.c.shipment_id == shipped))
        ).scalar_one()
        inv_line = (
            await conn.execute(select(sales_invoice_line.c.id).where(sales_invoice_line.c.invoice_id == invoice))
        ).scalar_one()
        category_code = (await conn.execute(select(expense_category.c.code).limit(1))).scalar_one()
    unshipped = await do_ship_goods(
        db, ShipmentInput(so2, [ShipmentLineInput(sol[so2], "1", w.a1)], ship_date=TODAY), SALES_KEEPER
    )
    # inventory: a transfer in transit, an open count, a count counted by the keeper (to be approved)
    transfer = await do_dispatch_transfer(db, DispatchInput(w.wh2, [DispatchLineInput(pw.widget, "2", w.a1)]), KEEPER)
    open_count = await do_open_count(db, CountInput(w.wh1, location_ids=[w.a2]), KEEPER)
    counted = await do_open_count(db, CountInput(w.wh2, location_ids=[w.b1]), KEEPER)
    async with db.read() as conn:
        t_line = (
            await conn.execute(select(transfer_order_line.c.id).where(transfer_order_line.c.transfer_id == transfer))
        ).scalar_one()
        lines = (await conn.execute(select(stock_count_line).where(stock_count_line.c.count_id == counted))).all()
    await do_record_counts(
        db, counted, [CountEntry(str(ln.snapshot_qty // 10**6), line_id=ln.id) for ln in lines], KEEPER
    )
    from server.finance.poster import post_pending

    await post_pending(db)  # the vouchers of all that, before the cases compare row counts
    g = to_global_id
    return dict(
        widget=g("Product", pw.widget),
        lotted=g("Product", pw.lotted),
        serial=g("Product", pw.serial),
        pcs=g("Unit", w.pcs),
        a1=g("Location", w.a1),
        a2=g("Location", w.a2),
        b1=g("Location", w.b1),
        wh1=g("Warehouse", w.wh1),
        wh2=g("Warehouse", w.wh2),
        supplier=g("Supplier", pw.supplier),
        customer=g("Customer", cust),
        draft_po=g("PurchaseOrder", draft),
        submitted_po=g("PurchaseOrder", submitted),
        approved_po=g("PurchaseOrder", approved),
        pol_widget=g("PurchaseOrderLine", pol[pw.widget]),
        pol_lotted=g("PurchaseOrderLine", pol[pw.lotted]),
        pol_serial=g("PurchaseOrderLine", pol[pw.serial]),
        receipt=g("GoodsReceipt", receipt),
        receipt_line=g("GoodsReceiptLine", receipt_line.id),
        shipment=g("Shipment", shipped),
        ship_line=g("ShipmentLine", ship_line),
        unshipped=g("Shipment", unshipped),
        invoice=g("SalesInvoice", invoice),
        invoice_line=g("SalesInvoiceLine", inv_line),
        so_lotted=g("SalesOrder", so3),
        sol_lotted=g("SalesOrderLine", sol[so3]),
        so_draft=g("SalesOrder", so_draft),
        transfer=g("Transfer", transfer),
        transfer_line=g("TransferLine", t_line),
        open_count=g("StockCount", open_count),
        counted=g("StockCount", counted),
        expense_category=category_code,
    )


# ---- the cases ----------------------------------------------------------------------------------------


@dataclass
class Case:
    mutation: str
    document: str  # the operation, with $-variables
    variables: object  # ids -> variables
    # (path in the variables, the column (or limit) it is stored in, the error field expected)
    strings: list[tuple[tuple, Column | int, str]] = field(default_factory=list)
    fill: dict = field(default_factory=dict)  # path -> (n -> value of length n), default "x" * n


ERR = "errors { field code message }"
STOCK_LINE = {"productId": None, "locationId": None, "quantity": "1"}


def _stock(mutation: str, line_type: str, line, extra_args: str = "") -> Case:
    doc = (
        f"mutation($lines: [{line_type}!]!, $key: String!, $reference: String!, $reason: String!) "
        f"{{ {mutation}(lines: $lines, idempotencyKey: $key, reference: $reference, reason: $reason) {{ {ERR} }} }}"
    )
    return Case(
        mutation,
        doc,
        lambda ids: {"lines": [line(ids)], "key": f"limits-{mutation}", "reference": "R", "reason": "盘点调整"},
        [
            (("reference",), stock_operation.c.reference, "reference"),
            (("reason",), stock_operation.c.reason, "reason"),
            (("lines", 0, "lot"), lot.c.code, "lines.0.lot"),
        ],
    )


CASES: list[Case] = [
    # inventory primitives (the 33-character reference that stopped the books was one of these)
    _stock(
        "receiveStock",
        "ReceiveLineInput",
        lambda ids: {"productId": ids["lotted"], "locationId": ids["a1"], "quantity": "1", "lot": "L9"},
    ),
    _stock(
        "issueStock",
        "IssueLineInput",
        lambda ids: {"productId": ids["lotted"], "locationId": ids["a1"], "quantity": "1", "lot": "L1"},
    ),
    _stock(
        "transferStock",
        "TransferLineInput",
        lambda ids: {
            "productId": ids["lotted"],
            "fromLocationId": ids["a1"],
            "toLocationId": ids["a2"],
            "quantity": "1",
            "lot": "L1",
        },
    ),
    _stock(
        "adjustStock",
        "AdjustLineInput",
        lambda ids: {"productId": ids["lotted"], "locationId": ids["a1"], "quantity": "-1", "lot": "L1"},
    ),
    Case(
        "createWarehouse",
        f"mutation($input: CreateWarehouseInput!) {{ createWarehouse(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"code": "WH9", "name": "广州仓", "address": "广州"}},
        [
            (("input", "code"), warehouse.c.code, "code"),
            (("input", "name"), warehouse.c.name, "name"),
            (("input", "address"), warehouse.c.address, "address"),
        ],
    ),
    Case(
        "updateWarehouse",
        f"mutation($input: UpdateWarehouseInput!) {{ updateWarehouse(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"id": ids["wh1"], "name": "北京仓", "address": "北京"}},
        [(("input", "name"), warehouse.c.name, "name"), (("input", "address"), warehouse.c.address, "address")],
    ),
    Case(
        "updateLocation",
        f"mutation($input: UpdateLocationInput!) {{ updateLocation(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"id": ids["a1"], "name": "A-01"}},
        [(("input", "name"), location.c.name, "name")],
    ),
    Case(
        "createLocation",
        f"mutation($input: CreateLocationInput!) {{ createLocation(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"warehouseId": ids["wh1"], "code": "WH1-Z-01", "name": "Z-01"}},
        [(("input", "code"), location.c.code, "code"), (("input", "name"), location.c.name, "name")],
    ),
    Case(
        "dispatchTransfer",
        "mutation($to: ID!, $lines: [DispatchLineInput!]!, $note: String!) { dispatchTransfer("
        f"toWarehouseId: $to, lines: $lines, note: $note) {{ {ERR} }} }}",
        lambda ids: {
            "to": ids["wh2"],
            "note": "补货",
            "lines": [{"productId": ids["lotted"], "quantity": "1", "fromLocationId": ids["a1"], "lot": "L1"}],
        },
        [(("note",), transfer_order.c.note, "note"), (("lines", 0, "lot"), lot.c.code, "lines.0.lot")],
    ),
    Case(
        "receiveTransfer",
        f"mutation($id: ID!, $lines: [ArrivalLineInput!]!) {{ receiveTransfer(id: $id, lines: $lines) {{ {ERR} }} }}",
        lambda ids: {
            "id": ids["transfer"],
            "lines": [
                {
                    "transferLineId": ids["transfer_line"],
                    "receivedQuantity": "1",
                    "toLocationId": ids["b1"],
                    "close": True,
                    "differenceReason": "破损",
                }
            ],
        },
        [(("lines", 0, "differenceReason"), transfer_order_line.c.difference_reason, "lines.0.differenceReason")],
    ),
    Case(
        "openStockCount",
        f"mutation($input: OpenCountInput!) {{ openStockCount(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"warehouseId": ids["wh1"], "locationIds": [ids["a1"]], "note": "月末盘点"}},
        [(("input", "note"), stock_count.c.note, "note")],
    ),
    Case(
        "recordStockCounts",
        f"mutation($id: ID!, $entries: [CountEntryInput!]!) {{ recordStockCounts(id: $id, "
        f"entries: $entries) {{ {ERR} }} }}",
        lambda ids: {
            "id": ids["open_count"],
            "entries": [{"quantity": "1", "locationId": ids["a2"], "productId": ids["lotted"], "lot": "FOUND-1"}],
        },
        [(("entries", 0, "lot"), lot.c.code, "entries.0.lot")],
    ),
    Case(
        "approveStockCount",
        f"mutation($id: ID!, $reason: String!) {{ approveStockCount(id: $id, reason: $reason) {{ {ERR} }} }}",
        lambda ids: {"id": ids["counted"], "reason": "盘盈"},
        # after the prefix "盘点差异 <count number>：" in the stock operation's reason
        [(("reason",), max_length(stock_operation.c.reason) - len("盘点差异 SC2026-000002："), "reason")],
    ),
    # catalog
    Case(
        "createUnit",
        f"mutation($input: CreateUnitInput!) {{ createUnit(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"code": "DOZ", "name": "打", "nameEn": "dozen"}},
        [
            (("input", "code"), unit.c.code, "code"),
            (("input", "name"), unit.c.name, "name"),
            (("input", "nameEn"), unit.c.name_en, "nameEn"),
        ],
    ),
    Case(
        "createCategory",
        f"mutation($input: CreateCategoryInput!) {{ createCategory(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"code": "DRINKS", "name": "饮料"}},
        [(("input", "code"), category.c.code, "code"), (("input", "name"), category.c.name, "name")],
    ),
    Case(
        "createProduct",
        f"mutation($input: ProductInput!) {{ createProduct(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "sku": "SKU-LIMIT",
                "name": "矿泉水",
                "spec": "550ml",
                "baseUnitId": ids["pcs"],
                "barcodes": [{"code": "INT-0001"}],
            }
        },
        [
            (("input", "sku"), product.c.sku, "sku"),
            (("input", "name"), product.c.name, "name"),
            (("input", "spec"), product.c.spec, "spec"),
            (("input", "barcodes", 0, "code"), barcode.c.code, "barcodes.0.code"),
        ],
        fill={("input", "barcodes", 0, "code"): lambda n: "X" * n},
    ),
    Case(
        "updateProduct",
        f"mutation($id: ID!, $input: ProductInput!) {{ updateProduct(id: $id, input: $input) {{ {ERR} }} }}",
        lambda ids: {"id": ids["widget"], "input": {"name": "新名称", "spec": "新规格"}},
        [(("input", "name"), product.c.name, "name"), (("input", "spec"), product.c.spec, "spec")],
    ),
    # partners
    Case(
        "createSupplier",
        f"mutation($input: PartnerInput!) {{ createSupplier(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "code": "S009",
                "name": "南方五金",
                "contactName": "王五",
                "phone": "021-1234",
                "email": "a@b.cn",
                "address": "上海",
                "taxId": "9131",
                "currency": "CNY",
                "bankName": "工商银行",
                "bankAccount": "6222",
            }
        },
        [
            (("input", k), supplier.c[c], k)
            for k, c in (
                ("code", "code"),
                ("name", "name"),
                ("contactName", "contact_name"),
                ("phone", "phone"),
                ("email", "email"),
                ("address", "address"),
                ("taxId", "tax_id"),
                ("currency", "currency"),
                ("bankName", "bank_name"),
                ("bankAccount", "bank_account"),
            )
        ],
        fill={("input", "email"): lambda n: "a" * (n - 5) + "@b.cn", ("input", "currency"): lambda n: "C" * n},
    ),
    Case(
        "createCustomer",
        f"mutation($input: PartnerInput!) {{ createCustomer(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"code": "C009", "name": "北京超市", "invoiceTitle": "北京超市有限公司"}},
        [
            (("input", "invoiceTitle"), customer.c.invoice_title, "invoiceTitle"),
            (("input", "name"), customer.c.name, "name"),
        ],
    ),
    Case(
        "updateSupplier",
        f"mutation($id: ID!, $input: PartnerInput!) {{ updateSupplier(id: $id, input: $input) {{ {ERR} }} }}",
        lambda ids: {"id": ids["supplier"], "input": {"name": "华东五金二厂", "bankName": "建设银行"}},
        [(("input", "name"), supplier.c.name, "name"), (("input", "bankName"), supplier.c.bank_name, "bankName")],
    ),
    Case(
        "addPartnerAddress",
        f"mutation($id: ID!, $input: AddressInput!) {{ addPartnerAddress(partnerId: $id, input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "id": ids["customer"],
            "input": {"kind": "SHIP_TO", "address": "上海市", "contactName": "李四", "phone": "139"},
        },
        [
            (("input", "address"), partner_address.c.address, "address"),
            (("input", "contactName"), partner_address.c.contact_name, "contactName"),
            (("input", "phone"), partner_address.c.phone, "phone"),
        ],
    ),
    # purchasing
    Case(
        "createPurchaseOrder",
        f"mutation($input: PurchaseOrderInput!) {{ createPurchaseOrder(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "supplierId": ids["supplier"],
                "warehouseId": ids["wh1"],
                "note": "急",
                "lines": [{"productId": ids["widget"], "quantity": "1"}],
            }
        },
        [(("input", "note"), purchase_order.c.note, "note")],
    ),
    Case(
        "updatePurchaseOrder",
        f"mutation($id: ID!, $input: PurchaseOrderInput!) {{ updatePurchaseOrder(id: $id, "
        f"input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "id": ids["draft_po"],
            "input": {
                "supplierId": ids["supplier"],
                "warehouseId": ids["wh1"],
                "note": "改",
                "lines": [{"productId": ids["widget"], "quantity": "2"}],
            },
        },
        [(("input", "note"), purchase_order.c.note, "note")],
    ),
    Case(
        "approvePurchaseOrder",
        f"mutation($id: ID!, $comment: String!) {{ approvePurchaseOrder(id: $id, comment: $comment) {{ {ERR} }} }}",
        lambda ids: {"id": ids["submitted_po"], "comment": "同意"},
        [(("comment",), purchase_order_history.c.comment, "comment")],
    ),
    Case(
        "rejectPurchaseOrder",
        f"mutation($id: ID!, $comment: String!) {{ rejectPurchaseOrder(id: $id, comment: $comment) {{ {ERR} }} }}",
        lambda ids: {"id": ids["submitted_po"], "comment": "价格太高"},
        [(("comment",), purchase_order_history.c.comment, "comment")],
    ),
    Case(
        "receiveGoods",
        f"mutation($input: GoodsReceiptInput!) {{ receiveGoods(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "orderId": ids["approved_po"],
                "note": "到货",
                "lines": [
                    {
                        "orderLineId": ids["pol_widget"],
                        "receivedQuantity": "2",
                        "rejectedQuantity": "1",
                        "rejectReason": "破损",
                        "locationId": ids["a1"],
                    },
                    {"orderLineId": ids["pol_lotted"], "receivedQuantity": "1", "locationId": ids["a1"], "lot": "L2"},
                    {
                        "orderLineId": ids["pol_serial"],
                        "receivedQuantity": "1",
                        "locationId": ids["a1"],
                        "serials": ["SN-1"],
                    },
                ],
            }
        },
        [
            (("input", "note"), goods_receipt.c.note, "note"),
            (("input", "lines", 0, "rejectReason"), goods_receipt_line.c.reject_reason, "lines.0.rejectReason"),
            (("input", "lines", 1, "lot"), lot.c.code, "lines.1.lot"),
            (("input", "lines", 2, "serials", 0), lot.c.code, "lines.2"),
        ],
    ),
    Case(
        "returnToSupplier",
        f"mutation($input: PurchaseReturnInput!) {{ returnToSupplier(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "receiptId": ids["receipt"],
                "reason": "质量问题",
                "lines": [{"receiptLineId": ids["receipt_line"], "quantity": "1"}],
            }
        },
        [(("input", "reason"), purchase_return.c.reason, "reason")],
    ),
    Case(
        "createSupplierBill",
        f"mutation($input: SupplierBillInput!) {{ createSupplierBill(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "supplierId": ids["supplier"],
                "supplierInvoiceNo": "FP-1",
                "lines": [{"receiptLineId": ids["receipt_line"], "quantity": "10"}],
            }
        },
        [(("input", "supplierInvoiceNo"), supplier_bill.c.supplier_invoice_no, "supplierInvoiceNo")],
    ),
    Case(
        "recordSupplierPayment",
        f"mutation($input: SupplierPaymentInput!) {{ recordSupplierPayment(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"supplierId": ids["supplier"], "amount": "10.00", "reference": "TT-1"}},
        [(("input", "reference"), supplier_payment.c.reference, "reference")],
    ),
    # sales
    Case(
        "createSalesOrder",
        f"mutation($input: SalesOrderInput!) {{ createSalesOrder(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "customerId": ids["customer"],
                "warehouseId": ids["wh1"],
                "note": "送货上门",
                "lines": [{"productId": ids["widget"], "quantity": "1"}],
            }
        },
        [(("input", "note"), sales_order.c.note, "note")],
    ),
    Case(
        "updateSalesOrder",
        f"mutation($id: ID!, $input: SalesOrderInput!) {{ updateSalesOrder(id: $id, input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "id": ids["so_draft"],
            "input": {
                "customerId": ids["customer"],
                "warehouseId": ids["wh1"],
                "note": "改",
                "lines": [{"productId": ids["widget"], "quantity": "2"}],
            },
        },
        [(("input", "note"), sales_order.c.note, "note")],
    ),
    Case(
        "shipGoods",
        f"mutation($input: ShipmentInput!) {{ shipGoods(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "orderId": ids["so_lotted"],
                "lines": [{"orderLineId": ids["sol_lotted"], "quantity": "1", "locationId": ids["a1"], "lot": "L1"}],
            }
        },
        [(("input", "lines", 0, "lot"), lot.c.code, "lines.0.lot")],
    ),
    Case(
        "createSalesInvoice",
        f"mutation($input: InvoiceInput!) {{ createSalesInvoice(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"customerId": ids["customer"], "shipmentIds": [ids["unshipped"]], "remarks": "月结"}},
        [(("input", "remarks"), sales_invoice.c.remarks, "remarks")],
    ),
    Case(
        "createCreditNote",
        f"mutation($input: CreditNoteInput!) {{ createCreditNote(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "invoiceId": ids["invoice"],
                "reason": "折让",
                "lines": [{"invoiceLineId": ids["invoice_line"], "amount": "1.00"}],
            }
        },
        # the reason and " 原发票 <number>" go to the credit note's remarks together
        [(("input", "reason"), max_length(sales_invoice.c.remarks) - len(" 原发票 SI2026-000001"), "reason")],
    ),
    Case(
        "recordCustomerReceipt",
        f"mutation($input: CustomerReceiptInput!) {{ recordCustomerReceipt(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"customerId": ids["customer"], "amount": "10.00", "reference": "WX-1"}},
        [(("input", "reference"), customer_receipt.c.reference, "reference")],
    ),
    Case(
        "takeBackGoods",
        f"mutation($input: SalesReturnInput!) {{ takeBackGoods(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "shipmentId": ids["shipment"],
                "reason": "退货",
                "lines": [{"shipmentLineId": ids["ship_line"], "quantity": "1"}],
            }
        },
        [(("input", "reason"), sales_return.c.reason, "reason")],
    ),
    Case(
        "changeSalesSettings",
        f"mutation($input: SalesSettingsInput!) {{ changeSalesSettings(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"sellerName": "本公司", "sellerTaxId": "9131"}},
        [
            (("input", "sellerName"), sales_invoice.c.seller_name, "seller_name"),
            (("input", "sellerTaxId"), sales_invoice.c.seller_tax_id, "seller_tax_id"),
        ],
    ),
    # finance
    Case(
        "addAccount",
        f"mutation($input: AccountInput!) {{ addAccount(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"parentCode": "6602", "code": "660299", "name": "差旅费", "nameEn": "Travel"}},
        [(("input", "name"), account.c.name, "name"), (("input", "nameEn"), account.c.name_en, "nameEn")],
    ),
    Case(
        "createDepartment",
        f"mutation($code: String!, $name: String!) {{ createDepartment(code: $code, name: $name) {{ {ERR} }} }}",
        lambda ids: {"code": "D09", "name": "采购部"},
        [(("code",), department.c.code, "code"), (("name",), department.c.name, "name")],
    ),
    Case(
        "createVoucher",
        f"mutation($input: VoucherInput!) {{ createVoucher(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {
                "voucherDate": TODAY.isoformat(),
                "memo": "提现",
                "lines": [
                    {"accountCode": "1001", "debit": "10.00", "memo": "现金"},
                    {"accountCode": "1002", "credit": "10.00"},
                ],
            }
        },
        [
            (("input", "memo"), voucher.c.memo, "memo"),
            (("input", "lines", 0, "memo"), voucher_line.c.memo, "lines.0.memo"),
        ],
    ),
    Case(
        "createWebhookEndpoint",
        f"mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"name": "ERP", "url": "https://erp.example.com/hook", "eventTypes": ["STOCK_CHANGED"]}},
        [(("input", "name"), webhook_endpoint.c.name, "name")],
    ),
    Case(
        "upsertProduct",
        f'mutation($input: ProductInput!) {{ upsertProduct(source: "shop:test", externalId: "P-1", input: $input) {{ {ERR} }} }}',
        lambda ids: {
            "input": {
                "sku": "SKU-UPSERT",
                "name": "矿泉水",
                "spec": "550ml",
                "baseUnitId": ids["pcs"],
                "barcodes": [{"code": "INT-0002"}],
            }
        },
        [
            (("input", "sku"), product.c.sku, "sku"),
            (("input", "name"), product.c.name, "name"),
            (("input", "spec"), product.c.spec, "spec"),
            (("input", "barcodes", 0, "code"), barcode.c.code, "barcodes.0.code"),
        ],
        fill={("input", "barcodes", 0, "code"): lambda n: "X" * n},
    ),
    Case(
        "upsertCustomer",
        f'mutation($input: PartnerInput!) {{ upsertCustomer(source: "shop:test", externalId: "C-1", input: $input) {{ {ERR} }} }}',
        lambda ids: {"input": {"code": "C010", "name": "广州超市", "invoiceTitle": "广州超市有限公司"}},
        [
            (("input", "invoiceTitle"), customer.c.invoice_title, "invoiceTitle"),
            (("input", "name"), customer.c.name, "name"),
        ],
    ),
    Case(
        "intakeSalesOrder",
        f'mutation($input: OrderIntakeInput!) {{ intakeSalesOrder(source: "shop:test", input: $input) {{ {ERR} }} }}',
        lambda ids: {
            "input": {
                "externalOrderId": "TB-LIMITS-1",
                "customerId": ids["customer"],
                "warehouseId": ids["wh1"],
                "lines": [{"productId": ids["widget"], "quantity": "1"}],
                "platformStatus": "WAIT_SELLER_SEND_GOODS",
                "consigneeName": "张三",
                "consigneePhone": "13800000000",
                "shipAddress": "上海",
                "note": "网店订单",
            }
        },
        [
            (("input", "platformStatus"), sales_order_intake.c.platform_status, "platformStatus"),
            (("input", "consigneeName"), sales_order_intake.c.consignee_name, "consigneeName"),
            (("input", "consigneePhone"), sales_order_intake.c.consignee_phone, "consigneePhone"),
            (("input", "shipAddress"), sales_order_intake.c.ship_address, "shipAddress"),
            (("input", "note"), sales_order.c.note, "note"),
        ],
    ),
    Case(
        "createExpense",
        f"mutation($input: ExpenseInput!) {{ createExpense(input: $input) {{ {ERR} }} }}",
        lambda ids: {"input": {"category": ids["expense_category"], "amount": "10.00", "description": "快递费"}},
        [(("input", "description"), expense_bill.c.description, "description")],
    ),
    Case(
        "submitFeedback",
        f"mutation($input: FeedbackInput!) {{ submitFeedback(input: $input) {{ {ERR} }} }}",
        lambda ids: {
            "input": {"kind": "PROBLEM", "message": "打不开", "screen": "/purchasing/orders", "requestIds": "a1"}
        },
        [
            (("input", "message"), MESSAGE_MAX, "message"),
            (("input", "screen"), feedback.c.screen, "screen"),
            (("input", "requestIds"), feedback.c.request_ids, "requestIds"),
        ],
    ),
]


def _set(variables: dict, path: tuple, value) -> None:
    target = variables
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


async def _row_counts(db) -> dict[str, int]:
    async with db.read() as conn:
        existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
            if t.name in existing
        }


async def test_a_string_one_over_its_column_is_a_typed_error_and_writes_nothing(gql):
    ids = await _build(gql.db)
    before = await _row_counts(gql.db)
    problems = []
    for case in CASES:
        for path, column, expected_field in case.strings:
            limit = max_length(column)
            variables = copy.deepcopy(case.variables(ids))
            _set(variables, path, case.fill.get(path, lambda n: "x" * n)(limit + 1))
            body = await gql.post(case.document, variables)
            what = f"{case.mutation} {'.'.join(map(str, path))} ({limit + 1} chars)"
            if body.get("errors"):
                problems.append(f"{what}: GraphQL error {body['errors'][0].get('message')}")
                continue
            errors = body["data"][case.mutation]["errors"]
            if not any(e["code"] == "INVALID_VALUE" and (e["field"] or "").startswith(expected_field) for e in errors):
                problems.append(f"{what}: expected INVALID_VALUE on {expected_field}, got {errors}")
            after = await _row_counts(gql.db)
            if after != before:
                changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
                problems.append(f"{what}: rows written {changed}")
                before = after
    assert problems == [], "\n".join(problems)


async def test_the_longest_allowed_reference_is_stored_and_booked(gql):
    """64 characters: accepted, stored whole, and the voucher booked from it carries it (voucher.source_number
    was 32 wide: the 33-character reference that stopped the books)."""
    ids = await _build(gql.db)
    reference = "参" * 64
    doc = (
        "mutation($lines: [ReceiveLineInput!]!, $reference: String!) { receiveStock(lines: $lines, "
        f'idempotencyKey: "ref-64", reference: $reference) {{ {ERR} }} }}'
    )
    data = await gql.execute(
        doc,
        {
            "lines": [{"productId": ids["widget"], "locationId": ids["a1"], "quantity": "1", "unitCost": "1.00"}],
            "reference": reference,
        },
    )
    assert data["receiveStock"]["errors"] == []
    from server.finance.poster import post_pending

    await post_pending(gql.db)
    async with gql.db.read() as conn:
        numbers = (
            (await conn.execute(select(voucher.c.source_number).where(voucher.c.source_number == reference)))
            .scalars()
            .all()
        )
        status = (await gql.execute("{ posterStatus { failures { seq } } }"))["posterStatus"]
    assert numbers == [reference] and status["failures"] == []


async def test_derived_actor_labels_fit_their_columns(db):
    """A 64-character user name makes a 69-character actor label ("user:…"): the stock operation (actor
    String(64)) keeps its first 64 characters instead of failing on PostgreSQL."""
    from tests.factories import make_product, make_world
    from tests.purchasing_helpers import principal

    w = await make_world(db)
    p = await make_product(db, w)
    long_name = principal("warehouse_keeper", 99, "k" * 64)
    res = await do_receive_stock(db, [StockLine(product_id=p, quantity="1", location_id=w.a1)], principal=long_name)
    async with db.read() as conn:
        actor = (
            await conn.execute(select(stock_operation.c.actor).where(stock_operation.c.id == res.operation_id))
        ).scalar_one()
    assert actor == long_name.label[:64]


async def test_an_account_cannot_name_a_dimension_past_its_column(gql):
    """Dimensions are an enumeration, but a list of them is stored joined: ten of them do not fit."""
    await setup_books(gql.db)
    doc = f"mutation($input: AccountInput!) {{ addAccount(input: $input) {{ {ERR} }} }}"
    data = await gql.execute(
        doc, {"input": {"parentCode": "6602", "code": "660298", "name": "差旅费", "dimensions": ["DEPARTMENT"] * 10}}
    )
    assert [(e["field"], e["code"]) for e in data["addAccount"]["errors"]] == [("dimensions", "INVALID_VALUE")]
    async with gql.db.read() as conn:
        assert (await conn.execute(select(account.c.code).where(account.c.code == "660298"))).first() is None


# ---- every mutation string argument is accounted for ------------------------------------------------------

# mutation -> {argument path: why its length cannot reach a String(n) column unchecked}
LOOKUP = "looked up, never stored as given"
ENUM = "checked against a fixed list"
KEY = "idempotency key: check_key refuses it before anything is written"
SECRET = "a password: hashed, never stored"
OTHER_TEAM = "auth/scanning/automation: outside this suite"
GS1_TEXT = "GS1 set 82, 1–20 characters: refused beyond (tests/test_scan_typed_lot.py)"
NOT_STORED = {
    "login": {"username": OTHER_TEAM, "password": SECRET},
    "createUser": {
        "input.username": OTHER_TEAM,
        "input.password": SECRET,
        "input.displayName": OTHER_TEAM,
        "input.roles": LOOKUP,
    },
    "setUserActive": {"username": LOOKUP},
    "setUserPassword": {"username": LOOKUP, "password": SECRET},
    "createRole": {"code": OTHER_TEAM, "name": OTHER_TEAM, "permissions": ENUM, "nameEn": OTHER_TEAM},
    "updateRole": {
        "code": LOOKUP,
        "name": "≤ 64 chars as createRole",
        "permissions": ENUM,
        "nameEn": "≤ 64 chars as createRole",
    },
    "deleteRole": {"code": LOOKUP},
    "intakeSalesOrder": {
        "source": "1–64 of [a-z0-9:._-] or INVALID_SOURCE (tests/test_order_intake.py)",
        "input.externalOrderId": "1–128 printable characters or INVALID_EXTERNAL_ID (tests/test_order_intake.py)",
        "input.customerExternalId": LOOKUP,
        "input.lines.productExternalId": LOOKUP,
        "input.lines.sku": LOOKUP,
    },
    "createApiToken": {"name": OTHER_TEAM, "role": LOOKUP},
    "createDeviceToken": {"name": OTHER_TEAM},
    "createUnit": {"input.idempotencyKey": KEY},
    "createCategory": {"input.idempotencyKey": KEY},
    "updateCategory": {"input.name": "same check as createCategory"},
    "createProduct": {"idempotencyKey": KEY},
    "updateProduct": {"input.sku": "same check as createProduct", "input.barcodes.code": "same check as createProduct"},
    "createSupplier": {
        "input.creditLimit": "a decimal amount",
        "input.invoiceTitle": "customers only",
        "input.discount": "a decimal rate",
        "input.salesperson": LOOKUP,
        "idempotencyKey": KEY,
    },
    "updateSupplier": dict.fromkeys(
        (
            "input.code",
            "input.contactName",
            "input.phone",
            "input.email",
            "input.address",
            "input.taxId",
            "input.currency",
            "input.bankAccount",
            "input.creditLimit",
            "input.invoiceTitle",
            "input.discount",
            "input.salesperson",
        ),
        "same check as createSupplier",
    ),
    "createCustomer": dict.fromkeys(
        (
            "input.code",
            "input.contactName",
            "input.phone",
            "input.email",
            "input.address",
            "input.taxId",
            "input.currency",
            "input.bankName",
            "input.bankAccount",
            "input.creditLimit",
            "input.discount",
            "input.salesperson",
            "idempotencyKey",
        ),
        "same check as createSupplier",
    ),
    "updateCustomer": dict.fromkeys(
        (
            "input.code",
            "input.name",
            "input.contactName",
            "input.phone",
            "input.email",
            "input.address",
            "input.taxId",
            "input.currency",
            "input.bankName",
            "input.bankAccount",
            "input.creditLimit",
            "input.invoiceTitle",
            "input.discount",
            "input.salesperson",
        ),
        "same check as createCustomer",
    ),
    "createWarehouse": {"input.idempotencyKey": KEY},
    "createLocation": {"input.idempotencyKey": KEY},
    "receiveStock": {"idempotencyKey": KEY},
    "issueStock": {"idempotencyKey": KEY},
    "transferStock": {"idempotencyKey": KEY},
    "adjustStock": {"idempotencyKey": KEY},
    "createPurchaseOrder": {"idempotencyKey": KEY},
    "cancelPurchaseOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "closePurchaseOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "receiveGoods": {"idempotencyKey": KEY},
    "returnToSupplier": {"idempotencyKey": KEY},
    "createSupplierBill": {"idempotencyKey": KEY},
    "approveSupplierBill": {"comment": "goes to the audit log only (JSON text)"},
    "recordSupplierPayment": {"idempotencyKey": KEY},
    "changePurchaseSettings": {"input.approvalThresholds.role": LOOKUP},
    "createSalesOrder": {"idempotencyKey": KEY},
    "approveSalesOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "rejectSalesOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "cancelSalesOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "closeSalesOrder": {"comment": "clean_comment, as approvePurchaseOrder"},
    "shipGoods": {"input.lines.serials": "lot codes: the same stock check as input.lines.lot", "idempotencyKey": KEY},
    "createSalesInvoice": {"idempotencyKey": KEY},
    "createCreditNote": {"idempotencyKey": KEY},
    "recordCustomerReceipt": {"idempotencyKey": KEY},
    "takeBackGoods": {"idempotencyKey": KEY},
    "changeSalesSettings": {"input.approvalThresholds.role": LOOKUP},
    "dispatchTransfer": {"idempotencyKey": KEY},
    "issueMaterials": {"lines.lot": "lot codes: the stock primitives' check (receiveStock lines.lot)"},
    "returnMaterials": {"lines.lot": "lot codes: the stock primitives' check (receiveStock lines.lot)"},
    "receiveFinishedGoods": {"lot": "lot codes: the stock primitives' check (receiveStock lines.lot)"},
    "startScanSession": {"documentNumber": OTHER_TEAM, "locationCode": LOOKUP, "idempotencyKey": KEY},
    "scan": {"code": OTHER_TEAM, "scanId": OTHER_TEAM, "gsSubstitute": OTHER_TEAM, "lot": GS1_TEXT},
    "scanBatch": {
        "scans.code": OTHER_TEAM,
        "scans.scanId": OTHER_TEAM,
        "gsSubstitute": OTHER_TEAM,
        "scans.lot": GS1_TEXT,
    },
    "addAccount": {"input.parentCode": LOOKUP, "input.code": "digits extending the parent, ≤ account.code"},
    "setPostingRule": {"role": LOOKUP, "accountCode": LOOKUP},
    "createVoucher": {"input.lines.accountCode": LOOKUP},
    "createExpense": {"input.category": LOOKUP, "idempotencyKey": KEY},
    "decideExpense": {"comment": "goes to the audit log only (JSON text)"},
    "payExpense": {"idempotencyKey": KEY},
    "reopenPeriod": {"reason": "goes to the audit log only; ≤ 300 by rule"},
    "unapprovePurchaseOrder": {"comment": "the orders' comment rule (clean_comment: required, ≤ 500)"},
    "unapproveSalesOrder": {"comment": "the orders' comment rule (clean_comment: required, ≤ 500)"},
    "postOpeningBalances": {
        "input.stock.lot": "lot codes: the stock primitives' check (receiveStock lines.lot)",
        "input.items.number": "1–20 characters or INVALID_VALUE (tests/test_opening_balances.py)",
        "input.accounts.accountCode": LOOKUP,
        "input.memo": "≤ 200 characters or INVALID_VALUE (tests/test_opening_balances.py)",
    },
    "upsertProduct": {
        "source": "1–64 of [a-z0-9:._-] or INVALID_SOURCE (tests/test_external_ids.py)",
        "externalId": "1–128 printable characters or INVALID_EXTERNAL_ID (tests/test_external_ids.py)",
    },
    "upsertCustomer": {
        "source": "1–64 of [a-z0-9:._-] or INVALID_SOURCE (tests/test_external_ids.py)",
        "externalId": "1–128 printable characters or INVALID_EXTERNAL_ID (tests/test_external_ids.py)",
        **dict.fromkeys(
            (
                "input.code",
                "input.contactName",
                "input.phone",
                "input.email",
                "input.address",
                "input.taxId",
                "input.currency",
                "input.bankName",
                "input.bankAccount",
                "input.creditLimit",
                "input.discount",
                "input.salesperson",
            ),
            "the partners' own checks: same as createCustomer (server/partners/services.py)",
        ),
    },
    "upsertSupplier": {
        "source": "1–64 of [a-z0-9:._-] or INVALID_SOURCE (tests/test_external_ids.py)",
        "externalId": "1–128 printable characters or INVALID_EXTERNAL_ID (tests/test_external_ids.py)",
        **dict.fromkeys(
            (
                "input.code",
                "input.name",
                "input.contactName",
                "input.phone",
                "input.email",
                "input.address",
                "input.taxId",
                "input.currency",
                "input.bankName",
                "input.bankAccount",
                "input.creditLimit",
                "input.invoiceTitle",
                "input.discount",
                "input.salesperson",
            ),
            "the partners' own checks: same as createSupplier (server/partners/services.py)",
        ),
    },
    "createWebhookEndpoint": {
        "input.url": "INVALID_URL past 2,000 chars (tests/test_webhooks.py, invalid registrations)",
        "input.secret": "whsec_ + Base64 of 24–64 bytes or INVALID_SECRET (tests/test_webhooks.py)",
    },
    "assignFeedback": {"username": LOOKUP},
    "answerFeedback": {"answer": "≤ 2,000 chars like submitFeedback's message (tests/test_feedback.py)"},
    "rotateWebhookSecret": {"secret": "whsec_ + Base64 of 24–64 bytes or INVALID_SECRET (tests/test_webhooks.py)"},
    "updateWebhookEndpoint": {
        "input.name": "the same check as createWebhookEndpoint (server/integrations/endpoints.py _check_spec)",
        "input.url": "the same check as createWebhookEndpoint (server/integrations/endpoints.py _check_spec)",
    },
}


def _string_paths(arg_type, prefix: str, seen=()) -> list[str]:
    while isinstance(arg_type, (GraphQLNonNull, GraphQLList)):
        arg_type = arg_type.of_type
    if isinstance(arg_type, GraphQLInputObjectType):
        if arg_type.name in seen:
            return []
        return [
            p
            for name, f in arg_type.fields.items()
            for p in _string_paths(f.type, f"{prefix}.{name}", seen + (arg_type.name,))
        ]
    if isinstance(arg_type, GraphQLScalarType) and arg_type.name == "String":
        return [prefix]
    return []


def _schema_string_arguments() -> set[tuple[str, str]]:
    mutations = schema._schema.mutation_type.fields
    return {
        (name, path)
        for name, f in mutations.items()
        for arg, a in f.args.items()
        for path in _string_paths(a.type, arg)
    }


def test_every_mutation_string_argument_is_accounted_for():
    tested = {
        (c.mutation, ".".join(str(s) for s in path if not isinstance(s, int)))
        for c in CASES
        for path, _, _ in c.strings
    }
    exempt = {(m, p) for m, paths in NOT_STORED.items() for p in paths}
    arguments = _schema_string_arguments()
    unaccounted = sorted(arguments - tested - exempt)
    assert unaccounted == [], "string arguments without a length case or a reason: " + repr(unaccounted)
    # (an entry that is no longer a string argument — it became an enum or an ID — is harmless)


@pytest.mark.parametrize("value,ok", [("x" * 64, True), ("x" * 65, False), ("参" * 64, True), ("", True)])
def test_check_length_reads_the_column(value, ok):
    from server.core.text_limits import check_length, fit
    from server.inventory.errors import InventoryError

    if ok:
        assert check_length(value, stock_operation.c.reference, InventoryError, "reference") == value
    else:
        with pytest.raises(InventoryError) as err:
            check_length(value, stock_operation.c.reference, InventoryError, "reference")
        assert (err.value.details[0].code, err.value.details[0].params) == ("INVALID_VALUE", {"detail": "≤ 64 chars"})
    assert len(fit(value, stock_operation.c.reference)) == min(len(value), 64)
