"""Suppliers and customers from and to CSV/XLSX: one row per partner, matched by its code (编码).

Every row is checked with the partners' own rules (``partner_values`` of ``server/partners/services.py``),
salespeople by username, codes once per file; a commit writes the whole file in one transaction or,
with any error, nothing. An empty cell leaves the stored value alone (a new partner gets the default)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.auth import scope
from server.auth.models import app_user
from server.auth.principal import Principal
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import ErrorDetail
from server.core.numbers import fen_to_decimal, rate_to_decimal
from server.imports.common import Column, ImportReport, Sheet, cell, chunks, concurrent_change, lookup, open_sheet
from server.imports.errors import DataImportError
from server.imports.formats import write_table
from server.imports.products import _server_defaults
from server.partners.errors import PartnerError
from server.partners.services import CLEAR, PARTNER_TABLES, PartnerInput, partner_values

PERMISSION = "partner.edit"
KINDS = {"suppliers": "supplier", "customers": "customer"}
_COMMON = (
    Column("code", "编码", required=True),
    Column("name", "名称", required=True),
    Column("contact_name", "联系人"),
    Column("phone", "电话"),
    Column("email", "邮箱"),
    Column("address", "地址"),
    Column("tax_id", "税号"),
    Column("payment_terms_days", "账期天数"),
)
COLUMNS = {
    "supplier": _COMMON
    + (Column("currency", "币种"), Column("bank_name", "开户行"), Column("bank_account", "银行账号")),
    "customer": _COMMON
    + (
        Column("credit_rating", "信用等级"),
        Column("credit_limit", "信用额度"),
        Column("invoice_title", "发票抬头"),
        Column("invoice_type", "发票类型"),  # special 专票 | normal 普票
        Column("discount", "折扣"),
        Column("salesperson", "业务员"),  # a username
    ),
}
# the table column each file column's value goes to, where it differs
STORED = {"credit_limit": "credit_limit_fen", "discount": "discount_bp", "salesperson": "salesperson_user_id"}
INVOICE_TYPE_LABELS = {"专票": "special", "普票": "normal"}
EXAMPLES = {
    "supplier": (
        ["S-001", "上海某某食品有限公司", "张三", "021-12345678", "zhang@example.com", "上海市浦东新区某路 1 号"]
        + ["91310000XXXXXXXX1A", "30", "CNY", "工商银行上海分行", "6222000000000000"],
    ),
    "customer": (
        ["C-001", "北京某某超市", "李四", "010-87654321", "li@example.com", "北京市朝阳区某街 2 号"]
        + ["91110000XXXXXXXX2B", "15", "A", "50000.00", "北京某某超市有限公司", "special", "0.05", ""],
        ["C-002", "零售散客", "", "", "", "", "", "0", "B", "", "", "normal", "0", ""],
    ),
}


def _kind(kind: str) -> str:
    return KINDS.get(kind, kind)


async def import_partners(
    db: Database,
    kind: str,
    data: bytes,
    filename: str,
    principal: Principal | None = None,
    *,
    commit: bool = False,
) -> ImportReport:
    """Check (and with ``commit``, write) a suppliers (``kind="supplier"``) or customers file."""
    kind = _kind(kind)
    if kind not in COLUMNS:
        raise ValueError(f"unknown partner kind {kind}")
    scope.require(principal, PERMISSION, DataImportError)
    report, sheet = open_sheet(f"{kind}s", COLUMNS[kind], data, filename)
    if sheet is None:
        return report
    try:
        await _run(db, kind, sheet, commit)
    except IntegrityError:  # a concurrent change took a code of the file: nothing was written
        concurrent_change(report)
    return report


async def _run(db: Database, kind: str, sheet: Sheet, commit: bool) -> None:
    report = sheet.report
    table = PARTNER_TABLES[kind]
    stored = [STORED.get(c.key, c.key) for c in COLUMNS[kind] if c.key != "code"]
    async with db.write() if commit else db.read() as conn:
        codes = [v["code"] for _, v in sheet.rows if v.get("code")]
        q = select(table.c.id, table.c.code, *(table.c[s] for s in stored))
        existing: dict[str, Any] = {r.code: r for r in await lookup(conn, q, table.c.code, codes)}
        users: dict[str, int] = {}
        if kind == "customer":
            names = sorted({v["salesperson"] for _, v in sheet.rows if v.get("salesperson")})
            for part in chunks(names):
                q = select(app_user.c.id, app_user.c.username).where(app_user.c.username.in_(part))
                users.update({r.username: r.id for r in await conn.execute(q)})
        creates: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        seen: dict[str, int] = {}
        for number, v in sheet.rows:
            code = cell(v, "code")
            if code is not None and code in seen:
                report.add(number, "code", ErrorDetail("DUPLICATE_ROW", "code", {"code": code, "row": seen[code]}))
                continue
            if code is not None:
                seen[code] = number
            current = existing.get(code) if code else None
            errors_before = len(report.errors)
            data_in = _input(sheet, number, v, kind, users)
            try:
                values = partner_values(data_in, creating=current is None, kind=kind)
            except PartnerError as exc:
                sheet.add_domain_errors(number, exc.details)
                continue
            if len(report.errors) > errors_before or code is None:
                continue
            values = {k: val for k, val in values.items() if val is not CLEAR}
            if current is None:
                creates.append(_server_defaults(table, stored) | values)
                continue
            changed = {k: val for k, val in values.items() if k != "code" and current._mapping[k] != val}
            if changed:
                updates.append((current.id, {k: current._mapping[k] for k in changed}, changed))
            else:
                report.unchanged += 1
        report.created, report.updated = len(creates), len(updates)
        if commit and report.ok:
            now = utcnow()
            for part in chunks(creates):
                rows = [r | {"created_at": now} for r in part]
                inserted = await conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
                for r, new_id in zip(part, inserted.scalars(), strict=True):
                    note_change(conn, f"{table.name}:{new_id}", after=r)
            for partner_id, before, changed in updates:
                await conn.execute(update(table).where(table.c.id == partner_id).values(**changed))
                note_change(conn, f"{table.name}:{partner_id}", before=before, after=changed)
            report.committed = True


def _input(sheet: Sheet, number: int, v: dict[str, str], kind: str, users: dict[str, int]) -> PartnerInput:
    """The row as the partners' input; the cells the partners' rules cannot read themselves (a number of
    days, a username) are checked here."""
    data = PartnerInput()
    for c in COLUMNS[kind]:
        if c.key not in ("payment_terms_days", "salesperson"):
            setattr(data, c.key, cell(v, c.key))
    days = cell(v, "payment_terms_days")
    if days is not None:
        if days.isascii() and days.isdigit():
            data.payment_terms_days = int(days)
        else:
            sheet.report.add(
                number, "payment_terms_days", ErrorDetail("INVALID_VALUE", "paymentTermsDays", {"detail": days})
            )
    if data.invoice_type is not None:
        data.invoice_type = INVOICE_TYPE_LABELS.get(data.invoice_type, data.invoice_type)
    if data.credit_rating is not None:
        data.credit_rating = data.credit_rating.upper()
    salesperson = cell(v, "salesperson")
    if salesperson is not None:
        if salesperson in users:
            data.salesperson_user_id = users[salesperson]
        else:
            sheet.report.add(number, "salesperson", ErrorDetail("NOT_FOUND", "salesperson", {"what": "user"}))
    return data


async def export_partners(
    db: Database, kind: str, fmt: str = "csv", principal: Principal | None = None, *, chinese_header: bool = False
) -> bytes:
    """Every supplier (or customer), archived ones too, with exactly the import's columns, by code."""
    kind = _kind(kind)
    scope.require(principal, PERMISSION, DataImportError)
    scope.require(principal, scope.PARTNER_VIEW, DataImportError)  # contact data, tax ids, bank accounts
    table = PARTNER_TABLES[kind]
    columns = COLUMNS[kind]
    async with db.read() as conn:
        usernames = {r.id: r.username for r in await conn.execute(select(app_user.c.id, app_user.c.username))}
        partners = list(await conn.execute(select(table).order_by(table.c.code)))
    rows = []
    for p in partners:
        m = p._mapping
        row = []
        for c in columns:
            if c.key == "credit_limit":
                row.append("" if m["credit_limit_fen"] is None else str(fen_to_decimal(m["credit_limit_fen"])))
            elif c.key == "discount":
                row.append(str(rate_to_decimal(m["discount_bp"])))
            elif c.key == "salesperson":
                row.append(usernames.get(m["salesperson_user_id"], "") if m["salesperson_user_id"] else "")
            else:
                row.append("" if m[c.key] is None else str(m[c.key]))
        rows.append(row)
    return write_table(header(kind, chinese_header), rows, fmt)


def header(kind: str, chinese: bool = False) -> list[str]:
    return [c.zh if chinese else c.key for c in COLUMNS[_kind(kind)]]


def template(kind: str, fmt: str = "csv", *, chinese_header: bool = False) -> bytes:
    return write_table(header(kind, chinese_header), [list(r) for r in EXAMPLES[_kind(kind)]], fmt)
