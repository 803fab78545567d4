"""Catalog queries and mutations."""

from __future__ import annotations

import enum

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth import needs
from schema.catalog.types import Category, Product, TrackingMode, Unit, product_from_id
from schema.enums import value_of
from schema.errors import CatalogError, invalid_id, run_action
from schema.relay import Connection, decode_id, paginate
from schema.scalars import Decimal_, Money, Quantity
from server.catalog import services
from server.catalog.models import barcode, category, product, unit
from server.catalog.errors import CatalogErrorCode
from server.sql import like_pattern

CODES = CatalogErrorCode


@strawberry.enum
class ProductOrderField(enum.Enum):
    SKU = "sku"
    NAME = "name"
    CREATED_AT = "created_at"


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class ProductFilter:
    text: str | None = strawberry.UNSET
    category_id: strawberry.ID | None = strawberry.field(default=None, description="Includes sub-categories.")
    barcode: str | None = None
    active: bool | None = None


@strawberry.input
class ProductOrder:
    field: ProductOrderField = ProductOrderField.SKU
    direction: OrderDirection = OrderDirection.ASC


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


def _product_node(row) -> Product:
    return Product.from_row(row, row.precision)


def _product_query():
    return select(product, unit.c.precision).join(unit, unit.c.id == product.c.base_unit_id)


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Products, filtered by text (SKU, name, spec), category, barcode, active.", extensions=needs('catalog.view'))
    async def products(
        self, info: Info, filter: ProductFilter | None = None, order_by: ProductOrder | None = None,
        first: int | None = None, after: str | None = None,
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
        return await paginate(info, q, _product_node, first=first, after=after)

    @strawberry.field(description="The product a barcode belongs to (GTIN or internal code).", extensions=needs('catalog.view'))
    async def product_by_barcode(self, info: Info, code: str) -> Product | None:
        async with info.context.db.read() as conn:
            pid = (await conn.execute(select(barcode.c.product_id).where(barcode.c.code == code.strip()))).scalar()
        return await product_from_id(info, pid) if pid else None

    @strawberry.field(extensions=needs('catalog.view'))
    async def units(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Unit]:
        return await paginate(info, select(unit).order_by(unit.c.code), Unit.from_row, first=first, after=after)

    @strawberry.field(description="Categories; `rootsOnly` lists the top of the tree.", extensions=needs('catalog.view'))
    async def categories(
        self, info: Info, roots_only: bool = False, first: int | None = None, after: str | None = None
    ) -> Connection[Category]:
        q = select(category).order_by(category.c.code)
        if roots_only:
            q = q.where(category.c.parent_id.is_(None))
        return await paginate(info, q, Category.from_row, first=first, after=after)


# ---- mutations -------------------------------------------------------------------------------


@strawberry.type
class UnitPayload:
    unit: Unit | None
    errors: list[CatalogError]


@strawberry.type
class CategoryPayload:
    category: Category | None
    errors: list[CatalogError]


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[CatalogError]


@strawberry.input
class CreateUnitInput:
    code: str
    name: str
    name_en: str = ""
    precision: int = 0
    idempotency_key: str | None = None


@strawberry.input
class CreateCategoryInput:
    code: str
    name: str
    parent_id: strawberry.ID | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateCategoryInput:
    id: strawberry.ID
    name: str | None = None
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="Move under another category.")
    make_root: bool = False


@strawberry.input
class ProductUnitInput:
    unit_id: strawberry.ID
    factor: Decimal_ = strawberry.field(description="Base units per one of this unit, e.g. \"12\".")


@strawberry.input
class BarcodeInput:
    code: str
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="Pack unit; default base unit.")


@strawberry.input
class ProductInput:
    sku: str | None = None
    name: str | None = None
    spec: str | None = None
    category_id: strawberry.ID | None = None
    base_unit_id: strawberry.ID | None = None
    sale_price: Money | None = None
    purchase_price: Money | None = None
    vat_rate: Decimal_ | None = None
    reorder_point: Quantity | None = None
    reorder_quantity: Quantity | None = None
    tracking: TrackingMode | None = None
    units: list[ProductUnitInput] = strawberry.field(default_factory=list)
    barcodes: list[BarcodeInput] = strawberry.field(default_factory=list)


class _BadId(Exception):
    def __init__(self, field: str, what: str):
        self.field, self.what = field, what


def _id(value, type_name: str, field: str, what: str) -> int | None:
    if value is None:
        return None
    pk = decode_id(value, type_name)
    if pk is None:
        raise _BadId(field, what)
    return pk


def _to_domain(data: ProductInput) -> services.ProductInput:
    return services.ProductInput(
        sku=data.sku, name=data.name, spec=data.spec,
        category_id=_id(data.category_id, "Category", "categoryId", "category"),
        base_unit_id=_id(data.base_unit_id, "Unit", "baseUnitId", "unit"),
        sale_price=data.sale_price, purchase_price=data.purchase_price, vat_rate=data.vat_rate,
        reorder_point=data.reorder_point, reorder_quantity=data.reorder_quantity, tracking=value_of(data.tracking),
        units=[services.AltUnitInput(_id(u.unit_id, "Unit", f"units.{i}.unitId", "unit"), u.factor)
               for i, u in enumerate(data.units)],
        barcodes=[services.BarcodeInput(b.code, _id(b.unit_id, "Unit", f"barcodes.{i}.unitId", "unit"))
                  for i, b in enumerate(data.barcodes)],
    )


async def _product_payload(info: Info, action) -> ProductPayload:
    try:
        pid, errors = await run_action(info, CODES, action)
    except _BadId as bad:
        return ProductPayload(product=None, errors=invalid_id(CODES, bad.field, bad.what, info.context.lang))
    return ProductPayload(product=await product_from_id(info, pid) if pid else None, errors=errors)


async def _load(info: Info, loader, to_type, pk):
    return to_type(await loader.load(pk)) if pk else None


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Create a unit of measure.", extensions=needs('catalog.edit'))
    async def create_unit(self, info: Info, input: CreateUnitInput) -> UnitPayload:
        pk, errors = await run_action(info, CODES, lambda: services.do_create_unit(
            info.context.db, code=input.code, name=input.name, name_en=input.name_en, precision=input.precision,
            idempotency_key=input.idempotency_key, principal=info.context.principal))
        return UnitPayload(unit=await _load(info, info.context.loaders.unit, Unit.from_row, pk), errors=errors)

    @strawberry.mutation(description="Create a category, optionally under a parent.", extensions=needs('catalog.edit'))
    async def create_category(self, info: Info, input: CreateCategoryInput) -> CategoryPayload:
        parent = decode_id(input.parent_id, "Category") if input.parent_id else None
        if input.parent_id and parent is None:
            return CategoryPayload(category=None, errors=invalid_id(CODES, "parentId", "category", info.context.lang))
        pk, errors = await run_action(info, CODES, lambda: services.do_create_category(
            info.context.db, code=input.code, name=input.name, parent_id=parent, idempotency_key=input.idempotency_key,
            principal=info.context.principal))
        return CategoryPayload(category=await _load(info, info.context.loaders.category, Category.from_row, pk),
                               errors=errors)

    @strawberry.mutation(description="Rename a category or move it in the tree (cycles are refused).", extensions=needs('catalog.edit'))
    async def update_category(self, info: Info, input: UpdateCategoryInput) -> CategoryPayload:
        pk = decode_id(input.id, "Category")
        parent = decode_id(input.parent_id, "Category") if input.parent_id else None
        if pk is None or (input.parent_id and parent is None):
            field = "id" if pk is None else "parentId"
            return CategoryPayload(category=None, errors=invalid_id(CODES, field, "category", info.context.lang))

        async def action():
            await services.do_update_category(info.context.db, pk, name=input.name, parent_id=parent,
                                              clear_parent=input.make_root, principal=info.context.principal)
            return pk

        pk, errors = await run_action(info, CODES, action)
        return CategoryPayload(category=await _load(info, info.context.loaders.category, Category.from_row, pk),
                               errors=errors)

    @strawberry.mutation(description="Create a product with its alternative units and barcodes (GTINs are checked).", extensions=needs('catalog.edit'))
    async def create_product(self, info: Info, input: ProductInput, idempotency_key: str | None = None) -> ProductPayload:
        return await _product_payload(info, lambda: services.do_create_product(
            info.context.db, _to_domain(input), idempotency_key=idempotency_key, principal=info.context.principal))

    @strawberry.mutation(description="Change a product's fields (those given).", extensions=needs('catalog.edit'))
    async def update_product(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        async def action():
            pk = _id(id, "Product", "id", "product")
            data = _to_domain(input)
            await services.do_update_product(info.context.db, pk, data, principal=info.context.principal)
            return pk

        return await _product_payload(info, action)

    @strawberry.mutation(description="Archive (active=false) or restore a product. Products are never deleted.", extensions=needs('catalog.edit'))
    async def set_product_active(self, info: Info, id: strawberry.ID, active: bool) -> ProductPayload:
        async def action():
            pk = _id(id, "Product", "id", "product")
            await services.do_set_product_active(info.context.db, pk, active, principal=info.context.principal)
            return pk

        return await _product_payload(info, action)
