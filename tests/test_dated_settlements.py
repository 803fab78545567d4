"""Business dates on settlements (issue #19): applyAdvance and allocatePrepayment take the date the
accountant books them on, and their vouchers land in that day's period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.core import clock
from server.finance.ledger import period_of, period_start, previous_period
from server.opening.services import OpeningAccount, OpeningInput, OpeningItem, do_post_opening, do_set_go_live_date
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.models import supplier_bill, supplier_payment
from server.sales.models import customer_receipt, sales_invoice
from tests.finance_helpers import FINANCE_MANAGER, assert_books_clean, setup_books, vouchers_of

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

ADVANCE = """mutation($id: ID!, $inv: ID!, $d: Date) { applyAdvance(receiptId: $id, date: $d,
  allocations: [{invoiceId: $inv, amount: "30.00"}]) { errors { field code } } }"""
PREPAYMENT = """mutation($id: ID!, $bill: ID!, $d: Date) { allocatePrepayment(paymentId: $id, date: $d,
  allocations: [{billId: $bill, amount: "20.00"}]) { errors { field code } } }"""


async def test_settlements_are_booked_on_their_business_date(gql):
    db = gql.db
    await setup_books(db)
    shop = await do_create_partner(db, "customer", PartnerInput(code="C001", name="好邻居便利店"))
    mill = await do_create_partner(db, "supplier", PartnerInput(code="S001", name="华东五金"))
    go_live = period_start(previous_period(period_of(clock.today())))  # last month
    before = go_live - timedelta(days=5)
    await do_set_go_live_date(db, go_live, FINANCE_MANAGER)
    await do_post_opening(
        db,
        OpeningInput(
            items=[
                OpeningItem("receivable", shop, "AR-1", before, "100.00"),
                OpeningItem("customer_advance", shop, "ADV-1", before, "30.00"),
                OpeningItem("payable", mill, "AP-1", before, "80.00"),
                OpeningItem("supplier_prepayment", mill, "PP-1", before, "20.00"),
            ],
            accounts=[OpeningAccount("4001", credit="10.00")],
        ),
        FINANCE_MANAGER,
    )
    async with db.read() as conn:
        ids = {t.name: (await conn.execute(select(t.c.id))).scalar_one() for t in (sales_invoice, customer_receipt)}
        ids |= {t.name: (await conn.execute(select(t.c.id))).scalar_one() for t in (supplier_bill, supplier_payment)}
    booked_on = go_live + timedelta(days=2)  # a day of last month, booked today
    r = await gql.execute(
        ADVANCE,
        {
            "id": to_global_id("CustomerReceipt", ids["customer_receipt"]),
            "inv": to_global_id("SalesInvoice", ids["sales_invoice"]),
            "d": booked_on.isoformat(),
        },
    )
    assert r["applyAdvance"]["errors"] == []
    r = await gql.execute(
        PREPAYMENT,
        {
            "id": to_global_id("SupplierPayment", ids["supplier_payment"]),
            "bill": to_global_id("SupplierBill", ids["supplier_bill"]),
            "d": booked_on.isoformat(),
        },
    )
    assert r["allocatePrepayment"]["errors"] == []
    for source_type in ("customer_receipt", "supplier_payment"):
        (v,) = await vouchers_of(db, source_type)
        assert (v.document_date, v.period) == (booked_on, period_of(booked_on)), source_type
    await assert_books_clean(db)
