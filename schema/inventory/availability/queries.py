"""The ``availableToSell`` query."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.inventory.availability.types import AvailableToSell
from schema.relay import Connection, decode_id, paginate
from server.core.errors import ApiError
from server.integrations.external_ids import entity_ids_known_as
from server.inventory import counts
from server.inventory.availability import available_to_sell_query
from server.inventory.models import stock_availability


@strawberry.type
class AvailabilityQuery:
    @strawberry.field(
        description=(
            "可售库存 per product and warehouse (on hand in bins − reserved − safety stock), for pushing stock to "
            "shops. Lists every pair that has or had stock, a reservation or a safety stock (a pair not listed has "
            "nothing to sell), oldest pair first; the cursors are keys, so pairs added meanwhile never shift a page. "
            "Filters: one warehouse, products by ID, or by the ids a source (e.g. shop:taobao) knows them by, and "
            "changedSince (figures that changed at or after it: poll with the time of the previous poll). The "
            "webhook event AVAILABLE_TO_SELL pushes the same figures."
        ),
        extensions=needs("stock.view"),
    )
    async def available_to_sell(
        self,
        info: Info,
        warehouse_id: strawberry.ID | None = None,
        product_ids: list[strawberry.ID] | None = None,
        source_: Annotated[
            str | None,
            strawberry.argument(
                name="source", description="With externalIds: the system that knows the products by them."
            ),
        ] = None,
        external_ids: Annotated[
            list[str] | None,
            strawberry.argument(description="Products by the ids `source` knows them by (unknown ids are left out)."),
        ] = None,
        changed_since: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AvailableToSell]:
        max_ids = info.context.settings.max_page_size
        if len(product_ids or ()) > max_ids or len(external_ids or ()) > max_ids:
            raise ApiError("PAGE_SIZE_TOO_LARGE", max=max_ids)
        pids = None if product_ids is None else [decode_id(i, "Product") or 0 for i in product_ids]
        wh = None if warehouse_id is None else (decode_id(warehouse_id, "Warehouse") or 0)
        q = available_to_sell_query(
            warehouses=caller_warehouses(info),
            warehouse_id=wh,
            product_ids=pids,
            changed_since=changed_since,
            hidden=counts.hidden_book_locations(info.context.principal),  # blind counts: no book quantities
        )
        if external_ids is not None:
            q = q.where(stock_availability.c.product_id.in_(entity_ids_known_as(source_, "product", external_ids)))
        return await paginate(
            info, q, AvailableToSell.from_row, first=first, after=after, keyset=(stock_availability.c.id, False)
        )
