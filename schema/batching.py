"""The kinds of DataLoader the domains declare (``schema/<domain>/loaders.py``).

The batches read through a ``Reader``: for a query over HTTP the request's ``ReadSession`` (one read
connection and transaction, opened by the first batch and closed when the operation ends: the
batches, which strawberry runs concurrently, take turns on it); otherwise (mutations, subscriptions)
the ``Database`` itself, each batch on its own short read connection. A domain's loaders are a ``DomainLoaders``
subclass with one ``cached_property`` per loader: created on first use, once per request (most
requests need two or three), and typed, so ``info.context.loaders.inventory.location`` is checked
like any attribute.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from server.core.database import Database

R = TypeVar("R")

#: a page of children: ``(parent_id, offset, limit)``
PageKey = tuple[int, int, int]
ById = DataLoader[int, Row[Any] | None]
Children = DataLoader[int, list[Row[Any]]]
Pages = DataLoader[PageKey, list[Row[Any]]]
Counts = DataLoader[int, int]


class Reader(Protocol):
    """Where the batches read: a ``Database`` or a request's ``ReadSession``."""

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


class ReadSession:
    """One read connection (and transaction) shared by the DataLoaders of one query operation.

    Opened by the first batch that reads while the session is ``active`` (``SharedReads`` in
    ``schema/context.py`` turns it on for query operations over HTTP and closes it when the operation
    ends); inactive, every ``read()`` is the database's own short connection, as for mutations, whose
    later fields must see their write. Concurrent batches take turns on the connection (a lock). A
    statement that fails discards the connection (PostgreSQL aborts its transaction); the next read
    opens another.
    """

    def __init__(self, db: Database):
        self.db = db
        self.active = False
        self._lock = asyncio.Lock()
        self._opened: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        if not self.active:
            async with self.db.read() as conn:
                yield conn
            return
        async with self._lock:
            if self._conn is None:
                opened = self.db.read()
                self._conn = await opened.__aenter__()
                self._opened = opened
            try:
                yield self._conn
            except BaseException:
                await self._discard()
                raise

    async def close(self) -> None:
        """Close the connection (ending its read transaction) and stop sharing."""
        self.active = False
        async with self._lock:
            await self._discard()

    async def _discard(self) -> None:
        opened, self._opened, self._conn = self._opened, None, None
        if opened is not None:
            with contextlib.suppress(Exception):  # a broken connection is thrown away by the pool
                await opened.__aexit__(None, None, None)


class Record(SimpleNamespace):
    """A row read as part of another (a joined load) and primed into its loader: the attributes of a
    ``Row`` (and its ``_mapping``) without being one."""

    @property
    def _mapping(self) -> dict[str, Any]:
        return self.__dict__


#: ``(other table, foreign key column, the other table's by-id loader)`` for ``many(with_row=…)``
Joined = tuple[Table, str, Callable[[], "ById"]]
#: ``(table or alias, ON clause, label prefix)`` for ``many(joins=…)``: rows read beside each child
Join = tuple[Any, Any, str]


def labelled(table: Table, prefix: str) -> list:
    """The columns of ``table`` labelled ``<prefix>_<column>``, to read it joined to another table."""
    return [c.label(f"{prefix}_{c.name}") for c in table.c]


def record(row: Row[Any], table: Table, prefix: str) -> Record | None:
    """The ``labelled`` columns of ``table`` in ``row`` (``None`` when an outer join found no row)."""
    m = row._mapping
    if m[f"{prefix}_id"] is None:
        return None
    return Record(**{c.name: m[f"{prefix}_{c.name}"] for c in table.c})


def prime(loader: ById, rec: Record | None) -> None:
    """Put a row read by a joined load into its by-id loader (a key loaded already keeps its row)."""
    if rec is not None:
        loader.prime(rec.id, rec)


def held(loader: DataLoader[Any, Any], key: Any) -> asyncio.Future[Any] | None:
    """The loader's settled result for ``key`` (primed or loaded already), if it has one."""
    fut = loader.cache_map.get(key)
    if fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None:
        return fut
    return None


def now_or_later(loader: DataLoader[Any, Any], key: Any, build: Callable[[Any], R]) -> R:
    """``build(row)`` at once when ``loader`` holds the row for ``key`` already (a page primed it, or an
    earlier field loaded it), else an awaitable of it. graphql-core awaits what a resolver returns, so
    a plain (sync) resolver built on this costs a row of a primed page no coroutine, future or task."""
    if (fut := held(loader, key)) is not None:
        return build(fut.result())

    async def later() -> R:
        return build(await loader.load(key))

    return cast(R, later())


class DomainLoaders:
    """The base of a domain's loaders: holds where the batches read from (``Reader``)."""

    def __init__(self, db: Reader):
        self.db = db


def by_id(db: Reader, table: Table) -> ById:
    """Rows of ``table`` by primary key (``None`` for a key not found)."""

    async def load(ids: list[int]):
        async with db.read() as conn:
            rows = {r.id: r for r in await conn.execute(select(table).where(table.c.id.in_(set(ids))))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def many(
    db: Reader, table: Table, key: str, order_by, *, with_row: Joined | None = None, joins: tuple[Join, ...] = ()
) -> Children:
    """All rows of ``table`` whose ``key`` column is the loaded key, in ``order_by`` order.

    ``with_row=(other, fk, loader)`` reads the row of ``other`` each one refers to (``fk``, outer join)
    in the same statement and primes it into ``loader()``: a product's units come with their units.
    ``joins`` outer-join more rows, their columns ``labelled`` by each prefix, for the caller to prime
    (a document's lines come with their products and units: ``schema/documents.py``).
    """

    async def load(keys: list[int]):
        groups = defaultdict(list)
        q = select(table).where(table.c[key].in_(set(keys))).order_by(order_by)
        if with_row is not None:
            other, fk, _ = with_row
            q = q.add_columns(*labelled(other, "j")).outerjoin(other, other.c.id == table.c[fk])
        for joined, on, prefix in joins:
            q = q.add_columns(*labelled(joined, prefix)).outerjoin(joined, on)
        async with db.read() as conn:
            rows = (await conn.execute(q)).all()
        target = with_row[2]() if with_row is not None else None
        for r in rows:
            groups[r._mapping[key]].append(r)
            if target is not None and with_row is not None:
                prime(target, record(r, with_row[0], "j"))
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def child_pages(db: Reader, table: Table, key: str, order_by, where=None) -> Pages:
    """Pages of the children of many parents in one statement per page window: keys are
    ``(parent_id, offset, limit)``; ``ROW_NUMBER() OVER (PARTITION BY parent ORDER BY …)`` cuts each
    parent's page in SQL (SQLite ≥ 3.25 and PostgreSQL), so a list of parents never costs a query each
    and a parent with thousands of children never reads them all."""

    async def load(keys: list[tuple[int, int, int]]):
        windows: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        for parent, start, limit in keys:
            windows[(start, limit)].add(parent)
        pages: dict[PageKey, list[Row[Any]]] = {}
        async with db.read() as conn:
            for (start, limit), parents in windows.items():
                rn = func.row_number().over(partition_by=table.c[key], order_by=order_by).label("rn")
                inner = select(table, rn).where(table.c[key].in_(parents))
                if where is not None:
                    inner = inner.where(where)
                sub = inner.subquery()
                rows = await conn.execute(
                    select(sub).where(sub.c.rn > start, sub.c.rn <= start + limit).order_by(sub.c[key], sub.c.rn)
                )
                for r in rows:
                    pages.setdefault((r._mapping[key], start, limit), []).append(r)
        return [pages.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def child_counts(db: Reader, table: Table, key: str, where=None) -> Counts:
    """How many children (rows of ``table`` with ``key`` = the parent, and ``where``) each parent has."""

    async def load(parents: list[int]):
        q = select(table.c[key], func.count()).where(table.c[key].in_(set(parents)))
        if where is not None:
            q = q.where(where)
        async with db.read() as conn:
            counts: dict[int, int] = dict((await conn.execute(q.group_by(table.c[key]))).all())
        return [counts.get(p, 0) for p in parents]

    return DataLoader(load_fn=load)
