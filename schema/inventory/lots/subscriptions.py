"""The live ``lotExpiring`` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.inventory.lots.types import LotExpiringEvent
from schema.live import live_events
from server.auth import scope
from server.events.types import LOT_EXPIRING


@strawberry.type
class LotSubscription:
    @strawberry.subscription(description="Lots expiring soon, live (`since` replays).", extensions=needs("stock.view"))
    async def lot_expiring(self, info: Info, since: int | None = None) -> AsyncGenerator[LotExpiringEvent, None]:
        allowed = caller_warehouses(info)

        def predicate(ev) -> bool:
            return ev.event_type == LOT_EXPIRING and scope.allows(allowed, ev.data.warehouse_id)

        async for ev in live_events(info, predicate, since, LOT_EXPIRING, "stock.view"):
            d = ev.data
            yield LotExpiringEvent(seq=ev.seq, lot=d.code, expiry_date=d.expiry_date, _product_id=d.product_id)
