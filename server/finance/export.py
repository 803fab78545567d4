"""Financial statements and the trial balance as XLSX (openpyxl) and PDF (reportlab, with the embedded
font of ``server.core.fonts``): ``build_statement`` (kinds: balance_sheet, income_statement,
cash_flow, trial_balance, detail_ledger and general_ledger of an account), ``to_xlsx``, ``to_pdf``.
The HTTP route ``GET /finance/statements/{kind}.{xlsx|pdf}?period=yyyymm`` is
``server/web/downloads.py``. Amounts are exact: fen turned into yuan with two decimals, written as
numbers with a ``#,##0.00`` format in XLSX. Both say who prepared them (编制单位: the company name of
the sales settings, the name on its invoices) and the unit (单位：元), as the statement forms do.
"""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.core.fonts import pdf_font
from server.core.numbers import fen_to_decimal
from server.finance.statements import STATEMENTS, Statement, StatementRow, detail_ledger, general_ledger, trial_balance
from server.sales.settings import load_sales_settings


def _trial_balance_statement(rows: list[dict], period: int) -> Statement:
    st = Statement(
        "trial_balance",
        "科目余额表",
        "Trial balance",
        period,
        [("期初余额", "Opening"), ("本期借方", "Debit"), ("本期贷方", "Credit"), ("期末余额", "Closing")],
    )
    for r in rows:
        st.rows.append(
            StatementRow(
                r["code"],
                f"{r['code']} {r['name']}",
                r["name_en"],
                [r["opening"], r["debit"], r["credit"], r["closing"]],
                0 if r["is_leaf"] else 1,
            )
        )
    return st


def to_xlsx(st: Statement) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = st.kind[:31]
    ws.append(
        [
            f"{st.title} {st.title_en}",
            f"{st.period // 100}-{st.period % 100:02d}",
            f"编制单位 Prepared by：{st.company}",
            "单位：元 Unit: yuan",
        ]
    )
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["项目 Item"] + [f"{zh} {en}" for zh, en in st.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in st.rows:
        ws.append([f"{r.label} {r.label_en}"] + [Decimal(fen_to_decimal(v)) for v in r.values])
        row = ws.max_row
        for col in range(2, 2 + len(r.values)):
            ws.cell(row=row, column=col).number_format = "#,##0.00"
        if r.level:
            for cell in ws[row]:
                cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 48
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 20
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(st: Statement) -> bytes:
    font = pdf_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"{st.title} {st.title_en} {st.period}")
    title = ParagraphStyle("t", fontName=font, fontSize=14, leading=18)
    byline = ParagraphStyle("b", fontName=font, fontSize=8, leading=11)
    data = [["项目 Item"] + [f"{zh}\n{en}" for zh, en in st.columns]]
    data += [[f"{r.label} {r.label_en}"[:60]] + [f"{fen_to_decimal(v):,.2f}" for v in r.values] for r in st.rows]
    table = Table(data, repeatRows=1, colWidths=[230] + [(A4[0] - 300) / max(len(st.columns), 1)] * len(st.columns))
    style = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
    ]
    for i, r in enumerate(st.rows, start=1):
        if r.level:
            style.append(("BACKGROUND", (0, i), (-1, i), colors.Color(0.94, 0.94, 0.94)))
    table.setStyle(TableStyle(style))
    doc.build(
        [
            Paragraph(f"{st.title} {st.title_en} · {st.period // 100}-{st.period % 100:02d}", title),
            Paragraph(f"编制单位 Prepared by：{escape(st.company)}　　　单位：元 Unit: yuan", byline),
            Spacer(1, 6),
            table,
        ]
    )
    return out.getvalue()


async def _detail_ledger_statement(conn, code: str, period: int) -> Statement:
    led = await detail_ledger(conn, code, period, period, limit=100_000)
    st = Statement(
        "detail_ledger",
        f"明细账 {code}",
        f"Detail ledger {code}",
        period,
        [("借方", "Debit"), ("贷方", "Credit"), ("余额", "Balance")],
    )
    st.rows.append(StatementRow("opening", "期初余额", "Opening balance", [0, 0, led["opening"]], 1))
    for ln in led["lines"]:
        st.rows.append(
            StatementRow(
                str(ln["line_id"]),
                f"{ln['date']} {ln['number']} {ln['memo']}",
                "",
                [ln["debit"], ln["credit"], ln["balance"]],
            )
        )
    st.rows.append(
        StatementRow(
            "closing", "本期合计 / 期末余额", "Period total / closing", [led["debit"], led["credit"], led["closing"]], 1
        )
    )
    return st


async def _general_ledger_statement(conn, code: str, period: int) -> Statement:
    st = Statement(
        "general_ledger",
        f"总账 {code}",
        f"General ledger {code}",
        period,
        [("期初", "Opening"), ("借方", "Debit"), ("贷方", "Credit"), ("期末", "Closing")],
    )
    for m in await general_ledger(conn, code, period // 100):
        st.rows.append(
            StatementRow(
                str(m["period"]),
                f"{m['period'] // 100}-{m['period'] % 100:02d}",
                "",
                [m["opening"], m["debit"], m["credit"], m["closing"]],
            )
        )
    return st


async def build_statement(conn, kind: str, period: int, account: str | None = None) -> Statement:
    st = await _statement(conn, kind, period, account)
    st.company = (await load_sales_settings(conn)).seller_name
    return st


async def _statement(conn, kind: str, period: int, account: str | None) -> Statement:
    if kind == "trial_balance":
        return _trial_balance_statement(await trial_balance(conn, period), period)
    if kind in ("detail_ledger", "general_ledger"):
        if not account:
            raise ValueError(f"{kind} needs ?account=code")
        make = _detail_ledger_statement if kind == "detail_ledger" else _general_ledger_statement
        return await make(conn, account, period)
    build = STATEMENTS.get(kind)
    if build is None:
        raise ValueError(f"unknown statement {kind}: balance_sheet | income_statement | cash_flow | trial_balance")
    return await build(conn, period)
