"""Assertions shared by the document tests: a typed domain error, rows, "nothing changed" snapshots."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.core.errors import DomainError
from server.inventory.models import product_cost


async def fails(coro, code: str, field: str | None = None, error: type[DomainError] = DomainError):
    """Await ``coro`` expecting ``error`` with ``code`` (and ``field``) among its details."""
    with pytest.raises(error) as ei:
        await coro
    codes = [d.code for d in ei.value.details]
    assert code in codes, codes
    detail = ei.value.details[codes.index(code)]
    if field is not None:
        assert detail.field == field
    return detail


async def rows(db, table, *where, order=None):
    async with db.read() as conn:
        q = select(table).where(*where).order_by(*([order] if order is not None else table.primary_key.columns))
        return (await conn.execute(q)).all()


async def get(db, table, row_id):
    return (await rows(db, table, table.c.id == row_id))[0]


async def snapshot_of(db, tables) -> dict:
    """Every row of ``tables``, to compare before and after a refused action."""
    async with db.read() as conn:
        return {
            t.name: [tuple(r) for r in await conn.execute(select(t).order_by(*t.primary_key.columns))] for t in tables
        }


async def cost(db, product_id) -> tuple[int, int]:
    r = await rows(db, product_cost, product_cost.c.product_id == product_id)
    return (r[0].qty, r[0].value_fen) if r else (0, 0)
