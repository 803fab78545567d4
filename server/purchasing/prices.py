"""Supplier price lists (per product, with validity, VAT rate, minimum order quantity and lead
time) and the preferred supplier of a product."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth.services import Principal
from server.catalog.models import product
from server.core import clock
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.sql import dialect_insert
from server.partners.models import supplier
from server.purchasing.common import Collector, load_products, quantity_in_unit, require_permission
from server.purchasing.errors import PurchasingError
from server.purchasing.models import preferred_supplier, supplier_price


@dataclass
class SupplierPriceInput:
    supplier_id: int
    product_id: int
    unit_price: str  # yuan per base unit, excl. VAT
    vat_rate: str | None = None  # default: the product's rate
    min_order_qty: str = "0"  # base unit
    pack_qty: str = "0"  # base unit; orders are rounded up to multiples of it (0: any quantity)
    lead_time_days: int = 0
    valid_from: date | None = None  # default: today
    valid_to: date | None = None


async def _active(conn, table, row_id: int, what: str, field: str) -> None:
    row = (await conn.execute(select(table.c.active).where(table.c.id == row_id))).first()
    if row is None:
        raise PurchasingError("NOT_FOUND", field, what=what)
    if not row.active:
        raise PurchasingError("INACTIVE", field, what=what)


async def do_create_supplier_price(db: Database, data: SupplierPriceInput, principal: Principal | None = None) -> int:
    require_permission(principal, "purchase.order.edit")
    c = Collector()
    price = c.price(data.unit_price, "unitPrice")
    if not 0 <= data.lead_time_days <= 3650:
        c.add("INVALID_VALUE", "leadTimeDays", detail="0–3650")
    valid_from = data.valid_from or clock.today()
    if data.valid_to is not None and data.valid_to < valid_from:
        c.add("INVALID_VALUE", "validTo", detail="before validFrom")
    async with db.write() as conn:
        await _active(conn, supplier, data.supplier_id, "supplier", "supplierId")
        await _active(conn, product, data.product_id, "product", "productId")
        p = (await load_products(conn, [data.product_id]))[data.product_id]
        rate = p.vat_rate_bp if data.vat_rate is None else c.rate(data.vat_rate, "vatRate")
        moq = quantity_in_unit(c, p, None, data.min_order_qty, "minOrderQty", allow_zero=True)
        pack = quantity_in_unit(c, p, None, data.pack_qty, "packQty", allow_zero=True)
        c.raise_if_any()
        assert moq is not None and pack is not None  # quantity_in_unit collected the problem otherwise
        values = dict(
            supplier_id=data.supplier_id,
            product_id=data.product_id,
            unit_price_micro=price,
            vat_rate_bp=rate,
            min_order_qty=moq[1],
            pack_qty=pack[1],
            lead_time_days=data.lead_time_days,
            valid_from=valid_from,
            valid_to=data.valid_to,
            created_at=utcnow(),
        )
        new_id = (
            await conn.execute(supplier_price.insert().values(**values).returning(supplier_price.c.id))
        ).scalar_one()
        note_change(conn, f"supplier_price:{new_id}", after=values)
    return new_id


async def do_end_supplier_price(
    db: Database, price_id: int, valid_to: date, principal: Principal | None = None
) -> None:
    """End a price's validity (prices are never edited in place: a new price gets a new row)."""
    require_permission(principal, "purchase.order.edit")
    async with db.write() as conn:
        row = (await conn.execute(select(supplier_price).where(supplier_price.c.id == price_id))).first()
        if row is None:
            raise PurchasingError("NOT_FOUND", "id", what="supplier_price")
        if valid_to < row.valid_from:
            raise PurchasingError("INVALID_VALUE", "validTo", detail="before validFrom")
        await conn.execute(update(supplier_price).where(supplier_price.c.id == price_id).values(valid_to=valid_to))
        note_change(conn, f"supplier_price:{price_id}", before={"valid_to": row.valid_to}, after={"valid_to": valid_to})


async def do_set_preferred_supplier(
    db: Database, product_id: int, supplier_id: int | None, principal: Principal | None = None
) -> None:
    """Set (or clear, with ``None``) the preferred supplier of a product."""
    require_permission(principal, "purchase.order.edit")
    async with db.write() as conn:
        await _active(conn, product, product_id, "product", "productId")
        if supplier_id is None:
            await conn.execute(delete(preferred_supplier).where(preferred_supplier.c.product_id == product_id))
        else:
            await _active(conn, supplier, supplier_id, "supplier", "supplierId")
            stmt = dialect_insert(conn, preferred_supplier).values(product_id=product_id, supplier_id=supplier_id)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["product_id"], set_={"supplier_id": stmt.excluded.supplier_id}
                )
            )
        note_change(conn, f"product:{product_id}", after={"preferred_supplier_id": supplier_id})


def valid_on(on: date):
    return (supplier_price.c.valid_from <= on) & or_(
        supplier_price.c.valid_to.is_(None), supplier_price.c.valid_to >= on
    )


async def current_prices(conn: AsyncConnection, supplier_id: int, product_ids, on: date) -> dict:
    """The price row valid on ``on`` per product (the most recently started one wins)."""
    rows = (
        await conn.execute(
            select(supplier_price)
            .where(
                supplier_price.c.supplier_id == supplier_id,
                supplier_price.c.product_id.in_(set(product_ids)),
                valid_on(on),
            )
            .order_by(supplier_price.c.valid_from, supplier_price.c.id)
        )
    ).all()
    return {r.product_id: r for r in rows}
