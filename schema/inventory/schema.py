"""Inventory queries, mutations (warehouses, locations, the four stock primitives) and the live subscription."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator
from datetime import date
from types import SimpleNamespace

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth import caller_warehouses, needs
from schema.errors import InventoryError, invalid_id, run_action
from schema.live import live_events
from schema.inventory.types import (
    Location,
    MoveType,
    ProductStock,
    StockChangedEvent,
    StockLevel,
    StockMove,
    StockOperation,
    Warehouse,
    precision_of,
)
from schema.relay import Connection, decode_id, paginate
from schema.scalars import Decimal_, Quantity
from server.catalog.models import product, unit
from server.inventory.errors import InventoryErrorCode
from server.events.types import STOCK_CHANGED
from server.auth import scope
from server.inventory import counts, services, warehouses
from server.inventory.models import location, product_cost, stock_level, stock_move, warehouse
from server.numbers import scaled_to_decimal
from server.sql import like_pattern

CODES = InventoryErrorCode


@strawberry.input
class StockLevelFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    below_reorder_point: bool = strawberry.field(
        default=False, description="Only products whose total stock is below their reorder point."
    )
    include_empty: bool = strawberry.field(default=False, description="Also list levels at zero.")


@strawberry.enum
class StockLevelOrder(enum.Enum):
    PRODUCT_SKU = "product_sku"
    LOCATION_CODE = "location_code"
    QUANTITY_DESC = "quantity_desc"


@strawberry.input
class StockMoveFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    move_type: MoveType | None = None


@strawberry.input
class LocationFilter:
    warehouse_id: strawberry.ID | None = None
    text: str | None = None
    active: bool | None = None


_warehouses = caller_warehouses


def _pk(global_id, type_name: str) -> int:
    """Primary key of a global ID, or 0 (never a valid key) so the domain reports NOT_FOUND."""
    if global_id is None:
        return 0
    return decode_id(global_id, type_name) or 0


def stock_level_query():
    return (
        select(stock_level, unit.c.precision)
        .join(product, product.c.id == stock_level.c.product_id)
        .join(unit, unit.c.id == product.c.base_unit_id)
    )


@strawberry.type
class InventoryQuery:
    @strawberry.field(extensions=needs('stock.view'))
    async def warehouses(self, info: Info, active: bool | None = None, first: int | None = None,
                         after: str | None = None) -> Connection[Warehouse]:
        q = select(warehouse).order_by(warehouse.c.code)
        q = q.where(scope.within(_warehouses(info), warehouse.c.id))
        if active is not None:
            q = q.where(warehouse.c.active == active)
        return await paginate(info, q, Warehouse.from_row, first=first, after=after)

    @strawberry.field(extensions=needs('stock.view'))
    async def locations(self, info: Info, filter: LocationFilter | None = None, first: int | None = None,
                        after: str | None = None) -> Connection[Location]:
        q = select(location).order_by(location.c.warehouse_id, location.c.sort_order, location.c.code)
        q = q.where(scope.within(_warehouses(info), location.c.warehouse_id))
        f = filter or LocationFilter()
        if f.warehouse_id is not None:
            q = q.where(location.c.warehouse_id == _pk(f.warehouse_id, "Warehouse"))
        if f.text:
            q = q.where(location.c.code.ilike(like_pattern(f.text.strip()), escape="\\"))
        if f.active is not None:
            q = q.where(location.c.active == f.active)
        return await paginate(info, q, Location.from_row, first=first, after=after)

    @strawberry.field(description="The location with this scanned code.", extensions=needs('stock.view'))
    async def location_by_code(self, info: Info, code: str) -> Location | None:
        q = select(location).where(location.c.code == code.strip())
        q = q.where(scope.within(_warehouses(info), location.c.warehouse_id))
        async with info.context.db.read() as conn:
            row = (await conn.execute(q)).first()
        return Location.from_row(row) if row else None

    @strawberry.field(description="Stock on hand per product, location and lot.", extensions=needs('stock.view'))
    async def stock_levels(self, info: Info, filter: StockLevelFilter | None = None,
                           order_by: StockLevelOrder = StockLevelOrder.PRODUCT_SKU,
                           first: int | None = None, after: str | None = None) -> Connection[StockLevel]:
        f = filter or StockLevelFilter()
        q = stock_level_query()
        q = q.where(scope.within(_warehouses(info), stock_level.c.warehouse_id))
        if (hidden := counts.hidden_book_locations(info.context.principal)) is not None:
            q = q.where(stock_level.c.location_id.not_in(hidden))  # blind counts: no book quantities to counters
        if not (f.include_empty or f.below_reorder_point):  # a reorder list shows empty bins too
            q = q.where(stock_level.c.qty > 0)
        if f.product_id is not None:
            q = q.where(stock_level.c.product_id == _pk(f.product_id, "Product"))
        if f.warehouse_id is not None:
            q = q.where(stock_level.c.warehouse_id == _pk(f.warehouse_id, "Warehouse"))
        if f.location_id is not None:
            q = q.where(stock_level.c.location_id == _pk(f.location_id, "Location"))
        if f.below_reorder_point:
            q = q.join(product_cost, product_cost.c.product_id == stock_level.c.product_id).where(
                product_cost.c.qty < product.c.reorder_point
            )
        if order_by == StockLevelOrder.LOCATION_CODE:
            q = q.join(location, location.c.id == stock_level.c.location_id).order_by(location.c.code, product.c.sku)
        elif order_by == StockLevelOrder.QUANTITY_DESC:
            q = q.order_by(stock_level.c.qty.desc())
        else:
            q = q.order_by(product.c.sku, stock_level.c.location_id)
        q = q.order_by(stock_level.c.id)
        return await paginate(info, q, StockLevel.from_row, first=first, after=after)

    @strawberry.field(description="The stock ledger (库存流水), newest first.", extensions=needs('stock.view'))
    async def stock_moves(self, info: Info, filter: StockMoveFilter | None = None, first: int | None = None,
                          after: str | None = None) -> Connection[StockMove]:
        f = filter or StockMoveFilter()
        q = (
            select(stock_move, unit.c.precision)
            .join(product, product.c.id == stock_move.c.product_id)
            .join(unit, unit.c.id == product.c.base_unit_id)
            .order_by(stock_move.c.id.desc())
        )
        if (allowed := _warehouses(info)) is not None:
            visible = select(location.c.id).where(scope.within(allowed, location.c.warehouse_id))
            q = q.where(stock_move.c.from_location_id.in_(visible) | stock_move.c.to_location_id.in_(visible))
        if (hidden := counts.hidden_book_locations(info.context.principal)) is not None:
            q = q.where(or_(stock_move.c.from_location_id.is_(None), stock_move.c.from_location_id.not_in(hidden)),
                        or_(stock_move.c.to_location_id.is_(None), stock_move.c.to_location_id.not_in(hidden)))
        if f.product_id is not None:
            q = q.where(stock_move.c.product_id == _pk(f.product_id, "Product"))
        if f.location_id is not None:
            loc = _pk(f.location_id, "Location")
            q = q.where((stock_move.c.from_location_id == loc) | (stock_move.c.to_location_id == loc))
        if f.move_type is not None:
            q = q.where(stock_move.c.move_type == f.move_type.value)
        return await paginate(info, q, lambda r: StockMove.from_row(r, r.precision), first=first, after=after,
                              keyset=(stock_move.c.id, True))

    @strawberry.field(description="Total quantity and moving-average value of a product.", extensions=needs('stock.view'))
    async def product_stock(self, info: Info, product_id: strawberry.ID) -> ProductStock | None:
        pk = _pk(product_id, "Product")
        row = await info.context.loaders.product.load(pk)
        if row is None:
            return None
        precision = await precision_of(info, pk)
        qty, value = await services.stock_of_product(info.context.db, pk, warehouses=_warehouses(info),
                                                     hidden=counts.hidden_book_locations(info.context.principal))
        if value is None:
            return ProductStock(quantity=str(scaled_to_decimal(qty, precision)), value=None, average_cost=None)
        return ProductStock.from_values(qty, value, precision)


# ---- mutations -------------------------------------------------------------------------------


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


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    address: str = ""
    idempotency_key: str | None = None


@strawberry.input
class UpdateWarehouseInput:
    id: strawberry.ID
    name: str | None = None
    address: str | None = None


@strawberry.input
class UpdateLocationInput:
    id: strawberry.ID
    name: str | None = None
    sort_order: int | None = None


@strawberry.input
class CreateLocationInput:
    warehouse_id: strawberry.ID
    code: str
    name: str = ""
    parent_id: strawberry.ID | None = None
    sort_order: int = 0
    idempotency_key: str | None = None


@strawberry.input(description="One line of a receipt (入库).")
class ReceiveLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None
    unit_cost: Decimal_ | None = strawberry.field(
        default=None, description="CNY per unit excl. VAT; default: the product's purchase price."
    )


@strawberry.input(description="One line of an issue (出库).")
class IssueLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None


@strawberry.input(description="One line of a transfer (调拨).")
class TransferLineInput:
    product_id: strawberry.ID
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None


@strawberry.input(description="One line of an adjustment: positive adds stock, negative removes it.")
class AdjustLineInput:
    product_id: strawberry.ID
    location_id: strawberry.ID
    quantity: Quantity
    unit_id: strawberry.ID | None = None
    lot: str | None = None
    expiry_date: date | None = None
    unit_cost: Decimal_ | None = None


def _line(ln, *, location_field: str = "location_id", to_field: str | None = None) -> services.StockLine:
    return services.StockLine(
        product_id=_pk(ln.product_id, "Product"),
        quantity=ln.quantity,
        location_id=_pk(getattr(ln, location_field), "Location"),
        to_location_id=_pk(getattr(ln, to_field), "Location") if to_field else None,
        unit_id=_pk(ln.unit_id, "Unit") if ln.unit_id is not None else None,
        lot_code=ln.lot.strip() if ln.lot else None,
        expiry_date=getattr(ln, "expiry_date", None),
        unit_cost=getattr(ln, "unit_cost", None),
    )


async def _operation_payload(info: Info, action) -> StockOperationPayload:
    result, errors = await run_action(info, CODES, action)
    if result is None:
        return StockOperationPayload(operation=None, replayed=False, errors=errors)
    loaders = info.context.loaders
    if result.posted is not None:  # the rows just written: no need to read them back
        loaders.operation.prime(result.operation_id, SimpleNamespace(**result.posted.operation))
        loaders.posted_moves[result.operation_id] = [SimpleNamespace(**m) for m in result.posted.moves]
    row = await loaders.operation.load(result.operation_id)
    return StockOperationPayload(operation=StockOperation.from_row(row), replayed=result.replayed, errors=[])


async def _load_or_none(loader, to_type, pk):
    return to_type(await loader.load(pk)) if pk else None


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(extensions=needs('warehouse.edit'))
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        pk, errors = await run_action(info, CODES, lambda: warehouses.do_create_warehouse(
            info.context.db, code=input.code, name=input.name, address=input.address,
            idempotency_key=input.idempotency_key, principal=info.context.principal))
        node = await _load_or_none(info.context.loaders.warehouse, Warehouse.from_row, pk)
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(description="Rename a warehouse or change its address (the fields given).",
                         extensions=needs('warehouse.edit'))
    async def update_warehouse(self, info: Info, input: UpdateWarehouseInput) -> WarehousePayload:
        pk = decode_id(input.id, "Warehouse")
        if pk is None:
            return WarehousePayload(warehouse=None, errors=invalid_id(CODES, "id", "warehouse", info.context.lang))
        _, errors = await run_action(info, CODES, lambda: warehouses.do_update_warehouse(
            info.context.db, pk, name=input.name, address=input.address, principal=info.context.principal))
        node = None if errors else Warehouse.from_row(await info.context.loaders.warehouse.load(pk))
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(description="Rename a location or change its sort order (the fields given).",
                         extensions=needs('warehouse.edit'))
    async def update_location(self, info: Info, input: UpdateLocationInput) -> LocationPayload:
        pk = decode_id(input.id, "Location")
        if pk is None:
            return LocationPayload(location=None, errors=invalid_id(CODES, "id", "location", info.context.lang))
        _, errors = await run_action(info, CODES, lambda: warehouses.do_update_location(
            info.context.db, pk, name=input.name, sort_order=input.sort_order, principal=info.context.principal))
        node = None if errors else Location.from_row(await info.context.loaders.location.load(pk))
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(extensions=needs('warehouse.edit'))
    async def set_warehouse_active(self, info: Info, id: strawberry.ID, active: bool) -> WarehousePayload:
        pk = decode_id(id, "Warehouse")
        if pk is None:
            return WarehousePayload(warehouse=None, errors=invalid_id(CODES, "id", "warehouse", info.context.lang))
        _, errors = await run_action(info, CODES, lambda: warehouses.do_set_warehouse_active(
            info.context.db, pk, active, principal=info.context.principal))
        node = None if errors else Warehouse.from_row(await info.context.loaders.warehouse.load(pk))
        return WarehousePayload(warehouse=node, errors=errors)

    @strawberry.mutation(description="Create a location (bin) with a scannable code, optionally under a parent.", extensions=needs('warehouse.edit'))
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        wh = decode_id(input.warehouse_id, "Warehouse")
        parent = decode_id(input.parent_id, "Location") if input.parent_id else None
        if wh is None or (input.parent_id and parent is None):
            field, what = ("warehouseId", "warehouse") if wh is None else ("parentId", "location")
            return LocationPayload(location=None, errors=invalid_id(CODES, field, what, info.context.lang))
        pk, errors = await run_action(info, CODES, lambda: warehouses.do_create_location(
            info.context.db, warehouse_id=wh, code=input.code, name=input.name, parent_id=parent,
            sort_order=input.sort_order, idempotency_key=input.idempotency_key, principal=info.context.principal))
        node = await _load_or_none(info.context.loaders.location, Location.from_row, pk)
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(extensions=needs('warehouse.edit'))
    async def set_location_active(self, info: Info, id: strawberry.ID, active: bool) -> LocationPayload:
        pk = decode_id(id, "Location")
        if pk is None:
            return LocationPayload(location=None, errors=invalid_id(CODES, "id", "location", info.context.lang))
        _, errors = await run_action(info, CODES, lambda: warehouses.do_set_location_active(
            info.context.db, pk, active, principal=info.context.principal))
        node = None if errors else Location.from_row(await info.context.loaders.location.load(pk))
        return LocationPayload(location=node, errors=errors)

    @strawberry.mutation(description="Receive goods into locations at a unit cost (入库). All lines or none.", extensions=needs('stock.receive'))
    async def receive_stock(self, info: Info, lines: list[ReceiveLineInput], idempotency_key: str,
                            reference: str = "", reason: str = "") -> StockOperationPayload:
        return await _operation_payload(info, lambda: services.do_receive_stock(
            info.context.db, [_line(ln) for ln in lines], principal=info.context.principal, reference=reference, reason=reason,
            idempotency_key=idempotency_key))

    @strawberry.mutation(description="Issue goods out of locations (出库). Never below zero; all lines or none.", extensions=needs('stock.issue'))
    async def issue_stock(self, info: Info, lines: list[IssueLineInput], idempotency_key: str,
                          reference: str = "", reason: str = "") -> StockOperationPayload:
        return await _operation_payload(info, lambda: services.do_issue_stock(
            info.context.db, [_line(ln) for ln in lines], principal=info.context.principal, reference=reference, reason=reason,
            idempotency_key=idempotency_key))

    @strawberry.mutation(description="Move goods between locations or warehouses (调拨).", extensions=needs('stock.transfer'))
    async def transfer_stock(self, info: Info, lines: list[TransferLineInput], idempotency_key: str,
                             reference: str = "", reason: str = "") -> StockOperationPayload:
        return await _operation_payload(info, lambda: services.do_transfer_stock(
            info.context.db, [_line(ln, location_field="from_location_id", to_field="to_location_id") for ln in lines],
            principal=info.context.principal, reference=reference, reason=reason, idempotency_key=idempotency_key))

    @strawberry.mutation(description="Correct stock with a reason (库存调整); quantities are signed.", extensions=needs('stock.adjust'))
    async def adjust_stock(self, info: Info, lines: list[AdjustLineInput], reason: str, idempotency_key: str,
                           reference: str = "") -> StockOperationPayload:
        return await _operation_payload(info, lambda: services.do_adjust_stock(
            info.context.db, [_line(ln) for ln in lines], principal=info.context.principal, reason=reason, reference=reference,
            idempotency_key=idempotency_key))


# ---- subscription ----------------------------------------------------------------------------


@strawberry.input
class StockChangedFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(description=(
        "Every stock change after commit, in journal order. Pass `since` (the last `seq` you saw) to "
        "replay what you missed before going live."
    ), extensions=needs("stock.view"))
    async def stock_changed(self, info: Info, filter: StockChangedFilter | None = None,
                            since: int | None = None) -> AsyncGenerator[StockChangedEvent, None]:
        f = filter or StockChangedFilter()
        wanted = {
            "product_id": _pk(f.product_id, "Product") if f.product_id else None,
            "warehouse_id": _pk(f.warehouse_id, "Warehouse") if f.warehouse_id else None,
            "location_id": _pk(f.location_id, "Location") if f.location_id else None,
        }
        wanted = {k: v for k, v in wanted.items() if v is not None}

        allowed = _warehouses(info)

        def predicate(ev) -> bool:
            return (ev.event_type == STOCK_CHANGED and all(getattr(ev.data, k) == v for k, v in wanted.items())
                    and scope.allows(allowed, ev.data.warehouse_id))

        counter = counts.hidden_book_locations(info.context.principal) is not None
        async for ev in live_events(info, predicate, since, STOCK_CHANGED, "stock.view"):
            d = ev.data
            if counter:  # a counter gets no event of a location under a blind count (checked at delivery)
                async with info.context.db.read() as conn:
                    if await counts.location_hidden(conn, info.context.principal, d.location_id):
                        continue
            precision = await precision_of(info, d.product_id)
            yield StockChangedEvent(
                seq=ev.seq, occurred_at=ev.created_at,
                delta=str(scaled_to_decimal(d.delta, precision)),
                quantity=str(scaled_to_decimal(d.quantity, precision)),
                move_type=MoveType(d.move_type),
                _product_id=d.product_id, _location_id=d.location_id, _warehouse_id=d.warehouse_id,
                _lot_id=d.lot_id, _move_id=d.move_id,
            )
