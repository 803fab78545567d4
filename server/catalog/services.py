"""Catalog actions: units, categories (a tree), products with alternative units and barcodes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import BigInteger, column, select, table

from server.auth import scope
from server.auth.services import Principal
from server.catalog.errors import CatalogError
from server.catalog.gtin import gtin_problem, looks_like_gtin
from server.catalog.models import barcode, category, product, product_unit, unit
from server.core.clock import utcnow
from server.core.database import Database
from server.core.db_types import IdType
from server.core.master_records import TextRules, create_record, drop_none, ensure_exists, set_active, update_record
from server.core.numbers import MAX_UNIT_PRECISION, NumberError, money_to_fen, parse_rate, qty_to_scaled

TRACKING_MODES = ("none", "lot", "serial")


async def do_create_unit(
    db: Database,
    *,
    code: str,
    name: str,
    precision: int,
    name_en: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
) -> int:
    scope.require(principal, "catalog.edit", CatalogError)
    rules = TextRules(CatalogError)
    values = {
        "code": rules.code(code, max_len=unit.c.code),
        "name": rules.text(name, "name", unit.c.name, required=True),
        "name_en": rules.text(name_en, "nameEn", unit.c.name_en) or "",
        "precision": precision,
    }
    if not 0 <= precision <= MAX_UNIT_PRECISION:
        rules.add("INVALID_VALUE", "precision", detail=f"0–{MAX_UNIT_PRECISION}")
    rules.raise_if_any()
    return await create_record(db, unit, values, error_cls=CatalogError, idempotency_key=idempotency_key)


async def _check_category_parent(conn, category_id: int | None, parent_id: int | None) -> None:
    """The parent must exist and must not be the category itself or one of its descendants."""
    if parent_id is None:
        return
    await ensure_exists(conn, category, parent_id, CatalogError, "category", "parentId")
    seen, current = set(), parent_id
    while current is not None:
        if current == category_id or current in seen:
            raise CatalogError("INVALID_PARENT", "parentId")
        seen.add(current)
        current = (await conn.execute(select(category.c.parent_id).where(category.c.id == current))).scalar()


async def do_create_category(
    db: Database,
    *,
    code: str,
    name: str,
    parent_id: int | None = None,
    idempotency_key: str | None = None,
    principal: Principal | None = None,
) -> int:
    scope.require(principal, "catalog.edit", CatalogError)
    rules = TextRules(CatalogError)
    values = {
        "code": rules.code(code, max_len=category.c.code),
        "name": rules.text(name, "name", category.c.name, required=True),
        "parent_id": parent_id,
    }
    rules.raise_if_any()

    async def check(conn):
        await _check_category_parent(conn, None, parent_id)

    return await create_record(
        db, category, values, error_cls=CatalogError, idempotency_key=idempotency_key, before_insert=check
    )


async def do_update_category(
    db: Database,
    category_id: int,
    *,
    name: str | None = None,
    parent_id: int | None = None,
    clear_parent: bool = False,
    principal: Principal | None = None,
) -> None:
    scope.require(principal, "catalog.edit", CatalogError)
    rules = TextRules(CatalogError)
    values: dict[str, Any] = {"name": rules.text(name, "name", category.c.name, required=name is not None)}
    rules.raise_if_any()
    if parent_id is not None:
        values["parent_id"] = parent_id

    async def check(conn):
        await _check_category_parent(conn, category_id, parent_id)

    await update_record(
        db,
        category,
        category_id,
        values,
        error_cls=CatalogError,
        what="category",
        unique_fields=(),
        before_update=check,
        clear=("parent_id",) if clear_parent else (),
    )


@dataclass
class AltUnitInput:
    unit_id: int
    factor: str  # base units per one of this unit, e.g. "12"


@dataclass
class BarcodeInput:
    code: str
    unit_id: int | None = None


@dataclass
class ProductInput:
    sku: str | None = None
    name: str | None = None
    spec: str | None = None
    category_id: int | None = None
    base_unit_id: int | None = None
    sale_price: str | None = None
    purchase_price: str | None = None
    vat_rate: str | None = None
    reorder_point: str | None = None
    reorder_quantity: str | None = None
    tracking: str | None = None
    units: list[AltUnitInput] = field(default_factory=list)
    barcodes: list[BarcodeInput] = field(default_factory=list)


def _money(rules: TextRules, value, field_name: str) -> int | None:
    if value is None:
        return None
    try:
        fen = money_to_fen(value)
    except NumberError as exc:
        rules.add(
            "TOO_MANY_DECIMALS" if exc.code == "TOO_MANY_DECIMALS" else "INVALID_VALUE",
            field_name,
            precision=2,
            detail=str(value),
        )
        return None
    if fen < 0:
        rules.add("INVALID_VALUE", field_name, detail=str(value))
    return fen


def _qty(rules: TextRules, value, precision: int, field_name: str) -> int | None:
    if value is None:
        return None
    try:
        q = qty_to_scaled(value, precision)
    except NumberError as exc:
        rules.add(
            "TOO_MANY_DECIMALS" if exc.code == "TOO_MANY_DECIMALS" else "INVALID_VALUE",
            field_name,
            precision=precision,
            detail=str(value),
        )
        return None
    if q < 0:
        rules.add("INVALID_VALUE", field_name, detail=str(value))
    return q


def barcode_code(rules: TextRules, value: str, field_name: str, *, gtin_only: bool = False) -> str | None:
    code = rules.code(value, field_name, barcode.c.code)
    if not code:
        return None
    if looks_like_gtin(code) or gtin_only or code.isdigit():
        problem = gtin_problem(code)
        if problem:
            rules.add(problem[0], field_name, **problem[1])
            return None
    elif not code.isprintable() or not code.isascii():
        rules.add("INVALID_BARCODE", field_name, detail="ASCII only")
        return None
    return code


async def _unit_precision(conn, unit_id: int, field_name: str) -> int:
    row = (await conn.execute(select(unit.c.precision, unit.c.active).where(unit.c.id == unit_id))).first()
    if row is None:
        raise CatalogError("NOT_FOUND", field_name, what="unit")
    return row.precision


def product_values(rules: TextRules, data: ProductInput, precision: int, *, creating: bool) -> dict:
    values = {
        "sku": rules.code(data.sku, "sku", product.c.sku, required=creating)
        if data.sku is not None or creating
        else None,
        "name": rules.text(data.name, "name", product.c.name, required=creating or data.name is not None),
        "spec": rules.text(data.spec, "spec", product.c.spec),
        "category_id": data.category_id,
        "base_unit_id": data.base_unit_id,
        "sale_price_fen": _money(rules, data.sale_price, "salePrice"),
        "purchase_price_fen": _money(rules, data.purchase_price, "purchasePrice"),
        "reorder_point": _qty(rules, data.reorder_point, precision, "reorderPoint"),
        "reorder_qty": _qty(rules, data.reorder_quantity, precision, "reorderQuantity"),
        "tracking": data.tracking,
    }
    if data.vat_rate is not None:
        try:
            values["vat_rate_bp"] = parse_rate(data.vat_rate)
        except NumberError:
            rules.add("INVALID_VALUE", "vatRate", detail=str(data.vat_rate))
    if data.tracking is not None and data.tracking not in TRACKING_MODES:
        rules.add("INVALID_VALUE", "tracking", detail=data.tracking)
    return drop_none(values)


async def _add_units_and_barcodes(conn, product_id: int, base_unit_id: int, data: ProductInput) -> None:
    rules = TextRules(CatalogError)
    unit_rows: list[dict[str, int]] = []
    for i, alt in enumerate(data.units):
        await ensure_exists(conn, unit, alt.unit_id, CatalogError, "unit", f"units.{i}.unitId")
        if alt.unit_id == base_unit_id:
            rules.add("INVALID_VALUE", f"units.{i}.unitId", detail="base unit")
        try:
            factor = qty_to_scaled(alt.factor, 6)
        except NumberError:
            rules.add("INVALID_VALUE", f"units.{i}.factor", detail=str(alt.factor))
            continue
        if factor <= 0:
            rules.add("INVALID_VALUE", f"units.{i}.factor", detail=str(alt.factor))
        unit_rows.append({"product_id": product_id, "unit_id": alt.unit_id, "factor": factor})
    existing = {
        r[0] for r in await conn.execute(select(product_unit.c.unit_id).where(product_unit.c.product_id == product_id))
    }
    seen: set[int] = set()
    for i, row in enumerate(unit_rows):
        if row["unit_id"] in existing or row["unit_id"] in seen:
            rules.add("DUPLICATE_CODE", f"units.{i}.unitId", code=str(row["unit_id"]))
        seen.add(row["unit_id"])
    known_units = {base_unit_id} | {r["unit_id"] for r in unit_rows}
    barcode_rows: list[dict[str, Any]] = []
    for i, bc in enumerate(data.barcodes):
        code = barcode_code(rules, bc.code, f"barcodes.{i}.code")
        if bc.unit_id is not None and bc.unit_id not in known_units | existing:
            rules.add("INVALID_VALUE", f"barcodes.{i}.unitId", detail="unit not defined for product")
        if code:
            barcode_rows.append(
                {
                    "code": code,
                    "product_id": product_id,
                    "unit_id": None if bc.unit_id == base_unit_id else bc.unit_id,
                    "kind": "gtin" if code.isdigit() else "internal",
                }
            )
    rules.raise_if_any()
    codes = [r["code"] for r in barcode_rows]
    if len(set(codes)) != len(codes):
        raise CatalogError("DUPLICATE_CODE", "barcodes", code=next(c for c in codes if codes.count(c) > 1))
    for i, row in enumerate(barcode_rows):
        taken = (await conn.execute(select(barcode.c.id).where(barcode.c.code == row["code"]))).first()
        if taken is not None:
            raise CatalogError("DUPLICATE_CODE", f"barcodes.{i}.code", code=row["code"])
    if unit_rows:
        await conn.execute(product_unit.insert(), unit_rows)
    if barcode_rows:
        await conn.execute(barcode.insert(), barcode_rows)


async def do_create_product(
    db: Database, data: ProductInput, *, idempotency_key: str | None = None, principal: Principal | None = None
) -> int:
    scope.require(principal, "catalog.edit", CatalogError)
    rules = TextRules(CatalogError)
    base_unit_id = data.base_unit_id
    if base_unit_id is None:
        raise CatalogError("REQUIRED", "baseUnitId")
    async with db.read() as conn:
        precision = await _unit_precision(conn, base_unit_id, "baseUnitId")
    values = product_values(rules, data, precision, creating=True)
    rules.raise_if_any()
    now = utcnow()
    values.update(created_at=now, updated_at=now)

    async def before(conn):
        await ensure_exists(conn, category, data.category_id, CatalogError, "category", "categoryId")

    async def after(conn, product_id):
        await _add_units_and_barcodes(conn, product_id, base_unit_id, data)

    return await create_record(
        db,
        product,
        values,
        error_cls=CatalogError,
        unique_fields=("sku",),
        idempotency_key=idempotency_key,
        before_insert=before,
        after_insert=after,
        request=asdict(data),
    )


async def do_update_product(
    db: Database, product_id: int, data: ProductInput, *, principal: Principal | None = None
) -> None:
    scope.require(principal, "catalog.edit", CatalogError)
    rules = TextRules(CatalogError)
    async with db.read() as conn:
        row = (
            await conn.execute(select(product.c.base_unit_id, product.c.tracking).where(product.c.id == product_id))
        ).first()
        if row is None:
            raise CatalogError("NOT_FOUND", "id", what="product")
        precision = await _unit_precision(conn, row.base_unit_id, "baseUnitId")
    if data.base_unit_id is not None and data.base_unit_id != row.base_unit_id:
        rules.add("INVALID_VALUE", "baseUnitId", detail="the base unit cannot change")
    values = product_values(rules, data, precision, creating=False)
    rules.raise_if_any()
    values["updated_at"] = utcnow()

    async def before(conn):
        await ensure_exists(conn, category, data.category_id, CatalogError, "category", "categoryId")
        if data.tracking is not None and data.tracking != row.tracking and await _has_stock(conn, product_id):
            # stock on hand was received without lots (or with them): it could no longer be moved
            raise CatalogError("INVALID_VALUE", "tracking", detail="stock on hand; empty it first")
        if data.units or data.barcodes:
            await _add_units_and_barcodes(conn, product_id, row.base_unit_id, data)

    await update_record(
        db,
        product,
        product_id,
        values,
        error_cls=CatalogError,
        what="product",
        unique_fields=("sku",),
        before_update=before,
    )


# Stock is inventory's (server/inventory/models.py), a layer above the catalog: the one question the catalog
# asks of it — is any of this product on hand? — reads the running total by name (its foreign key points here).
product_cost = table("product_cost", column("product_id", IdType), column("qty", BigInteger))


async def _has_stock(conn, product_id: int) -> bool:
    qty = (await conn.execute(select(product_cost.c.qty).where(product_cost.c.product_id == product_id))).scalar()
    return bool(qty)


async def do_set_product_active(
    db: Database, product_id: int, active: bool, *, principal: Principal | None = None
) -> None:
    scope.require(principal, "catalog.edit", CatalogError)
    await set_active(db, product, product_id, active, error_cls=CatalogError, what="product")
