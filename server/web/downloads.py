"""Report and financial-statement downloads (``Authorization: Bearer <token>``).

* ``GET /reports/{name}.{csv|xlsx}?start=YYYY-MM-DD&end=YYYY-MM-DD&on=YYYY-MM-DD&group_by=…&day_basis=…&days=N``
  with ``report.view`` — the tables come from ``server.reports.export``;
* ``GET /finance/statements/{kind}.{xlsx|pdf}?period=yyyymm[&account=code]`` with ``finance.view``
  (kinds: balance_sheet, income_statement, cash_flow, trial_balance, detail_ledger and
  general_ledger, the ledgers with ``account``) — built by ``server.finance.export``;
* ``GET /imports/{products|suppliers|customers|warehouses|bins|opening}/template.{csv|xlsx}[?header=zh]``: a blank import file
  with example rows, and ``GET /exports/{kind}.{csv|xlsx}[?header=zh]``: the data in the same columns
  (export → edit → import round-trips; opening balances have a template only) — with ``catalog.edit``
  (products), ``partner.edit``, ``warehouse.edit`` or ``finance.admin`` (opening);
* ``GET /feedback/export.csv[?status=open|answered|closed]``: the user feedback (用户反馈) with ``user.admin``.

Every parameter is validated here (``server.web.params``) before the domain sees it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.auth.services import Principal
from server.core import clock
from server.feedback import services as feedback_services
from server.finance import export as finance_export
from server.imports import partners as partner_import
from server.imports import products as product_import
from server.imports import warehouses as warehouse_import
from server.imports.templates import template as import_template
from server.reports import export as report_export
from server.web import params as p
from server.web.guard import Text, WebError, guarded

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 3650

# The options each report accepts (the domain functions in server/reports check them again).
_RANGE, _ON = ("start", "end"), ("on",)
REPORT_OPTIONS: dict[str, dict] = {
    "sales": {
        "dates": _RANGE,
        "group_by": ("product", "category", "customer", "salesperson", "warehouse", "day", "week", "month"),
    },
    "stock": {"dates": _ON, "group_by": ("product", "warehouse", "location", "category", "product_warehouse")},
    "turnover": {"dates": _RANGE, "group_by": ("product", "category"), "day_basis": ("360", "365", "actual")},
    "aging": {"dates": _ON},
    "slow_movers": {"dates": _ON, "days": 90},
    "overstock_shortage": {"dates": ()},
    "purchase_spend": {"dates": _RANGE, "group_by": ("supplier", "product")},
    "abc": {"dates": _ON, "days": 365},
}


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def report_params(name: str, q) -> dict[str, str]:
    """The validated parameters of report ``name``, as the strings ``server.reports.export`` reads."""
    spec = REPORT_OPTIONS[name]
    out: dict[str, str] = {}
    if spec["dates"] == _RANGE:
        end = p.date_param(q, "end", clock.today())
        start = p.date_param(q, "start", end - timedelta(days=29))
        if start > end:
            raise p.invalid("start", "开始日期晚于结束日期", "the start is after the end")
        out.update(start=start.isoformat(), end=end.isoformat())
    elif spec["dates"] == _ON:
        out["on"] = p.date_param(q, "on", clock.today()).isoformat()
    for option in ("group_by", "day_basis"):
        if option in spec:
            value = p.choice_param(q, option, spec[option], None)
            if value is not None:
                out[option] = value
    if "days" in spec:
        out["days"] = str(p.int_param(q, "days", spec["days"], 1, MAX_DAYS))
    return out


@guarded("report.view")
async def report_download(request: Request, principal: Principal):
    name, fmt = request.path_params["name"], request.path_params["fmt"]
    make = report_export.REPORTS.get(name)
    if make is None or name not in REPORT_OPTIONS or fmt not in ("csv", "xlsx"):
        reports = " | ".join(REPORT_OPTIONS)
        what = Text(
            f"报表 {name}.{fmt}（可选：{reports}；csv | xlsx）", f"Report {name}.{fmt} (reports: {reports}; csv | xlsx)"
        )
        raise WebError(404, "NOT_FOUND", what=what, what_en=what)
    args = report_params(name, request.query_params)
    async with request.app.state.jxc.db.read() as conn:  # the caller's permissions and warehouses decide the rows
        title, head, rows = await make(conn, args, principal=principal)
    if fmt == "csv":
        return _attachment(report_export.to_csv(title, head, rows), "text/csv; charset=utf-8", f"{name}.csv")
    return _attachment(report_export.to_xlsx(title, head, rows), XLSX, f"{name}.xlsx")


STATEMENT_KINDS = ("balance_sheet", "income_statement", "cash_flow", "trial_balance", "detail_ledger", "general_ledger")
LEDGERS = ("detail_ledger", "general_ledger")
ACCOUNT_CODE = re.compile(r"[0-9]{4,16}")
PERIOD = re.compile(r"[0-9]{6}")


def period_param(q) -> int:
    raw = p.required(q.get("period") or None, "period")
    if not PERIOD.fullmatch(raw) or not p.MIN_YEAR <= int(raw[:4]) <= p.MAX_YEAR or not 1 <= int(raw[4:]) <= 12:
        raise p.invalid(
            "period",
            f"会计期间格式应为 yyyymm（如 202611），而不是“{raw[:40]}”",
            f"a period is yyyymm (e.g. 202611), not “{raw[:40]}”",
        )
    return int(raw)


@guarded("finance.view")
async def statement_download(request: Request, _principal: Principal):
    path, q = request.path_params, request.query_params
    kind = p.required(p.choice_param(path, "kind", STATEMENT_KINDS, None), "kind")
    fmt = p.required(p.choice_param(path, "fmt", ("xlsx", "pdf"), None), "fmt")
    period = period_param(q)
    account = p.text_param(q, "account", ACCOUNT_CODE, "科目编码应为 4–16 位数字", "an account code is 4–16 digits")
    if kind in LEDGERS:
        p.required(account, "account")
    async with request.app.state.jxc.db.read() as conn:
        st = await finance_export.build_statement(conn, kind, period, account if kind in LEDGERS else None)
    name = f"{st.kind}-{period}.{fmt}"
    if fmt == "xlsx":
        return _attachment(finance_export.to_xlsx(st), XLSX, name)
    return _attachment(finance_export.to_pdf(st), "application/pdf", name)


IMPORT_KINDS = {
    "products": "catalog.edit",
    "suppliers": "partner.edit",
    "customers": "partner.edit",
    "warehouses": "warehouse.edit",
    "bins": "warehouse.edit",
    "opening": "finance.admin",  # a template only: opening balances are posted, not exported
}
EXPORT_KINDS = ("products", "suppliers", "customers", "warehouses", "bins")
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def _import_kind(request: Request) -> list[str]:
    """The permission the import kind of the path needs (an unknown kind: checked by the route)."""
    return [IMPORT_KINDS.get(request.path_params["kind"], "catalog.edit")]


def _kind_and_format(request: Request, kinds: tuple[str, ...] = tuple(IMPORT_KINDS)) -> tuple[str, str, bool]:
    path = request.path_params
    kind = p.required(p.choice_param(path, "kind", kinds, None), "kind")
    fmt = p.required(p.choice_param(path, "fmt", ("csv", "xlsx"), None), "fmt")
    chinese = p.choice_param(request.query_params, "header", ("en", "zh"), "en") == "zh"
    return kind, fmt, chinese


@guarded(_import_kind)
async def import_template_download(request: Request, _principal: Principal):
    kind, fmt, chinese = _kind_and_format(request)
    return _attachment(import_template(kind, fmt, chinese_header=chinese), MEDIA[fmt], f"{kind}-template.{fmt}")


@guarded(_import_kind)
async def export_download(request: Request, principal: Principal):
    kind, fmt, chinese = _kind_and_format(request, EXPORT_KINDS)
    db = request.app.state.jxc.db
    if kind == "products":
        body = await product_import.export_products(db, fmt, principal, chinese_header=chinese)
    elif kind in ("warehouses", "bins"):
        body = await warehouse_import.export_warehouses(db, kind, fmt, principal, chinese_header=chinese)
    else:
        body = await partner_import.export_partners(db, kind[:-1], fmt, principal, chinese_header=chinese)
    return _attachment(body, MEDIA[fmt], f"{kind}.{fmt}")


@guarded("user.admin")
async def feedback_download(request: Request, principal: Principal):
    status = p.choice_param(request.query_params, "status", feedback_services.STATUSES, None)
    body = await feedback_services.export_feedback_csv(request.app.state.jxc.db, principal, status)
    return _attachment(body, MEDIA["csv"], "feedback.csv")


ROUTES = [
    Route("/feedback/export.csv", feedback_download),
    Route("/reports/{name}.{fmt}", report_download),
    Route("/finance/statements/{kind}.{fmt}", statement_download),
    Route("/imports/{kind}/template.{fmt}", import_template_download),
    Route("/exports/{kind}.{fmt}", export_download),
]
