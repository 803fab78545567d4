"""The live ``lowStock`` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.inventory.reorder.types import LowStockEvent, base_precision, quantity_at
from schema.live import live_events
from schema.relay import decode_id
from server.auth import scope
from server.events.types import STOCK_LOW


@strawberry.type
class ReorderSubscription:
    @strawberry.subscription(
        description="Products whose available stock falls below their minimum, live; once per "
        "crossing. `since` replays.",
        extensions=needs("stock.view"),
    )
    async def low_stock(
        self, info: Info, warehouse_id: strawberry.ID | None = None, since: int | None = None
    ) -> AsyncGenerator[LowStockEvent, None]:
        wh = decode_id(warehouse_id, "Warehouse") if warehouse_id is not None else None
        allowed = caller_warehouses(info)

        def predicate(ev) -> bool:
            if ev.event_type != STOCK_LOW:
                return False
            w = ev.data.warehouse_id
            return (wh is None or w == wh) and scope.allows(allowed, w)

        async for ev in live_events(info, predicate, since, STOCK_LOW, "stock.view"):
            d = ev.data
            precision = await base_precision(info, d.product_id)
            yield LowStockEvent(
                seq=ev.seq,
                occurred_at=ev.created_at,
                available=quantity_at(d.available, precision),
                min_quantity=quantity_at(d.min_qty, precision),
                _product_id=d.product_id,
                _warehouse_id=d.warehouse_id,
            )
