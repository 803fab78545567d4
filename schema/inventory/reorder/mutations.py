"""Reorder rule mutations."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, run_action
from schema.relay import decode_id
from schema.scalars import Quantity
from server.inventory import reorder
from server.inventory.errors import InventoryError as DomainInventoryError
from server.inventory.errors import InventoryErrorCode


@strawberry.type
class ReorderRulePayload:
    ok: bool
    errors: list[InventoryError]


@strawberry.type
class ReorderMutation:
    @strawberry.mutation(
        description="Set a product's min/max in a warehouse (base unit); alerts at once if below.",
        extensions=needs("stock.adjust"),
    )
    async def set_reorder_rule(
        self,
        info: Info,
        product_id: strawberry.ID,
        warehouse_id: strawberry.ID,
        min_quantity: Quantity,
        max_quantity: Quantity,
    ) -> ReorderRulePayload:
        async def action():
            pid, wh = decode_id(product_id, "Product"), decode_id(warehouse_id, "Warehouse")
            if pid is None or wh is None:
                raise DomainInventoryError(
                    "NOT_FOUND",
                    "productId" if pid is None else "warehouseId",
                    what="product" if pid is None else "warehouse",
                )
            await reorder.do_set_reorder_rule(
                info.context.db, pid, wh, min_quantity, max_quantity, info.context.principal
            )

        _, errors = await run_action(info, InventoryErrorCode, action)
        return ReorderRulePayload(ok=not errors, errors=errors)

    @strawberry.mutation(description="Remove a product's min/max in a warehouse.", extensions=needs("stock.adjust"))
    async def delete_reorder_rule(
        self, info: Info, product_id: strawberry.ID, warehouse_id: strawberry.ID
    ) -> ReorderRulePayload:
        async def action():
            pid, wh = decode_id(product_id, "Product"), decode_id(warehouse_id, "Warehouse")
            if pid is None or wh is None:
                raise DomainInventoryError(
                    "NOT_FOUND",
                    "productId" if pid is None else "warehouseId",
                    what="product" if pid is None else "warehouse",
                )
            await reorder.do_delete_reorder_rule(info.context.db, pid, wh, info.context.principal)

        _, errors = await run_action(info, InventoryErrorCode, action)
        return ReorderRulePayload(ok=not errors, errors=errors)
