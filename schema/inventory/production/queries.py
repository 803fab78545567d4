"""Production queries."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.enums import ProductionStatus
from schema.inventory.production.types import ProductionOrder
from schema.relay import Connection, paginate
from server.auth import scope
from server.inventory.models import production_order


@strawberry.type
class ProductionQuery:
    @strawberry.field(description="Production orders, newest first.", extensions=needs("stock.view"))
    async def production_orders(
        self, info: Info, status: ProductionStatus | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[ProductionOrder]:
        q = select(production_order).order_by(production_order.c.id.desc())
        if status:
            q = q.where(production_order.c.status == status.value)
        q = q.where(scope.within(caller_warehouses(info), production_order.c.warehouse_id))
        return await paginate(info, q, ProductionOrder.from_row, first=first, after=after)
