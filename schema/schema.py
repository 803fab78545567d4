"""The one GraphQL schema, merged from the per-domain modules (NetBox style)."""

from __future__ import annotations

import asyncio
import logging

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from schema.auth import AdminMutation, AdminQuery, AuthMutation, AuthQuery, needs
from schema.catalog.schema import CatalogMutation, CatalogQuery
from schema.catalog.types import Category, Product, Unit, product_from_id
from schema.context import Context
from schema.inventory.schema import InventoryMutation, InventoryQuery, InventorySubscription, stock_level_query
from schema.inventory.types import (
    Location,
    Lot,
    StockLevel,
    StockMove,
    StockOperation,
    Warehouse,
    moves_from_rows,
)
from schema.inventory.reorder import ReorderMutation, ReorderQuery, ReorderSubscription
from schema.inventory.counts import CountMutation, CountQuery
from schema.inventory.lots import LotQuery, LotSubscription
from schema.inventory.production import ProductionMutation, ProductionQuery
from schema.inventory.transfers import TransferMutation, TransferQuery
from schema.finance.schema import FinanceMutation, FinanceQuery
from schema.reports.schema import ReportsMutation, ReportsQuery
from schema.live import DocumentsSubscription
from schema.partners.schema import PartnersMutation, PartnersQuery
from schema.partners.types import Customer, Supplier
from schema.purchasing.schema import PurchasingMutation, PurchasingQuery
from schema.sales.schema import SalesMutation, SalesQuery
from schema.scanning.schema import LabelQuery, ScanningMutation, ScanningQuery, ScanningSubscription
from schema.sales.types import SalesInvoice, SalesOrder, Shipment
from schema.purchasing.types import GoodsReceipt, PurchaseOrder, SupplierBill
from schema.relay import Node, from_global_id
from schema.scalars import SCALAR_MAP
from server.errors import ApiError, render_message
from server.inventory.models import stock_level

log = logging.getLogger("jxc.graphql")


async def _stock_level(info: Info, pk: int):
    async with info.context.db.read() as conn:
        row = (await conn.execute(stock_level_query().where(stock_level.c.id == pk))).first()
    return StockLevel.from_row(row) if row else None


async def _simple(info: Info, loader: str, to_type, pk: int):
    row = await getattr(info.context.loaders, loader).load(pk)
    return to_type(row) if row else None


async def _move(info: Info, pk: int):
    row = await info.context.loaders.move.load(pk)
    return (await moves_from_rows(info, [row]))[0] if row else None


NODE_RESOLVERS = {
    "Product": lambda info, pk: product_from_id(info, pk),
    "Unit": lambda info, pk: _simple(info, "unit", Unit.from_row, pk),
    "Category": lambda info, pk: _simple(info, "category", Category.from_row, pk),
    "Warehouse": lambda info, pk: _simple(info, "warehouse", Warehouse.from_row, pk),
    "Location": lambda info, pk: _simple(info, "location", Location.from_row, pk),
    "Lot": lambda info, pk: _simple(info, "lot", Lot.from_row, pk),
    "Supplier": lambda info, pk: _simple(info, "supplier", Supplier.from_row, pk),
    "Customer": lambda info, pk: _simple(info, "customer", Customer.from_row, pk),
    "StockOperation": lambda info, pk: _simple(info, "operation", StockOperation.from_row, pk),
    "StockMove": _move,
    "StockLevel": _stock_level,
    "PurchaseOrder": lambda info, pk: _simple(info, "purchase_order", PurchaseOrder.from_row, pk),
    "GoodsReceipt": lambda info, pk: _simple(info, "receipt", GoodsReceipt.from_row, pk),
    "SupplierBill": lambda info, pk: _simple(info, "bill", SupplierBill.from_row, pk),
    "SalesOrder": lambda info, pk: _simple(info, "sales_order", SalesOrder.from_row, pk),
    "Shipment": lambda info, pk: _simple(info, "shipment", Shipment.from_row, pk),
    "SalesInvoice": lambda info, pk: _simple(info, "sales_invoice", SalesInvoice.from_row, pk),
}


NODE_PERMISSIONS = {
    "Product": "catalog.view", "Unit": "catalog.view", "Category": "catalog.view",
    "Supplier": "partner.view", "Customer": "partner.view",
    "PurchaseOrder": "purchase.view", "GoodsReceipt": "purchase.view", "SupplierBill": "purchase.view",
    "SalesOrder": "sales.view", "Shipment": "sales.view", "SalesInvoice": "sales.view",
}


async def resolve_node(info: Info, global_id: str):
    type_name, pk = from_global_id(global_id)
    resolver = NODE_RESOLVERS.get(type_name)
    if resolver is None:
        raise ApiError("INVALID_ID")
    permission = NODE_PERMISSIONS.get(type_name, "stock.view")
    if not info.context.principal.can(permission):
        raise ApiError("PERMISSION_DENIED", permission=permission)
    node = await resolver(info, pk)
    allowed = info.context.principal.warehouse_ids
    if node is not None and allowed is not None and not await _inside(info, node, allowed):
        raise ApiError("PERMISSION_DENIED", permission="warehouse")
    return node


async def _inside(info: Info, node, allowed: frozenset[int]) -> bool:
    """Whether a stock-side object belongs to the caller's warehouses (catalog and partners always do)."""
    if isinstance(node, Warehouse):
        return node._pk in allowed
    if isinstance(node, (Location, StockLevel)):
        return node._warehouse_id in allowed
    if isinstance(node, StockMove):
        ends = [i for i in (node._from_id, node._to_id) if i]
        rows = await info.context.loaders.location.load_many(ends)
        return any(r.warehouse_id in allowed for r in rows if r)
    if isinstance(node, (PurchaseOrder, GoodsReceipt, SalesOrder, Shipment)):
        return node._row.warehouse_id in allowed
    if isinstance(node, (StockOperation, Lot)):
        return False  # may span warehouses: not offered to restricted callers by id
    return True


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetch any object by its global ID.", extensions=needs(None))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="Fetch several objects by global ID (null for those not found).", extensions=needs(None))
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > info.context.settings.max_page_size:
            raise ApiError("PAGE_SIZE_TOO_LARGE", max=info.context.settings.max_page_size)
        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))  # batched by the loaders


@strawberry.type
class Query(NodeQuery, AuthQuery, AdminQuery, CatalogQuery, PartnersQuery, InventoryQuery, PurchasingQuery,
            SalesQuery, ReorderQuery, TransferQuery, LotQuery, CountQuery, ProductionQuery, ScanningQuery,
            LabelQuery, FinanceQuery, ReportsQuery):
    pass


@strawberry.type
class Mutation(AuthMutation, AdminMutation, CatalogMutation, PartnersMutation, InventoryMutation,
               PurchasingMutation, SalesMutation, ReorderMutation, TransferMutation, CountMutation,
               ProductionMutation, ScanningMutation, FinanceMutation, ReportsMutation):
    pass


@strawberry.type
class Subscription(InventorySubscription, DocumentsSubscription, ReorderSubscription, LotSubscription,
                   ScanningSubscription):
    pass


class ErrorPolicy(SchemaExtension):
    """Request errors (ApiError) keep their code and get a bilingual message; any other exception
    is logged with the request id and masked. Validation and parse errors pass unchanged."""

    def on_operation(self):
        self._streamed = False
        yield
        if not self._streamed:  # subscription results were handled one by one below
            self._rewrite(self.execution_context.result)

    def on_stream_result(self, result):
        """Each subscription event's result, before it reaches the client."""
        self._streamed = True
        self._rewrite(result)
        yield None

    def _rewrite(self, result) -> None:
        if not result or not getattr(result, "errors", None):
            return
        ctx = self.execution_context.context
        lang = getattr(ctx, "lang", "zh-CN")
        request_id = getattr(ctx, "request_id", "-")
        result.errors = [self._convert(e, lang, request_id) for e in result.errors]

    @staticmethod
    def _convert(error: GraphQLError, lang: str, request_id: str) -> GraphQLError:
        original = error.original_error
        if original is None:
            return error  # parse and validation errors are the client's
        if error.path is None and isinstance(original, (ValueError, TypeError)):
            return error  # a variable refused by a scalar (e.g. a float for a Quantity)
        if isinstance(original, ApiError):
            return GraphQLError(render_message(original.code, lang, original.params), nodes=error.nodes,
                                path=error.path, extensions={"code": original.code})
        if isinstance(original, GraphQLError):
            return error
        log.error("unexpected error, request %s", request_id, exc_info=original)
        return GraphQLError(render_message("INTERNAL_ERROR", lang, {"request_id": request_id}), nodes=error.nodes,
                            path=error.path, extensions={"code": "INTERNAL_ERROR", "requestId": request_id})


MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 4000
# Rules are created once: the validation cache is keyed by the rule classes, so limiters built per
# request (QueryDepthLimiter, MaxAliasesLimiter) would make every request miss it.
GUARD_RULES = [depth_limit_rule(MAX_DEPTH, None), alias_limit_rule(MAX_ALIASES)]

def _build_schema(rules: list) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Product, Unit, Category, Warehouse, Location, Lot, Supplier, Customer, StockLevel, StockMove,
               StockOperation],
        extensions=[
            ErrorPolicy,
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


schema = _build_schema(GUARD_RULES)
_closed: list[strawberry.Schema] = []


def schema_without_introspection() -> strawberry.Schema:
    """For production (``JXC_INTROSPECTION=0``): introspection queries are refused at validation."""
    if not _closed:
        _closed.append(_build_schema([*GUARD_RULES, NoSchemaIntrospectionCustomRule]))
    return _closed[0]

__all__ = ["schema", "Context"]
