"""Products from and to CSV/XLSX: one row per product, matched by SKU (编码).

Every row is checked with the catalog's own rules (``product_values`` for the fields,
``barcode_code`` for barcodes) and against the database and the rest of the file (units and
categories by code, SKUs and barcodes once), collecting every problem of every row before anything
is written. A commit then writes the whole file in one transaction — new products, changed fields,
new alternative units and barcodes in batches — or, with any error, nothing.

Units and barcodes are only ever added: a unit or barcode a product has and the file leaves out
stays (documents refer to them), a unit's factor and the base unit never change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError

from server.auth import scope
from server.auth.principal import Principal
from server.catalog.errors import CatalogError
from server.catalog.models import barcode, category, product, product_unit, unit
from server.catalog.services import ProductInput, barcode_code, product_cost, product_values
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import ErrorDetail
from server.core.master_records import TextRules
from server.core.numbers import MAX_UNIT_PRECISION, NumberError, fen_to_decimal, qty_to_scaled, rate_to_decimal
from server.core.numbers import scaled_to_decimal as qty_text
from server.imports.common import Column, ImportReport, Sheet, cell, chunks, concurrent_change, lookup, open_sheet
from server.imports.errors import DataImportError
from server.imports.formats import write_table

PERMISSION = "catalog.edit"
KIND = "products"
COLUMNS = (
    Column("sku", "编码", required=True),
    Column("name", "名称", required=True),
    Column("spec", "规格"),
    Column("category", "分类", field="categoryId"),
    Column("unit", "单位", required=True, field="baseUnitId"),
    Column("units", "辅助单位"),  # BOX12=12;PK6=6: unit code = base units per one
    Column("barcode", "条码"),  # 6901234567892;BOX12:16901234567899 (a pack's barcode: unit code first)
    Column("purchase_price", "进价"),
    Column("sale_price", "售价"),
    Column("vat_rate", "税率"),
    Column("tracking", "批次管理"),  # none | lot | serial (无 / 批次 / 序列号)
    Column("reorder_point", "补货点"),
    Column("reorder_quantity", "补货量"),
)
TRACKING_LABELS = {"无": "none", "不管理": "none", "批次": "lot", "序列号": "serial"}
EXAMPLES = (
    ["P-1001", "矿泉水 550ml", "550ml", "DRINK", "PCS", "BOX12=12", "6901234567892;BOX12:16901234567899"]
    + ["1.20", "2.00", "0.13", "none", "100", "240"],
    ["P-1002", "大米 5kg", "5kg/袋", "FOOD", "KG", "", "6901234567908", "4.50", "6.80", "0.09", "lot", "50", ""],
)
_SEPARATORS = str.maketrans({"；": ";", "，": ";", ",": ";", "\n": ";"})


def _items(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").translate(_SEPARATORS).split(";") if p.strip()]


def _server_defaults(table: Table, keys) -> dict[str, Any]:
    """The values the table's server defaults give a new row (an executemany needs every key in every row)."""
    out: dict[str, Any] = {}
    for key in keys:
        col = table.c[key]
        default = getattr(col.server_default, "arg", None)
        if default is None:
            out[key] = None
        elif col.type.python_type is int:
            out[key] = int(str(default))
        else:
            out[key] = str(default)
    return out


PRODUCT_FIELDS = (
    "spec",
    "category_id",
    "sale_price_fen",
    "purchase_price_fen",
    "vat_rate_bp",
    "reorder_point",
    "reorder_qty",
    "tracking",
)


@dataclass
class _Row:
    number: int
    sku: str
    values: dict[str, Any]  # the new product's columns, or an existing one's changed columns
    product_id: int | None = None  # an existing product
    before: dict[str, Any] = field(default_factory=dict)
    units: list[dict[str, int]] = field(default_factory=list)  # new product_unit rows (without product_id)
    barcodes: list[dict[str, Any]] = field(default_factory=list)  # new barcode rows (without product_id)


@dataclass
class _Plan:
    creates: list[_Row] = field(default_factory=list)
    updates: list[_Row] = field(default_factory=list)


async def import_products(
    db: Database, data: bytes, filename: str, principal: Principal | None = None, *, commit: bool = False
) -> ImportReport:
    """Check (and with ``commit``, write) a products file; the report lists what it does or every error."""
    scope.require(principal, PERMISSION, DataImportError)
    report, sheet = open_sheet(KIND, COLUMNS, data, filename)
    if sheet is None:
        return report
    try:
        async with db.write() if commit else db.read() as conn:
            plan = await _plan(conn, sheet)
            if commit and report.ok:
                await _apply(conn, plan)
                report.committed = True
    except IntegrityError:  # a concurrent change took a SKU or barcode of the file: nothing was written
        concurrent_change(report)
    return report


async def _plan(conn, sheet: Sheet) -> _Plan:
    report = sheet.report
    units = {r.code: r for r in await conn.execute(select(unit.c.id, unit.c.code, unit.c.precision))}
    unit_by_id = {r.id: r for r in units.values()}
    categories = {r.code: r.id for r in await conn.execute(select(category.c.id, category.c.code))}
    skus = [v["sku"] for _, v in sheet.rows if v.get("sku")]
    cols = [
        product.c.id,
        product.c.sku,
        product.c.name,
        product.c.base_unit_id,
        *(product.c[f] for f in PRODUCT_FIELDS),
    ]
    existing: dict[str, Any] = {r.sku: r for r in await lookup(conn, select(*cols), product.c.sku, skus)}
    factors: dict[int, dict[int, int]] = {}  # existing product -> unit -> factor
    q = select(product_unit.c.product_id, product_unit.c.unit_id, product_unit.c.factor)
    for r in await lookup(conn, q, product_unit.c.product_id, [r.id for r in existing.values()]):
        factors.setdefault(r.product_id, {})[r.unit_id] = r.factor
    codes = [code.rsplit(":", 1)[-1].strip() for _, v in sheet.rows for code in _items(v.get("barcode"))]
    q = select(barcode.c.code, barcode.c.product_id, barcode.c.unit_id)
    taken: dict[str, Any] = {r.code: r for r in await lookup(conn, q, barcode.c.code, codes)}

    plan = _Plan()
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for number, v in sheet.rows:
        errors_before = len(report.errors)
        rules = TextRules(CatalogError)
        sku = cell(v, "sku")
        if sku is not None and sku in seen_skus:
            report.add(number, "sku", ErrorDetail("DUPLICATE_ROW", "sku", {"code": sku, "row": seen_skus[sku]}))
            continue
        if sku is not None:
            seen_skus[sku] = number
        current = existing.get(sku) if sku else None
        creating = current is None

        base_unit_id = None
        unit_code = cell(v, "unit")
        if unit_code is not None:
            if unit_code in units:
                base_unit_id = units[unit_code].id
            else:
                report.add(number, "unit", ErrorDetail("NOT_FOUND", "unit", {"what": "unit"}))
        if current is None:
            if unit_code is None:
                report.add(number, "unit", ErrorDetail("REQUIRED", "unit"))
            precision = units[unit_code].precision if unit_code in units else MAX_UNIT_PRECISION
            product_base = base_unit_id
        else:
            precision = unit_by_id[current.base_unit_id].precision
            product_base = current.base_unit_id
            if base_unit_id is not None and base_unit_id != current.base_unit_id:
                report.add(
                    number, "unit", ErrorDetail("INVALID_VALUE", "unit", {"detail": "the base unit cannot change"})
                )
        category_id = None
        category_code = cell(v, "category")
        if category_code is not None:
            category_id = categories.get(category_code)
            if category_id is None:
                report.add(number, "category", ErrorDetail("NOT_FOUND", "category", {"what": "category"}))
        tracking = cell(v, "tracking")
        tracking = TRACKING_LABELS.get(tracking, tracking.lower()) if tracking is not None else None

        data = ProductInput(
            sku=sku,
            name=cell(v, "name"),
            spec=cell(v, "spec"),
            category_id=category_id,
            base_unit_id=base_unit_id,
            sale_price=cell(v, "sale_price"),
            purchase_price=cell(v, "purchase_price"),
            vat_rate=cell(v, "vat_rate"),
            reorder_point=cell(v, "reorder_point"),
            reorder_quantity=cell(v, "reorder_quantity"),
            tracking=tracking,
        )
        values = product_values(rules, data, precision, creating=creating)
        old_factors = factors.get(current.id, {}) if current is not None else {}
        new_units = _alt_units(rules, v, units, product_base, old_factors)
        known_units = {product_base, *old_factors, *(u["unit_id"] for u in new_units)}
        new_barcodes = _barcodes(rules, v, units, product_base, known_units)
        for bc in list(new_barcodes):
            code = bc["code"]
            owner = taken.get(code)
            if code in seen_barcodes:
                rules.add("DUPLICATE_CODE", "barcode", code=code)
            elif owner is not None:
                if current is None or owner.product_id != current.id:
                    rules.add("DUPLICATE_CODE", "barcode", code=code)
                elif owner.unit_id != bc["unit_id"]:
                    rules.add("INVALID_VALUE", "barcode", detail=f"{code}: the barcode of another unit")
                new_barcodes.remove(bc)  # the product has it already
            seen_barcodes.setdefault(code, number)
        sheet.add_domain_errors(number, rules.errors)
        if len(report.errors) > errors_before or sku is None:
            continue
        if current is None:
            row = _Row(number, sku, _server_defaults(product, PRODUCT_FIELDS) | values, units=new_units)
            row.barcodes = new_barcodes
            plan.creates.append(row)
            continue
        changed = {k: val for k, val in values.items() if k != "sku" and current._mapping[k] != val}
        if changed or new_units or new_barcodes:
            before = {k: current._mapping[k] for k in changed}
            plan.updates.append(_Row(number, sku, changed, current.id, before, new_units, new_barcodes))
        else:
            report.unchanged += 1

    # tracking cannot change while the product has stock on hand (the catalog's rule)
    switching = {r.product_id: r for r in plan.updates if "tracking" in r.values}
    for part in chunks(list(switching)):
        q = select(product_cost.c.product_id).where(product_cost.c.product_id.in_(part), product_cost.c.qty != 0)
        for (product_id,) in await conn.execute(q):
            r = switching[product_id]
            detail = ErrorDetail("INVALID_VALUE", "tracking", {"detail": "stock on hand; empty it first"})
            report.add(r.number, "tracking", detail)
            plan.updates.remove(r)
    # with errors, the counts say what the good rows would do once the file is fixed
    report.created, report.updated = len(plan.creates), len(plan.updates)
    return plan


def _alt_units(rules: TextRules, v: dict[str, str], units, base_unit_id, old: dict[int, int]) -> list[dict[str, int]]:
    """The alternative units of the ``units`` cell (``BOX12=12;PK6=6``) the product does not have yet."""
    out: list[dict[str, int]] = []
    seen: set[int] = set()
    for item in _items(v.get("units")):
        code, sep, factor_text = item.partition("=")
        code, factor_text = code.strip(), factor_text.strip()
        if not sep or not code or not factor_text:
            rules.add("INVALID_VALUE", "units", detail=f"{item}: UNIT=factor")
            continue
        if code not in units:
            rules.add("NOT_FOUND", "units", what="unit")
            continue
        unit_id = units[code].id
        if unit_id == base_unit_id:
            rules.add("INVALID_VALUE", "units", detail=f"{code}: base unit")
            continue
        if unit_id in seen:
            rules.add("DUPLICATE_CODE", "units", code=code)
            continue
        seen.add(unit_id)
        try:
            factor = qty_to_scaled(factor_text, 6)
        except NumberError:
            factor = 0
        if factor <= 0:
            rules.add("INVALID_VALUE", "units", detail=f"{code}={factor_text}")
        elif unit_id in old:
            if old[unit_id] != factor:
                rules.add("UNIT_FACTOR_FIXED", "units", unit=code, factor=qty_text(old[unit_id], 0))
        else:
            out.append({"unit_id": unit_id, "factor": factor})
    return out


def _barcodes(rules: TextRules, v: dict[str, str], units, base_unit_id, known_units: set) -> list[dict[str, Any]]:
    """The barcodes of the ``barcode`` cell: ``CODE`` for the base unit, ``UNIT:CODE`` for a pack."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in _items(v.get("barcode")):
        unit_code, _, text = item.rpartition(":")
        unit_id = base_unit_id
        if unit_code:
            unit_row = units.get(unit_code.strip())
            if unit_row is None:
                rules.add("NOT_FOUND", "barcode", what="unit")
                continue
            unit_id = unit_row.id
            if unit_id not in known_units:
                rules.add("INVALID_VALUE", "barcode", detail="unit not defined for product")
                continue
        code = barcode_code(rules, text, "barcode")
        if not code:
            continue
        if code in seen:
            rules.add("DUPLICATE_CODE", "barcode", code=code)
            continue
        seen.add(code)
        stored_unit = None if unit_id == base_unit_id else unit_id
        out.append({"code": code, "unit_id": stored_unit, "kind": "gtin" if code.isdigit() else "internal"})
    return out


async def _apply(conn, plan: _Plan) -> None:
    now = utcnow()
    unit_rows: list[dict[str, Any]] = []
    barcode_rows: list[dict[str, Any]] = []
    for part in chunks(plan.creates):
        rows = [r.values | {"created_at": now, "updated_at": now} for r in part]
        inserted = await conn.execute(product.insert().returning(product.c.id, sort_by_parameter_order=True), rows)
        for r, product_id in zip(part, inserted.scalars(), strict=True):
            r.product_id = product_id
            note_change(conn, f"product:{product_id}", after=r.values)
    for r in plan.updates:
        await conn.execute(update(product).where(product.c.id == r.product_id).values(**r.values, updated_at=now))
        if r.values:
            note_change(conn, f"product:{r.product_id}", before=r.before, after=r.values)
    for r in plan.creates + plan.updates:
        unit_rows += [u | {"product_id": r.product_id} for u in r.units]
        barcode_rows += [b | {"product_id": r.product_id} for b in r.barcodes]
        if r.units or r.barcodes:
            note_change(conn, f"product:{r.product_id}", after={"units": r.units, "barcodes": r.barcodes})
    for part in chunks(unit_rows):
        await conn.execute(product_unit.insert(), part)
    for part in chunks(barcode_rows):
        await conn.execute(barcode.insert(), part)


# ---- export ----------------------------------------------------------------------------------------------


async def export_products(
    db: Database, fmt: str = "csv", principal: Principal | None = None, *, chinese_header: bool = False
) -> bytes:
    """Every product (archived ones too) with exactly the import's columns, ordered by SKU; purchase
    prices only for a principal who may see costs (``cost.view``)."""
    scope.require(principal, PERMISSION, DataImportError)
    async with db.read() as conn:
        unit_rows = {r.id: r for r in await conn.execute(select(unit.c.id, unit.c.code, unit.c.precision))}
        cat_codes = {r.id: r.code for r in await conn.execute(select(category.c.id, category.c.code))}
        alt: dict[int, list[str]] = {}
        q = select(product_unit.c.product_id, product_unit.c.unit_id, product_unit.c.factor).order_by(product_unit.c.id)
        for r in await conn.execute(q):
            alt.setdefault(r.product_id, []).append(f"{unit_rows[r.unit_id].code}={qty_text(r.factor, 0)}")
        codes: dict[int, list[str]] = {}
        q = select(barcode.c.product_id, barcode.c.unit_id, barcode.c.code).order_by(barcode.c.id)
        for r in await conn.execute(q):
            text = r.code if r.unit_id is None else f"{unit_rows[r.unit_id].code}:{r.code}"
            codes.setdefault(r.product_id, []).append(text)
        products = list(await conn.execute(select(product).order_by(product.c.sku)))
    costs = scope.can(principal, scope.COST_VIEW)  # else empty: an import of the file leaves them alone
    rows = []
    for p in products:
        base = unit_rows[p.base_unit_id]
        rows.append(
            [
                p.sku,
                p.name,
                p.spec,
                cat_codes.get(p.category_id, "") if p.category_id is not None else "",
                base.code,
                ";".join(alt.get(p.id, [])),
                ";".join(codes.get(p.id, [])),
                str(fen_to_decimal(p.purchase_price_fen)) if costs else "",
                str(fen_to_decimal(p.sale_price_fen)),
                str(rate_to_decimal(p.vat_rate_bp)),
                p.tracking,
                str(qty_text(p.reorder_point, base.precision)),
                str(qty_text(p.reorder_qty, base.precision)),
            ]
        )
    return write_table(header(chinese_header), rows, fmt)


def header(chinese: bool = False) -> list[str]:
    return [c.zh if chinese else c.key for c in COLUMNS]


def template(fmt: str = "csv", *, chinese_header: bool = False) -> bytes:
    return write_table(header(chinese_header), [list(r) for r in EXAMPLES], fmt)
