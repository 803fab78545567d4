"""Bills of materials and production orders (生产领料 / 生产入库) in the API."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.catalog.types import Product, product_from_id
from schema.enums import ProductionStatus
from schema.errors import InventoryError, run_action
from schema.inventory.types import Warehouse, inventory_pk
from schema.relay import Connection, paginate, to_global_id
from schema.scalars import Money, Quantity, quantity_of
from server.auth import scope
from server.inventory.errors import InventoryErrorCode
from server.inventory import production
from server.inventory.models import production_order
from server.numbers import fen_to_decimal


@strawberry.type
class ProductionOrderLine:
    id: strawberry.ID
    required_quantity: Quantity
    issued_quantity: Quantity
    returned_quantity: Quantity
    _row: strawberry.Private[object]

    @strawberry.field
    async def component(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.component_id)

    @strawberry.field(description="Net value issued; needs cost.view.", extensions=needs("cost.view"))
    def issued_value(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.issued_value_fen - self._row.returned_value_fen)))


@strawberry.type(description="A production order (生产单).")
class ProductionOrder:
    id: strawberry.ID
    number: str
    status: str = strawberry.field(description="open | in_progress | completed")
    planned_quantity: Quantity
    received_quantity: Quantity
    created_at: datetime
    _row: strawberry.Private[object]

    @classmethod
    def from_row(cls, r) -> ProductionOrder:
        return cls(id=to_global_id("ProductionOrder", r.id), number=r.number, status=r.status,
                   planned_quantity=quantity_of(r.planned_qty), received_quantity=quantity_of(r.received_qty),
                   created_at=r.created_at, _row=r)

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        return await product_from_id(info, self._row.product_id)

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self._row.warehouse_id))

    @strawberry.field(description="Value of the finished goods received so far; needs cost.view.",
                      extensions=needs("cost.view"))
    def received_value(self) -> Money | None:
        return Money(str(fen_to_decimal(self._row.received_value_fen)))

    @strawberry.field
    async def lines(self, info: Info) -> list[ProductionOrderLine]:
        rows = await info.context.loaders.production_lines.load(self._row.id)
        return [ProductionOrderLine(id=to_global_id("ProductionOrderLine", r.id), required_quantity=quantity_of(r.required_qty),
                                    issued_quantity=quantity_of(r.issued_qty), returned_quantity=quantity_of(r.returned_qty), _row=r)
                for r in rows]


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
    return [production.MaterialLine(inventory_pk(ln.line_id, "ProductionOrderLine", f"lines.{i}.lineId", "production_order"),
                                    ln.quantity, inventory_pk(ln.location_id, "Location", f"lines.{i}.locationId", "location"),
                                    ln.lot) for i, ln in enumerate(lines)]


@strawberry.type
class ProductionQuery:
    @strawberry.field(description="Production orders, newest first.", extensions=needs("stock.view"))
    async def production_orders(self, info: Info, status: ProductionStatus | None = None, first: int | None = None,
                                after: str | None = None) -> Connection[ProductionOrder]:
        q = select(production_order).order_by(production_order.c.id.desc())
        if status:
            q = q.where(production_order.c.status == status.value)
        q = q.where(scope.within(caller_warehouses(info), production_order.c.warehouse_id))
        return await paginate(info, q, ProductionOrder.from_row, first=first, after=after)


@strawberry.type
class ProductionMutation:
    @strawberry.mutation(description="Replace a product's bill of materials (物料清单).", extensions=needs("catalog.edit"))
    async def set_bill_of_materials(self, info: Info, product_id: strawberry.ID,
                                    components: list[ComponentInput]) -> BomPayload:
        async def action():
            await production.do_set_bill_of_materials(
                info.context.db, inventory_pk(product_id, "Product", "productId", "product"),
                [production.ComponentInput(inventory_pk(x.component_id, "Product", f"components.{i}.componentId", "product"),
                                           x.quantity) for i, x in enumerate(components)], info.context.principal)
        _, errors = await run_action(info, InventoryErrorCode, action)
        return BomPayload(ok=not errors, errors=errors)

    @strawberry.mutation(description="Create a production order from the product's BOM.", extensions=needs("stock.issue"))
    async def create_production_order(self, info: Info, product_id: strawberry.ID, warehouse_id: strawberry.ID,
                                      quantity: Quantity, labour: Money = Money("0"),
                                      overhead: Money = Money("0")) -> ProductionPayload:
        return await _payload(info, lambda: production.do_create_production_order(info.context.db, production.ProductionInput(
            inventory_pk(product_id, "Product", "productId", "product"), inventory_pk(warehouse_id, "Warehouse", "warehouseId", "warehouse"),
            quantity, labour, overhead), info.context.principal))

    @strawberry.mutation(description="Issue components to an order (生产领料).", extensions=needs("stock.issue"))
    async def issue_materials(self, info: Info, id: strawberry.ID, lines: list[MaterialLineInput]) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_issue_materials(info.context.db, order_id, _materials(lines), info.context.principal)
            return order_id
        return await _payload(info, action)

    @strawberry.mutation(description="Return unused components (退料) at their issue value.", extensions=needs("stock.issue"))
    async def return_materials(self, info: Info, id: strawberry.ID, lines: list[MaterialLineInput]) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_issue_materials(info.context.db, order_id, _materials(lines), info.context.principal,
                                                returning=True)
            return order_id
        return await _payload(info, action)

    @strawberry.mutation(description="Receive finished goods (生产入库); `complete` takes the rest of the cost.",
                         extensions=needs("stock.receive"))
    async def receive_finished_goods(self, info: Info, id: strawberry.ID, quantity: Quantity, location_id: strawberry.ID,
                                     complete: bool = False, lot: str | None = None,
                                     expiry_date: date | None = None) -> ProductionPayload:
        async def action():
            order_id = inventory_pk(id, "ProductionOrder", "id", "production_order")
            await production.do_receive_finished_goods(info.context.db, order_id, production.FinishedGoodsInput(
                quantity, inventory_pk(location_id, "Location", "locationId", "location"), lot, complete, expiry_date),
                info.context.principal)
            return order_id
        return await _payload(info, action)
