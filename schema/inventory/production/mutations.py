"""Production mutations: bills of materials, orders, issuing and returning materials, receiving
finished goods."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, run_action
from schema.inventory.inputs import inventory_pk
from schema.inventory.production.inputs import ComponentInput, MaterialLineInput
from schema.inventory.production.types import ProductionOrder
from schema.scalars import Money, Quantity
from server.inventory import production
from server.inventory.errors import InventoryErrorCode
from server.inventory.models import production_order


@strawberry.type
class ProductionPayload:
    order: ProductionOrder | None
    errors: list[InventoryError]


@strawberry.type
class BomPayload:
    ok: bool
    errors: list[InventoryError]


async def _payload(info: Info, action) -> ProductionPayload:
    order_id, errors = await run_action(info, InventoryErrorCode, action)
    if errors:
        return ProductionPayload(order=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(production_order).where(production_order.c.id == order_id))).one()
    return ProductionPayload(order=ProductionOrder.from_row(row), errors=[])


def _materials(lines) -> list[production.MaterialLine]:
    return [
        production.MaterialLine(
            inventory_pk(ln.line_id, "ProductionOrderLine", f"lines.{i}.lineId", "production_order"),
            ln.quantity,
            inventory_pk(ln.location_id, "Location", f"lines.{i}.locationId", "location"),
            ln.lot,
        )
        for i, ln in enumerate(lines)
    ]


@strawberry.type
class ProductionMutation:
    @strawberry.mutation(
        description="Replace a product's bill of materials (物料清单).", extensions=needs("catalog.edit")
    )
    async def set_bill_of_materials(
        self, info: Info, product_id: strawberry.ID, components: list[ComponentInput]
    ) -> BomPayload:
        async def action():
            await production.do_set_bill_of_materials(
                info.context.db,
                inventory_pk(product_id, "Product", "productId", "product"),
                [
                    production.ComponentInput(
                        inventory_pk(x.component_id, "Product", f"components.{i}.componentId", "product"), x.quantity
                    )
                    for i, x in enumerate(components)
                ],
                info.context.principal,
            )

        _, errors = await run_action(info, InventoryErrorCode, action)
        return BomPayload(ok=not errors, errors=errors)

    @strawberry.mutation(
        description="Create a production order from the product's BOM.", extensions=needs("stock.issue")
    )
    async def create_production_order(
        self,
        info: Info,
        product_id: strawberry.ID,
        warehouse_id: strawberry.ID,
        quantity: Quantity,
        labour: Money = Money("0"),
        overhead: Money = Money("0"),
    ) -> ProductionPayload:
        return await _payload(
            info,
            lambda: production.do_create_production_order(
                info.context.db,
                production.ProductionInput(
                    inventory_pk(product_id, "Product", "productId", "product"),
                    inventory_pk(warehouse_id, "Warehouse", "warehouseId", "warehouse"),
                    quantity,
                    labour,
                    overhead,
                ),
                info.context.principal,
            ),
        )

    @strawberry.mutation(description="Issue components to an order (生产领料).", extensions=needs("stock.issue"))
    async def issue_materials(self, info: Info, id: strawberry.ID, lines: list[MaterialLineInput]) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_issue_materials(info.context.db, order_id, _materials(lines), info.context.principal)
            return order_id

        return await _payload(info, action)

    @strawberry.mutation(
        description="Return unused components (退料) at their issue value.", extensions=needs("stock.issue")
    )
    async def return_materials(
        self, info: Info, id: strawberry.ID, lines: list[MaterialLineInput]
    ) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_issue_materials(
                info.context.db, order_id, _materials(lines), info.context.principal, returning=True
            )
            return order_id

        return await _payload(info, action)

    @strawberry.mutation(
        description="Receive finished goods (生产入库); `complete` takes the rest of the cost.",
        extensions=needs("stock.receive"),
    )
    async def receive_finished_goods(
        self,
        info: Info,
        id: strawberry.ID,
        quantity: Quantity,
        location_id: strawberry.ID,
        complete: bool = False,
        lot: str | None = None,
        expiry_date: date | None = None,
    ) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_receive_finished_goods(
                info.context.db,
                order_id,
                production.FinishedGoodsInput(
                    quantity,
                    inventory_pk(location_id, "Location", "locationId", "location"),
                    lot,
                    complete,
                    expiry_date,
                ),
                info.context.principal,
            )
            return order_id

        return await _payload(info, action)
