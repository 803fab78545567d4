"""Transfer input types."""

from __future__ import annotations

import strawberry

from schema.scalars import Quantity


@strawberry.input
class DispatchLineInput:
    product_id: strawberry.ID
    quantity: Quantity
    from_location_id: strawberry.ID
    lot: str | None = None
    unit_id: strawberry.ID | None = None


@strawberry.input
class ArrivalLineInput:
    transfer_line_id: strawberry.ID
    received_quantity: Quantity = strawberry.field(description="Base unit; what arrived now.")
    to_location_id: strawberry.ID
    close: bool = strawberry.field(default=True, description="Nothing more will arrive: the rest is a difference.")
    difference_reason: str = ""
