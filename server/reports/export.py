"""Every report as a table, downloadable as CSV or XLSX:
``GET /reports/{name}.{csv|xlsx}?start=YYYY-MM-DD&end=YYYY-MM-DD&group_by=…`` with
``Authorization: Bearer <token>`` and ``report.view``. Money in yuan with two decimals, quantities in
base units, exact (from integer fen and scaled quantities)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.auth.services import authenticate
from server.errors import render_message
from server.numbers import fen_to_decimal, scaled_to_decimal
from server.reports import abc, inventory, purchasing, sales
from server import clock


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


async def _sales(conn, p):
    start, end = _dates(p)
    r = await sales.sales_report(conn, start, end, p.get("group_by", "product"))
    head = ["项目 Item", "数量 Quantity", "收入 Revenue", "成本 Cost", "毛利 Margin", "毛利率% Margin %", "占比% Share",
            "退货率% Return rate", "上期收入 Previous revenue"]
    rows = [[x.label, _qty(x.quantity), _money(x.revenue), _money(x.cost), _money(x.margin), x.margin_pct,
             r.share(x), x.return_rate, _money(x.previous_revenue or 0)] for x in r.rows + [r.total]]
    return f"销售报表 Sales {start}–{end}", head, rows


async def _stock(conn, p):
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.stock_as_of(conn, on, p.get("group_by", "product"))
    return (f"库存 Stock as of {on}", ["项目 Item", "数量 Quantity", "金额 Value"],
            [[r.label, _qty(r.quantity), _money(r.value)] for r in rows])


async def _turnover(conn, p):
    start, end = _dates(p)
    rows, total, basis = await inventory.turnover(conn, start, end, p.get("group_by", "product"),
                                                  p.get("day_basis", "360"))
    head = ["项目 Item", "销售成本 Cost of sales", "期初 Opening", "期末 Closing", "周转率 Turnover",
            f"周转天数 Days ({basis})"]
    return (f"库存周转 Turnover {start}–{end}", head,
            [[r.label, _money(r.cost_of_sales), _money(r.opening_value), _money(r.closing_value), r.turnover(),
              r.days(basis)] for r in rows + [total]])


async def _aging(conn, p):
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.stock_aging(conn, on)
    head = ["商品 Product", "数量 Quantity"] + [f"{lo}–{hi if hi else ''} 天 days" for lo, hi in inventory.AGING_BUCKETS]
    return f"库龄 Stock aging {on}", head, [[r.label, _qty(r.quantity), *map(_qty, r.buckets)] for r in rows]


async def _slow(conn, p):
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    rows = await inventory.slow_movers(conn, on, int(p.get("days", "90")))
    return (f"滞销/呆滞 Slow movers {on}", ["商品 Product", "数量 Quantity", "金额 Value", "最后出库 Last issue",
                                       "天数 Days", "呆滞 Dead"],
            [[r.label, _qty(r.quantity), _money(r.value), r.last_issue, r.days_since_issue, r.dead] for r in rows])


async def _alerts(conn, _p):
    rows = await inventory.overstock_and_shortage(conn)
    return ("积压/短缺 Overstock and shortage", ["商品 Product", "仓库 Warehouse", "可用 Available", "下限 Min",
                                             "上限 Max", "类型 Kind"],
            [[r.label, r.warehouse_id, _qty(r.available), _qty(r.min_qty), _qty(r.max_qty), r.kind] for r in rows])


async def _spend(conn, p):
    start, end = _dates(p)
    rows = await purchasing.purchase_spend(conn, start, end, p.get("group_by", "supplier"))
    return (f"采购额 Purchase spend {start}–{end}", ["项目 Item", "金额 Amount", "税额 Tax", "数量 Quantity"],
            [[r.label, _money(r.amount), _money(r.tax), _qty(r.quantity)] for r in rows])


async def _abc(conn, p):
    on = date.fromisoformat(p["on"]) if p.get("on") else clock.today()
    items = await abc.abc_items(conn, on, days=int(p.get("days", "365")))
    return (f"ABC 分类 ABC classes {on}", ["商品 Product ID", "消耗金额 Consumption", "排名 Rank", "类别 Class"],
            [[i.product_id, _money(i.consumption), i.rank, i.cls] for i in items])


REPORTS = {"sales": _sales, "stock": _stock, "turnover": _turnover, "aging": _aging, "slow_movers": _slow,
           "overstock_shortage": _alerts, "purchase_spend": _spend, "abc": _abc}


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


async def report_download(request: Request):
    header = request.headers.get("authorization") or ""
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    principal = await authenticate(request.app.state.jxc.db, token)
    if principal is None or not principal.can("report.view"):
        return JSONResponse({"error": {"code": "PERMISSION_DENIED", "message": render_message(
            "PERMISSION_DENIED", "en", {"permission": "report.view"})}}, status_code=403)
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    make = REPORTS.get(name)
    if make is None or fmt not in ("csv", "xlsx"):
        return JSONResponse({"error": {"code": "NOT_FOUND", "message": f"reports: {' | '.join(REPORTS)}; csv | xlsx"}},
                            status_code=404)
    try:
        async with request.app.state.jxc.db.read() as conn:
            title, head, rows = await make(conn, dict(request.query_params))
    except ValueError as exc:
        return JSONResponse({"error": {"code": "INVALID_VALUE", "message": str(exc)}}, status_code=400)
    body = to_csv(title, head, rows) if fmt == "csv" else to_xlsx(title, head, rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'})


def report_routes() -> list[Route]:
    return [Route("/reports/{name}.{fmt}", report_download)]
