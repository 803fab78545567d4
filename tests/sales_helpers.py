"""Principals and a sales world for the sales tests."""

from __future__ import annotations

from dataclasses import dataclass

from server.core import clock
from server.inventory.services import StockLine, do_receive_stock
from server.partners.services import PartnerInput, do_create_partner
from tests.factories import World, make_product, make_world
from tests.purchasing_helpers import principal

SALES = principal("sales", 11, "xiaoli")
SALES2 = principal("sales", 12, "xiaowang")
SALES_MANAGER = principal("sales_manager", 13, "laozhang")
SALES_MANAGER2 = principal("sales_manager", 14, "laowu")
KEEPER = principal("warehouse_keeper", 15, "cangguan")
ACCOUNTANT = principal("accountant", 16, "kuaiji")
CASHIER = principal("cashier", 17, "chuna")
ADMIN = principal("admin", 18, "root")


@dataclass
class SalesWorld:
    w: World
    customer: int  # credit limit 10,000.00, 30 days, rating B
    retail: int  # no credit limit, normal invoices
    widget: int  # pieces (box of 12), purchase 10.00, sale 20.00; 100 in A-01 at 10.00
    lotted: int  # lot-tracked; two lots in with different expiry


async def make_sales_world(db) -> SalesWorld:
    from datetime import timedelta

    w = await make_world(db)
    customer = await do_create_partner(
        db,
        "customer",
        PartnerInput(
            code="C001",
            name="上海华联超市有限公司",
            tax_id="91310000MA1FL0002X",
            credit_limit="10000",
            payment_terms_days=30,
            invoice_type="special",
            invoice_title="上海华联超市有限公司",
        ),
    )
    retail = await do_create_partner(db, "customer", PartnerInput(code="C002", name="零售客户"))
    widget = await make_product(db, w)
    lotted = await make_product(db, w, tracking="lot", purchase_price="3.00")
    today = clock.today()
    await do_receive_stock(
        db,
        [
            StockLine(product_id=widget, quantity="100", location_id=w.a1, unit_cost="10.00"),
            StockLine(
                product_id=lotted,
                quantity="5",
                location_id=w.a1,
                lot_code="LATE",
                expiry_date=today + timedelta(days=90),
                unit_cost="3.00",
            ),
            StockLine(
                product_id=lotted,
                quantity="5",
                location_id=w.a2,
                lot_code="SOON",
                expiry_date=today + timedelta(days=10),
                unit_cost="3.00",
            ),
        ],
    )
    return SalesWorld(w, customer, retail, widget, lotted)
