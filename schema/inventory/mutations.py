"""Inventory mutations and their payloads: warehouses, locations and the four stock primitives
(receive, issue, transfer, adjust)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, invalid_id, run_action
from schema.inventory.inputs import (
    AdjustLineInput,
    CreateLocationInput,
    CreateWarehouseInput,
    IssueLineInput,
    ReceiveLineInput,
    TransferLineInput,
    UpdateLocationInput,
    UpdateWarehouseInput,
    pk_or_zero,
)
from schema.inventory.types import Location, StockOperation, Warehouse
from schema.relay import decode_id
from server.inventory import services, warehouses
from server.inventory.errors import InventoryErrorCode

CODES = InventoryErrorCode

#: the business date of a stock primitive: its voucher is booked on it (issue #19)
StockDate = Annotated[
    date | None,
    strawberry.argument(description="The business date (default today; never after today): the voucher's date."),
]


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None
    errors: list[InventoryError]


@strawberry.type
class LocationPayload:
    location: Location | None
    errors: list[InventoryError]


@strawberry.type
class StockOperationPayload:
    operation: StockOperation | None
    replayed: bool = strawberry.field(description="True when this idempotency key was already applied.")
    errors: list[InventoryError]


def _line(ln, *, location_field: str = "location_id", to_field: str | None = None) -> services.StockLine:
    return services.StockLine(
        product_id=pk_or_zero(ln.product_id, "Product"),
        quantity=ln.quantity,
        location_id=pk_or_zero(getattr(ln, location_field), "Location"),
        to_location_id=pk_or_zero(getattr(ln, to_field), "Location") if to_field else None,
        unit_id=pk_or_zero(ln.unit_id, "Unit") if ln.unit_id is not None else None,
        lot_code=ln.lot.strip() if ln.lot else None,
        expiry_date=getattr(ln, "expiry_date", None),
        unit_cost=getattr(ln, "unit_cost", None),
    )


async def _operation_payload(info: Info, action) -> StockOperationPayload:
    result, errors = await run_action(info, CODES, action)
    if result is None:
        return StockOperationPayload(operation=None, replayed=False, errors=errors)
    loaders = info.context.loaders.inventory
    if result.posted is not None:  # the rows just written: no need to read them back
        loaders.operation.prime(result.operation_id, SimpleNamespace(**result.posted.operation))
        loaders.posted_moves[result.operation_id] = [SimpleNamespace(**m) for m in result.posted.moves]
    row = await loaders.operation.load(result.operation_id)
    return StockOperationPayload(operation=StockOperation.from_row(row), replayed=result.replayed, errors=[])


async def _load_or_none(loader, to_type, pk):
    return to_type(await loader.load(pk)) if pk else None


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(extensions=needs("warehouse.edit"))
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        pk, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_create_warehouse(
                info.context.db,
                code=input.code,
                name=input.name,
                address=input.address,
                idempotency_key=input.idempotency_key,
                principal=info.context.principal,
            ),
        )
        node = await _load_or_none(info.context.loaders.inventory.warehouse, Warehouse.from_row, pk)
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(
        description="Rename a warehouse or change its address (the fields given).", extensions=needs("warehouse.edit")
    )
    async def update_warehouse(self, info: Info, input: UpdateWarehouseInput) -> WarehousePayload:
        pk = decode_id(input.id, "Warehouse")
        if pk is None:
            return WarehousePayload(warehouse=None, errors=invalid_id(CODES, "id", "warehouse", info.context.lang))
        _, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_update_warehouse(
                info.context.db, pk, name=input.name, address=input.address, principal=info.context.principal
            ),
        )
        node = None if errors else Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(pk))
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(
        description="Rename a location or change its sort order (the fields given).", extensions=needs("warehouse.edit")
    )
    async def update_location(self, info: Info, input: UpdateLocationInput) -> LocationPayload:
        pk = decode_id(input.id, "Location")
        if pk is None:
            return LocationPayload(location=None, errors=invalid_id(CODES, "id", "location", info.context.lang))
        _, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_update_location(
                info.context.db, pk, name=input.name, sort_order=input.sort_order, principal=info.context.principal
            ),
        )
        node = None if errors else Location.from_row(await info.context.loaders.inventory.location.load(pk))
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(extensions=needs("warehouse.edit"))
    async def set_warehouse_active(self, info: Info, id: strawberry.ID, active: bool) -> WarehousePayload:
        pk = decode_id(id, "Warehouse")
        if pk is None:
            return WarehousePayload(warehouse=None, errors=invalid_id(CODES, "id", "warehouse", info.context.lang))
        _, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_set_warehouse_active(info.context.db, pk, active, principal=info.context.principal),
        )
        node = None if errors else Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(pk))
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(
        description="Create a location (bin) with a scannable code, optionally under a parent.",
        extensions=needs("warehouse.edit"),
    )
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        wh = decode_id(input.warehouse_id, "Warehouse")
        parent = decode_id(input.parent_id, "Location") if input.parent_id else None
        if wh is None or (input.parent_id and parent is None):
            field, what = ("warehouseId", "warehouse") if wh is None else ("parentId", "location")
            return LocationPayload(location=None, errors=invalid_id(CODES, field, what, info.context.lang))
        pk, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_create_location(
                info.context.db,
                warehouse_id=wh,
                code=input.code,
                name=input.name,
                parent_id=parent,
                sort_order=input.sort_order,
                idempotency_key=input.idempotency_key,
                principal=info.context.principal,
            ),
        )
        node = await _load_or_none(info.context.loaders.inventory.location, Location.from_row, pk)
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(extensions=needs("warehouse.edit"))
    async def set_location_active(self, info: Info, id: strawberry.ID, active: bool) -> LocationPayload:
        pk = decode_id(id, "Location")
        if pk is None:
            return LocationPayload(location=None, errors=invalid_id(CODES, "id", "location", info.context.lang))
        _, errors = await run_action(
            info,
            CODES,
            lambda: warehouses.do_set_location_active(info.context.db, pk, active, principal=info.context.principal),
        )
        node = None if errors else Location.from_row(await info.context.loaders.inventory.location.load(pk))
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(
        description="Receive goods into locations at a unit cost (入库). All lines or none.",
        extensions=needs("stock.receive"),
    )
    async def receive_stock(
        self,
        info: Info,
        lines: list[ReceiveLineInput],
        idempotency_key: str,
        reference: str = "",
        reason: str = "",
        date: StockDate = None,
    ) -> StockOperationPayload:
        return await _operation_payload(
            info,
            lambda: services.do_receive_stock(
                info.context.db,
                [_line(ln) for ln in lines],
                principal=info.context.principal,
                reference=reference,
                reason=reason,
                idempotency_key=idempotency_key,
                on=date,
            ),
        )

    @strawberry.mutation(
        description="Issue goods out of locations (出库). Never below zero; all lines or none.",
        extensions=needs("stock.issue"),
    )
    async def issue_stock(
        self,
        info: Info,
        lines: list[IssueLineInput],
        idempotency_key: str,
        reference: str = "",
        reason: str = "",
        date: StockDate = None,
    ) -> StockOperationPayload:
        return await _operation_payload(
            info,
            lambda: services.do_issue_stock(
                info.context.db,
                [_line(ln) for ln in lines],
                principal=info.context.principal,
                reference=reference,
                reason=reason,
                idempotency_key=idempotency_key,
                on=date,
            ),
        )

    @strawberry.mutation(
        description="Move goods between locations or warehouses (调拨).", extensions=needs("stock.transfer")
    )
    async def transfer_stock(
        self,
        info: Info,
        lines: list[TransferLineInput],
        idempotency_key: str,
        reference: str = "",
        reason: str = "",
        date: StockDate = None,
    ) -> StockOperationPayload:
        return await _operation_payload(
            info,
            lambda: services.do_transfer_stock(
                info.context.db,
                [_line(ln, location_field="from_location_id", to_field="to_location_id") for ln in lines],
                principal=info.context.principal,
                reference=reference,
                reason=reason,
                idempotency_key=idempotency_key,
                on=date,
            ),
        )

    @strawberry.mutation(
        description="Correct stock with a reason (库存调整); quantities are signed.", extensions=needs("stock.adjust")
    )
    async def adjust_stock(
        self,
        info: Info,
        lines: list[AdjustLineInput],
        reason: str,
        idempotency_key: str,
        reference: str = "",
        date: StockDate = None,
    ) -> StockOperationPayload:
        return await _operation_payload(
            info,
            lambda: services.do_adjust_stock(
                info.context.db,
                [_line(ln) for ln in lines],
                principal=info.context.principal,
                reason=reason,
                reference=reference,
                idempotency_key=idempotency_key,
                on=date,
            ),
        )
