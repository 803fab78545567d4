"""The one GraphQL schema, merged from the per-domain modules (NetBox style)."""

from __future__ import annotations

import asyncio
import logging
import re

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

from schema.auth import (
    AdminMutation,
    AdminQuery,
    AuthMutation,
    AuthQuery,
    CheckPrincipalPerOperation,
    caller_can,
    caller_warehouses,
    needs,
)
from schema.catalog.schema import CatalogMutation, CatalogQuery
from schema.catalog.types import Category, Product, Unit, product_from_id
from schema.context import Context
from schema.cost import QueryCostLimit
from schema.introspection import extensions_for, suggestions_disabled
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
from schema.text_guard import TextGuard
from server.auth import scope
from server.errors import ApiError, DomainError, render_message
from server.inventory import counts
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
        rows = await info.context.loaders.location.load_many(ends)
        return any(scope.allows(allowed, r.warehouse_id) for r in rows if r)
    if isinstance(node, (PurchaseOrder, GoodsReceipt, SalesOrder, Shipment)):
        return scope.allows(allowed, node._row.warehouse_id)
    if isinstance(node, (StockOperation, Lot)):
        return False  # may span warehouses: not offered to restricted callers by id
    return True


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


QUERY_LOG_CHARS = 500  # an unexpected error logs this much of its query; refused requests log no query
_SECRET_LITERAL = re.compile(r'((?:password|token|secret)\w*\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)


def _cause(error: GraphQLError):
    """The exception under a GraphQL error (graphql-core wraps a refused variable twice), or ``None``."""
    cause = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause


def _refused_value(error: GraphQLError) -> bool:
    """A literal or variable a scalar refused (a float for a Quantity, "1e3", a date out of range)."""
    return error.path is None and isinstance(_cause(error), (ValueError, TypeError)) and not isinstance(
        _cause(error), GraphQLError)


def is_unexpected(error: GraphQLError) -> bool:
    """An exception of our code (a bug): masked as INTERNAL_ERROR and logged at ERROR. Everything else —
    parse and validation errors, refused scalars and variables, ApiError and domain error codes — is the
    client's."""
    original = error.original_error
    if original is None or isinstance(original, (ApiError, DomainError, GraphQLError)):
        return False
    return not _refused_value(error)


def loggable_query(query: str | None) -> str:
    """One line, string values of password/token arguments blanked, at most ``QUERY_LOG_CHARS``."""
    text = _SECRET_LITERAL.sub(r'\1"***"', " ".join((query or "").split()))
    return text if len(text) <= QUERY_LOG_CHARS else text[:QUERY_LOG_CHARS] + f"… ({len(text)} chars)"


class JxcSchema(strawberry.Schema):
    """``process_errors`` is strawberry's one logging hook; it sees every error once, before ErrorPolicy
    masks it. strawberry's default logs each error at ERROR with its traceback and the whole source
    (one 300 KB anonymous request wrote 4.7 MB). Here an unexpected exception is logged once at ERROR —
    request id, operation, the query shortened, the traceback — and a refused request (permission,
    validation, bad value) is one DEBUG line without query or traceback."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        ctx = getattr(execution_context, "context", None)
        request_id = getattr(ctx, "request_id", "-")
        operation = None
        if execution_context is not None:
            try:
                operation = execution_context.operation_name
            except Exception:  # noqa: BLE001 - no document (a parse error)
                operation = None
        for error in errors:
            if is_unexpected(error):
                original = error.original_error
                log.error("unexpected error, request %s, operation %s, path %s: %s: %s; query: %s", request_id,
                          operation or "-", ".".join(map(str, error.path or [])) or "-", type(original).__name__,
                          str(original)[:200], loggable_query(getattr(execution_context, "query", None)),
                          exc_info=original)
            elif log.isEnabledFor(logging.DEBUG):
                original = error.original_error
                code = getattr(original, "code", None) or (error.extensions or {}).get("code") or "REFUSED"
                log.debug("refused, request %s, operation %s: %s %s", request_id, operation or "-", code,
                          error.message[:160])


class ErrorPolicy(SchemaExtension):
    """Request errors (ApiError) keep their code and get a bilingual message; a value refused by a scalar
    or a variable type gets ``INVALID_VALUE``; any other exception is masked as ``INTERNAL_ERROR`` with the
    request id (``JxcSchema.process_errors`` has logged it). Parse and validation errors pass unchanged."""

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
        if isinstance(original, ApiError):
            return GraphQLError(render_message(original.code, lang, original.params), nodes=error.nodes,
                                path=error.path, extensions={"code": original.code})
        if isinstance(original, DomainError):  # a query has no payload: the domain's code as a GraphQL error
            detail = original.details[0]
            extensions = {"code": detail.code, **({"field": detail.field} if detail.field else {})}
            return GraphQLError(detail.message(lang), nodes=error.nodes, path=error.path, extensions=extensions)
        if not is_unexpected(error):
            if (error.extensions or {}).get("code") or not _refused_value(error):
                return error
            # a variable or literal refused by a scalar (a float for a Quantity, "1e3", a date out of range)
            return GraphQLError(render_message("INVALID_VALUE", lang, {"detail": error.message}), nodes=error.nodes,
                                path=error.path, extensions={"code": "INVALID_VALUE"})
        return GraphQLError(render_message("INTERNAL_ERROR", lang, {"request_id": request_id}), nodes=error.nodes,
                            path=error.path, extensions={"code": "INTERNAL_ERROR", "requestId": request_id})

MAX_DEPTH = 16  # connections nest edges { node }; the cost limit (schema/cost.py) bounds the work
MAX_ALIASES = 30
MAX_TOKENS = 4000
# Rules are created once: the validation cache is keyed by the rule classes, so limiters built per
# request (QueryDepthLimiter, MaxAliasesLimiter) would make every request miss it.
GUARD_RULES = [depth_limit_rule(MAX_DEPTH, None), alias_limit_rule(MAX_ALIASES)]

def _build_schema(rules: list) -> strawberry.Schema:
    return JxcSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Product, Unit, Category, Warehouse, Location, Lot, Supplier, Customer, StockLevel, StockMove,
               StockOperation],
        extensions=[
            CheckPrincipalPerOperation,
            ErrorPolicy,
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

__all__ = ["schema", "Context"]
