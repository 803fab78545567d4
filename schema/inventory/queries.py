"""Inventory queries: warehouses, locations, stock levels, the ledger, a product's stock."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.batching import labelled, prime, record
from schema.inventory.inputs import LocationFilter, StockLevelFilter, StockLevelOrder, StockMoveFilter, pk_or_zero
from schema.inventory.types import Location, ProductStock, StockLevel, StockMove, Warehouse, precision_of
from schema.relay import Connection, paginate
from server.auth import scope
from server.catalog.models import category, product, unit
from server.core.numbers import scaled_to_decimal
from server.core.sql import like_pattern
from server.inventory import counts, services
from server.inventory.models import location, lot, product_cost, stock_level, stock_move, warehouse


def stock_level_query():
    return (
        select(stock_level, unit.c.precision)
        .join(product, product.c.id == stock_level.c.product_id)
        .join(unit, unit.c.id == product.c.base_unit_id)
    )


_cat, _loc, _wh, _lot = (
    category.alias("j_category"),
    location.alias("j_location"),
    warehouse.alias("j_warehouse"),
    lot.alias("j_lot"),
)


def _stock_level_page_query():
    """``stock_level_query`` with the rows a list shows beside each level (product, its base unit and
    category, location, warehouse, lot) in the same statement: ``_stock_level_node`` primes them into
    the loaders, so the page's nested fields read nothing more (issue #20)."""
    return (
        stock_level_query()
        .add_columns(
            *labelled(product, "p"),
            *labelled(unit, "u"),
            *labelled(_cat, "c"),
            *labelled(_loc, "l"),
            *labelled(_wh, "w"),
            *labelled(_lot, "t"),
        )
        .outerjoin(_cat, _cat.c.id == product.c.category_id)
        .join(_loc, _loc.c.id == stock_level.c.location_id)
        .join(_wh, _wh.c.id == stock_level.c.warehouse_id)
        .outerjoin(_lot, _lot.c.id == stock_level.c.lot_id)
    )


def _stock_level_node(info: Info):
    catalog, inventory = info.context.loaders.catalog, info.context.loaders.inventory

    def node(r) -> StockLevel:
        prime(catalog.product, record(r, product, "p"))
        prime(catalog.unit, record(r, unit, "u"))
        prime(catalog.category, record(r, _cat, "c"))
        prime(inventory.location, record(r, _loc, "l"))
        prime(inventory.warehouse, record(r, _wh, "w"))
        prime(inventory.lot, record(r, _lot, "t"))
        return StockLevel.from_row(r)

    return node


@strawberry.type
class InventoryQuery:
    @strawberry.field(extensions=needs("stock.view"))
    async def warehouses(
        self, info: Info, active: bool | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Warehouse]:
        q = select(warehouse).order_by(warehouse.c.code)
        q = q.where(scope.within(caller_warehouses(info), warehouse.c.id))
        if active is not None:
            q = q.where(warehouse.c.active == active)
        return await paginate(info, q, Warehouse.from_row, first=first, after=after)

    @strawberry.field(extensions=needs("stock.view"))
    async def locations(
        self, info: Info, filter: LocationFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Location]:
        q = select(location).order_by(location.c.warehouse_id, location.c.sort_order, location.c.code)
        q = q.where(scope.within(caller_warehouses(info), location.c.warehouse_id))
        f = filter or LocationFilter()
        if f.warehouse_id is not None:
            q = q.where(location.c.warehouse_id == pk_or_zero(f.warehouse_id, "Warehouse"))
        if f.text:
            q = q.where(location.c.code.ilike(like_pattern(f.text.strip()), escape="\\"))
        if f.active is not None:
            q = q.where(location.c.active == f.active)
        return await paginate(info, q, Location.from_row, first=first, after=after)

    @strawberry.field(description="The location with this scanned code.", extensions=needs("stock.view"))
    async def location_by_code(self, info: Info, code: str) -> Location | None:
        q = select(location).where(location.c.code == code.strip())
        q = q.where(scope.within(caller_warehouses(info), location.c.warehouse_id))
        async with info.context.db.read() as conn:
            row = (await conn.execute(q)).first()
        return Location.from_row(row) if row else None

    @strawberry.field(description="Stock on hand per product, location and lot.", extensions=needs("stock.view"))
    async def stock_levels(
        self,
        info: Info,
        filter: StockLevelFilter | None = None,
        order_by: StockLevelOrder = StockLevelOrder.PRODUCT_SKU,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockLevel]:
        f = filter or StockLevelFilter()
        q = _stock_level_page_query()
        q = q.where(scope.within(caller_warehouses(info), stock_level.c.warehouse_id))
        if (hidden := counts.hidden_book_locations(info.context.principal)) is not None:
            q = q.where(stock_level.c.location_id.not_in(hidden))  # blind counts: no book quantities to counters
        if not (f.include_empty or f.below_reorder_point):  # a reorder list shows empty bins too
            q = q.where(stock_level.c.qty > 0)
        if f.product_id is not None:
            q = q.where(stock_level.c.product_id == pk_or_zero(f.product_id, "Product"))
        if f.warehouse_id is not None:
            q = q.where(stock_level.c.warehouse_id == pk_or_zero(f.warehouse_id, "Warehouse"))
        if f.location_id is not None:
            q = q.where(stock_level.c.location_id == pk_or_zero(f.location_id, "Location"))
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
        return await paginate(info, q, _stock_level_node(info), first=first, after=after)

    @strawberry.field(description="The stock ledger (库存流水), newest first.", extensions=needs("stock.view"))
    async def stock_moves(
        self, info: Info, filter: StockMoveFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[StockMove]:
        f = filter or StockMoveFilter()
        q = (
            select(stock_move, unit.c.precision)
            .join(product, product.c.id == stock_move.c.product_id)
            .join(unit, unit.c.id == product.c.base_unit_id)
            .order_by(stock_move.c.id.desc())
        )
        if (allowed := caller_warehouses(info)) is not None:
            visible = select(location.c.id).where(scope.within(allowed, location.c.warehouse_id))
            q = q.where(stock_move.c.from_location_id.in_(visible) | stock_move.c.to_location_id.in_(visible))
        if (hidden := counts.hidden_book_locations(info.context.principal)) is not None:
            q = q.where(
                or_(stock_move.c.from_location_id.is_(None), stock_move.c.from_location_id.not_in(hidden)),
                or_(stock_move.c.to_location_id.is_(None), stock_move.c.to_location_id.not_in(hidden)),
            )
        if f.product_id is not None:
            q = q.where(stock_move.c.product_id == pk_or_zero(f.product_id, "Product"))
        if f.location_id is not None:
            loc = pk_or_zero(f.location_id, "Location")
            q = q.where((stock_move.c.from_location_id == loc) | (stock_move.c.to_location_id == loc))
        if f.move_type is not None:
            q = q.where(stock_move.c.move_type == f.move_type.value)
        return await paginate(
            info,
            q,
            lambda r: StockMove.from_row(r, r.precision),
            first=first,
            after=after,
            keyset=(stock_move.c.id, True),
        )

    @strawberry.field(
        description="Total quantity and moving-average value of a product.", extensions=needs("stock.view")
    )
    async def product_stock(self, info: Info, product_id: strawberry.ID) -> ProductStock | None:
        pk = pk_or_zero(product_id, "Product")
        row = await info.context.loaders.catalog.product.load(pk)
        if row is None:
            return None
        precision = await precision_of(info, pk)
        qty, value = await services.stock_of_product(
            info.context.db,
            pk,
            warehouses=caller_warehouses(info),
            hidden=counts.hidden_book_locations(info.context.principal),
        )
        if value is None:
            return ProductStock(quantity=str(scaled_to_decimal(qty, precision)), value=None, average_cost=None)
        return ProductStock.from_values(qty, value, precision)
