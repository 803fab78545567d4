"""Stock count mutations: open, generate a cycle count, record, approve, cancel."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, run_action
from schema.inventory.counts.inputs import CountEntryInput, OpenCountInput
from schema.inventory.counts.types import StockCount
from schema.inventory.inputs import inventory_pk
from server.inventory import counts
from server.inventory.errors import InventoryErrorCode
from server.inventory.models import stock_count


@strawberry.type
class StockCountPayload:
    count: StockCount | None
    errors: list[InventoryError]


async def _payload(info: Info, action) -> StockCountPayload:
    count_id, errors = await run_action(info, InventoryErrorCode, action)
    if errors:
        return StockCountPayload(count=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id))).one()
    return StockCountPayload(count=StockCount.from_row(row), errors=[])


@strawberry.type
class CountMutation:
    @strawberry.mutation(
        description="Open a count (盘点): blind by default, snapshot or freeze.", extensions=needs("stock.count.manage")
    )
    async def open_stock_count(self, info: Info, input: OpenCountInput) -> StockCountPayload:
        async def action():
            return await counts.do_open_count(
                info.context.db,
                counts.CountInput(
                    warehouse_id=inventory_pk(input.warehouse_id, "Warehouse", "warehouseId", "warehouse"),
                    mode=input.mode.value,
                    blind=input.blind,
                    count_date=input.count_date,
                    note=input.note,
                    location_ids=[inventory_pk(x, "Location", "locationIds", "location") for x in input.location_ids],
                    product_ids=[inventory_pk(x, "Product", "productIds", "product") for x in input.product_ids],
                ),
                info.context.principal,
            )

        return await _payload(info, action)

    @strawberry.mutation(
        description="Open a blind cycle count of the products due by ABC class (A monthly, B "
        "quarterly, C yearly); count null when nothing is due.",
        extensions=needs("stock.count.manage"),
    )
    async def generate_cycle_count(self, info: Info, warehouse_id: strawberry.ID) -> StockCountPayload:
        count_id, errors = await run_action(
            info,
            InventoryErrorCode,
            lambda: counts.do_generate_cycle_count(
                info.context.db,
                inventory_pk(warehouse_id, "Warehouse", "warehouseId", "warehouse"),
                info.context.principal,
            ),
        )
        if errors or count_id is None:
            return StockCountPayload(count=None, errors=errors)
        async with info.context.db.read() as conn:
            row = (await conn.execute(select(stock_count).where(stock_count.c.id == count_id))).one()
        return StockCountPayload(count=StockCount.from_row(row), errors=[])

    @strawberry.mutation(description="Record counted quantities or recounts.", extensions=needs("stock.count"))
    async def record_stock_counts(
        self, info: Info, id: strawberry.ID, entries: list[CountEntryInput]
    ) -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_record_counts(
                info.context.db,
                count_id,
                [
                    counts.CountEntry(
                        quantity=e.quantity,
                        line_id=inventory_pk(e.line_id, "StockCountLine", f"entries.{i}.lineId", "location")
                        if e.line_id
                        else None,
                        location_id=inventory_pk(e.location_id, "Location", f"entries.{i}.locationId", "location")
                        if e.location_id
                        else None,
                        product_id=inventory_pk(e.product_id, "Product", f"entries.{i}.productId", "product")
                        if e.product_id
                        else None,
                        lot=e.lot,
                    )
                    for i, e in enumerate(entries)
                ],
                info.context.principal,
            )
            return count_id

        return await _payload(info, action)

    @strawberry.mutation(
        description="Approve a count: posts gains and losses at moving average.",
        extensions=needs("stock.count.approve"),
    )
    async def approve_stock_count(self, info: Info, id: strawberry.ID, reason: str = "") -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_approve_count(info.context.db, count_id, info.context.principal, reason)
            return count_id

        return await _payload(info, action)

    @strawberry.mutation(
        description="Cancel an open count (unfreezes its locations).", extensions=needs("stock.count.manage")
    )
    async def cancel_stock_count(self, info: Info, id: strawberry.ID) -> StockCountPayload:
        async def action():
            count_id = inventory_pk(id, "StockCount", "id", "stock_count")
            await counts.do_cancel_count(info.context.db, count_id, info.context.principal)
            return count_id

        return await _payload(info, action)
