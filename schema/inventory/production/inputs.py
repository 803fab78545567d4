"""Production input types."""

from __future__ import annotations

import strawberry

from schema.scalars import Quantity


@strawberry.input
class ComponentInput:
    component_id: strawberry.ID
    quantity: Quantity = strawberry.field(description="Per one base unit of the finished product.")


@strawberry.input
class MaterialLineInput:
    line_id: strawberry.ID
    quantity: Quantity
    location_id: strawberry.ID
    lot: str | None = None
