"""Warehouses and bins from and to CSV/XLSX: one row per warehouse (matched by its code) or per bin
(matched by its code, which is unique across warehouses: it is printed on the label and scanned).

Every row is checked with the warehouses' own text rules (``warehouse_values``, ``location_texts`` of
``server/inventory/warehouses.py``) and against the database and the rest of the file; a commit writes
the whole file in one transaction or, with any error, nothing. A bin's parent is a bin of the same
warehouse, existing or on an earlier row; an existing bin keeps its warehouse and its parent (they are
fixed once stock and labels refer to it) — only its name and sort order change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.auth import scope
from server.auth.principal import Principal
from server.core.audit import note_change
from server.core.database import Database
from server.core.errors import ErrorDetail
from server.core.master_records import TextRules
from server.imports.common import Column, ImportReport, Sheet, cell, concurrent_change, lookup, open_sheet
from server.imports.errors import DataImportError
from server.imports.formats import write_table
from server.inventory.errors import InventoryError
from server.inventory.models import location, warehouse
from server.inventory.warehouses import location_texts, warehouse_values

PERMISSION = "warehouse.edit"
KINDS = ("warehouses", "bins")
COLUMNS = {
    "warehouses": (
        Column("code", "编码", required=True),
        Column("name", "名称", required=True),
        Column("address", "地址"),
    ),
    "bins": (
        Column("warehouse", "仓库", required=True, field="warehouseId"),
        Column("code", "编码", required=True),
        Column("name", "名称"),
        Column("parent", "上级库位", field="parentId"),
        Column("sort_order", "排序"),
    ),
}
EXAMPLES = {
    "warehouses": (["SH01", "上海仓", "上海市浦东新区某路 1 号"], ["BJ01", "北京仓", ""]),
    "bins": (["SH01", "SH01-A", "A 区", "", "1"], ["SH01", "SH01-A-01-01", "A 区 1 排 1 层", "SH01-A", "1"]),
}


def header(kind: str, chinese: bool = False) -> list[str]:
    return [c.zh if chinese else c.key for c in COLUMNS[kind]]


def template(kind: str, fmt: str = "csv", *, chinese_header: bool = False) -> bytes:
    return write_table(header(kind, chinese_header), [list(r) for r in EXAMPLES[kind]], fmt)


async def import_warehouses(
    db: Database,
    kind: str,
    data: bytes,
    filename: str,
    principal: Principal | None = None,
    *,
    commit: bool = False,
) -> ImportReport:
    """Check (and with ``commit``, write) a warehouses (``kind="warehouses"``) or bins file."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind}")
    scope.require(principal, PERMISSION, DataImportError)
    scope.require_warehouse(principal, None, DataImportError, "file")  # a user limited to some warehouses: no
    report, sheet = open_sheet(kind, COLUMNS[kind], data, filename)
    if sheet is None:
        return report
    try:
        async with db.write() if commit else db.read() as conn:
            plan = await (_warehouses(conn, sheet) if kind == "warehouses" else _bins(conn, sheet))
            if commit and report.ok:
                await plan(conn)
                report.committed = True
    except IntegrityError:  # a concurrent change took a code of the file: nothing was written
        concurrent_change(report)
    return report


def _report_rules(sheet: Sheet, number: int, rules: TextRules) -> bool:
    sheet.add_domain_errors(number, rules.errors)
    return not rules.errors


def _duplicate(sheet: Sheet, seen: dict[str, int], number: int, code: str | None) -> bool:
    if code is None:
        return False
    if code in seen:
        sheet.report.add(number, "code", ErrorDetail("DUPLICATE_ROW", "code", {"code": code, "row": seen[code]}))
        return True
    seen[code] = number
    return False


Updates = list[tuple[int, dict[str, Any], dict[str, Any]]]  # (id, before, changed)


def _plan_update(report: ImportReport, updates: Updates, current, changed: dict[str, Any]) -> None:
    if changed:
        updates.append((current.id, {k: current._mapping[k] for k in changed}, changed))
    else:
        report.unchanged += 1


async def _write_updates(conn, table, updates: Updates) -> None:
    for row_id, before, changed in updates:
        await conn.execute(update(table).where(table.c.id == row_id).values(**changed))
        note_change(conn, f"{table.name}:{row_id}", before=before, after=changed)


async def _warehouses(conn, sheet: Sheet):
    report = sheet.report
    codes = [v["code"] for _, v in sheet.rows if v.get("code")]
    q = select(warehouse.c.id, warehouse.c.code, warehouse.c.name, warehouse.c.address)
    existing = {r.code: r for r in await lookup(conn, q, warehouse.c.code, codes)}
    creates: list[dict[str, Any]] = []
    updates: Updates = []
    seen: dict[str, int] = {}
    for number, v in sheet.rows:
        rules = TextRules(InventoryError)
        values = warehouse_values(rules, cell(v, "code"), cell(v, "name"), v.get("address", ""))
        if _duplicate(sheet, seen, number, values["code"]) or not _report_rules(sheet, number, rules):
            continue
        current = existing.get(values["code"])
        if current is None:
            creates.append(values)
            continue
        changed = {k: val for k, val in values.items() if k != "code" and current._mapping[k] != val}
        if "address" not in v:  # the column is absent: the stored address stays
            changed.pop("address", None)
        _plan_update(report, updates, current, changed)
    report.created, report.updated = len(creates), len(updates)

    async def write(conn) -> None:
        for row in creates:
            new_id = (await conn.execute(warehouse.insert().values(**row).returning(warehouse.c.id))).scalar_one()
            note_change(conn, f"warehouse:{new_id}", after=row)
        await _write_updates(conn, warehouse, updates)

    return write


async def _bins(conn, sheet: Sheet):
    report = sheet.report
    wh_codes = [v["warehouse"] for _, v in sheet.rows if v.get("warehouse")]
    q = select(warehouse.c.id, warehouse.c.code, warehouse.c.active)
    warehouses = {r.code: r for r in await lookup(conn, q, warehouse.c.code, wh_codes)}
    codes = [v[k] for _, v in sheet.rows for k in ("code", "parent") if v.get(k)]
    q = select(location.c.id, location.c.code, location.c.name, location.c.sort_order, location.c.warehouse_id)
    q = q.add_columns(location.c.parent_id, location.c.kind)
    existing = {r.code: r for r in await lookup(conn, q, location.c.code, codes)}
    code_of = {r.id: r.code for r in existing.values()}
    planned: dict[str, int] = {}  # bin code -> warehouse id, existing ones and those on earlier rows
    planned.update({r.code: r.warehouse_id for r in existing.values()})
    creates: list[dict[str, Any]] = []  # with the parent's code (its id is known once it is written)
    updates: Updates = []
    seen: dict[str, int] = {}
    for number, v in sheet.rows:
        rules = TextRules(InventoryError)
        texts = location_texts(rules, cell(v, "code"), v.get("name", ""))
        wh = warehouses.get(v.get("warehouse", ""))
        rules.check(wh is not None, "NOT_FOUND", "warehouseId", what="warehouse")
        if wh is not None and texts["code"] not in existing:  # a new bin needs an active warehouse; the
            # bins of an archived one stay in the export, and importing it back leaves them alone
            rules.check(wh.active, "INACTIVE", "warehouseId", what="warehouse")
        order_text = cell(v, "sort_order")
        digits = order_text is not None and order_text.isascii() and order_text.isdigit() and len(order_text) <= 6
        sort_order = int(order_text) if digits and order_text else None
        rules.check(order_text is None or sort_order is not None, "INVALID_VALUE", "sortOrder", detail=order_text)
        parent = cell(v, "parent")
        if parent is not None and wh is not None:
            rules.check(planned.get(parent) == wh.id, "INVALID_PARENT", "parentId")
        if _duplicate(sheet, seen, number, texts["code"]) or not _report_rules(sheet, number, rules):
            continue
        assert wh is not None
        current = existing.get(texts["code"])
        if current is None:
            creates.append({**texts, "warehouse_id": wh.id, "sort_order": sort_order or 0, "parent": parent})
            planned[texts["code"]] = wh.id
            continue
        if current.kind != "bin":  # a warehouse's transit location is the system's
            sheet.report.add(number, "code", ErrorDetail("DUPLICATE_CODE", "code", {"code": texts["code"]}))
            continue
        fixed = current.warehouse_id != wh.id or (parent is not None and code_of.get(current.parent_id) != parent)
        if fixed:
            sheet.report.add(
                number,
                "warehouse",
                ErrorDetail("INVALID_VALUE", "warehouseId", {"detail": "a bin keeps its warehouse and parent"}),
            )
            continue
        changed: dict[str, Any] = {}
        if "name" in v and current.name != texts["name"]:
            changed["name"] = texts["name"]
        if sort_order is not None and current.sort_order != sort_order:
            changed["sort_order"] = sort_order
        _plan_update(report, updates, current, changed)
    report.created, report.updated = len(creates), len(updates)

    async def write(conn) -> None:
        ids = {code: r.id for code, r in existing.items()}
        for row in creates:  # in file order: a parent is written before the bins under it
            values = {k: val for k, val in row.items() if k != "parent"}
            values["parent_id"] = ids[row["parent"]] if row["parent"] else None
            new_id = (await conn.execute(location.insert().values(**values).returning(location.c.id))).scalar_one()
            ids[row["code"]] = new_id
            note_change(conn, f"location:{new_id}", after=values)
        await _write_updates(conn, location, updates)

    return write


async def export_warehouses(
    db: Database, kind: str, fmt: str = "csv", principal: Principal | None = None, *, chinese_header: bool = False
) -> bytes:
    """Every warehouse (or bin, transit locations left out), archived ones too, in the import's columns."""
    scope.require(principal, PERMISSION, DataImportError)
    async with db.read() as conn:
        if kind == "warehouses":
            rows = [
                [r.code, r.name, r.address] for r in await conn.execute(select(warehouse).order_by(warehouse.c.code))
            ]
        else:
            wh = dict((await conn.execute(select(warehouse.c.id, warehouse.c.code))).all())
            bins = list(await conn.execute(select(location).where(location.c.kind == "bin").order_by(location.c.code)))
            by_id = {b.id: b for b in bins}

            def depth(b) -> int:
                n, seen = 0, set()
                while b.parent_id in by_id and b.id not in seen:
                    seen.add(b.id)
                    b, n = by_id[b.parent_id], n + 1
                return n

            rows = [  # parents before the bins under them, as the import needs
                [
                    wh[b.warehouse_id],
                    b.code,
                    b.name,
                    by_id[b.parent_id].code if b.parent_id in by_id else "",
                    str(b.sort_order),
                ]
                for b in sorted(bins, key=lambda b: (depth(b), b.code))
            ]
    return write_table(header(kind, chinese_header), rows, fmt)


__all__ = ["COLUMNS", "KINDS", "export_warehouses", "header", "import_warehouses", "template"]
