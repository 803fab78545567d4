"""期初导入: the opening balances from one CSV/XLSX file — stock, open items and account balances, one row
each, posted as one opening entry (server/opening/services.py, docs/opening.md).

The ``type`` column says what a row is: ``stock`` (库存: SKU, bin, quantity, unit cost or amount, lot and
expiry), ``receivable`` / ``payable`` / ``customer_advance`` / ``supplier_prepayment`` (应收 / 应付 / 预收 /
预付: the partner's code, the old document's number, date, due date and amount) or ``account`` (科目:
code, debit or credit). Codes are looked up here (products by SKU, bins by code, customers and suppliers
by code — which one by the row's type); everything else is the opening's own rules, so a dry run lists
every problem the posting would meet — each on its row and column — and changes nothing: the posting
runs in a transaction that is rolled back, the stock through the ledger, the balance checked. A commit
posts the whole file as one entry, or nothing. The file's SHA-256 is kept: the same file twice is
``ALREADY_IMPORTED`` (an opening is booked once; a correction is a file of the differences)."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth import scope
from server.auth.principal import Principal
from server.catalog.models import product
from server.core.database import Database
from server.core.errors import DomainError, ErrorDetail
from server.imports.common import Column, ImportReport, Sheet, cell, concurrent_change, lookup, open_sheet
from server.imports.errors import DataImportError
from server.imports.formats import write_table
from server.inventory.models import location
from server.opening.services import (
    PERMISSION,
    OpeningAccount,
    OpeningInput,
    OpeningItem,
    OpeningStock,
    do_post_opening,
)
from server.partners.models import customer, supplier

KIND = "opening"
COLUMNS = (
    Column("type", "类型", required=True, field="kind"),
    Column("sku", "商品编码", field="productId"),
    Column("location", "库位", field="locationId"),
    Column("quantity", "数量"),
    Column("unit_cost", "单价"),
    Column("amount", "金额"),
    Column("lot", "批号"),
    Column("expiry_date", "有效期"),
    Column("partner", "往来单位", field="partnerId"),
    Column("number", "单号"),
    Column("document_date", "单据日期"),
    Column("due_date", "到期日"),
    Column("account", "科目"),
    Column("debit", "借方"),
    Column("credit", "贷方"),
)
TYPES = {
    "stock": "stock",
    "库存": "stock",
    "receivable": "receivable",
    "应收": "receivable",
    "payable": "payable",
    "应付": "payable",
    "customer_advance": "customer_advance",
    "预收": "customer_advance",
    "supplier_prepayment": "supplier_prepayment",
    "预付": "supplier_prepayment",
    "account": "account",
    "科目": "account",
}
CUSTOMER_ITEMS = ("receivable", "customer_advance")
EXAMPLES = (
    ["stock", "P-1001", "A-01-01", "240", "1.20", "", "", "", "", "", "", "", "", "", ""],
    ["stock", "P-1002", "A-01-02", "50", "", "225.00", "L20261101", "2027-11-01", "", "", "", "", "", "", ""],
    ["receivable", "", "", "", "", "1130.00", "", "", "C-001", "XS-2026-118", "2026-11-20", "2026-12-20"]
    + ["", "", ""],
    ["payable", "", "", "", "", "288.00", "", "", "S-001", "CG-2026-077", "2026-11-25", "2026-12-25", "", "", ""],
    ["account", "", "", "", "", "", "", "", "", "", "", "", "1002", "50000.00", ""],
    ["account", "", "", "", "", "", "", "", "", "", "", "", "4001", "", "51355.00"],  # balances the rows above
)
_INDEXED = re.compile(r"(stock|items|accounts)\.(\d+)(?:\.(.+))?")
# the opening's field names of each section -> the file's columns
_FIELDS = {
    "stock": {
        "productId": "sku",
        "locationId": "location",
        "quantity": "quantity",
        "unitId": "quantity",
        "unitCost": "unit_cost",
        "amount": "amount",
        "lot": "lot",
        "lotCode": "lot",
        "expiryDate": "expiry_date",
        "serial": "lot",
    },
    "items": {
        "kind": "type",
        "partnerId": "partner",
        "number": "number",
        "documentDate": "document_date",
        "dueDate": "due_date",
        "amount": "amount",
    },
    "accounts": {"account": "account", "debit": "debit", "credit": "credit"},
}


def header(chinese: bool = False) -> list[str]:
    return [c.zh if chinese else c.key for c in COLUMNS]


def template(fmt: str = "csv", *, chinese_header: bool = False) -> bytes:
    return write_table(header(chinese_header), [list(r) for r in EXAMPLES], fmt)


async def import_opening(
    db: Database, data: bytes, filename: str, principal: Principal | None = None, *, commit: bool = False
) -> ImportReport:
    """Check (and with ``commit``, post) an opening-balances file (module docstring)."""
    scope.require(principal, PERMISSION, DataImportError)
    report, sheet = open_sheet(KIND, COLUMNS, data, filename)
    if sheet is None:
        return report
    opening, rows = await _read(db, sheet)
    if not report.ok:
        return report
    digest = hashlib.sha256(data).hexdigest()
    try:
        await do_post_opening(db, opening, principal, dry_run=not commit, file_digest=digest)
    except IntegrityError:  # a concurrent change took a number of the file: nothing was written
        concurrent_change(report)
        return report
    except DomainError as exc:
        for d in exc.details:
            row, column = _place(d.field, rows)
            report.add(row, column, d)
        return report
    report.created = len(sheet.rows)
    report.committed = commit
    return report


async def _read(db: Database, sheet: Sheet) -> tuple[OpeningInput, dict[str, list[int]]]:
    """The file as the opening's input, and the file row of each section's entries; what cannot be read
    (an unknown type, code or date) is reported on its row."""
    report = sheet.report
    typed = [(n, TYPES.get((v.get("type") or "").strip().lower()), v) for n, v in sheet.rows]
    async with db.read() as conn:
        skus = [v["sku"] for _, t, v in typed if t == "stock" and v.get("sku")]
        products = {r.sku: r.id for r in await lookup(conn, select(product.c.id, product.c.sku), product.c.sku, skus)}
        codes = [v["location"] for _, t, v in typed if t == "stock" and v.get("location")]
        q = select(location.c.id, location.c.code)
        bins = {r.code: r.id for r in await lookup(conn, q, location.c.code, codes)}
        partners: dict[str, dict[str, int]] = {}
        for partner_table, kinds in ((customer, CUSTOMER_ITEMS), (supplier, ("payable", "supplier_prepayment"))):
            wanted = [v["partner"] for _, t, v in typed if t in kinds and v.get("partner")]
            q = select(partner_table.c.id, partner_table.c.code)
            found = await lookup(conn, q, partner_table.c.code, wanted)
            partners[partner_table.name] = {r.code: r.id for r in found}

    def need(n: int, v: dict, key: str, field: str) -> str | None:
        text = cell(v, key)
        if text is None:
            report.add(n, key, ErrorDetail("REQUIRED", field, {}))
        return text

    def known(n: int, v: dict, key: str, field: str, found: dict, what: str) -> int:
        text = need(n, v, key, field)
        if text is not None and text not in found:
            report.add(n, key, ErrorDetail("NOT_FOUND", field, {"what": what}))
        return found.get(text or "", 0)

    def day(n: int, v: dict, key: str, field: str, *, required: bool = False) -> date | None:
        text = need(n, v, key, field) if required else cell(v, key)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            report.add(n, key, ErrorDetail("INVALID_VALUE", field, {"detail": f"{text}: YYYY-MM-DD"}))
            return None

    opening = OpeningInput(memo="期初导入 opening import")
    rows: dict[str, list[int]] = {"stock": [], "items": [], "accounts": []}
    for n, kind, v in typed:
        if kind is None:
            report.add(n, "type", ErrorDetail("INVALID_VALUE", "kind", {"detail": " | ".join(sorted(set(TYPES)))}))
        elif kind == "stock":
            stock = OpeningStock(
                product_id=known(n, v, "sku", "productId", products, "product"),
                location_id=known(n, v, "location", "locationId", bins, "location"),
                quantity=need(n, v, "quantity", "quantity") or "0",
                unit_cost=cell(v, "unit_cost"),
                amount=cell(v, "amount"),
                lot=cell(v, "lot"),
                expiry_date=day(n, v, "expiry_date", "expiryDate"),
            )
            opening.stock.append(stock)
            rows["stock"].append(n)
        elif kind == "account":
            opening.accounts.append(
                OpeningAccount(
                    account=need(n, v, "account", "account") or "",
                    debit=cell(v, "debit") or "0",
                    credit=cell(v, "credit") or "0",
                )
            )
            rows["accounts"].append(n)
        else:
            side = "customer" if kind in CUSTOMER_ITEMS else "supplier"
            item = OpeningItem(
                kind=kind,
                partner_id=known(n, v, "partner", "partnerId", partners[side], side),
                number=need(n, v, "number", "number") or "",
                document_date=day(n, v, "document_date", "documentDate", required=True) or date.min,
                amount=need(n, v, "amount", "amount") or "0",
                due_date=day(n, v, "due_date", "dueDate"),
            )
            opening.items.append(item)
            rows["items"].append(n)
    return opening, rows


def _place(field: str | None, rows: dict[str, list[int]]) -> tuple[int, str | None]:
    """The file row and column of an opening error's field (``stock.3.quantity``); row 0 for the entry
    as a whole (unbalanced, no go-live date, locked, imported already)."""
    m = _INDEXED.fullmatch(field or "")
    if m is None:
        return 0, None
    section, index, rest = m.group(1), int(m.group(2)), m.group(3) or ""
    if index >= len(rows[section]):
        return 0, None
    head = rest.split(".", 1)[0]
    return rows[section][index], _FIELDS[section].get(head) or (head or None)


__all__ = ["COLUMNS", "KIND", "header", "import_opening", "template"]
