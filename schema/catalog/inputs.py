"""Catalog input types: filters and ordering of product lists, and the inputs of the mutations."""

from __future__ import annotations

import enum

import strawberry

from schema.catalog.types import TrackingMode
from schema.scalars import Decimal_, Money, Quantity


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
    factor: Decimal_ = strawberry.field(description='Base units per one of this unit, e.g. "12".')


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
