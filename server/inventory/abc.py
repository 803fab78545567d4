"""ABC classification by consumption value (domain reference §5.2): products ranked by the value
issued (sales and production) over a window; the first ``a`` share of the items is class A, the next
``b`` share class B, the rest C; nothing consumed is always C. The split is a business setting
(``reports.abc_split``, default 20 % / 30 % / 50 %) and the cycle counts use the same classes — which is
why the classification lives with stock (counts) and the reports import it from here.

``warehouses`` (from ``server.auth.scope.warehouses``; ``None``: all) ranks only what was issued from
and is stocked in those warehouses, so a caller limited to some warehouses sees the classes of
their consumption, not the company's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.core import clock
from server.core.audit import note_change
from server.core.business_settings import read_setting, write_setting
from server.core.database import Database
from server.core.numbers import NumberError, parse_decimal
from server.documents.actions import actor_label
from server.inventory.errors import InventoryError
from server.inventory.models import location, stock_level, stock_move, stock_operation

SETTING = "reports.abc_split"
DEFAULT_SPLIT = {"a": "0.2", "b": "0.3"}


@dataclass
class AbcItem:
    product_id: int
    consumption: int  # fen issued in the window
    rank: int
    cls: str


async def abc_split(conn: AsyncConnection) -> tuple[Decimal, Decimal]:
    split = await read_setting(conn, SETTING, DEFAULT_SPLIT)
    return Decimal(split["a"]), Decimal(split["b"])


def consumption(query, on: date):
    """Restrict a select over ``stock_move`` to consumption up to the end of ``on``: goods issued to
    customers, to production or for use — not what went back to a supplier."""
    end = clock.end_of(on)
    return query.join(stock_operation, stock_operation.c.id == stock_move.c.operation_id).where(
        stock_move.c.to_location_id.is_(None),
        stock_move.c.move_type.in_(("issue", "production_issue")),
        stock_operation.c.source_type != "purchase_return",
        stock_move.c.created_at < end,
    )


async def abc_items(
    conn: AsyncConnection,
    on: date,
    *,
    warehouse_id: int | None = None,
    days: int = 365,
    warehouses: frozenset[int] | None = None,
) -> list[AbcItem]:
    since = on - timedelta(days=days)
    out = (
        consumption(
            select(stock_move.c.product_id, func.sum(stock_move.c.value_fen).label("value")).join(
                location, location.c.id == stock_move.c.from_location_id
            ),
            on,
        )
        .where(stock_move.c.created_at >= clock.start_of(since))
        .group_by(stock_move.c.product_id)
    )
    stocked_q = select(stock_level.c.product_id).where(stock_level.c.qty > 0)
    if warehouse_id is not None:
        out = out.where(location.c.warehouse_id == warehouse_id)
        stocked_q = stocked_q.where(stock_level.c.warehouse_id == warehouse_id)
    out = out.where(scope.within(warehouses, location.c.warehouse_id))
    stocked_q = stocked_q.where(scope.within(warehouses, stock_level.c.warehouse_id))
    used = {r.product_id: int(r.value) for r in await conn.execute(out)}
    stocked = set((await conn.execute(stocked_q)).scalars())
    a, b = await abc_split(conn)
    items = sorted(set(used) | stocked, key=lambda p: (-used.get(p, 0), p))
    n = len(items)
    a_end, b_end = round(n * a), round(n * (a + b))
    result = []
    for rank, product_id in enumerate(items):
        cls = "A" if rank < a_end else "B" if rank < b_end else "C"
        if used.get(product_id, 0) == 0:
            cls = "C"
        result.append(AbcItem(product_id, used.get(product_id, 0), rank + 1, cls))
    return result


async def abc_classes(conn: AsyncConnection, warehouse_id: int, on: date, days: int = 365) -> dict[int, str]:
    return {i.product_id: i.cls for i in await abc_items(conn, on, warehouse_id=warehouse_id, days=days)}


async def do_set_abc_split(db: Database, a: str, b: str, principal: Principal | None) -> None:
    """Shares of the items in classes A and B (fractions, e.g. "0.2" and "0.3")."""
    scope.require(principal, "stock.count.approve", InventoryError)
    try:
        da, db_ = parse_decimal(a), parse_decimal(b)  # ASCII digits only, no exponent (server/core/numbers.py)
    except (ArithmeticError, NumberError):
        raise InventoryError("INVALID_VALUE", "a", detail="fractions, e.g. 0.2") from None
    if not (0 < da < 1 and 0 <= db_ < 1 and da + db_ <= 1):
        raise InventoryError("INVALID_VALUE", "a", detail="0 < a, a + b ≤ 1")
    async with db.write() as conn:
        before = await read_setting(conn, SETTING, DEFAULT_SPLIT)
        await write_setting(conn, SETTING, {"a": str(da), "b": str(db_)}, actor_label(principal))
        note_change(conn, "setting:" + SETTING, before=before, after={"a": str(da), "b": str(db_)})
