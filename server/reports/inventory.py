"""Inventory reports (库存报表) computed from the stock ledger: quantity and value per product,
warehouse or location as of any past date; turnover and days of inventory (domain reference §2.6,
configurable day basis); aging by receipt date; slow movers and dead stock; overstock and shortage
against the reorder rules.

"As of" means at the end of that day (server time). Quantities and values are sums of the append-only
``stock_move`` rows — the same numbers ``jxc check`` proves equal to the levels and to GL 1405.

Warehouse scope: every report takes ``warehouses`` (from ``server.auth.scope.warehouses``; ``None``:
every warehouse) and counts only stock whose location belongs to one of them (transit stock belongs
to the destination warehouse, like its transit location); the cost of sales in the turnover comes
from ``sales_facts`` with the same set. Totals are those of the visible warehouses. The value of a
part of the warehouses is the ledger value of their locations (the values of the moves into them
minus those out of them, as ``stock_as_of`` by warehouse has always shown; the moving average is one
per product, company-wide, so only the sum over all warehouses is GL 1405). Stock aging of a part
of the warehouses counts as an arrival what entered them from outside (a receipt, or a transfer
from a warehouse the caller does not see).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.catalog.models import category, product
from server.core import clock
from server.inventory.abc import consumption
from server.inventory.models import (
    location,
    product_cost,
    reorder_rule,
    stock_level,
    stock_move,
    stock_reservation,
    warehouse,
)
from server.reports.sales import sales_facts
from server.reports.snapshots import latest_snapshot, positions_as_of

AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, 180), (181, None))
DAY_BASES = ("360", "365", "actual")


@dataclass
class StockRow:
    key: str
    label: str
    quantity: int  # scaled (0 when grouping mixes products)
    value: int  # fen


async def stock_as_of(
    conn: AsyncConnection,
    on: date,
    group_by: str = "product",
    *,
    warehouse_id: int | None = None,
    with_labels: bool = True,
    warehouses: frozenset[int] | None = None,
) -> list[StockRow]:
    """Quantity and value at the end of ``on`` per product, warehouse, location or category, in
    ``warehouse_id`` (if given) and ``warehouses`` (``None``: all)."""
    m = positions_as_of(on, await latest_snapshot(conn, on))
    src = m.join(location, location.c.id == m.c.location_id)
    keys = {
        "product": [m.c.product_id],
        "warehouse": [location.c.warehouse_id],
        "location": [m.c.location_id],
        "category": [product.c.category_id],
        "product_warehouse": [m.c.product_id, location.c.warehouse_id],
    }
    if group_by not in keys:
        raise ValueError("group_by: product | warehouse | location | category | product_warehouse")
    if group_by == "category":
        src = src.join(product, product.c.id == m.c.product_id)
    q = select(*keys[group_by], func.sum(m.c.qty), func.sum(m.c.value)).select_from(src).group_by(*keys[group_by])
    if warehouse_id is not None:
        q = q.where(location.c.warehouse_id == warehouse_id)
    q = q.where(scope.within(warehouses, location.c.warehouse_id))
    rows = [r for r in (await conn.execute(q)).all() if r[-2] or r[-1]]
    labels = await _labels(conn, group_by, {r[0] for r in rows}) if with_labels else {}
    out = []
    for r in rows:
        key = "/".join(str(x) for x in r[:-2])
        label = labels.get(r[0], str(r[0]))
        if group_by == "product_warehouse":
            label = f"{label} @ {(await _labels(conn, 'warehouse', {r[1]})).get(r[1], r[1])}"
        out.append(
            StockRow(
                key, label, int(r[-2]) if group_by in ("product", "product_warehouse", "location") else 0, int(r[-1])
            )
        )
    return sorted(out, key=lambda s: (s.label, s.key))


async def _labels(conn, group_by: str, ids) -> dict:
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    t, code, name = {
        "product": (product, product.c.sku, product.c.name),
        "product_warehouse": (product, product.c.sku, product.c.name),
        "warehouse": (warehouse, warehouse.c.code, warehouse.c.name),
        "location": (location, location.c.code, location.c.name),
        "category": (category, category.c.code, category.c.name),
    }[group_by]
    return {
        r[0]: f"{r[1]} {r[2]}".strip() for r in await conn.execute(select(t.c.id, code, name).where(t.c.id.in_(ids)))
    }


async def stock_value_as_of(conn: AsyncConnection, on: date, warehouses: frozenset[int] | None = None) -> int:
    m = positions_as_of(on, await latest_snapshot(conn, on))
    q = select(func.coalesce(func.sum(m.c.value), 0))
    if warehouses is not None:
        q = q.select_from(m.join(location, location.c.id == m.c.location_id)).where(
            scope.within(warehouses, location.c.warehouse_id)
        )
    return int((await conn.execute(q)).scalar_one())


@dataclass
class TurnoverRow:
    key: str
    label: str
    cost_of_sales: int
    opening_value: int
    closing_value: int

    @property
    def average_inventory(self) -> Decimal:
        return Decimal(self.opening_value + self.closing_value) / 2

    def turnover(self) -> Decimal | None:
        avg = self.average_inventory
        return None if avg <= 0 else (Decimal(self.cost_of_sales) / avg).quantize(Decimal("0.01"))

    def days(self, basis: int) -> Decimal | None:
        """Days of inventory = average inventory × basis ÷ cost of sales."""
        if self.cost_of_sales <= 0:
            return None
        return (self.average_inventory * basis / self.cost_of_sales).quantize(Decimal("0.1"))


async def turnover(
    conn: AsyncConnection,
    start: date,
    end: date,
    group_by: str = "product",
    day_basis: str = "360",
    *,
    warehouses: frozenset[int] | None = None,
) -> tuple[list[TurnoverRow], TurnoverRow, int]:
    """Turnover = cost of sales ÷ average inventory ((opening + closing) ÷ 2) over ``start..end``, per
    product or category and in total, of ``warehouses`` (``None``: all); returns (rows, total, the
    day basis used)."""
    if day_basis not in DAY_BASES:
        raise ValueError("day_basis: 360 | 365 | actual")
    if group_by not in ("product", "category"):
        raise ValueError("group_by: product | category")
    basis = (end - start).days + 1 if day_basis == "actual" else int(day_basis)
    f = sales_facts(start, end, invoices=False, warehouses=warehouses)
    col = product.c.category_id if group_by == "category" else f.c.product_id
    src = f.join(product, product.c.id == f.c.product_id) if group_by == "category" else f
    cost = dict((await conn.execute(select(col, func.sum(f.c.cost)).select_from(src).group_by(col))).all())

    def key(k: str) -> int | None:  # "None": products without a category
        return int(k) if k.isdigit() else None

    opening = {
        key(r.key): r.value
        for r in await stock_as_of(conn, start - timedelta(days=1), group_by, with_labels=False, warehouses=warehouses)
    }
    closing = {
        key(r.key): r.value for r in await stock_as_of(conn, end, group_by, with_labels=False, warehouses=warehouses)
    }
    keys = set(cost) | set(opening) | set(closing)
    labels = await _labels(conn, group_by, keys)
    rows = [
        TurnoverRow(
            str(k),
            labels.get(k, "未分类 uncategorised" if k is None else str(k)),
            int(cost.get(k) or 0),
            opening.get(k, 0),
            closing.get(k, 0),
        )
        for k in keys
    ]
    rows.sort(key=lambda r: (-(r.turnover() or Decimal(0)), r.label))
    total = TurnoverRow(
        "total",
        "合计 Total",
        sum(r.cost_of_sales for r in rows),
        sum(r.opening_value for r in rows),
        sum(r.closing_value for r in rows),
    )
    return rows, total, basis


async def total_turnover(
    conn: AsyncConnection, start: date, end: date, warehouses: frozenset[int] | None = None
) -> TurnoverRow:
    """The whole stock's turnover over ``start..end`` (one row, no per-product work), of ``warehouses``."""
    f = sales_facts(start, end, dims=frozenset(), invoices=False, warehouses=warehouses)
    cost = int((await conn.execute(select(func.coalesce(func.sum(f.c.cost), 0)))).scalar_one())
    return TurnoverRow(
        "total",
        "合计 Total",
        cost,
        await stock_value_as_of(conn, start - timedelta(days=1), warehouses),
        await stock_value_as_of(conn, end, warehouses),
    )


@dataclass
class AgingRow:
    product_id: int
    label: str
    quantity: int
    buckets: list[int]  # scaled quantities per AGING_BUCKETS, by days since receipt (oldest last)


async def stock_aging(conn: AsyncConnection, on: date, *, warehouses: frozenset[int] | None = None) -> list[AgingRow]:
    """On-hand quantity at the end of ``on`` by age, assuming first in, first out: what is on hand is
    the latest arrivals up to that day — receipts, and for a part of the warehouses (``warehouses``)
    also transfers into them from the others."""
    m = positions_as_of(on, await latest_snapshot(conn, on))
    held = select(m.c.product_id, func.sum(m.c.qty))
    if warehouses is not None:
        held = held.select_from(m.join(location, location.c.id == m.c.location_id)).where(
            scope.within(warehouses, location.c.warehouse_id)
        )
    on_hand: dict[int, int] = dict(
        (await conn.execute(held.group_by(m.c.product_id).having(func.sum(m.c.qty) > 0))).all()
    )
    if not on_hand:
        return []
    arrivals = select(stock_move.c.product_id, stock_move.c.created_at, stock_move.c.qty).where(
        stock_move.c.product_id.in_(list(on_hand)),
        stock_move.c.to_location_id.is_not(None),
        stock_move.c.created_at < clock.end_of(on),
    )
    if warehouses is None:
        arrivals = arrivals.where(stock_move.c.from_location_id.is_(None))
    else:
        dst, src = location.alias("dst"), location.alias("src")
        arrivals = arrivals.select_from(
            stock_move.join(dst, dst.c.id == stock_move.c.to_location_id).outerjoin(
                src, src.c.id == stock_move.c.from_location_id
            )
        ).where(
            scope.within(warehouses, dst.c.warehouse_id),
            or_(stock_move.c.from_location_id.is_(None), not_(scope.within(warehouses, src.c.warehouse_id))),
        )
    inbound = (
        await conn.execute(
            arrivals.order_by(stock_move.c.product_id, stock_move.c.created_at.desc(), stock_move.c.id.desc())
        )
    ).all()
    labels = await _labels(conn, "product", on_hand)
    left = {p: int(q) for p, q in on_hand.items()}
    buckets = {p: [0] * len(AGING_BUCKETS) for p in on_hand}
    for r in inbound:
        take = min(left[r.product_id], r.qty)
        if take <= 0:
            continue
        left[r.product_id] -= take
        age = max((on - clock.business_date(r.created_at)).days, 0)
        for i, (lo, hi) in enumerate(AGING_BUCKETS):
            if age >= lo and (hi is None or age <= hi):
                buckets[r.product_id][i] += take
                break
    for p, rest in left.items():  # stock older than any receipt on record (e.g. counted gains)
        buckets[p][-1] += rest
    return [AgingRow(p, labels.get(p, str(p)), int(on_hand[p]), buckets[p]) for p in sorted(on_hand)]


@dataclass
class SlowMover:
    product_id: int
    label: str
    quantity: int
    value: int
    last_issue: date | None
    days_since_issue: int | None
    dead: bool  # never issued at all (呆滞); the others are slow (滞销)


async def slow_movers(
    conn: AsyncConnection, on: date, days: int = 90, *, warehouses: frozenset[int] | None = None
) -> list[SlowMover]:
    """Products in stock now (in ``warehouses``; ``None``: all) whose last issue there (sale or
    production) is more than ``days`` before ``on``, or never; valued at the current cost (the
    product's whole value; for a part of the warehouses the ledger value of their locations)."""
    stock = (
        await conn.execute(
            select(stock_level.c.product_id, func.sum(stock_level.c.qty))
            .where(scope.within(warehouses, stock_level.c.warehouse_id))
            .group_by(stock_level.c.product_id)
            .having(func.sum(stock_level.c.qty) > 0)
        )
    ).all()
    if not stock:
        return []
    issued = select(stock_move.c.product_id, func.max(stock_move.c.created_at))
    if warehouses is not None:
        issued = issued.join(location, location.c.id == stock_move.c.from_location_id).where(
            scope.within(warehouses, location.c.warehouse_id)
        )
    last = dict((await conn.execute(consumption(issued, on).group_by(stock_move.c.product_id))).all())
    if warehouses is None:
        values = dict((await conn.execute(select(product_cost.c.product_id, product_cost.c.value_fen))).all())
    else:  # the ledger value of the stock in those warehouses' locations
        values = {
            int(r.key): r.value
            for r in await stock_as_of(conn, clock.today(), "product", with_labels=False, warehouses=warehouses)
        }
    labels = await _labels(conn, "product", [p for p, _ in stock])
    out = []
    for p, qty in stock:
        last_day = clock.business_date(last[p]) if p in last else None
        since = (on - last_day).days if last_day else None
        if since is not None and since <= days:
            continue
        out.append(SlowMover(p, labels.get(p, str(p)), int(qty), values.get(p, 0), last_day, since, last_day is None))
    return sorted(out, key=lambda s: (-(s.days_since_issue or 10**6), -s.value))


@dataclass
class StockAlert:
    product_id: int
    warehouse_id: int
    label: str
    available: int
    min_qty: int
    max_qty: int
    kind: str  # overstock | shortage


async def overstock_and_shortage(
    conn: AsyncConnection, *, warehouses: frozenset[int] | None = None
) -> list[StockAlert]:
    """Available (on hand − reserved) above the rule's maximum or below its minimum, for the rules of
    ``warehouses`` (``None``: all)."""
    on_hand = (
        select(stock_level.c.product_id, stock_level.c.warehouse_id, func.sum(stock_level.c.qty).label("qty"))
        .group_by(stock_level.c.product_id, stock_level.c.warehouse_id)
        .subquery()
    )
    available = func.coalesce(on_hand.c.qty, 0) - func.coalesce(stock_reservation.c.reserved_qty, 0)
    q = (
        select(
            reorder_rule.c.product_id,
            reorder_rule.c.warehouse_id,
            reorder_rule.c.min_qty,
            reorder_rule.c.max_qty,
            available.label("available"),
            case((available > reorder_rule.c.max_qty, literal("overstock")), else_=literal("shortage")).label("kind"),
        )
        .select_from(
            reorder_rule.outerjoin(
                on_hand,
                (on_hand.c.product_id == reorder_rule.c.product_id)
                & (on_hand.c.warehouse_id == reorder_rule.c.warehouse_id),
            ).outerjoin(
                stock_reservation,
                (stock_reservation.c.product_id == reorder_rule.c.product_id)
                & (stock_reservation.c.warehouse_id == reorder_rule.c.warehouse_id),
            )
        )
        .where(
            (available > reorder_rule.c.max_qty) | (available < reorder_rule.c.min_qty),
            scope.within(warehouses, reorder_rule.c.warehouse_id),
        )
    )
    rows = (await conn.execute(q)).all()
    labels = await _labels(conn, "product", {r.product_id for r in rows})
    return [
        StockAlert(
            r.product_id, r.warehouse_id, labels.get(r.product_id, ""), int(r.available), r.min_qty, r.max_qty, r.kind
        )
        for r in sorted(rows, key=lambda r: (r.kind, r.product_id))
    ]
