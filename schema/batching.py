"""The kinds of DataLoader the domains declare (``schema/<domain>/loaders.py``).

Each DataLoader batch opens its own short read connection, so sibling resolvers (which strawberry
runs concurrently) never share a connection or session. A domain's loaders are a ``DomainLoaders``
subclass with one ``cached_property`` per loader: created on first use, once per request (most
requests need two or three), and typed, so ``info.context.loaders.inventory.location`` is checked
like any attribute.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, Table, func, select
from strawberry.dataloader import DataLoader

from server.core.database import Database

#: a page of children: ``(parent_id, offset, limit)``
PageKey = tuple[int, int, int]
ById = DataLoader[int, Row[Any] | None]
Children = DataLoader[int, list[Row[Any]]]
Pages = DataLoader[PageKey, list[Row[Any]]]
Counts = DataLoader[int, int]


class DomainLoaders:
    """The base of a domain's loaders: holds the database the batches read from."""

    def __init__(self, db: Database):
        self.db = db


def by_id(db: Database, table: Table) -> ById:
    """Rows of ``table`` by primary key (``None`` for a key not found)."""

    async def load(ids: list[int]):
        async with db.read() as conn:
            rows = {r.id: r for r in await conn.execute(select(table).where(table.c.id.in_(set(ids))))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def many(db: Database, table: Table, key: str, order_by) -> Children:
    """All rows of ``table`` whose ``key`` column is the loaded key, in ``order_by`` order."""

    async def load(keys: list[int]):
        groups = defaultdict(list)
        async with db.read() as conn:
            for r in await conn.execute(select(table).where(table.c[key].in_(set(keys))).order_by(order_by)):
                groups[r._mapping[key]].append(r)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def child_pages(db: Database, table: Table, key: str, order_by, where=None) -> Pages:
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


def child_counts(db: Database, table: Table, key: str, where=None) -> Counts:
    """How many children (rows of ``table`` with ``key`` = the parent, and ``where``) each parent has."""

    async def load(parents: list[int]):
        q = select(table.c[key], func.count()).where(table.c[key].in_(set(parents)))
        if where is not None:
            q = q.where(where)
        async with db.read() as conn:
            counts: dict[int, int] = dict((await conn.execute(q.group_by(table.c[key]))).all())
        return [counts.get(p, 0) for p in parents]

    return DataLoader(load_fn=load)
