"""The one GraphQL schema, merged from the per-domain packages (NetBox style).

Each ``schema/<domain>/`` declares its ``XQuery`` / ``XMutation`` / ``XSubscription`` classes; this
module merges them, resolves ``node(id:)`` across the domains, and lists the extensions. The error
policy and logging are ``schema/error_policy.py``, the guard rails ``schema/limits.py`` and
``schema/cost.py``.
"""

from __future__ import annotations

import asyncio

import strawberry
from graphql import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from schema.auth.mutations import AdminMutation, AuthMutation
from schema.auth.permissions import CheckPrincipalPerOperation, caller_can, caller_warehouses, needs
from schema.auth.queries import AdminQuery, AuthQuery
from schema.batching import ById
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.types import Category, Product, Unit, product_from_id
from schema.context import Context, SharedReads
from schema.cost import QueryCostLimit
from schema.error_policy import ErrorPolicy, JxcSchema
from schema.feedback.mutations import FeedbackMutation
from schema.feedback.queries import FeedbackQuery
from schema.finance.mutations import FinanceMutation
from schema.finance.queries import FinanceQuery
from schema.imports.mutations import ImportsMutation
from schema.integrations.mutations import IntegrationsMutation
from schema.integrations.queries import IntegrationsQuery
from schema.introspection import extensions_for, suggestions_disabled
from schema.inventory.availability.mutations import AvailabilityMutation
from schema.inventory.availability.queries import AvailabilityQuery
from schema.inventory.counts.mutations import CountMutation
from schema.inventory.counts.queries import CountQuery
from schema.inventory.lots.queries import LotQuery
from schema.inventory.lots.subscriptions import LotSubscription
from schema.inventory.mutations import InventoryMutation
from schema.inventory.production.mutations import ProductionMutation
from schema.inventory.production.queries import ProductionQuery
from schema.inventory.queries import InventoryQuery, stock_level_query
from schema.inventory.reorder.mutations import ReorderMutation
from schema.inventory.reorder.queries import ReorderQuery
from schema.inventory.reorder.subscriptions import ReorderSubscription
from schema.inventory.subscriptions import InventorySubscription
from schema.inventory.transfers.mutations import TransferMutation
from schema.inventory.transfers.queries import TransferQuery
from schema.inventory.types import Location, Lot, StockLevel, StockMove, StockOperation, Warehouse, moves_from_rows
from schema.limits import GUARD_RULES, MAX_TOKENS
from schema.live import DocumentsSubscription
from schema.opening.mutations import OpeningMutation
from schema.opening.queries import OpeningQuery
from schema.partners.mutations import PartnersMutation
from schema.partners.queries import PartnersQuery
from schema.partners.types import Customer, Supplier
from schema.purchasing.mutations import PurchasingMutation
from schema.purchasing.queries import PurchasingQuery
from schema.purchasing.types import GoodsReceipt, PurchaseOrder, SupplierBill
from schema.relay import Node, from_global_id
from schema.reports.mutations import ReportsMutation
from schema.reports.queries import ReportsQuery
from schema.sales.mutations import SalesMutation
from schema.sales.queries import SalesQuery
from schema.sales.types import SalesInvoice, SalesOrder, Shipment
from schema.scalars import SCALAR_MAP
from schema.scanning.mutations import ScanningMutation
from schema.scanning.queries import LabelQuery, ScanningQuery
from schema.scanning.subscriptions import ScanningSubscription
from schema.text_guard import TextGuard
from server.auth import scope
from server.core.errors import ApiError
from server.inventory import counts
from server.inventory.models import stock_level


async def _stock_level(info: Info, pk: int):
    async with info.context.db.read() as conn:
        row = (await conn.execute(stock_level_query().where(stock_level.c.id == pk))).first()
    return StockLevel.from_row(row) if row else None


async def _row_node(loader: ById, to_type, pk: int):
    row = await loader.load(pk)
    return to_type(row) if row else None


async def _move(info: Info, pk: int):
    row = await info.context.loaders.inventory.move.load(pk)
    return (await moves_from_rows(info, [row]))[0] if row else None


NODE_RESOLVERS = {
    "Product": lambda info, pk: product_from_id(info, pk),
    "Unit": lambda info, pk: _row_node(info.context.loaders.catalog.unit, Unit.from_row, pk),
    "Category": lambda info, pk: _row_node(info.context.loaders.catalog.category, Category.from_row, pk),
    "Warehouse": lambda info, pk: _row_node(info.context.loaders.inventory.warehouse, Warehouse.from_row, pk),
    "Location": lambda info, pk: _row_node(info.context.loaders.inventory.location, Location.from_row, pk),
    "Lot": lambda info, pk: _row_node(info.context.loaders.inventory.lot, Lot.from_row, pk),
    "Supplier": lambda info, pk: _row_node(info.context.loaders.partners.supplier, Supplier.from_row, pk),
    "Customer": lambda info, pk: _row_node(info.context.loaders.partners.customer, Customer.from_row, pk),
    "StockOperation": lambda info, pk: _row_node(info.context.loaders.inventory.operation, StockOperation.from_row, pk),
    "StockMove": _move,
    "StockLevel": _stock_level,
    "PurchaseOrder": lambda info, pk: _row_node(
        info.context.loaders.purchasing.purchase_order, PurchaseOrder.from_row, pk
    ),
    "GoodsReceipt": lambda info, pk: _row_node(info.context.loaders.purchasing.receipt, GoodsReceipt.from_row, pk),
    "SupplierBill": lambda info, pk: _row_node(info.context.loaders.purchasing.bill, SupplierBill.from_row, pk),
    "SalesOrder": lambda info, pk: _row_node(info.context.loaders.sales.sales_order, SalesOrder.from_row, pk),
    "Shipment": lambda info, pk: _row_node(info.context.loaders.sales.shipment, Shipment.from_row, pk),
    "SalesInvoice": lambda info, pk: _row_node(info.context.loaders.sales.sales_invoice, SalesInvoice.from_row, pk),
}


NODE_PERMISSIONS = {
    "Product": "catalog.view",
    "Unit": "catalog.view",
    "Category": "catalog.view",
    "Supplier": "partner.view",
    "Customer": "partner.view",
    "PurchaseOrder": "purchase.view",
    "GoodsReceipt": "purchase.view",
    "SupplierBill": "purchase.view",
    "SalesOrder": "sales.view",
    "Shipment": "sales.view",
    "SalesInvoice": "sales.view",
}


async def resolve_node(info: Info, global_id: str):
    type_name, pk = from_global_id(global_id)
    resolver = NODE_RESOLVERS.get(type_name)
    if resolver is None:
        raise ApiError("INVALID_ID")
    permission = NODE_PERMISSIONS.get(type_name, "stock.view")
    if not caller_can(info, permission):
        raise ApiError("PERMISSION_DENIED", permission=permission)
    node = await resolver(info, pk)
    allowed = caller_warehouses(info)
    if node is not None and allowed is not None and not await _inside(info, node, allowed):
        raise ApiError("PERMISSION_DENIED", permission="warehouse")
    if node is not None and await _book_quantity_hidden(info, node):
        raise ApiError("PERMISSION_DENIED", permission=scope.BOOK_QUANTITIES)
    return node


async def _inside(info: Info, node, allowed: frozenset[int]) -> bool:
    """Whether a stock-side object belongs to the caller's warehouses (catalog and partners always do)."""
    if isinstance(node, Warehouse):
        return scope.allows(allowed, node._pk)
    if isinstance(node, (Location, StockLevel)):
        return scope.allows(allowed, node._warehouse_id)
    if isinstance(node, StockMove):
        ends = [i for i in (node._from_id, node._to_id) if i]
        rows = await info.context.loaders.inventory.location.load_many(ends)
        return any(scope.allows(allowed, r.warehouse_id) for r in rows if r)
    if isinstance(node, (PurchaseOrder, GoodsReceipt, SalesOrder, Shipment)):
        return scope.allows(allowed, node._row.warehouse_id)
    # a stock operation or lot may span warehouses: not offered to restricted callers by id
    return not isinstance(node, (StockOperation, Lot))


async def _book_quantity_hidden(info: Info, node) -> bool:
    """A stock level or move of a location under an open blind count, asked by a counter."""
    if isinstance(node, StockLevel):
        ends = [node._location_id]
    elif isinstance(node, StockMove):
        ends = [i for i in (node._from_id, node._to_id) if i]
    else:
        return False
    async with info.context.db.read() as conn:
        for location_id in ends:
            if await counts.location_hidden(conn, info.context.principal, location_id):
                return True
    return False


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetch any object by its global ID.", extensions=needs(None))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description="Fetch several objects by global ID (null for those not found).", extensions=needs(None)
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > info.context.settings.max_page_size:
            raise ApiError("PAGE_SIZE_TOO_LARGE", max=info.context.settings.max_page_size)
        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))  # batched by the loaders


@strawberry.type
class Query(
    NodeQuery,
    AuthQuery,
    AdminQuery,
    CatalogQuery,
    PartnersQuery,
    InventoryQuery,
    PurchasingQuery,
    SalesQuery,
    ReorderQuery,
    AvailabilityQuery,
    TransferQuery,
    LotQuery,
    CountQuery,
    ProductionQuery,
    ScanningQuery,
    LabelQuery,
    FinanceQuery,
    OpeningQuery,
    ReportsQuery,
    IntegrationsQuery,
    FeedbackQuery,
):
    pass


@strawberry.type
class Mutation(
    AuthMutation,
    AdminMutation,
    CatalogMutation,
    PartnersMutation,
    InventoryMutation,
    PurchasingMutation,
    SalesMutation,
    ReorderMutation,
    AvailabilityMutation,
    TransferMutation,
    CountMutation,
    ProductionMutation,
    ScanningMutation,
    FinanceMutation,
    OpeningMutation,
    ImportsMutation,
    ReportsMutation,
    IntegrationsMutation,
    FeedbackMutation,
):
    pass


@strawberry.type
class Subscription(
    InventorySubscription, DocumentsSubscription, ReorderSubscription, LotSubscription, ScanningSubscription
):
    pass


def _build_schema(rules: list) -> strawberry.Schema:
    return JxcSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Product,
            Unit,
            Category,
            Warehouse,
            Location,
            Lot,
            Supplier,
            Customer,
            StockLevel,
            StockMove,
            StockOperation,
        ],
        extensions=[
            CheckPrincipalPerOperation,
            ErrorPolicy,
            SharedReads,  # schema/context.py: a query's reads share one connection
            TextGuard,  # schema/text_guard.py: no NUL or lone surrogate in any text
            QueryCostLimit,
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *extensions_for(rules),  # schema/introspection.py: who may introspect, suggestions
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP, disable_field_suggestions=suggestions_disabled(rules)),
    )


schema = _build_schema(GUARD_RULES)
_closed: list[strawberry.Schema] = []


def schema_without_introspection() -> strawberry.Schema:
    """For production (``JXC_INTROSPECTION=0``): introspection queries are refused at validation."""
    if not _closed:
        _closed.append(_build_schema([*GUARD_RULES, NoSchemaIntrospectionCustomRule]))
    return _closed[0]


__all__ = ["Context", "schema"]
