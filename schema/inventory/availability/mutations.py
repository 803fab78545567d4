"""The ``setSafetyStock`` mutation."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, run_action
from schema.relay import decode_id
from schema.scalars import Quantity
from server.inventory import availability
from server.inventory.errors import InventoryError as DomainInventoryError
from server.inventory.errors import InventoryErrorCode


@strawberry.type
class SafetyStockPayload:
    ok: bool
    errors: list[InventoryError]


@strawberry.type
class AvailabilityMutation:
    @strawberry.mutation(
        description=(
            "Keep a quantity (base unit, ≥ 0; 0: nothing) of a product in a warehouse back from the shops: "
            "available to sell = on hand − reserved − safety stock. Publishes the changed figure (webhook "
            "AVAILABLE_TO_SELL)."
        ),
        extensions=needs("stock.adjust"),
    )
    async def set_safety_stock(
        self, info: Info, product_id: strawberry.ID, warehouse_id: strawberry.ID, quantity: Quantity
    ) -> SafetyStockPayload:
        async def action():
            pid, wh = decode_id(product_id, "Product"), decode_id(warehouse_id, "Warehouse")
            if pid is None or wh is None:
                raise DomainInventoryError(
                    "NOT_FOUND",
                    "productId" if pid is None else "warehouseId",
                    what="product" if pid is None else "warehouse",
                )
            await availability.do_set_safety_stock(info.context.db, pid, wh, quantity, info.context.principal)

        _, errors = await run_action(info, InventoryErrorCode, action)
        return SafetyStockPayload(ok=not errors, errors=errors)
