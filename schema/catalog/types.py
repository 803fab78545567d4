"""Catalog GraphQL types. Leaf fields are plain attributes; relations go through DataLoaders."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import cast

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_can, needs
from schema.batching import held, now_or_later
from schema.integrations.external_ids import ExternalId, external_ids_field
from schema.relay import Node, to_global_id
from schema.scalars import Decimal_, Money, Quantity
from server.core.errors import ApiError
from server.core.numbers import fen_to_decimal, rate_to_decimal, scaled_to_decimal


@strawberry.enum(description="How a product's stock is tracked.")
class TrackingMode(enum.Enum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


@strawberry.type(description="A unit of measure (计量单位) with its decimal precision.")
class Unit(Node):
    id: strawberry.ID
    code: str
    name: str
    name_en: str
    precision: int
    active: bool

    @classmethod
    def from_row(cls, r) -> Unit:
        return cls(
            id=to_global_id("Unit", r.id),
            code=r.code,
            name=r.name,
            name_en=r.name_en,
            precision=r.precision,
            active=r.active,
        )


@strawberry.type(description="A product category (商品分类) in a tree.")
class Category(Node):
    id: strawberry.ID
    code: str
    name: str
    active: bool
    _pk: strawberry.Private[int]
    _parent_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, r) -> Category:
        return cls(
            id=to_global_id("Category", r.id),
            code=r.code,
            name=r.name,
            active=r.active,
            _pk=r.id,
            _parent_id=r.parent_id,
        )

    @strawberry.field
    async def parent(self, info: Info) -> Category | None:
        if self._parent_id is None:
            return None
        return Category.from_row(await info.context.loaders.catalog.category.load(self._parent_id))

    @strawberry.field
    async def children(self, info: Info) -> list[Category]:
        return [Category.from_row(r) for r in await info.context.loaders.catalog.child_categories.load(self._pk)]


@strawberry.type(description="An alternative unit of a product, e.g. a box of 12 pieces.")
class ProductUnit:
    factor: Decimal_ = strawberry.field(description="Base units per one of this unit.")
    _unit_id: strawberry.Private[int]

    @strawberry.field
    def unit(self, info: Info) -> Unit:
        return now_or_later(info.context.loaders.catalog.unit, self._unit_id, Unit.from_row)


@strawberry.type(description="A barcode of a product (GTIN or internal code), optionally for a pack unit.")
class Barcode:
    code: str
    kind: str
    _unit_id: strawberry.Private[int | None]

    @strawberry.field(description="The unit this barcode stands for; null means the base unit.")
    def unit(self, info: Info) -> Unit | None:
        if self._unit_id is None:
            return None
        return now_or_later(info.context.loaders.catalog.unit, self._unit_id, Unit.from_row)


@strawberry.type(description="A product (商品).")
class Product(Node):
    id: strawberry.ID
    sku: str
    name: str
    spec: str = strawberry.field(description="Specification / model (规格型号).")
    sale_price: Money
    purchase_price: Money | None = strawberry.field(description="Needs cost.view.", extensions=needs("cost.view"))
    vat_rate: Decimal_
    reorder_point: Quantity
    reorder_quantity: Quantity
    tracking: TrackingMode
    active: bool
    created_at: datetime
    updated_at: datetime
    _pk: strawberry.Private[int]
    _category_id: strawberry.Private[int | None]
    _base_unit_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, r, precision: int = 0) -> Product:
        return cls(
            id=to_global_id("Product", r.id),
            sku=r.sku,
            name=r.name,
            spec=r.spec,
            sale_price=str(fen_to_decimal(r.sale_price_fen)),
            purchase_price=str(fen_to_decimal(r.purchase_price_fen)),
            vat_rate=str(rate_to_decimal(r.vat_rate_bp)),
            reorder_point=str(scaled_to_decimal(r.reorder_point, precision)),
            reorder_quantity=str(scaled_to_decimal(r.reorder_qty, precision)),
            tracking=TrackingMode(r.tracking),
            active=r.active,
            created_at=r.created_at,
            updated_at=r.updated_at,
            _pk=r.id,
            _category_id=r.category_id,
            _base_unit_id=r.base_unit_id,
        )

    @strawberry.field
    def category(self, info: Info) -> Category | None:
        if self._category_id is None:
            return None
        return now_or_later(info.context.loaders.catalog.category, self._category_id, Category.from_row)

    @strawberry.field
    def base_unit(self, info: Info) -> Unit:
        return now_or_later(info.context.loaders.catalog.unit, self._base_unit_id, Unit.from_row)

    @strawberry.field(description="Alternative units with conversion factors.")
    async def units(self, info: Info) -> list[ProductUnit]:
        rows = await info.context.loaders.catalog.product_units.load(self._pk)
        return [
            ProductUnit(factor=format(scaled_to_decimal(r.factor, 0).normalize(), "f"), _unit_id=r.unit_id)
            for r in rows
        ]

    @strawberry.field
    async def barcodes(self, info: Info) -> list[Barcode]:
        rows = await info.context.loaders.catalog.barcodes.load(self._pk)
        return [Barcode(code=r.code, kind=r.kind, _unit_id=r.unit_id) for r in rows]

    @strawberry.field(description="The ids other systems know this product by (upsertProduct), by source.")
    async def external_ids(self, info: Info) -> list[ExternalId]:
        return await external_ids_field(info, "product", self._pk)


def product_now_or_later(info: Info, product_id: int) -> Product | None:
    """``product_from_id`` at once when the loaders hold the product and its base unit (a page primed
    them), else an awaitable of it (for plain resolvers: ``now_or_later``)."""
    if not caller_can(info, "catalog.view"):
        raise ApiError("PERMISSION_DENIED", permission="catalog.view")
    catalog = info.context.loaders.catalog
    if (product_row := held(catalog.product, product_id)) is None:
        return cast(Product | None, product_from_id(info, product_id))
    if (row := product_row.result()) is None:
        return None
    if (unit_row := held(catalog.unit, row.base_unit_id)) is None:
        return cast(Product | None, product_from_id(info, product_id))
    return Product.from_row(row, unit_row.result().precision)


async def product_from_id(info: Info, product_id: int) -> Product | None:
    """A product for any field that leads to one (stock levels, moves, events): needs catalog.view."""
    if not caller_can(info, "catalog.view"):
        raise ApiError("PERMISSION_DENIED", permission="catalog.view")
    row = await info.context.loaders.catalog.product.load(product_id)
    if row is None:
        return None
    unit_row = await info.context.loaders.catalog.unit.load(row.base_unit_id)
    return Product.from_row(row, unit_row.precision)
