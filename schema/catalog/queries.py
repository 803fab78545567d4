"""Catalog queries: products, units and categories."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.batching import labelled, prime, record
from schema.catalog.inputs import OrderDirection, ProductFilter, ProductOrder
from schema.catalog.types import Category, Product, Unit, product_from_id
from schema.relay import Connection, decode_id, paginate
from server.catalog.models import barcode, category, product, unit
from server.core.sql import like_pattern


def _order(column, direction: OrderDirection):
    return column.desc() if direction == OrderDirection.DESC else column.asc()


async def _category_subtree(info: Info, root_id: int) -> list[int]:
    async with info.context.db.read() as conn:
        rows = (await conn.execute(select(category.c.id, category.c.parent_id))).all()
    children: dict[int | None, list[int]] = {}
    for r in rows:
        children.setdefault(r.parent_id, []).append(r.id)
    out, stack = [], [root_id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out


_cat = category.alias("j_category")


def _product_node(info: Info):
    """Products of a page; their base units and categories, read with them, go into the loaders."""
    catalog = info.context.loaders.catalog

    def node(row) -> Product:
        prime(catalog.product, record(row, product, "p"))
        prime(catalog.unit, record(row, unit, "u"))
        prime(catalog.category, record(row, _cat, "c"))
        return Product.from_row(row, row.precision)

    return node


def _product_query():
    return (
        select(product, unit.c.precision, *labelled(product, "p"), *labelled(unit, "u"), *labelled(_cat, "c"))
        .join(unit, unit.c.id == product.c.base_unit_id)
        .outerjoin(_cat, _cat.c.id == product.c.category_id)
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="Products, filtered by text (SKU, name, spec), category, barcode, active.",
        extensions=needs("catalog.view"),
    )
    async def products(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        order_by: ProductOrder | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Product]:
        q = _product_query()
        f = filter or ProductFilter()
        if f.text:
            like = like_pattern(f.text.strip())
            q = q.where(or_(*(c.ilike(like, escape="\\") for c in (product.c.sku, product.c.name, product.c.spec))))
        if f.category_id is not None:
            cat = decode_id(f.category_id, "Category")
            q = q.where(product.c.category_id.in_(await _category_subtree(info, cat) if cat else []))
        if f.barcode:
            q = q.where(product.c.id.in_(select(barcode.c.product_id).where(barcode.c.code == f.barcode.strip())))
        if f.active is not None:
            q = q.where(product.c.active == f.active)
        order = order_by or ProductOrder()
        q = q.order_by(_order(product.c[order.field.value], order.direction), product.c.id)
        return await paginate(info, q, _product_node(info), first=first, after=after)

    @strawberry.field(
        description="The product a barcode belongs to (GTIN or internal code).", extensions=needs("catalog.view")
    )
    async def product_by_barcode(self, info: Info, code: str) -> Product | None:
        async with info.context.db.read() as conn:
            pid = (await conn.execute(select(barcode.c.product_id).where(barcode.c.code == code.strip()))).scalar()
        return await product_from_id(info, pid) if pid else None

    @strawberry.field(extensions=needs("catalog.view"))
    async def units(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Unit]:
        return await paginate(info, select(unit).order_by(unit.c.code), Unit.from_row, first=first, after=after)

    @strawberry.field(
        description="Categories; `rootsOnly` lists the top of the tree.", extensions=needs("catalog.view")
    )
    async def categories(
        self, info: Info, roots_only: bool = False, first: int | None = None, after: str | None = None
    ) -> Connection[Category]:
        q = select(category).order_by(category.c.code)
        if roots_only:
            q = q.where(category.c.parent_id.is_(None))
        return await paginate(info, q, Category.from_row, first=first, after=after)
