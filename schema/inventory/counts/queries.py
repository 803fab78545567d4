"""Stock count queries."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.enums import StockCountStatus
from schema.inventory.counts.types import StockCount
from schema.relay import Connection, paginate
from server.auth import scope
from server.inventory.models import stock_count


@strawberry.type
class CountQuery:
    @strawberry.field(description="Stock counts, newest first.", extensions=needs("stock.view"))
    async def stock_counts(
        self, info: Info, status: StockCountStatus | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[StockCount]:
        q = select(stock_count).order_by(stock_count.c.id.desc())
        if status:
            q = q.where(stock_count.c.status == status.value)
        q = q.where(scope.within(caller_warehouses(info), stock_count.c.warehouse_id))
        return await paginate(info, q, StockCount.from_row, first=first, after=after)
