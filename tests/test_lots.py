"""Traceability both ways (receipt → bins → customers) and expiring stock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from schema.relay import to_global_id
from server.core import clock
from server.purchasing import orders as po
from server.purchasing import receipts
from server.purchasing.models import purchase_order_line
from server.sales import orders as so
from server.sales import shipping
from server.sales.models import sales_order_line
from tests.purchasing_helpers import KEEPER, MANAGER, PURCHASER, make_purchasing_world
from tests.sales_helpers import SALES

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TRACE = """query($p: ID!, $c: String!) { lotTrace(productId: $p, code: $c) {
  lot { code expiryDate } onHand { quantity location { code } }
  moves { moveType quantity }
  receipts { number acceptedQuantity supplier { code } }
  shipments { number orderNumber quantity customer { code } } } }"""


async def test_a_lot_is_traced_from_supplier_to_customer(gql):
    from server.partners.services import PartnerInput, do_create_partner

    db = gql.db
    pw = await make_purchasing_world(db)
    customer = await do_create_partner(db, "customer", PartnerInput(code="C9", name="医院药房"))
    expiry = clock.today() + timedelta(days=20)
    order_id = await po.do_create_purchase_order(
        db, po.OrderInput(pw.supplier, pw.w.wh1, [po.OrderLineInput(pw.lotted, "10")]), PURCHASER
    )
    await po.do_submit_purchase_order(db, order_id, PURCHASER)
    await po.do_approve_purchase_order(db, order_id, MANAGER)
    async with db.read() as conn:
        (pol,) = (await conn.execute(select(purchase_order_line))).all()
    await receipts.do_receive_goods(
        db,
        receipts.ReceiptInput(
            order_id=order_id,
            lines=[
                receipts.ReceiptLineInput(
                    "10", order_line_id=pol.id, location_id=pw.w.a1, lot="B2026", expiry_date=expiry
                )
            ],
        ),
        KEEPER,
    )
    sale = await so.do_create_sales_order(
        db, so.SalesOrderInput(customer, pw.w.wh1, [so.SalesLineInput(pw.lotted, "4")]), SALES
    )
    assert await so.do_submit_sales_order(db, sale, SALES) == "approved"
    async with db.read() as conn:
        (sol,) = (await conn.execute(select(sales_order_line))).all()
    await shipping.do_ship_goods(
        db, shipping.ShipmentInput(sale, [shipping.ShipmentLineInput(sol.id, "4", pw.w.a1, lot="B2026")]), KEEPER
    )

    data = (await gql.execute(TRACE, {"p": to_global_id("Product", pw.lotted), "c": "B2026"}))["lotTrace"]
    assert data["lot"] == {"code": "B2026", "expiryDate": str(expiry)}
    assert data["onHand"] == [{"quantity": "6", "location": {"code": "WH1-A-01"}}]
    assert [(m["moveType"], m["quantity"]) for m in data["moves"]] == [("RECEIPT", "10"), ("ISSUE", "4")]
    assert [(r["acceptedQuantity"], r["supplier"]["code"]) for r in data["receipts"]] == [("10", "S001")]
    assert [(s["quantity"], s["customer"]["code"]) for s in data["shipments"]] == [("4", "C9")]

    soon = await gql.execute("""{ expiringSoon(days: 30) { edges { node { lot daysLeft quantity } } } }""")
    assert [e["node"] for e in soon["expiringSoon"]["edges"]] == [{"lot": "B2026", "daysLeft": 20, "quantity": "6"}]
    later = await gql.execute("""{ expiringSoon(days: 10) { edges { node { lot } } } }""")
    assert later["expiringSoon"]["edges"] == []
    # a warehouse keeper without sales.view sees where the lot is, not who bought it
    from tests.gql import admin_token

    keeper = await admin_token(db, "scanner")
    body = await gql.post(TRACE, {"p": to_global_id("Product", pw.lotted), "c": "B2026"}, token=keeper)
    assert body["data"]["lotTrace"]["shipments"] is None and body["data"]["lotTrace"]["onHand"]


async def test_expiring_lots_are_alerted_once(db):
    import json

    from server.events.models import event
    from server.inventory.lots import LOT_EXPIRING, do_alert_expiring_lots
    from tests.sales_helpers import make_sales_world

    await make_sales_world(db)  # lot SOON expires in 10 days, LATE in 90
    assert await do_alert_expiring_lots(db, 30) == 1
    assert await do_alert_expiring_lots(db, 30) == 0  # once per lot
    assert await do_alert_expiring_lots(db, 120) == 1  # LATE enters a wider window
    async with db.read() as conn:
        rows = (
            await conn.execute(select(event.c.payload).where(event.c.event_type == LOT_EXPIRING).order_by(event.c.seq))
        ).all()
    assert [json.loads(r.payload)["code"] for r in rows] == ["SOON", "LATE"]
