"""External ids: the ids other systems know our records by, and upserts by them (issue #22).

A shop or an ERP (its *source*: ``shop:taobao``, ``erp:kingdee``) names a product, customer, supplier or
sales order by its own id; ``external_ref`` keeps one row per (source, entity type, external id). The
upserts (``do_upsert_product``, ``do_upsert_customer``, ``do_upsert_supplier``) let a system send its
whole catalogue every night and change only what changed:

* a known external id updates the linked record through the domain's own update action, and only with
  the fields whose value differs (compared first: an unchanged resend writes nothing — no audit entry,
  no event);
* an unknown one links the record with the same SKU (product) or code (partner) when that record has no
  id from this source yet — updating what differs — and otherwise creates the record with the domain's
  own create action;

all in one write transaction: the domains' actions run on it (``_InTransaction``), so their validation,
audit entries and events are theirs, and nothing is written when any of it fails. Two identical upserts
at once make one record: on PostgreSQL the transaction takes an advisory lock on the external id first,
SQLite runs one writer at a time; a create that loses a race for the SKU (or code) to another writer is
tried again once, and then links the record the other one made.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, cast

from sqlalchemy import exists, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.catalog.errors import CatalogError
from server.catalog.models import barcode, product, product_unit, unit
from server.catalog.services import ProductInput, do_create_product, do_update_product, product_values
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError, ErrorCollector
from server.core.master_records import TextRules
from server.core.numbers import NumberError, qty_to_scaled
from server.integrations.errors import IntegrationError
from server.integrations.models import EXTERNAL_ENTITY_TYPES, external_ref
from server.partners import services as partners
from server.partners.services import CLEAR, PartnerInput, do_create_partner, do_update_partner, partner_values

Outcome = Literal["created", "updated", "unchanged"]
CREATED: Outcome = "created"
UPDATED: Outcome = "updated"
UNCHANGED: Outcome = "unchanged"

SOURCE_MAX = 64
EXTERNAL_ID_MAX = 128
_SOURCE = re.compile(r"[a-z0-9:._-]{1,64}")


@dataclass(frozen=True)
class ExternalRef:
    source: str
    external_id: str


def _valid_source(source: str | None) -> bool:
    return source is not None and bool(_SOURCE.fullmatch(source))


def _valid_external_id(external_id: str | None) -> bool:
    return (
        external_id is not None
        and 1 <= len(external_id) <= EXTERNAL_ID_MAX
        and external_id.isprintable()
        and bool(external_id.strip())
    )


def check_ref(source: str | None, external_id: str | None) -> tuple[str, str]:
    """A source (1–64 of ``[a-z0-9:._-]``) and an external id (1–128 printable characters), or
    ``INVALID_SOURCE`` / ``INVALID_EXTERNAL_ID`` (both when both are wrong)."""
    c = ErrorCollector(IntegrationError)
    c.check(_valid_source(source), "INVALID_SOURCE", "source", max=SOURCE_MAX)
    c.check(_valid_external_id(external_id), "INVALID_EXTERNAL_ID", "externalId", max=EXTERNAL_ID_MAX)
    c.raise_if_any()
    return cast(str, source), cast(str, external_id)


def check_entity_type(entity_type: str, field: str = "entityType") -> str:
    if entity_type not in EXTERNAL_ENTITY_TYPES:
        raise IntegrationError("INVALID_ENTITY_TYPE", field, allowed=" | ".join(EXTERNAL_ENTITY_TYPES))
    return entity_type


# ---- lookups ---------------------------------------------------------------------------------------------


async def external_ids_of(
    conn: AsyncConnection, entity_type: str, entity_ids: list[int]
) -> dict[int, list[ExternalRef]]:
    """The external ids of many records of one type in one statement (by source, then id)."""
    out: dict[int, list[ExternalRef]] = {}
    if not entity_ids:
        return out
    rows = await conn.execute(
        select(external_ref.c.entity_id, external_ref.c.source, external_ref.c.external_id)
        .where(external_ref.c.entity_type == entity_type, external_ref.c.entity_id.in_(set(entity_ids)))
        .order_by(external_ref.c.entity_id, external_ref.c.source, external_ref.c.external_id)
    )
    for r in rows:
        out.setdefault(r.entity_id, []).append(ExternalRef(r.source, r.external_id))
    return out


def entity_ids_known_as(source: str | None, entity_type: str, ids: list[str]):
    """A subquery of the records of ``entity_type`` that ``source`` knows by one of ``ids`` (for a list
    filter: ``column.in_(...)``); an invalid source or id matches nothing."""
    check_entity_type(entity_type)
    wanted = sorted({i for i in ids if _valid_external_id(i)}) if _valid_source(source) else []
    return select(external_ref.c.entity_id).where(
        external_ref.c.source == (source or ""),
        external_ref.c.entity_type == entity_type,
        external_ref.c.external_id.in_(wanted),
    )


async def external_ids(db: Database, entity_type: str, entity_id: int) -> list[ExternalRef]:
    """The external ids of one record, by source."""
    check_entity_type(entity_type)
    async with db.read() as conn:
        return (await external_ids_of(conn, entity_type, [entity_id])).get(entity_id, [])


async def find_by_external_id(db: Database, source: str, entity_type: str, external_id: str) -> int | None:
    """The id of the record ``source`` knows as ``external_id``; ``None`` when it knows none so."""
    check_entity_type(entity_type)
    check_ref(source, external_id)
    async with db.read() as conn:
        return await _entity_of(conn, source, entity_type, external_id)


async def _entity_of(conn: AsyncConnection, source: str, entity_type: str, external_id: str) -> int | None:
    return (
        await conn.execute(
            select(external_ref.c.entity_id).where(
                external_ref.c.source == source,
                external_ref.c.entity_type == entity_type,
                external_ref.c.external_id == external_id,
            )
        )
    ).scalar()


async def _has_ref_from(conn: AsyncConnection, source: str, entity_type: str, entity_id: int) -> bool:
    cond = (
        (external_ref.c.source == source)
        & (external_ref.c.entity_type == entity_type)
        & (external_ref.c.entity_id == entity_id)
    )
    return bool((await conn.execute(select(exists().where(cond)))).scalar())


# ---- the domains' actions on the upsert's transaction -------------------------------------------------


class _InTransaction:
    """A ``Database`` whose ``write()`` and ``read()`` are the upsert's open write transaction, so the
    catalog's and the partners' actions run in it: what they write commits (or rolls back) with the
    external id, their audit notes and events are flushed by the upsert's own ``Database.write``."""

    def __init__(self, db: Database, conn: AsyncConnection):
        self._db = db
        self._conn = conn
        self.url = db.url
        self.is_sqlite = db.is_sqlite
        self.engine = db.engine
        self.after_commit = db.after_commit

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        yield self._conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        yield self._conn


async def _lock(conn: AsyncConnection, source: str, entity_type: str, external_id: str) -> None:
    """Serialise the upserts of one external id (PostgreSQL: a transaction advisory lock; SQLite has one
    writer at a time already)."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"external_ref\0{source}\0{entity_type}\0{external_id}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@dataclass
class _Side:
    """How one entity type is upserted: its key field (SKU, code), finding a record by it, creating one,
    and updating one with what differs (returns whether anything did)."""

    entity_type: str
    key_of: Callable[[], str | None]
    find: Callable[[AsyncConnection, str], Awaitable[int | None]]
    create: Callable[[Database], Awaitable[int]]
    update: Callable[[Database, AsyncConnection, int], Awaitable[bool]]


async def _upsert(db: Database, side: _Side, source: str, external_id: str) -> tuple[int, Outcome]:
    for attempt in (1, 2):
        raced = False
        try:
            async with db.write() as conn:
                await _lock(conn, source, side.entity_type, external_id)
                tx = cast(Database, _InTransaction(db, conn))
                known = await _entity_of(conn, source, side.entity_type, external_id)
                if known is not None:
                    changed = await side.update(tx, conn, known)
                    if changed:
                        await conn.execute(
                            external_ref.update()
                            .where(
                                external_ref.c.source == source,
                                external_ref.c.entity_type == side.entity_type,
                                external_ref.c.external_id == external_id,
                            )
                            .values(updated_at=utcnow())
                        )
                    return known, UPDATED if changed else UNCHANGED
                key = side.key_of()
                existing = await side.find(conn, key) if key else None
                if existing is not None and not await _has_ref_from(conn, source, side.entity_type, existing):
                    await side.update(tx, conn, existing)
                    await _add_ref(conn, source, side.entity_type, external_id, existing)
                    return existing, UPDATED
                raced = existing is None
                new_id = await side.create(tx)
                await _add_ref(conn, source, side.entity_type, external_id, new_id)
                return new_id, CREATED
        except DomainError as exc:
            # another writer took the SKU (or code) between our look and our insert: link its record
            if attempt == 1 and raced and any(d.code == "DUPLICATE_CODE" for d in exc.details):
                continue
            raise
        except IntegrityError:
            if attempt == 1:  # the same external id recorded by another writer: read it again
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _add_ref(conn: AsyncConnection, source: str, entity_type: str, external_id: str, entity_id: int) -> None:
    now = utcnow()
    values = dict(
        source=source,
        entity_type=entity_type,
        external_id=external_id,
        entity_id=entity_id,
        created_at=now,
        updated_at=now,
    )
    ref_id = (await conn.execute(insert(external_ref).values(**values).returning(external_ref.c.id))).scalar_one()
    note_change(conn, f"external_ref:{ref_id}", after=values)


# ---- products --------------------------------------------------------------------------------------------

#: product column (``product_values``) -> the ``ProductInput`` field it comes from
_PRODUCT_FIELDS = {
    "sku": "sku",
    "name": "name",
    "spec": "spec",
    "category_id": "category_id",
    "base_unit_id": "base_unit_id",
    "sale_price_fen": "sale_price",
    "purchase_price_fen": "purchase_price",
    "vat_rate_bp": "vat_rate",
    "reorder_point": "reorder_point",
    "reorder_qty": "reorder_quantity",
    "tracking": "tracking",
}


async def _product_changes(conn: AsyncConnection, product_id: int, data: ProductInput) -> ProductInput | None:
    """``data`` cut to what differs from the product (``None``: nothing does). The values are read by the
    catalog's own ``product_values`` (its rules and errors); units and barcodes the product has already
    are left out, so only new ones reach the catalog's update (which refuses a unit given twice)."""
    row = (await conn.execute(select(product).where(product.c.id == product_id))).one()
    precision = (await conn.execute(select(unit.c.precision).where(unit.c.id == row.base_unit_id))).scalar_one()
    rules = TextRules(CatalogError)
    values = product_values(rules, data, precision, creating=False)
    rules.raise_if_any()
    changed = {
        _PRODUCT_FIELDS[col]: getattr(data, _PRODUCT_FIELDS[col]) for col, v in values.items() if row._mapping[col] != v
    }
    have_units = dict(
        (
            await conn.execute(
                select(product_unit.c.unit_id, product_unit.c.factor).where(product_unit.c.product_id == product_id)
            )
        ).all()
    )
    units = [u for u in data.units if not _same_unit(have_units, u.unit_id, u.factor)]
    have_codes = set((await conn.execute(select(barcode.c.code).where(barcode.c.product_id == product_id))).scalars())
    barcodes = [b for b in data.barcodes if (b.code or "").strip() not in have_codes]
    if not changed and not units and not barcodes:
        return None
    return ProductInput(**changed, units=units, barcodes=barcodes)


def _same_unit(have: dict, unit_id: int, factor: str) -> bool:
    if unit_id not in have:
        return False
    try:
        return qty_to_scaled(factor, 6) == have[unit_id]
    except NumberError:
        return False  # the catalog's update reports it


async def do_upsert_product(
    db: Database, source: str, external_id: str, data: ProductInput, principal: Principal | None = None
) -> tuple[int, Outcome]:
    """Create or update the product ``source`` knows as ``external_id`` (module docstring)."""
    scope.require(principal, "catalog.edit", IntegrationError)
    check_ref(source, external_id)

    async def find(conn: AsyncConnection, sku: str) -> int | None:
        return (await conn.execute(select(product.c.id).where(product.c.sku == sku))).scalar()

    async def update(tx: Database, conn: AsyncConnection, product_id: int) -> bool:
        changes = await _product_changes(conn, product_id, data)
        if changes is None:
            return False
        await do_update_product(tx, product_id, changes, principal=principal)
        return True

    side = _Side(
        "product",
        key_of=lambda: data.sku.strip() if data.sku else None,
        find=find,
        create=lambda tx: do_create_product(tx, replace(data), principal=principal),
        update=update,
    )
    return await _upsert(db, side, source, external_id)


# ---- customers and suppliers ----------------------------------------------------------------------------

#: partner column (``partner_values``) -> the ``PartnerInput`` field it comes from
_PARTNER_FIELDS = {
    "credit_limit_fen": "credit_limit",
    "discount_bp": "discount",
    "salesperson_user_id": "salesperson",
}


async def _partner_changes(
    tx: Database, conn: AsyncConnection, kind: str, partner_id: int, data: PartnerInput
) -> PartnerInput | None:
    """``data`` cut to what differs from the partner (``None``: nothing does), read by the partners' own
    ``partner_values``."""
    table = partners.PARTNER_TABLES[kind]
    row = (await conn.execute(select(table).where(table.c.id == partner_id))).one()
    probe = replace(data)
    await partners._check_salesperson(tx, probe)  # the username -> the user id stored on the customer
    values = partner_values(probe, creating=False, kind=kind)
    changed: dict[str, Any] = {}
    for col, v in values.items():
        if row._mapping[col] != (None if v is CLEAR else v):
            name = _PARTNER_FIELDS.get(col, col)
            changed[name] = getattr(data, name)
    if not changed:
        return None
    known = {f.name for f in fields(PartnerInput)}
    return PartnerInput(**{k: v for k, v in changed.items() if k in known})


async def _upsert_partner(
    db: Database, kind: str, source: str, external_id: str, data: PartnerInput, principal: Principal | None
) -> tuple[int, Outcome]:
    scope.require(principal, "partner.edit", IntegrationError)
    check_ref(source, external_id)
    table = partners.PARTNER_TABLES[kind]

    async def find(conn: AsyncConnection, code: str) -> int | None:
        return (await conn.execute(select(table.c.id).where(table.c.code == code))).scalar()

    async def update(tx: Database, conn: AsyncConnection, partner_id: int) -> bool:
        changes = await _partner_changes(tx, conn, kind, partner_id, data)
        if changes is None:
            return False
        await do_update_partner(tx, kind, partner_id, changes, principal=principal)
        return True

    side = _Side(
        kind,
        key_of=lambda: data.code.strip() if data.code else None,
        find=find,
        create=lambda tx: do_create_partner(tx, kind, replace(data), principal=principal),
        update=update,
    )
    return await _upsert(db, side, source, external_id)


async def do_upsert_customer(
    db: Database, source: str, external_id: str, data: PartnerInput, principal: Principal | None = None
) -> tuple[int, Outcome]:
    """Create or update the customer ``source`` knows as ``external_id`` (module docstring)."""
    return await _upsert_partner(db, "customer", source, external_id, data, principal)


async def do_upsert_supplier(
    db: Database, source: str, external_id: str, data: PartnerInput, principal: Principal | None = None
) -> tuple[int, Outcome]:
    """Create or update the supplier ``source`` knows as ``external_id`` (module docstring)."""
    return await _upsert_partner(db, "supplier", source, external_id, data, principal)


__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "ExternalRef",
    "Outcome",
    "check_entity_type",
    "check_ref",
    "do_upsert_customer",
    "do_upsert_product",
    "do_upsert_supplier",
    "external_ids",
    "external_ids_of",
    "find_by_external_id",
]
