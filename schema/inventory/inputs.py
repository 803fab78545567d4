"""Inventory input types (filters, the lines of the four stock primitives) and the decoding of the IDs
they carry."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from schema.inventory.types import MoveType
from schema.relay import decode_id
from schema.scalars import Decimal_, Quantity
from server.inventory.errors import InventoryError as DomainInventoryError


def inventory_pk(global_id, type_name: str, field: str, what: str) -> int:
    """Decode a global ID inside an inventory action: a wrong one is a ``NOT_FOUND`` payload error."""
    value = decode_id(global_id, type_name)
    if value is None:
        raise DomainInventoryError("NOT_FOUND", field, what=what)
    return value


def pk_or_zero(global_id, type_name: str) -> int:
    """Primary key of a global ID, or 0 (never a valid key) so the domain reports NOT_FOUND."""
    if global_id is None:
        return 0
    return decode_id(global_id, type_name) or 0


@strawberry.input
class StockLevelFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    below_reorder_point: bool = strawberry.field(
        default=False, description="Only products whose total stock is below their reorder point."
    )
    include_empty: bool = strawberry.field(default=False, description="Also list levels at zero.")


@strawberry.enum
class StockLevelOrder(enum.Enum):
    PRODUCT_SKU = "product_sku"
    LOCATION_CODE = "location_code"
    QUANTITY_DESC = "quantity_desc"


@strawberry.input
class StockMoveFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    move_type: MoveType | None = None


@strawberry.input
class LocationFilter:
    warehouse_id: strawberry.ID | None = None
    text: str | None = None
    active: bool | None = None


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    address: str = ""
    idempotency_key: str | None = None


@strawberry.input
class UpdateWarehouseInput:
    id: strawberry.ID
    name: str | None = None
    address: str | None = None


@strawberry.input
class UpdateLocationInput:
    id: strawberry.ID
    name: str | None = None
    sort_order: int | None = None


@strawberry.input
class CreateLocationInput:
    warehouse_id: strawberry.ID
    code: str
    name: str = ""
    parent_id: strawberry.ID | None = None
    sort_order: int = 0
    idempotency_key: str | None = None


@strawberry.input(description="One line of a receipt (入库).")
class ReceiveLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None
    unit_cost: Decimal_ | None = strawberry.field(
        default=None, description="CNY per unit excl. VAT; default: the product's purchase price."
    )


@strawberry.input(description="One line of an issue (出库).")
class IssueLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None


@strawberry.input(description="One line of a transfer (调拨).")
class TransferLineInput:
    product_id: strawberry.ID
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None


@strawberry.input(description="One line of an adjustment: positive adds stock, negative removes it.")
class AdjustLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None
    unit_cost: Decimal_ | None = None


@strawberry.input
class StockChangedFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
