"""The live ``stockChanged`` subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.inventory.inputs import StockChangedFilter, pk_or_zero
from schema.inventory.types import MoveType, StockChangedEvent, precision_of
from schema.live import live_events, shared_answer
from server.auth import scope
from server.core.numbers import scaled_to_decimal
from server.events.types import STOCK_CHANGED
from server.inventory import counts


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        description=(
            "Every stock change after commit, in journal order. Pass `since` (the last `seq` you saw) to "
            "replay what you missed before going live."
        ),
        extensions=needs("stock.view"),
    )
    async def stock_changed(
        self, info: Info, filter: StockChangedFilter | None = None, since: int | None = None
    ) -> AsyncGenerator[StockChangedEvent, None]:
        f = filter or StockChangedFilter()
        wanted = {
            "product_id": pk_or_zero(f.product_id, "Product") if f.product_id else None,
            "warehouse_id": pk_or_zero(f.warehouse_id, "Warehouse") if f.warehouse_id else None,
            "location_id": pk_or_zero(f.location_id, "Location") if f.location_id else None,
        }
        wanted = {k: v for k, v in wanted.items() if v is not None}

        allowed = caller_warehouses(info)

        def predicate(ev) -> bool:
            return (
                ev.event_type == STOCK_CHANGED
                and all(getattr(ev.data, k) == v for k, v in wanted.items())
                and scope.allows(allowed, ev.data.warehouse_id)
            )

        counter = counts.hidden_book_locations(info.context.principal) is not None
        db, principal = info.context.db, info.context.principal

        def hidden(location_id: int):
            async def compute() -> bool:
                async with db.read() as conn:
                    return await counts.location_hidden(conn, principal, location_id)

            return compute

        async for ev in live_events(info, predicate, since, STOCK_CHANGED, "stock.view"):
            d = ev.data
            # a counter gets no event of a location under a blind count (checked at delivery, once per
            # event for all of them: what is hidden is the same for everyone who may not see the books)
            if counter and await shared_answer(ev, ("location_hidden", d.location_id), hidden(d.location_id)):
                continue
            precision = await precision_of(info, d.product_id)
            yield StockChangedEvent(
                seq=ev.seq,
                occurred_at=ev.created_at,
                delta=str(scaled_to_decimal(d.delta, precision)),
                quantity=str(scaled_to_decimal(d.quantity, precision)),
                move_type=MoveType(d.move_type),
                _product_id=d.product_id,
                _location_id=d.location_id,
                _warehouse_id=d.warehouse_id,
                _lot_id=d.lot_id,
                _move_id=d.move_id,
            )
