"""Every report as a table (title, header, rows), and the tables as CSV or XLSX bytes. The HTTP
route ``GET /reports/{name}.{csv|xlsx}`` is ``server/web/downloads.py``, which validates the
parameters before they reach ``REPORTS``. Money in yuan with two decimals, quantities in base units,
exact (from integer fen and scaled quantities).

Each report takes the caller (``principal``; ``None``: the system, which sees everything), decided by
``server.auth.scope``: without ``cost.view`` the columns of costs, stock values, margins, purchase
amounts and consumption values are left out (quantities, revenue, turnover ratios and classes stay);
a caller limited to some warehouses gets the figures of those warehouses only, with totals over
what it may see (the report functions in ``server.reports`` restrict their SQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from openpyxl import Workbook
from openpyxl.styles import Font

from server.auth import scope
from server.auth.services import Principal
from server.core import clock
from server.core.numbers import fen_to_decimal, scaled_to_decimal
from server.inventory import abc
from server.reports import inventory, purchasing, sales


def _money(fen):
    return fen_to_decimal(fen)


def _qty(scaled):
    return scaled_to_decimal(scaled, 3)


def _dates(p) -> tuple[date, date]:
    end = date.fromisoformat(p["end"]) if p.get("end") else clock.today()
    start = date.fromisoformat(p["start"]) if p.get("start") else end - timedelta(days=29)
    if start > end:
        raise ValueError("start after end")
    return start, end


class _Caller:
    """What the caller of a download may see: cost columns (``cost.view``) and which warehouses."""

    def __init__(self, principal: Principal | None):
        self.costs = scope.sees_costs(principal)
        self.warehouses = scope.warehouses(principal)


def _table(caller: _Caller, columns: list[tuple[str, bool]], rows: list[list]) -> tuple[list, list]:
    """Header and rows without the columns marked as costs when the caller lacks ``cost.view``."""
    keep = [i for i, (_h, cost) in enumerate(columns) if caller.costs or not cost]
    return [columns[i][0] for i in keep], [[r[i] for i in keep] for r in rows]


async def _sales(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    start, end = _dates(p)
    r = await sales.sales_report(conn, start, end, p.get("group_by", "product"), warehouses=c.warehouses)
    cols = [
        ("项目 Item", False),
        ("数量 Quantity", False),
        ("收入 Revenue", False),
        ("成本 Cost", True),
        ("毛利 Margin", True),
        ("毛利率% Margin %", True),
        ("占比% Share", False),
        ("退货率% Return rate", False),
        ("上期收入 Previous revenue", False),
    ]
    rows = [
        [
            x.label,
            _qty(x.quantity),
            _money(x.revenue),
            _money(x.cost),
            _money(x.margin),
            x.margin_pct,
            r.share(x),
            x.return_rate,
            _money(x.previous_revenue or 0),
        ]
        for x in r.rows + [r.total]
    ]
    return (f"销售报表 Sales {start}–{end}", *_table(c, cols, rows))


async def _stock(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.stock_as_of(conn, on, p.get("group_by", "product"), warehouses=c.warehouses)
    return (
        f"库存 Stock as of {on}",
        *_table(
            c,
            [("项目 Item", False), ("数量 Quantity", False), ("金额 Value", True)],
            [[r.label, _qty(r.quantity), _money(r.value)] for r in rows],
        ),
    )


async def _turnover(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    start, end = _dates(p)
    rows, total, basis = await inventory.turnover(
        conn, start, end, p.get("group_by", "product"), p.get("day_basis", "360"), warehouses=c.warehouses
    )
    # turnover and days are ratios of two costs: the money cancels out, they stay visible
    cols = [
        ("项目 Item", False),
        ("销售成本 Cost of sales", True),
        ("期初 Opening", True),
        ("期末 Closing", True),
        ("周转率 Turnover", False),
        (f"周转天数 Days ({basis})", False),
    ]
    return (
        f"库存周转 Turnover {start}–{end}",
        *_table(
            c,
            cols,
            [
                [
                    r.label,
                    _money(r.cost_of_sales),
                    _money(r.opening_value),
                    _money(r.closing_value),
                    r.turnover(),
                    r.days(basis),
                ]
                for r in rows + [total]
            ],
        ),
    )


async def _aging(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.stock_aging(conn, on, warehouses=c.warehouses)
    head = ["商品 Product", "数量 Quantity"] + [
        f"{lo}–{hi if hi else ''} 天 days" for lo, hi in inventory.AGING_BUCKETS
    ]
    return f"库龄 Stock aging {on}", head, [[r.label, _qty(r.quantity), *map(_qty, r.buckets)] for r in rows]


async def _slow(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.slow_movers(conn, on, int(p.get("days", "90")), warehouses=c.warehouses)
    cols = [
        ("商品 Product", False),
        ("数量 Quantity", False),
        ("金额 Value", True),
        ("最后出库 Last issue", False),
        ("天数 Days", False),
        ("呆滞 Dead", False),
    ]
    return (
        f"滞销/呆滞 Slow movers {on}",
        *_table(
            c,
            cols,
            [[r.label, _qty(r.quantity), _money(r.value), r.last_issue, r.days_since_issue, r.dead] for r in rows],
        ),
    )


async def _alerts(conn, _p, *, principal: Principal | None):
    c = _Caller(principal)
    rows = await inventory.overstock_and_shortage(conn, warehouses=c.warehouses)
    return (
        "积压/短缺 Overstock and shortage",
        ["商品 Product", "仓库 Warehouse", "可用 Available", "下限 Min", "上限 Max", "类型 Kind"],
        [[r.label, r.warehouse_id, _qty(r.available), _qty(r.min_qty), _qty(r.max_qty), r.kind] for r in rows],
    )


async def _spend(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    start, end = _dates(p)
    rows = await purchasing.purchase_spend(conn, start, end, p.get("group_by", "supplier"), warehouses=c.warehouses)
    return (
        f"采购额 Purchase spend {start}–{end}",
        *_table(
            c,
            [("项目 Item", False), ("金额 Amount", True), ("税额 Tax", True), ("数量 Quantity", False)],
            [[r.label, _money(r.amount), _money(r.tax), _qty(r.quantity)] for r in rows],
        ),
    )


async def _abc(conn, p, *, principal: Principal | None):
    c = _Caller(principal)
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    items = await abc.abc_items(conn, on, days=int(p.get("days", "365")), warehouses=c.warehouses)
    return (
        f"ABC 分类 ABC classes {on}",
        *_table(
            c,
            [("商品 Product ID", False), ("消耗金额 Consumption", True), ("排名 Rank", False), ("类别 Class", False)],
            [[i.product_id, _money(i.consumption), i.rank, i.cls] for i in items],
        ),
    )


REPORTS = {
    "sales": _sales,
    "stock": _stock,
    "turnover": _turnover,
    "aging": _aging,
    "slow_movers": _slow,
    "overstock_shortage": _alerts,
    "purchase_spend": _spend,
    "abc": _abc,
}


def to_csv(title: str, head: list, rows: list) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([title])
    w.writerow(head)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(title: str, head: list, rows: list) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(head)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
