"""Relay global IDs, the ``Node`` interface and cursor connections paginated in SQL."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, select

from server.core.errors import ApiError
from server.core.global_ids import MAX_PK, decode, encode, pk_of

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_OFFSET = 10**9


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(encode(type_name, pk))


def from_global_id(global_id: str) -> tuple[str, int]:
    parsed = decode(global_id)  # server/global_ids.py: shared with the HTTP routes
    if parsed is None:
        raise ApiError("INVALID_ID")
    return parsed


def decode_id(global_id: str | None, type_name: str) -> int | None:
    """The primary key of a global ID that must be of ``type_name``; ``None`` if malformed or of another type."""
    return pk_of(global_id, type_name)


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Total number of items matching the filter (one COUNT query).")
    async def total_count(self) -> int:
        return await self._count()


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        kind, _, raw = base64.b64decode(cursor, validate=True).decode().partition(":")
        value = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError("INVALID_CURSOR") from None
    if kind != "offset" or not 0 <= value < MAX_OFFSET:
        raise ApiError("INVALID_CURSOR")
    return value + 1


def _key_cursor(value: int) -> str:
    return base64.b64encode(f"key:{value}".encode()).decode()


def _key(cursor: str) -> int:
    try:
        kind, _, raw = base64.b64decode(cursor, validate=True).decode().partition(":")
        value = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError("INVALID_CURSOR") from None
    if kind != "key" or not 0 <= value <= MAX_PK:
        raise ApiError("INVALID_CURSOR")
    return value


def page_window(info, first: int | None, after: str | None) -> tuple[int, int]:
    """The (offset, size) an offset-cursor page asks for; refuses sizes above ``JXC_MAX_PAGE_SIZE``."""
    max_size = info.context.settings.max_page_size
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > max_size:
        raise ApiError("PAGE_SIZE_TOO_LARGE", max=max_size)
    return _offset(after), size


def connection_of(
    rows: list, start: int, size: int, to_node: Callable, count: Callable[[], Awaitable[int]]
) -> Connection:
    """A connection from the rows of one page read with one row more than ``size`` (to know about a next
    page), with offset cursors."""
    has_next = len(rows) > size
    edges = [Edge(node=to_node(row), cursor=_cursor(start + i)) for i, row in enumerate(rows[:size])]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )


async def paginate(
    info,
    query: Select,
    to_node: Callable,
    *,
    first: int | None,
    after: str | None,
    keyset=None,
) -> Connection:
    """Run ``query`` paginated in SQL, fetching one row more than asked to know about a next page.

    By default cursors are offsets. ``keyset=(column, descending)`` pages by a unique, ordered column
    instead (``WHERE column < last``), so rows added meanwhile (new stock moves) never shift a page.
    """
    max_size = info.context.settings.max_page_size
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > max_size:
        raise ApiError("PAGE_SIZE_TOO_LARGE", max=max_size)
    page, start = query, 0
    if keyset is not None:
        column, descending = keyset
        if after is not None:
            last = _key(after)
            page = query.where(column < last if descending else column > last)
        make_cursor = lambda i, row: _key_cursor(row._mapping[column.key])  # noqa: E731
    else:
        start = _offset(after)
        page = query.offset(start)
        make_cursor = lambda i, row: _cursor(start + i)  # noqa: E731
    context = info.context
    async with context.read() as conn:
        rows = (await conn.execute(page.limit(size + 1))).all()
    has_next = len(rows) > size
    rows = rows[:size]
    edges = [Edge(node=to_node(row), cursor=make_cursor(i, row)) for i, row in enumerate(rows)]

    async def count() -> int:
        async with context.read() as conn:
            return (await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=start > 0 or (keyset is not None and after is not None),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _count=count,
    )
