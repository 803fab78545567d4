"""Demand forecast per product and warehouse from sales history, with exact decimal arithmetic.

The history is the quantity shipped minus returned per week. Two families of methods are tried:
moving averages (3, 6 and 12 weeks) and Holt's exponential smoothing with trend (α, β on a small
grid). Each is scored by one-step-ahead forecasts over a hold-out window (the last ``holdout``
weeks, fitted only on what came before each week) with MAPE, the mean absolute percentage error over
weeks with demand; the method with the lower error wins (ties go to the simpler moving average).
Safety stock = z × σ(weekly demand) × √(lead time in weeks); reorder point = forecast × lead time +
safety stock.

The demand of a warehouse is what its shipments sent out minus what came back against them;
``warehouses`` (from ``server.auth.scope.warehouses``; ``None``: all) limits the history to those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core import clock
from server.core.numbers import QTY_SCALE
from server.reports.sales import sales_facts

SERVICE_Z = {"0.90": Decimal("1.28"), "0.95": Decimal("1.65"), "0.98": Decimal("2.05"), "0.99": Decimal("2.33")}
MA_WINDOWS = (3, 6, 12)
HOLT_GRID = [(Decimal(a), Decimal(b)) for a in ("0.2", "0.5", "0.8") for b in ("0.1", "0.3")]


@dataclass
class Forecast:
    method: str  # "moving_average_6" | "holt_0.5_0.1" …
    mape: Decimal | None  # percent, over the hold-out weeks with demand
    next_week: Decimal  # base units
    mean: Decimal
    stdev: Decimal
    safety_stock: Decimal
    reorder_point: Decimal
    history: list[Decimal]


def moving_average(series: list[Decimal], window: int) -> Decimal:
    part = series[-window:]
    return sum(part, Decimal(0)) / len(part) if part else Decimal(0)


def holt(series: list[Decimal], alpha: Decimal, beta: Decimal) -> Decimal:
    """One step ahead with Holt's linear trend: level and trend smoothed by α and β."""
    if not series:
        return Decimal(0)
    if len(series) == 1:
        return series[0]
    level, trend = series[0], series[1] - series[0]
    for x in series[1:]:
        prev = level
        level = alpha * x + (1 - alpha) * (level + trend)
        trend = beta * (level - prev) + (1 - beta) * trend
    return max(level + trend, Decimal(0))


Predictor = Callable[[list[Decimal]], Decimal]


def _methods() -> Iterator[tuple[str, Predictor]]:
    for w in MA_WINDOWS:
        yield f"moving_average_{w}", partial(moving_average, window=w)
    for a, b in HOLT_GRID:
        yield f"holt_{a}_{b}", partial(holt, alpha=a, beta=b)


def mape(series: list[Decimal], predict: Predictor, holdout: int) -> Decimal | None:
    errors = []
    for t in range(len(series) - holdout, len(series)):
        actual = series[t]
        if t < 2 or actual == 0:
            continue
        errors.append(abs(actual - predict(series[:t])) / actual)
    if not errors:
        return None
    return (sum(errors, Decimal(0)) * 100 / len(errors)).quantize(Decimal("0.01"))


def choose(series: list[Decimal], holdout: int = 4) -> tuple[str, Decimal | None, Decimal]:
    """(method, its MAPE, next week's forecast) — the method with the lowest hold-out error."""
    best: tuple[Decimal, str, Decimal | None, Predictor] | None = None
    for name, predict in _methods():
        err = mape(series, predict, holdout)
        score = err if err is not None else Decimal("Infinity")
        if best is None or score < best[0]:
            best = (score, name, err, predict)
    assert best is not None  # there is always a method to choose from
    _score, name, err, predict = best
    return name, err, predict(series)


def _stdev(series: list[Decimal]) -> Decimal:
    if len(series) < 2:
        return Decimal(0)
    mean = sum(series, Decimal(0)) / len(series)
    with localcontext() as ctx:
        ctx.prec = 28
        return (sum(((x - mean) ** 2 for x in series), Decimal(0)) / (len(series) - 1)).sqrt()


async def weekly_demand(
    conn: AsyncConnection,
    product_id: int,
    end: date,
    weeks: int,
    warehouse_id: int | None = None,
    warehouses: frozenset[int] | None = None,
) -> list[Decimal]:
    """Shipped − returned per week (oldest first) for the ``weeks`` weeks ending on ``end``."""
    start = end - timedelta(days=7 * weeks - 1)
    f = sales_facts(start, end, dims=frozenset({"warehouse"}), invoices=False, warehouses=warehouses)
    q = select(f.c.on, func.sum(f.c.shipped - f.c.returned)).where(f.c.product_id == product_id).group_by(f.c.on)
    if warehouse_id is not None:
        q = q.where(f.c.warehouse_id == warehouse_id)
    series = [Decimal(0)] * weeks
    for on, qty in await conn.execute(q):
        d = on if isinstance(on, date) else date.fromisoformat(str(on)[:10])
        series[(d - start).days // 7] += Decimal(int(qty or 0)) / QTY_SCALE
    return series


async def forecast_product(
    conn: AsyncConnection,
    product_id: int,
    *,
    end: date | None = None,
    weeks: int = 26,
    warehouse_id: int | None = None,
    lead_time_days: int = 7,
    service_level: str = "0.95",
    holdout: int = 4,
    warehouses: frozenset[int] | None = None,
) -> Forecast:
    end = end or clock.today()
    series = await weekly_demand(conn, product_id, end, weeks, warehouse_id, warehouses)
    return forecast_series(series, lead_time_days=lead_time_days, service_level=service_level, holdout=holdout)


def forecast_series(
    series: list[Decimal], *, lead_time_days: int = 7, service_level: str = "0.95", holdout: int = 4
) -> Forecast:
    method, err, nxt = choose(series, holdout)
    lead_weeks = Decimal(lead_time_days) / 7
    sigma = _stdev(series)
    z = SERVICE_Z.get(service_level, SERVICE_Z["0.95"])
    with localcontext() as ctx:
        ctx.prec = 28
        safety = z * sigma * lead_weeks.sqrt()
    q = Decimal("0.001")
    safety = safety.quantize(q, ROUND_HALF_UP)
    mean = (sum(series, Decimal(0)) / len(series)).quantize(q, ROUND_HALF_UP) if series else Decimal(0)
    nxt = nxt.quantize(q, ROUND_HALF_UP)
    return Forecast(
        method,
        err,
        nxt,
        mean,
        sigma.quantize(q, ROUND_HALF_UP),
        safety,
        (nxt * lead_weeks + safety).quantize(q, ROUND_HALF_UP),
        series,
    )
