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
from schema.catalog.types import Product, Unit, product_from_id
from schema.inventory.types import Warehouse
from schema.relay import decode_id
from schema.scalars import Decimal_, Money, Quantity
from server.auth import scope
from server.core.errors import DomainError
from server.core.numbers import fen_to_decimal, rate_to_decimal, scaled_to_decimal
from server.core.sql import like_pattern
from server.documents.actions import AnyRow, micro_to_decimal
from server.documents.open_items import AGING_BUCKETS

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
