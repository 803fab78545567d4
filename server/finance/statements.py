"""Reports computed from the posted ledger: trial balance (科目余额表), general and detail ledgers
(总账/明细账), balance sheet (资产负债表), income statement (利润表, 本月 and 本年累计) and cash-flow
statement (现金流量表, direct method).

Every figure is a SQL sum of integer fen over ``voucher_line`` (posted lines only). Statement lines
are defined by account-code prefixes in the 企业 chart and translated to the books' standard, so
sub-accounts an accountant adds fall into their parent's line. The income statement leaves out the
closing vouchers (结转损益) so that closing a month does not empty it; the balance sheet shows profit
not yet closed under 未分配利润, so assets = liabilities + equity holds at any moment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.numbers import allocate_largest_remainder
from server.finance.chart import BY_DIRECTION, CASH_FLOW_ITEMS, OUTFLOW_ITEMS, SECTION_ITEMS, account_code
from server.finance.ledger import books_standard, period_end, previous_period
from server.finance.models import account, cash_flow_rule, posting_rule, voucher, voucher_line


@dataclass
class StatementRow:
    key: str
    label: str
    label_en: str
    values: list[int]  # fen, one per column
    level: int = 0  # 0: a line, 1: a total
    code: str = ""


@dataclass
class Statement:
    kind: str
    title: str
    title_en: str
    period: int
    columns: list[tuple[str, str]]  # (中文, English)
    rows: list[StatementRow] = field(default_factory=list)
    company: str = ""  # 编制单位, printed with the statement

    def row(self, key: str) -> StatementRow:
        return next(r for r in self.rows if r.key == key)


def _year_start(period: int) -> int:
    return (period // 100) * 100 + 1


async def _sums(
    conn: AsyncConnection, *, upto: int | None = None, frm: int | None = None, exclude_closing: bool = False
) -> dict[str, tuple[int, int]]:
    """(debit, credit) per account over posted lines with ``frm <= period <= upto``."""
    q = (
        select(voucher_line.c.account_code, func.sum(voucher_line.c.debit_fen), func.sum(voucher_line.c.credit_fen))
        .where(voucher_line.c.posted.is_(True))
        .group_by(voucher_line.c.account_code)
    )
    if upto is not None:
        q = q.where(voucher_line.c.period <= upto)
    if frm is not None:
        q = q.where(voucher_line.c.period >= frm)
    if exclude_closing:
        q = q.join(voucher, voucher.c.id == voucher_line.c.voucher_id).where(voucher.c.origin != "pl_close")
    return {code: (int(d or 0), int(c or 0)) for code, d, c in await conn.execute(q)}


def _prefix_sum(sums: dict[str, tuple[int, int]], prefixes: list[str], sign: int) -> int:
    """Σ sign × (debit − credit) of the accounts whose code starts with one of ``prefixes``."""
    return sum(sign * (d - c) for code, (d, c) in sums.items() if any(code.startswith(p) for p in prefixes))


# ---- trial balance ------------------------------------------------------------------------------


async def trial_balance(conn: AsyncConnection, period: int) -> list[dict]:
    """Per account (parents roll up their sub-accounts): opening balance, the period's debits and
    credits and the closing balance, balances signed debit-positive."""
    accounts = (await conn.execute(select(account).order_by(account.c.code))).all()
    before = await _sums(conn, upto=period - 1 if period % 100 != 1 else (period // 100 - 1) * 100 + 12)
    during = await _sums(conn, frm=period, upto=period)
    out = []
    for acc in accounts:

        def total(sums):
            d = c = 0
            for code, (dd, cc) in sums.items():
                if code == acc.code or (not acc.is_leaf and code.startswith(acc.code)):
                    d, c = d + dd, c + cc
            return d, c

        od, oc = total(before)
        pd, pc = total(during)
        opening = od - oc
        row = {
            "code": acc.code,
            "name": acc.name,
            "name_en": acc.name_en,
            "category": acc.category,
            "direction": acc.direction,
            "is_leaf": acc.is_leaf,
            "level": 1 + (acc.parent_code is not None) + (len(acc.code) > 6),
            "opening": opening,
            "debit": pd,
            "credit": pc,
            "closing": opening + pd - pc,
        }
        if any((row["opening"], row["debit"], row["credit"])) or acc.parent_code is None:
            out.append(row)
    return out


# ---- detail and general ledgers ----------------------------------------------------------------------


async def detail_ledger(
    conn: AsyncConnection,
    code: str,
    frm: int,
    upto: int,
    *,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    department_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> dict:
    """明细账 of an account (and its sub-accounts), optionally for one partner or warehouse: opening
    balance, the lines in voucher order with a running balance, closing balance."""
    conds: list[ColumnElement[bool]] = [
        voucher_line.c.posted.is_(True),
        (voucher_line.c.account_code == code) | voucher_line.c.account_code.like(f"{code}%"),
    ]
    for col, value in (
        ("customer_id", customer_id),
        ("supplier_id", supplier_id),
        ("warehouse_id", warehouse_id),
        ("department_id", department_id),
    ):
        if value is not None:
            conds.append(voucher_line.c[col] == value)
    opening = (
        await conn.execute(
            select(func.coalesce(func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen), 0)).where(
                *conds, voucher_line.c.period < frm
            )
        )
    ).scalar_one()
    in_range = and_(*conds, voucher_line.c.period >= frm, voucher_line.c.period <= upto)
    totals = (
        await conn.execute(
            select(
                func.coalesce(func.sum(voucher_line.c.debit_fen), 0),
                func.coalesce(func.sum(voucher_line.c.credit_fen), 0),
            ).where(in_range)
        )
    ).one()
    skipped = (
        (
            await conn.execute(
                select(func.coalesce(func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen), 0)).where(
                    voucher_line.c.id.in_(
                        select(voucher_line.c.id)
                        .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
                        .where(in_range)
                        .order_by(voucher_line.c.period, voucher.c.number, voucher_line.c.line_no)
                        .limit(offset)
                    )
                )
            )
        ).scalar_one()
        if offset
        else 0
    )
    rows = (
        await conn.execute(
            select(voucher_line, voucher.c.number, voucher.c.voucher_date, voucher.c.memo.label("voucher_memo"))
            .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
            .where(in_range)
            .order_by(voucher_line.c.period, voucher.c.number, voucher_line.c.line_no)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    running = opening + skipped
    lines = []
    for r in rows:
        running += r.debit_fen - r.credit_fen
        lines.append(
            {
                "voucher_id": r.voucher_id,
                "line_id": r.id,
                "number": r.number,
                "date": r.voucher_date,
                "period": r.period,
                "account_code": r.account_code,
                "memo": r.memo or r.voucher_memo,
                "debit": r.debit_fen,
                "credit": r.credit_fen,
                "balance": running,
                "customer_id": r.customer_id,
                "supplier_id": r.supplier_id,
                "warehouse_id": r.warehouse_id,
            }
        )
    return {
        "opening": opening,
        "debit": totals[0],
        "credit": totals[1],
        "closing": opening + totals[0] - totals[1],
        "lines": lines,
    }


async def general_ledger(conn: AsyncConnection, code: str, year: int) -> list[dict]:
    """总账: per month of ``year``, the account's opening balance, debits, credits and closing balance."""
    like = (voucher_line.c.account_code == code) | voucher_line.c.account_code.like(f"{code}%")
    opening = (
        await conn.execute(
            select(func.coalesce(func.sum(voucher_line.c.debit_fen - voucher_line.c.credit_fen), 0)).where(
                voucher_line.c.posted.is_(True), like, voucher_line.c.period < year * 100 + 1
            )
        )
    ).scalar_one()
    months = {
        r.period: (int(r.d), int(r.c))
        for r in await conn.execute(
            select(
                voucher_line.c.period,
                func.sum(voucher_line.c.debit_fen).label("d"),
                func.sum(voucher_line.c.credit_fen).label("c"),
            )
            .where(
                voucher_line.c.posted.is_(True),
                like,
                voucher_line.c.period >= year * 100 + 1,
                voucher_line.c.period <= year * 100 + 12,
            )
            .group_by(voucher_line.c.period)
        )
    }
    out, balance = [], opening
    for m in range(1, 13):
        p = year * 100 + m
        d, c = months.get(p, (0, 0))
        out.append({"period": p, "opening": balance, "debit": d, "credit": c, "closing": balance + d - c})
        balance += d - c
    return out


async def partner_statement(conn: AsyncConnection, kind: str, partner_id: int, frm: date, to: date) -> dict:
    """对账单 of a customer (receivables and advances) or supplier (payables and prepayments): the
    balance owed at the start, every booked document in between (invoice, receipt, credit note …)
    with a running balance, and the balance at the end — from the ledger lines carrying the partner.
    Positive balances are what the customer owes us / what we owe the supplier."""
    rules = {r.role: r.account_code for r in await conn.execute(select(posting_rule))}
    if kind == "customer":
        codes, col, sign = [rules["receivable"], rules["customer_advance"]], voucher_line.c.customer_id, 1
    else:
        codes, col, sign = [rules["payable"], rules["supplier_prepayment"]], voucher_line.c.supplier_id, -1
    base = [voucher_line.c.posted.is_(True), voucher_line.c.account_code.in_(codes), col == partner_id]
    amount = sign * (voucher_line.c.debit_fen - voucher_line.c.credit_fen)
    opening = (
        await conn.execute(
            select(func.coalesce(func.sum(amount), 0))
            .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
            .where(*base, voucher.c.document_date < frm)
        )
    ).scalar_one()
    rows = (
        await conn.execute(
            select(
                voucher.c.document_date,
                voucher.c.number,
                voucher.c.source_type,
                voucher.c.source_number,
                voucher.c.memo,
                func.sum(amount).label("amount"),
            )
            .join(voucher, voucher.c.id == voucher_line.c.voucher_id)
            .where(*base, voucher.c.document_date >= frm, voucher.c.document_date <= to)
            .group_by(
                voucher.c.id,
                voucher.c.document_date,
                voucher.c.number,
                voucher.c.source_type,
                voucher.c.source_number,
                voucher.c.memo,
            )
            .order_by(voucher.c.document_date, voucher.c.id)
        )
    ).all()
    balance, lines = int(opening), []
    for r in rows:
        if not r.amount:
            continue
        balance += int(r.amount)
        lines.append(
            {
                "date": r.document_date,
                "voucher": r.number,
                "document_type": r.source_type,
                "document": r.source_number,
                "memo": r.memo,
                "increase": max(int(r.amount), 0),
                "decrease": max(-int(r.amount), 0),
                "balance": balance,
            }
        )
    return {"opening": int(opening), "lines": lines, "closing": balance}


# ---- balance sheet ----------------------------------------------------------------------------------------

# key, 中文, English, enterprise-code prefixes, sign (+1 assets, −1 liabilities and equity)
BALANCE_SHEET_ASSETS = (
    ("cash", "货币资金", "Cash and cash equivalents", ["1001", "1002", "1012"]),
    ("notes_receivable", "应收票据", "Notes receivable", ["1121"]),
    ("receivables", "应收账款", "Accounts receivable", ["1122"]),
    ("prepayments", "预付款项", "Prepayments", ["1123"]),
    ("other_receivables", "其他应收款", "Other receivables", ["1221"]),
    ("inventories", "存货", "Inventories", ["1402", "1405", "1406", "1411", "5001", "5101"]),
    ("other_current_assets", "其他流动资产（待处理财产损溢）", "Other current assets (stock differences)", ["1901"]),
    ("fixed_assets", "固定资产", "Fixed assets", ["1601", "1602"]),
)
BALANCE_SHEET_LIABILITIES = (
    ("short_term_loans", "短期借款", "Short-term loans", ["2001"]),
    ("notes_payable", "应付票据", "Notes payable", ["2201"]),
    ("payables", "应付账款", "Accounts payable", ["2202"]),
    ("advances", "预收款项", "Advances from customers", ["2203"]),
    ("payroll", "应付职工薪酬", "Payroll payable", ["2211"]),
    ("taxes", "应交税费", "Taxes payable", ["2221"]),
    ("other_payables", "其他应付款", "Other payables", ["2241"]),
)
BALANCE_SHEET_EQUITY = (
    ("capital", "实收资本", "Paid-in capital", ["4001"]),
    ("capital_reserve", "资本公积", "Capital reserve", ["4002"]),
    ("surplus_reserve", "盈余公积", "Surplus reserve", ["4101"]),
    ("undistributed_profit", "未分配利润", "Undistributed profit", ["4103", "4104"]),
)


def _codes(standard: str, prefixes: list[str]) -> list[str]:
    out = []
    for p in prefixes:
        try:
            out.append(account_code(standard, p))
        except KeyError:
            continue
    return out


async def _pl_codes(conn) -> list[str]:
    return list(
        (await conn.execute(select(account.c.code).where(account.c.category.in_(("revenue", "expense"))))).scalars()
    )


async def balance_sheet(conn: AsyncConnection, period: int) -> Statement:
    standard = await books_standard(conn)
    year_end = (period // 100 - 1) * 100 + 12
    columns = [
        (f"期末余额 {period_end(period).isoformat()}", "Closing balance"),
        (f"年初余额 {period // 100}-01-01", "Opening balance of the year"),
    ]
    st = Statement("balance_sheet", "资产负债表", "Balance sheet", period, columns)
    sums = [await _sums(conn, upto=period), await _sums(conn, upto=year_end)]
    pl = await _pl_codes(conn)

    def add(section, sign):
        total = [0, 0]
        for key, zh, en, prefixes in section:
            codes = _codes(standard, prefixes)
            values = [_prefix_sum(s, codes, sign) for s in sums]
            if key == "undistributed_profit":  # profit not closed yet belongs here too
                values = [v + _prefix_sum(s, pl, -1) for v, s in zip(values, sums)]
            st.rows.append(StatementRow(key, zh, en, values, code=",".join(codes)))
            total = [a + b for a, b in zip(total, values)]
        return total

    assets = add(BALANCE_SHEET_ASSETS, 1)
    st.rows.append(StatementRow("total_assets", "资产总计", "Total assets", assets, 1))
    liabilities = add(BALANCE_SHEET_LIABILITIES, -1)
    st.rows.append(StatementRow("total_liabilities", "负债合计", "Total liabilities", liabilities, 1))
    equity = add(BALANCE_SHEET_EQUITY, -1)
    st.rows.append(StatementRow("total_equity", "所有者权益合计", "Total equity", equity, 1))
    st.rows.append(
        StatementRow(
            "total_liabilities_and_equity",
            "负债和所有者权益总计",
            "Total liabilities and equity",
            [a + b for a, b in zip(liabilities, equity)],
            1,
        )
    )
    return st


# ---- income statement -------------------------------------------------------------------------------------

INCOME_LINES = (
    # key, 中文, English, prefixes, sign (+1: credit − debit, income; −1: debit − credit, costs)
    ("revenue", "一、营业收入", "Operating revenue", ["6001", "6051"], 1),
    ("cost_of_sales", "减：营业成本", "Less: cost of sales", ["6401", "6402"], -1),
    ("taxes_and_surcharges", "税金及附加", "Taxes and surcharges", ["6403"], -1),
    ("selling_expenses", "销售费用", "Selling expenses", ["6601"], -1),
    ("admin_expenses", "管理费用", "Administrative expenses", ["6602"], -1),
    ("finance_costs", "财务费用", "Finance costs", ["6603"], -1),
    ("non_operating_income", "加：营业外收入", "Add: non-operating income", ["6301"], 1),
    ("non_operating_expenses", "减：营业外支出", "Less: non-operating expenses", ["6711"], -1),
    ("income_tax", "减：所得税费用", "Less: income tax", ["6801"], -1),
)


async def income_statement(conn: AsyncConnection, period: int) -> Statement:
    standard = await books_standard(conn)
    st = Statement(
        "income_statement",
        "利润表",
        "Income statement",
        period,
        [("本月金额", "This month"), ("本年累计金额", "Year to date")],
    )
    sums = [
        await _sums(conn, frm=period, upto=period, exclude_closing=True),
        await _sums(conn, frm=_year_start(period), upto=period, exclude_closing=True),
    ]
    values: dict[str, list[int]] = {}
    line_codes: dict[str, str] = {}
    for key, _zh, _en, prefixes, sign in INCOME_LINES:
        codes = _codes(standard, prefixes)
        # income lines are credit − debit; cost lines debit − credit, shown positive
        values[key] = [_prefix_sum(s, codes, -1 if sign == 1 else 1) for s in sums]
        line_codes[key] = ",".join(codes)

    def combine(*parts):
        return [sum(sign * values[k][i] for k, sign in parts) for i in range(2)]

    operating = combine(
        ("revenue", 1),
        ("cost_of_sales", -1),
        ("taxes_and_surcharges", -1),
        ("selling_expenses", -1),
        ("admin_expenses", -1),
        ("finance_costs", -1),
    )
    before_tax = [
        operating[i] + values["non_operating_income"][i] - values["non_operating_expenses"][i] for i in range(2)
    ]
    net = [before_tax[i] - values["income_tax"][i] for i in range(2)]
    for key, zh, en, _p, _s in INCOME_LINES:
        st.rows.append(StatementRow(key, zh, en, values[key], code=line_codes[key]))
        if key == "finance_costs":
            st.rows.append(StatementRow("operating_profit", "二、营业利润", "Operating profit", operating, 1))
        if key == "non_operating_expenses":
            st.rows.append(StatementRow("profit_before_tax", "三、利润总额", "Profit before tax", before_tax, 1))
    st.rows.append(StatementRow("net_profit", "四、净利润", "Net profit", net, 1))
    return st


# ---- cash-flow statement ------------------------------------------------------------------------------------


async def cash_flows(conn: AsyncConnection, frm: int, upto: int) -> dict[str, int]:
    """Net cash per item over posted vouchers in ``frm..upto`` (inflows positive). Each cash line is
    classified by its voucher's non-cash lines (split by their amounts when there are several),
    through ``cash_flow_rule`` (longest account prefix), unless it was reclassified by hand; money
    moved between cash accounts is no cash flow."""
    rules = sorted(
        ((r.account_prefix, r.item) for r in await conn.execute(select(cash_flow_rule))), key=lambda t: -len(t[0])
    )
    standard = await books_standard(conn)
    by_direction = sorted(
        ((account_code(standard, prefix), pair) for prefix, pair in BY_DIRECTION.items()), key=lambda t: -len(t[0])
    )
    cash_codes = set((await conn.execute(select(account.c.code).where(account.c.is_cash.is_(True)))).scalars())
    voucher_ids = (
        select(voucher_line.c.voucher_id)
        .where(
            voucher_line.c.posted.is_(True),
            voucher_line.c.period >= frm,
            voucher_line.c.period <= upto,
            voucher_line.c.account_code.in_(cash_codes),
        )
        .distinct()
    )
    by_voucher = defaultdict(list)
    for r in await conn.execute(
        select(voucher_line)
        .where(voucher_line.c.voucher_id.in_(voucher_ids))
        .order_by(voucher_line.c.voucher_id, voucher_line.c.line_no)
    ):
        by_voucher[r.voucher_id].append(r)

    def line_of(item: str, code: str, inflow: bool) -> str:
        """A section item (investing, financing) as the standard line of its counter-account and direction."""
        if item not in SECTION_ITEMS:
            return item
        for prefix, pair in by_direction:
            if code.startswith(prefix) and CASH_FLOW_ITEMS[pair[0]][0] == item:
                return pair[0] if inflow else pair[1]
        return SECTION_ITEMS[item][0 if inflow else 1]

    def item_of(code: str, inflow: bool) -> str:
        for prefix, item in rules:
            if code.startswith(prefix):
                return line_of(item, code, inflow)
        return "other_operating_receipts" if inflow else "other_operating_payments"

    totals: dict[str, int] = defaultdict(int)
    for lines in by_voucher.values():
        counter = [ln for ln in lines if ln.account_code not in cash_codes]
        for ln in lines:
            if ln.account_code not in cash_codes:
                continue
            amount = ln.debit_fen - ln.credit_fen
            if ln.cash_flow_item:  # reclassified by hand
                totals[line_of(ln.cash_flow_item, "", amount > 0)] += amount
                continue
            if not counter:
                continue  # between cash accounts
            weights = [abs(c.debit_fen - c.credit_fen) for c in counter]
            if not any(weights):
                continue
            shares = allocate_largest_remainder(abs(amount), weights)
            for c, share in zip(counter, shares):
                totals[item_of(c.account_code, amount > 0)] += share if amount > 0 else -share
    return totals


CASH_FLOW_SECTIONS = {
    # section: (一、二、三 heading of its inflow subtotal, outflow subtotal, net)
    "operating": (
        ("经营活动现金流入小计", "Cash inflows from operating activities"),
        ("经营活动现金流出小计", "Cash outflows from operating activities"),
        ("经营活动产生的现金流量净额", "Net cash from operating activities"),
    ),
    "investing": (
        ("投资活动现金流入小计", "Cash inflows from investing activities"),
        ("投资活动现金流出小计", "Cash outflows from investing activities"),
        ("投资活动产生的现金流量净额", "Net cash from investing activities"),
    ),
    "financing": (
        ("筹资活动现金流入小计", "Cash inflows from financing activities"),
        ("筹资活动现金流出小计", "Cash outflows from financing activities"),
        ("筹资活动产生的现金流量净额", "Net cash from financing activities"),
    ),
}


async def cash_flow_statement(conn: AsyncConnection, period: int) -> Statement:
    """现金流量表 as 会企03表 lays it out: per activity its inflow lines and their subtotal, its outflow
    lines (shown as positive amounts) and their subtotal, and the net (inflows − outflows); then the
    exchange-rate effect (none: jxc books in CNY only), the net increase, the opening and the closing
    cash — opening + net increase = closing."""
    await books_standard(conn)
    st = Statement(
        "cash_flow",
        "现金流量表",
        "Cash-flow statement",
        period,
        [("本月金额", "This month"), ("本年累计金额", "Year to date")],
    )
    year_start = _year_start(period)
    flows = [await cash_flows(conn, period, period), await cash_flows(conn, year_start, period)]
    net = [0, 0]
    for section, (inflows, outflows, total) in CASH_FLOW_SECTIONS.items():
        items = [
            (k, zh, en) for k, (sec, zh, en) in CASH_FLOW_ITEMS.items() if sec == section and k not in SECTION_ITEMS
        ]
        sums = {}
        for direction, (zh_sub, en_sub) in ((False, inflows), (True, outflows)):
            subtotal = [0, 0]
            for item, zh, en in items:
                if (item in OUTFLOW_ITEMS) != direction:
                    continue
                values = [-f.get(item, 0) if direction else f.get(item, 0) for f in flows]
                st.rows.append(StatementRow(item, zh, en, values))
                subtotal = [a + b for a, b in zip(subtotal, values)]
            key = f"{section}_{'outflows' if direction else 'inflows'}"
            st.rows.append(StatementRow(key, zh_sub, en_sub, subtotal, 1))
            sums[direction] = subtotal
        section_net = [a - b for a, b in zip(sums[False], sums[True])]
        st.rows.append(StatementRow(f"net_{section}", total[0], total[1], section_net, 1))
        net = [a + b for a, b in zip(net, section_net)]
    st.rows.append(StatementRow("fx_effect", "汇率变动对现金及现金等价物的影响", "Effect of exchange rates", [0, 0]))
    st.rows.append(StatementRow("net_increase", "现金及现金等价物净增加额", "Net increase in cash", net, 1))
    cash_codes = list((await conn.execute(select(account.c.code).where(account.c.is_cash.is_(True)))).scalars())
    opening = [
        _prefix_sum(await _sums(conn, upto=previous_period(period)), cash_codes, 1),
        _prefix_sum(await _sums(conn, upto=previous_period(year_start)), cash_codes, 1),
    ]
    st.rows.append(StatementRow("opening_cash", "加：期初现金及现金等价物余额", "Cash at the beginning", opening))
    closing = _prefix_sum(await _sums(conn, upto=period), cash_codes, 1)
    st.rows.append(
        StatementRow("closing_cash", "期末现金及现金等价物余额", "Cash at the end of the period", [closing, closing], 1)
    )
    return st


STATEMENTS = {"balance_sheet": balance_sheet, "income_statement": income_statement, "cash_flow": cash_flow_statement}
