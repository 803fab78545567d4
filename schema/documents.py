"""What the purchasing and sales APIs share (``schema/purchasing/``, ``schema/sales/``): the converters
their types use, the document lists (newest first, filtered by partner, status, number and kind, and
limited to the caller's warehouses), and the plumbing of their mutations (IDs decoded into the
domain's ``NOT_FOUND``, a payload with the document or the errors, order transitions)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Column, Select, Table, select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses
from schema.batching import ById, Join, labelled, prime, record
from schema.catalog.inputs import OrderDirection
from schema.catalog.types import Product, Unit, product_from_id
from schema.inventory.types import Warehouse
from schema.relay import decode_id
from schema.scalars import Decimal_, Money, Quantity
from server.auth import scope
from server.catalog.models import product, unit
from server.core.errors import DomainError
from server.core.numbers import fen_to_decimal, rate_to_decimal, scaled_to_decimal
from server.core.sql import like_pattern
from server.documents.actions import AnyRow, micro_to_decimal
from server.documents.open_items import AGING_BUCKETS
from server.inventory.models import warehouse

P = TypeVar("P")

# ---- converters of the output types ----------------------------------------------------------------------


def money(fen: int) -> Money:
    return Money(str(fen_to_decimal(fen)))


def quantity(scaled: int) -> Quantity:
    """A quantity in scaled base units, as stored on document lines."""
    return Quantity(str(scaled_to_decimal(scaled, 0)))


def rate(bp: int) -> Decimal_:
    """A VAT rate or a discount in basis points as a fraction (``0.13``)."""
    return Decimal_(str(rate_to_decimal(bp)))


def price(micro: int) -> Decimal_:
    """A unit price in micro-yuan."""
    return Decimal_(str(micro_to_decimal(micro)))


def aging(r: Any) -> dict[str, Money]:
    """The aging buckets of a payables or receivables row (``open_items.AGING_BUCKETS``), as money."""
    return {bucket: money(getattr(r, bucket)) for bucket in AGING_BUCKETS}


async def warehouse_of(info: Info, warehouse_id: int) -> Warehouse:
    return Warehouse.from_row(await info.context.loaders.inventory.warehouse.load(warehouse_id))


# resolvers of the fields a document type (or line) reads from its row: ``product =
# strawberry.field(resolver=row_product)`` in the class, where the field stands in the schema


async def row_product(root: Any, info: Info) -> Product | None:
    return await product_from_id(info, root._row.product_id)


async def row_unit(root: Any, info: Info) -> Unit:
    return Unit.from_row(await info.context.loaders.catalog.unit.load(root._row.unit_id))


async def row_warehouse(root: Any, info: Info) -> Warehouse:
    return await warehouse_of(info, root._row.warehouse_id)


# ---- document lists --------------------------------------------------------------------------------------


@strawberry.enum(description="What a list of documents is sorted by.")
class DocumentOrderField(enum.Enum):
    NEWEST = "id"
    NUMBER = "number"
    DATE = "date"
    TOTAL = "total_fen"
    STATUS = "status"


@strawberry.input(description="The sort of a document list: newest first by default.")
class DocumentOrder:
    field: DocumentOrderField = DocumentOrderField.NEWEST
    direction: OrderDirection = OrderDirection.DESC


def sorted_documents(q: Select[Any], table: Table, order: DocumentOrder | None, date_column: str) -> Select[Any]:
    """``q`` (a ``document_list``) sorted by ``order`` in SQL, ties broken by id (newest first), so pages
    never overlap; ``date_column`` is the document's business date (``order_date``, ``bill_date`` …)."""
    if order is None:
        return q
    name = date_column if order.field is DocumentOrderField.DATE else order.field.value
    column = table.c[name]
    first = column.desc() if order.direction is OrderDirection.DESC else column.asc()
    return q.order_by(None).order_by(first, table.c.id.desc())


def document_list(
    table: Table,
    *,
    party_type: str,
    party_id: strawberry.ID | None = None,
    status: enum.Enum | None = None,
    number: str | None = None,
    kind: enum.Enum | None = None,
) -> Select[Any]:
    """``table``'s documents newest first: of one partner (a global ID of ``party_type``, ``Supplier``
    or ``Customer``; a wrong one matches nothing), in one status, with part of the number, of one kind."""
    q = select(table).order_by(table.c.id.desc())
    if status is not None:
        q = q.where(table.c.status == status.value)
    if number:
        q = q.where(table.c.number.ilike(like_pattern(number.strip()), escape="\\"))
    if party_id is not None:
        q = q.where(table.c[f"{party_type.lower()}_id"] == (decode_id(party_id, party_type) or 0))
    if kind is not None:
        q = q.where(table.c.kind == kind.value)
    return q


# ---- joined loads: a page of documents with its partners and warehouses, lines with their products (#20) ----

_doc_warehouse = warehouse.alias("j_doc_warehouse")
_line_product, _line_base_unit, _line_unit = (
    product.alias("j_line_product"),
    unit.alias("j_line_base"),
    unit.alias("j_line_unit"),
)


def with_party_and_warehouse(q: Select[Any], table: Table, party: Table) -> Select[Any]:
    """``q`` (a ``document_list`` of ``table``) reading each document's partner (a row of ``party``, by
    ``<party>_id``) and warehouse in the same statement, for ``document_node`` to prime."""
    alias = party.alias(f"j_doc_{party.name}")
    return (
        q.add_columns(*labelled(alias, "jp"), *labelled(_doc_warehouse, "jw"))
        .join(alias, alias.c.id == table.c[f"{party.name}_id"])
        .join(_doc_warehouse, _doc_warehouse.c.id == table.c.warehouse_id)
    )


def document_node(info: Info, party: Table, party_loader: ById, build: Callable[[Any], P]) -> Callable[[Any], P]:
    """The node builder of a ``with_party_and_warehouse`` page: primes the partner and warehouse loaders
    with the joined rows, so the page's ``supplier``/``customer`` and ``warehouse`` read nothing more."""
    warehouses = info.context.loaders.inventory.warehouse

    def node(r: Any) -> P:
        prime(party_loader, record(r, party, "jp"))
        prime(warehouses, record(r, warehouse, "jw"))
        return build(r)

    return node


def line_joins(table: Table) -> tuple[Join, ...]:
    """The ``many(joins=…)`` of a document line table: its product with the base unit, and the line's
    own unit where it has one."""
    joins: list[Join] = [
        (_line_product, _line_product.c.id == table.c.product_id, "jlp"),
        (_line_base_unit, _line_base_unit.c.id == _line_product.c.base_unit_id, "jlb"),
    ]
    if "unit_id" in table.c:
        joins.append((_line_unit, _line_unit.c.id == table.c.unit_id, "jlu"))
    return tuple(joins)


def primed_lines(info: Info, rows: list[Any]) -> list[Any]:
    """``rows`` of a ``line_joins`` loader, their products and units primed into the catalog loaders."""
    catalog = info.context.loaders.catalog
    for r in rows:
        prime(catalog.product, record(r, product, "jlp"))
        prime(catalog.unit, record(r, unit, "jlb"))
        if "jlu_id" in r._mapping:
            prime(catalog.unit, record(r, unit, "jlu"))
    return rows


def in_caller_warehouses(info: Info, q: Select[Any], column: Column[Any]) -> Select[Any]:
    """``q`` limited to the documents of the caller's warehouses (unchanged for a caller of all)."""
    allowed = caller_warehouses(info)
    return q if allowed is None else q.where(scope.within(allowed, column))


# ---- mutations -------------------------------------------------------------------------------------------


def id_decoder(error_cls: type[DomainError], what: Mapping[str, str]) -> Callable[..., Any]:
    """``pk(global_id, type_name, field)`` for a domain's actions: ``None`` stays ``None``; a malformed
    ID or one of another type is the domain's ``NOT_FOUND`` payload error for ``field`` (``what``
    names the object of each type)."""

    def pk(global_id: strawberry.ID | str | None, type_name: str, field: str) -> Any:
        if global_id is None:
            return None
        value = decode_id(global_id, type_name)
        if value is None:
            raise error_cls("NOT_FOUND", field, what=what[type_name])
        return value

    return pk


async def load_row(info: Info, table: Table, row_id: int) -> AnyRow:
    async with info.context.db.read() as conn:
        return (await conn.execute(select(table).where(table.c.id == row_id))).one()


async def payload_of(
    payload_type: Callable[..., P],
    field: str,
    row_id: int | None,
    errors: list[Any],
    fetch: Callable[[int], Awaitable[Any]],
    to_type: Callable[[Any], Any],
) -> P:
    """The payload of an action's ``run_action`` result (``row_id, errors``): ``payload_type(field=…,
    errors=[])`` with the document ``fetch`` reads after the action (from the fresh loaders), or
    ``field=None`` and the errors. Each domain runs the action itself, with its own error enum."""
    if errors or row_id is None:
        return payload_type(**{field: None, "errors": errors})
    return payload_type(**{field: to_type(await fetch(row_id)), "errors": []})


def order_transition(
    fn: Callable[..., Awaitable[Any]],
    order_pk: Callable[[strawberry.ID], int],
    payload: Callable[[Info, Callable[[], Awaitable[int]]], Awaitable[P]],
) -> Callable[[Info, strawberry.ID, str], Awaitable[P]]:
    """A transition mutation of an order: decode the id, run ``fn(db, order_id, principal, comment)``
    and answer the order's payload."""

    async def run(info: Info, id: strawberry.ID, comment: str) -> P:
        async def action() -> int:
            order_id = order_pk(id)
            await fn(info.context.db, order_id, info.context.principal, comment)
            return order_id

        return await payload(info, action)

    return run
