"""Principals and a purchasing world for the purchasing tests."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth.permissions import BUILTIN_ROLES
from server.auth.services import Principal
from server.partners.services import PartnerInput, do_create_partner
from tests.factories import World, make_product, make_world


def principal(role: str, user_id: int, name: str | None = None, warehouses=None) -> Principal:
    return Principal(
        kind="user",
        name=name or f"{role}{user_id}",
        user_id=user_id,
        token_id=None,
        permissions=BUILTIN_ROLES[role][2],
        warehouse_ids=warehouses,
        roles=(role,),
    )


PURCHASER = principal("purchaser", 1, "alice")
MANAGER = principal("purchase_manager", 2, "bob")
MANAGER2 = principal("purchase_manager", 5, "bella")
ADMIN = principal("admin", 3, "root")
KEEPER = principal("warehouse_keeper", 4, "carl")
ACCOUNTANT = principal("accountant", 6, "dora")
CASHIER = principal("cashier", 7, "eve")


@dataclass
class PurchasingWorld:
    w: World
    supplier: int
    supplier2: int
    widget: int  # pieces, purchase price 10.00, box of 12
    flour: int  # kilograms
    serial: int  # serial-tracked
    lotted: int  # lot-tracked


async def make_purchasing_world(db, *, payment_terms_days: int = 30) -> PurchasingWorld:
    w = await make_world(db)
    s1 = await do_create_partner(
        db,
        "supplier",
        PartnerInput(code="S001", name="华东五金", tax_id="91310000MA1FL0001X", payment_terms_days=payment_terms_days),
    )
    s2 = await do_create_partner(db, "supplier", PartnerInput(code="S002", name="北方贸易"))
    widget = await make_product(db, w, purchase_price="10.00")
    flour = await make_product(db, w, unit="kg", purchase_price="4.20")
    serial = await make_product(db, w, tracking="serial", purchase_price="1000.00")
    lotted = await make_product(db, w, tracking="lot", purchase_price="3.00")
    return PurchasingWorld(w, s1, s2, widget, flour, serial, lotted)


async def approved_order_for_scanning(db, quantity: str, ean: str = "9521234543213"):
    """A purchasing world, a product labelled ``ean`` and an approved PO for ``quantity`` of it:
    (world, product id, PO number)."""
    from sqlalchemy import select

    from server.purchasing import orders
    from server.purchasing.models import purchase_order
    from tests.factories import make_product

    pw = await make_purchasing_world(db)
    item = await make_product(db, pw.w, barcodes=(ean,))
    order_id = await orders.do_create_purchase_order(
        db, orders.OrderInput(pw.supplier, pw.w.wh1, [orders.OrderLineInput(item, quantity)]), PURCHASER
    )
    await orders.do_submit_purchase_order(db, order_id, PURCHASER)
    await orders.do_approve_purchase_order(db, order_id, MANAGER)
    async with db.read() as conn:
        number = (
            await conn.execute(select(purchase_order.c.number).where(purchase_order.c.id == order_id))
        ).scalar_one()
    return pw, item, number
