"""Order intake: a platform's order becomes one sales order, however often it is sent (issue #22,
server/integrations/order_intake.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from schema.relay import to_global_id
from server.core.audit import audit_log
from server.core.errors import DomainError
from server.events.models import event
from server.integrations.errors import IntegrationError
from server.integrations.external_ids import do_upsert_customer, external_ids
from server.integrations.models import external_ref, sales_order_intake
from server.integrations.order_intake import IntakeLine, OrderIntake, do_intake_sales_order
from server.inventory.models import stock_reservation
from server.inventory.services import StockLine, do_receive_stock
from server.partners.services import PartnerInput
from server.sales import orders as so
from server.sales.models import sales_order, sales_order_line
from tests.invariants import assert_ledger_consistent
from tests.purchasing_helpers import principal
from tests.sales_helpers import SALES, make_sales_world

TAOBAO = "shop:taobao"
Q = 1_000_000  # quantities are scaled by 10⁶


def _order(sw, number: str = "TB-20261204-0001", *, qty: str = "3", **changes) -> OrderIntake:
    values = dict(
        source=TAOBAO,
        external_order_id=number,
        warehouse_id=sw.w.wh1,
        customer_id=sw.retail,
        lines=[IntakeLine(quantity=qty, product_id=sw.widget, unit_price="23.40")],
        platform_status="WAIT_SELLER_SEND_GOODS",
        consignee_name="张三",
        consignee_phone="13800000000",
        ship_address="上海市浦东新区世纪大道 100 号",
    )
    values.update(changes)
    return OrderIntake(**values)


async def _writes(db) -> tuple[int, ...]:
    async with db.read() as conn:
        return tuple(
            [
                (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in (audit_log, event, sales_order, sales_order_line, external_ref, sales_order_intake)
            ]
        )


async def _reserved(db, product_id: int, warehouse_id: int) -> int:
    async with db.read() as conn:
        return (
            await conn.execute(
                select(func.coalesce(func.sum(stock_reservation.c.reserved_qty), 0)).where(
                    stock_reservation.c.product_id == product_id, stock_reservation.c.warehouse_id == warehouse_id
                )
            )
        ).scalar_one()


async def _intake_row(db, order_id: int):
    async with db.read() as conn:
        return (await conn.execute(select(sales_order_intake).where(sales_order_intake.c.order_id == order_id))).one()


async def test_an_order_is_taken_once_reserved_and_a_resend_writes_nothing(db):
    sw = await make_sales_world(db)
    before = await _writes(db)
    first = await do_intake_sales_order(db, _order(sw), SALES)
    assert (first.outcome, first.status, first.hold) == ("created", "approved", None)
    assert await _reserved(db, sw.widget, sw.w.wh1) == 3 * Q
    async with db.read() as conn:
        order = (await conn.execute(select(sales_order).where(sales_order.c.id == first.order_id))).one()
        line = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == order.id))).one()
    # the platform's VAT-inclusive price, no customer discount: 3 × 23.40 = 70.20 = 62.12 + 8.08 (13 %)
    assert (order.prices_include_vat, order.total_fen, order.amount_fen, order.tax_fen) == (True, 7020, 6212, 808)
    assert line.discount_bp == 0
    assert [r.external_id for r in await external_ids(db, "sales_order", first.order_id)] == ["TB-20261204-0001"]
    kept = await _intake_row(db, first.order_id)
    assert (kept.platform_status, kept.consignee_name, kept.hold_code) == ("WAIT_SELLER_SEND_GOODS", "张三", "")
    after = await _writes(db)
    assert after[2:] == (before[2] + 1, before[3] + 1, before[4] + 1, before[5] + 1)

    # the platform sends it again, and again with other lines: the order is ours, nothing changes
    for again in (_order(sw), _order(sw, qty="9")):
        res = await do_intake_sales_order(db, again, SALES)
        assert (res.order_id, res.outcome, res.status) == (first.order_id, "unchanged", "approved")
    assert await _writes(db) == after
    assert await _reserved(db, sw.widget, sw.w.wh1) == 3 * Q

    # its own status changes: kept beside ours, the order itself untouched
    shipped = await do_intake_sales_order(db, _order(sw, platform_status="WAIT_BUYER_CONFIRM_GOODS"), SALES)
    assert (shipped.order_id, shipped.outcome, shipped.status) == (first.order_id, "updated", "approved")
    kept = await _intake_row(db, first.order_id)
    assert kept.platform_status == "WAIT_BUYER_CONFIRM_GOODS" and kept.platform_status_at >= kept.received_at
    assert (await _writes(db))[2:] == after[2:]
    await assert_ledger_consistent(db)


async def test_products_and_buyer_by_the_sources_ids_or_the_sku(db):
    from server.catalog.models import product
    from server.integrations.external_ids import do_upsert_product

    sw = await make_sales_world(db)
    async with db.read() as conn:
        sku = (await conn.execute(select(product.c.sku).where(product.c.id == sw.widget))).scalar_one()
    buyer, _ = await do_upsert_customer(db, TAOBAO, "buyer-77", PartnerInput(code="TB-77", name="淘宝买家 77"))
    from server.catalog.services import ProductInput

    await do_upsert_product(db, TAOBAO, "item-1", ProductInput(sku=sku))
    data = _order(
        sw,
        customer_id=None,
        customer_external_id="buyer-77",
        lines=[IntakeLine(quantity="1", product_external_id="item-1"), IntakeLine(quantity="2", sku=sku)],
    )
    res = await do_intake_sales_order(db, data, SALES)
    assert res.outcome == "created"
    async with db.read() as conn:
        order = (await conn.execute(select(sales_order).where(sales_order.c.id == res.order_id))).one()
        lines = (await conn.execute(select(sales_order_line).where(sales_order_line.c.order_id == order.id))).all()
    assert order.customer_id == buyer and [ln.product_id for ln in lines] == [sw.widget, sw.widget]
    # no price sent: the product's sale price (20.00 excl. VAT), as VAT-inclusive 22.60 a piece
    assert order.total_fen == 3 * 2260


async def test_unknown_names_are_refused_together_and_nothing_is_written(db):
    sw = await make_sales_world(db)
    before = await _writes(db)
    data = _order(
        sw,
        customer_id=None,
        customer_external_id="nobody",
        lines=[IntakeLine(quantity="1", product_external_id="no-item"), IntakeLine(quantity="1", sku="NO-SKU")],
    )
    with pytest.raises(IntegrationError) as err:
        await do_intake_sales_order(db, data, SALES)
    assert sorted((d.field, d.code) for d in err.value.details) == [
        ("customerExternalId", "NOT_FOUND"),
        ("lines.0.productExternalId", "NOT_FOUND"),
        ("lines.1.sku", "NOT_FOUND"),
    ]
    bad = [
        _order(sw, external_order_id=""),
        _order(sw, source="Taobao Shop"),
        _order(sw, platform_status="X" * 33),
        _order(sw, customer_id=None),
        _order(sw, lines=[IntakeLine(quantity="1", product_id=sw.widget, sku="ALSO")]),
        _order(sw, lines=[IntakeLine(quantity="-1", product_id=sw.widget)]),
        _order(sw, lines=[]),
    ]
    for data in bad:  # the intake's own refusals, and the sales domain's
        with pytest.raises(DomainError):
            await do_intake_sales_order(db, data, SALES)
    viewer = principal("viewer", 90)
    with pytest.raises(IntegrationError) as err:
        await do_intake_sales_order(db, _order(sw), viewer)
    assert err.value.details[0].code == "PERMISSION_DENIED"
    elsewhere = principal("sales", 91, warehouses=frozenset({sw.w.wh2}))
    with pytest.raises(DomainError):
        await do_intake_sales_order(db, _order(sw), elsewhere)
    assert await _writes(db) == before


async def test_an_order_without_stock_waits_as_a_draft_and_a_resend_submits_it_once_stock_arrived(db):
    sw = await make_sales_world(db)
    held = await do_intake_sales_order(db, _order(sw, qty="150"), SALES)
    assert (held.outcome, held.status) == ("created", "draft")
    assert held.hold is not None and held.hold.details[0].code == "INSUFFICIENT_STOCK"
    assert (await _intake_row(db, held.order_id)).hold_code == "INSUFFICIENT_STOCK"
    assert await _reserved(db, sw.widget, sw.w.wh1) == 0
    again = await do_intake_sales_order(db, _order(sw, qty="150"), SALES)
    assert (again.outcome, again.status, again.order_id) == ("unchanged", "draft", held.order_id)

    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="60", location_id=sw.w.a1, unit_cost="10")])
    now = await do_intake_sales_order(db, _order(sw, qty="150"), SALES)
    assert (now.outcome, now.status, now.hold, now.order_id) == ("updated", "approved", None, held.order_id)
    assert (await _intake_row(db, held.order_id)).hold_code == ""
    assert await _reserved(db, sw.widget, sw.w.wh1) == 150 * Q
    await assert_ledger_consistent(db)


@pytest.mark.postgres
async def test_concurrent_deliveries_of_one_order_make_one_order_reserved_once(dbs):
    sw = await make_sales_world(dbs[0])
    results = await asyncio.gather(
        *(do_intake_sales_order(dbs[i % len(dbs)], _order(sw), SALES) for i in range(8)),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r.order_id for r in results}) == 1
    assert sorted(r.outcome for r in results) == ["created"] + ["unchanged"] * 7
    assert await _reserved(dbs[0], sw.widget, sw.w.wh1) == 3 * Q
    async with dbs[0].read() as conn:
        assert (await conn.execute(select(func.count()).select_from(sales_order))).scalar_one() == 1


# ---- the API ------------------------------------------------------------------------------------------

INTAKE = """
mutation($source: String!, $input: OrderIntakeInput!) {
  intakeSalesOrder(source: $source, input: $input) {
    outcome errors { field code message } hold { code message }
    order { id number status total externalIds { source externalId }
            platformOrder { source externalOrderId platformStatus consigneeName consigneePhone shipAddress holdCode } }
  }
}"""


async def test_graphql_intake(gql):
    sw = await make_sales_world(gql.db)
    data = {
        "externalOrderId": "TB-9",
        "warehouseId": to_global_id("Warehouse", sw.w.wh1),
        "customerId": to_global_id("Customer", sw.retail),
        "lines": [{"productId": to_global_id("Product", sw.widget), "quantity": "2", "unitPrice": "23.40"}],
        "platformStatus": "WAIT_SELLER_SEND_GOODS",
        "consigneeName": "李四",
        "shipAddress": "北京市朝阳区",
    }
    first = (await gql.execute(INTAKE, {"source": TAOBAO, "input": data}))["intakeSalesOrder"]
    assert first["errors"] == [] and first["outcome"] == "CREATED" and first["hold"] == []
    order = first["order"]
    assert order["status"] == "APPROVED" and order["total"] == "46.80"
    assert order["externalIds"] == [{"source": TAOBAO, "externalId": "TB-9"}]
    assert order["platformOrder"]["consigneeName"] == "李四" and order["platformOrder"]["holdCode"] is None
    again = (await gql.execute(INTAKE, {"source": TAOBAO, "input": data}))["intakeSalesOrder"]
    assert again["outcome"] == "UNCHANGED" and again["order"]["id"] == order["id"]

    short = {**data, "externalOrderId": "TB-10", "lines": [{**data["lines"][0], "quantity": "500"}]}
    held = (await gql.execute(INTAKE, {"source": TAOBAO, "input": short}))["intakeSalesOrder"]
    assert held["outcome"] == "CREATED" and held["order"]["status"] == "DRAFT"
    assert [h["code"] for h in held["hold"]] == ["INSUFFICIENT_STOCK"]
    assert held["order"]["platformOrder"]["holdCode"] == "INSUFFICIENT_STOCK"

    unknown = {**data, "externalOrderId": "TB-11", "lines": [{"sku": "NOPE", "quantity": "1"}]}
    refused = (await gql.execute(INTAKE, {"source": TAOBAO, "input": unknown}))["intakeSalesOrder"]
    assert refused["order"] is None and [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("lines.0.sku", "NOT_FOUND")
    ]


async def test_a_draft_a_clerk_made_of_a_taken_order_is_left_alone_and_a_held_one_submitted_by_hand_waits_no_more(gql):
    from tests.sales_helpers import SALES_MANAGER

    db = gql.db
    sw = await make_sales_world(db)
    taken = await do_intake_sales_order(db, _order(sw), SALES)
    assert taken.status == "approved"
    await so.do_unapprove_sales_order(db, taken.order_id, SALES_MANAGER, "改数量")  # 反审核: a draft again
    again = await do_intake_sales_order(db, _order(sw), SALES)
    assert (again.outcome, again.status) == ("unchanged", "draft")  # the clerk's draft: not submitted behind them
    assert await _reserved(db, sw.widget, sw.w.wh1) == 0

    held = await do_intake_sales_order(db, _order(sw, "TB-HELD", qty="150"), SALES)
    assert held.status == "draft" and held.hold is not None
    await do_receive_stock(db, [StockLine(product_id=sw.widget, quantity="60", location_id=sw.w.a1, unit_cost="10")])
    assert await so.do_submit_sales_order(db, held.order_id, SALES) == "approved"  # a clerk submits it
    q = "query($id: ID!) { node(id: $id) { ... on SalesOrder { status platformOrder { holdCode } } } }"
    node = (await gql.execute(q, {"id": to_global_id("SalesOrder", held.order_id)}))["node"]
    assert node == {"status": "APPROVED", "platformOrder": {"holdCode": None}}
