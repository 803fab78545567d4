"""待我审批 (``approvalsInbox``, server/reports/approvals.py): each principal sees what the deciding
action would accept from them — by permission, by the step's role and permission, never their own
documents, not twice in one round, within their warehouses — and the IDs work with the mutations."""

from __future__ import annotations

from dataclasses import replace

from server.core import clock
from server.finance.expenses import ExpenseInput, do_create_expense
from server.finance.vouchers import VoucherInput, VoucherLineInput, do_create_voucher
from server.partners.services import PartnerInput, do_create_partner
from server.purchasing.orders import OrderInput, OrderLineInput, do_create_purchase_order, do_submit_purchase_order
from server.reports.approvals import approvals_inbox
from server.sales.orders import SalesLineInput, SalesOrderInput, do_create_sales_order, do_submit_sales_order
from tests.finance_helpers import ACCOUNTANT, FINANCE_MANAGER, setup_books
from tests.purchasing_helpers import MANAGER, PURCHASER, principal
from tests.sales_helpers import SALES, SALES_MANAGER, make_sales_world

TODAY = clock.today()


async def _world(db):
    sw = await make_sales_world(db)
    await setup_books(db)
    supplier = await do_create_partner(db, "supplier", PartnerInput(code="S001", name="华东五金"))
    po = await do_create_purchase_order(
        db, OrderInput(supplier, sw.w.wh1, [OrderLineInput(sw.widget, "10", unit_price="10.00")]), PURCHASER
    )
    await do_submit_purchase_order(db, po, PURCHASER)
    # 60 × 200.00 + VAT is above the customer's credit limit of 10,000.00: a credit step
    so = await do_create_sales_order(
        db,
        SalesOrderInput(sw.customer, sw.w.wh1, [SalesLineInput(sw.widget, "60", unit_price="200.00")]),
        SALES,
    )
    assert await do_submit_sales_order(db, so, SALES) == "submitted"
    exp = await do_create_expense(db, ExpenseInput("rent", "3000.00", "十月房租", expense_date=TODAY), ACCOUNTANT)
    vid = await do_create_voucher(
        db,
        VoucherInput(
            TODAY, "股东投入", [VoucherLineInput("1002", debit="500"), VoucherLineInput("4001", credit="500")]
        ),
        ACCOUNTANT,
    )
    return sw, po, so, exp, vid


async def _of(db, who):
    async with db.read() as conn:
        return {(i.kind, i.id): i for i in await approvals_inbox(conn, who)}


async def test_each_principal_sees_what_they_may_decide(db):
    _sw, po, so, exp, vid = await _world(db)
    mine = await _of(db, MANAGER)
    assert ("purchase_order", po) in mine
    assert not any(k == "sales_order" for k, _ in mine)
    item = mine[("purchase_order", po)]
    assert (item.submitted_by, item.partner, item.step, item.steps) == ("user:alice", "华东五金", 1, 1)
    assert item.amount_fen == 11300  # 100.00 + 13 % VAT

    sm = await _of(db, SALES_MANAGER)
    assert set(sm) == {("sales_order", so)}
    assert sm[("sales_order", so)].reason == "credit"

    # the creators see none of their own documents, and no permission means nothing at all
    assert await _of(db, PURCHASER) == {}
    assert await _of(db, SALES) == {}
    acc = await _of(db, ACCOUNTANT)
    assert ("voucher", vid) not in acc and ("expense", exp) not in acc

    fm = await _of(db, FINANCE_MANAGER)
    assert ("expense", exp) in fm and ("voucher", vid) in fm
    assert fm[("expense", exp)].amount_fen == 300000
    assert not any(k in ("purchase_order", "sales_order") for k, _ in fm)


async def test_warehouse_limits_and_a_step_role(db):
    sw, po, so, _exp, _vid = await _world(db)
    elsewhere = principal("sales_manager", 41, "other", warehouses=frozenset({sw.w.wh2}))
    assert not any(k == "sales_order" for k, _ in await _of(db, elsewhere))
    # a credit step needs sales.credit.approve: a sales manager without it does not see the order
    no_credit = principal("sales_manager", 42, "nocredit")
    no_credit = replace(no_credit, permissions=no_credit.permissions - {"sales.credit.approve"})
    assert ("sales_order", so) not in await _of(db, no_credit)
    # a purchase approver without cost.view sees the order but not its amount (PurchaseOrder.total needs it)
    blind = principal("purchase_manager", 43, "blind")
    blind = replace(blind, permissions=blind.permissions - {"cost.view"})
    assert (await _of(db, blind))[("purchase_order", po)].amount_fen is None


async def test_the_graphql_inbox_gives_ids_the_mutations_take(gql):
    await _world(gql.db)
    data = await gql.execute(
        "{ approvalsInbox { kind id number status reason partner amount submittedBy createdAt step steps } }"
    )
    kinds = {i["kind"] for i in data["approvalsInbox"]}
    assert {"PURCHASE_ORDER", "SALES_ORDER", "EXPENSE", "VOUCHER"} <= kinds
    so_item = next(i for i in data["approvalsInbox"] if i["kind"] == "SALES_ORDER")
    assert so_item["reason"] == "credit" and so_item["status"] == "submitted"
    approved = await gql.execute(
        'mutation($id: ID!) { approveSalesOrder(id: $id, comment: "ok") { order { status } errors { code } } }',
        {"id": so_item["id"]},
    )
    assert approved["approveSalesOrder"]["errors"] == [], approved
    only = await gql.execute("{ approvalsInbox(kinds: [SALES_ORDER, PURCHASE_ORDER]) { kind number } }")
    assert {i["kind"] for i in only["approvalsInbox"]} == {"PURCHASE_ORDER"}
    body = await gql.post("{ approvalsInbox(limit: 0) { kind } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VALUE"
