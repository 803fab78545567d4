"""Stock count input types."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.enums import CountMode
from schema.scalars import Quantity


@strawberry.input
class OpenCountInput:
    warehouse_id: strawberry.ID
    mode: CountMode = CountMode.SNAPSHOT
    blind: bool = True
    location_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    product_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    count_date: date | None = None
    note: str = ""


@strawberry.input(description="A counted quantity: for a line, or for a product found where the book has none.")
class CountEntryInput:
    quantity: Quantity
    line_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    lot: str | None = None
