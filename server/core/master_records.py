"""Shared create/update/archive actions for master-data records (codes unique, never deleted)."""

from __future__ import annotations

from sqlalchemy import Column, Table, exists, select, update
from sqlalchemy.exc import IntegrityError

from server.core.audit import note_change
from server.core.database import Database
from server.core.errors import DomainError, ErrorCollector
from server.core.idempotency import claim_key, store_result
from server.core.text_limits import max_length


class TextRules(ErrorCollector):
    """The error collector with the master-data text rules (stripped, required, fits its column, codes
    without spaces)."""

    def text(self, value: str | None, field: str, max_len: int | Column, *, required: bool = False) -> str | None:
        """The stripped value; ``max_len`` is best the column it goes to (its ``String(n)`` length)."""
        limit = max_length(max_len)
        if value is None:
            if required:
                self.add("REQUIRED", field)
            return None
        value = value.strip()
        if required and not value:
            self.add("REQUIRED", field)
        elif limit is not None and len(value) > limit:
            self.add("INVALID_VALUE", field, detail=f"≤ {limit} chars")
        return value

    def code(
        self, value: str | None, field: str = "code", max_len: int | Column = 32, *, required: bool = True
    ) -> str | None:
        value = self.text(value, field, max_len, required=required)
        if value:
            self.check(not any(ch.isspace() for ch in value), "INVALID_VALUE", field, detail="no spaces in codes")
        return value


def drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


async def ensure_unique(conn, table: Table, values: dict, error_cls, unique_fields, exclude_id=None) -> None:
    for field in unique_fields:
        if values.get(field) is None:
            continue
        cond = table.c[field] == values[field]
        if exclude_id is not None:
            cond = cond & (table.c.id != exclude_id)
        if (await conn.execute(select(exists().where(cond)))).scalar():
            raise error_cls("DUPLICATE_CODE", field, code=values[field])


async def ensure_exists(
    conn, table: Table, record_id: int | None, error_cls, what: str, field: str, *, active=False
) -> None:
    if record_id is None:
        return
    cols = [table.c.id] + ([table.c.active] if active else [])
    row = (await conn.execute(select(*cols).where(table.c.id == record_id))).first()
    if row is None:
        raise error_cls("NOT_FOUND", field, what=what)
    if active and not row.active:
        raise error_cls("INACTIVE", field, what=what)


def _duplicate(exc: IntegrityError, error_cls, values: dict, unique_fields) -> DomainError | None:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        field = next((f for f in unique_fields if f in text), unique_fields[0] if unique_fields else "code")
        return error_cls("DUPLICATE_CODE", field, code=values.get(field, ""))
    return None


async def create_record(
    db: Database,
    table: Table,
    values: dict,
    *,
    error_cls: type[DomainError],
    unique_fields: tuple[str, ...] = ("code",),
    idempotency_key: str | None = None,
    before_insert=None,
    after_insert=None,
    request: dict | None = None,
) -> int:
    """Insert a record; a duplicate code (also under a race) is ``DUPLICATE_CODE``."""
    try:
        async with db.write() as conn:
            if idempotency_key is not None:
                payload = (
                    request
                    if request is not None
                    else {k: v for k, v in values.items() if k not in ("created_at", "updated_at")}
                )
                stored = await claim_key(conn, idempotency_key, f"create.{table.name}", payload, error_cls)
                if stored is not None:
                    return stored["id"]
            await ensure_unique(conn, table, values, error_cls, unique_fields)
            if before_insert is not None:
                await before_insert(conn)
            new_id = (await conn.execute(table.insert().values(**values).returning(table.c.id))).scalar_one()
            note_change(conn, f"{table.name}:{new_id}", after=values)
            if after_insert is not None:
                await after_insert(conn, new_id)
            if idempotency_key is not None:
                await store_result(conn, idempotency_key, {"id": new_id})
            return new_id
    except IntegrityError as exc:
        dup = _duplicate(exc, error_cls, values, unique_fields)
        if dup is None:
            raise
        raise dup from None


async def update_record(
    db: Database,
    table: Table,
    record_id: int,
    values: dict,
    *,
    error_cls: type[DomainError],
    what: str,
    unique_fields: tuple[str, ...] = ("code",),
    before_update=None,
    clear: tuple[str, ...] = (),
) -> None:
    """Update the given fields of a record (``None`` values are left unchanged; ``clear`` sets NULL)."""
    values = drop_none(values) | dict.fromkeys(clear)
    try:
        async with db.write() as conn:
            await ensure_exists(conn, table, record_id, error_cls, what, "id")
            await ensure_unique(conn, table, values, error_cls, unique_fields, exclude_id=record_id)
            if before_update is not None:
                await before_update(conn)
            if values:
                before = (
                    await conn.execute(select(*(table.c[k] for k in values)).where(table.c.id == record_id))
                ).one()
                await conn.execute(update(table).where(table.c.id == record_id).values(**values))
                note_change(conn, f"{table.name}:{record_id}", before=dict(before._mapping), after=values)
    except IntegrityError as exc:
        dup = _duplicate(exc, error_cls, values, unique_fields)
        if dup is None:
            raise
        raise dup from None


async def set_active(db: Database, table: Table, record_id: int, active: bool, *, error_cls, what: str) -> None:
    """Archive (or restore) a record. Records are never deleted: moves and documents refer to them."""
    await update_record(db, table, record_id, {"active": active}, error_cls=error_cls, what=what, unique_fields=())
