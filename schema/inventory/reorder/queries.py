"""Availability and reorder suggestion queries."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.inventory.reorder.types import Availability, ReorderSuggestion, base_precision, quantity_at
from schema.relay import decode_id
from server.inventory import counts, reorder
from server.purchasing import replenishment


@strawberry.type
class ReorderQuery:
    @strawberry.field(
        description="On hand, reserved and available per warehouse for a product.", extensions=needs("stock.view")
    )
    async def availability(self, info: Info, product_id: strawberry.ID) -> list[Availability]:
        pid = decode_id(product_id, "Product")
        if pid is None:
            return []
        precision = await base_precision(info, pid)
        async with info.context.db.read() as conn:
            found = await reorder.availability(
                conn, pid, caller_warehouses(info), counts.hidden_book_locations(info.context.principal)
            )

        def q(v):
            return None if v is None else quantity_at(v, precision)

        return [
            Availability(
                on_hand=q(a.on_hand),
                reserved=q(a.reserved),
                available=q(a.available),
                min_quantity=q(a.min_qty),
                max_quantity=q(a.max_qty),
                _warehouse_id=a.warehouse_id,
            )
            for a in found
        ]

    @strawberry.field(
        description="Reorder suggestions for products below their minimum (补货建议).", extensions=needs("stock.view")
    )
    async def reorder_suggestions(
        self, info: Info, warehouse_id: strawberry.ID | None = None
    ) -> list[ReorderSuggestion]:
        wh = (decode_id(warehouse_id, "Warehouse") or 0) if warehouse_id is not None else None
        async with info.context.db.read() as conn:
            found = await replenishment.reorder_suggestions(conn, warehouse_id=wh, warehouses=caller_warehouses(info))
        return [
            ReorderSuggestion(
                available=quantity_at(s.available, s.precision),
                on_order=quantity_at(s.on_order, s.precision),
                min_quantity=quantity_at(s.min_qty, s.precision),
                max_quantity=quantity_at(s.max_qty, s.precision),
                quantity=quantity_at(s.quantity, s.precision),
                lead_time_days=s.lead_time_days,
                _product_id=s.product_id,
                _warehouse_id=s.warehouse_id,
                _supplier_id=s.supplier_id,
            )
            for s in found
        ]
