"""Warehouse and location (bin hierarchy) actions.

``principal`` is the caller (``None``: the system). A user restricted to some warehouses may only
change locations and warehouses inside them, and may not create warehouses (server/auth/scope.py).
"""

from __future__ import annotations

from sqlalchemy import select

from server.auth import scope
from server.auth.services import Principal
from server.core.database import Database
from server.core.master_records import TextRules, create_record, ensure_exists, set_active, update_record
from server.inventory.errors import InventoryError
from server.inventory.models import location, warehouse


def _check_allowed(principal: Principal | None, warehouse_id: int | None) -> None:
    scope.require_warehouse(principal, warehouse_id, InventoryError, "id")


async def _warehouse_of_location(db: Database, location_id: int) -> int | None:
    async with db.read() as conn:
        return (await conn.execute(select(location.c.warehouse_id).where(location.c.id == location_id))).scalar()


def warehouse_values(rules: TextRules, code: str | None, name: str | None, address: str | None) -> dict:
    """A warehouse's columns by the master-data text rules (the create action's and the import's)."""
    return {
        "code": rules.code(code, max_len=warehouse.c.code),
        "name": rules.text(name, "name", warehouse.c.name, required=True),
        "address": rules.text(address, "address", warehouse.c.address) or "",
    }


def location_texts(rules: TextRules, code: str | None, name: str | None) -> dict:
    """A bin's code and name by the master-data text rules (the create action's and the import's)."""
    return {"code": rules.code(code, max_len=location.c.code), "name": rules.text(name, "name", location.c.name) or ""}


async def do_create_warehouse(
    db: Database,
    *,
    code: str,
    name: str,
    address: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
) -> int:
    _check_allowed(principal, None)
    rules = TextRules(InventoryError)
    values = warehouse_values(rules, code, name, address)
    rules.raise_if_any()
    return await create_record(db, warehouse, values, error_cls=InventoryError, idempotency_key=idempotency_key)


async def do_update_warehouse(
    db: Database,
    warehouse_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    principal: Principal | None = None,
) -> None:
    _check_allowed(principal, warehouse_id)
    rules = TextRules(InventoryError)
    values = {
        "name": rules.text(name, "name", warehouse.c.name, required=name is not None),
        "address": rules.text(address, "address", warehouse.c.address),
    }
    rules.raise_if_any()
    await update_record(
        db, warehouse, warehouse_id, values, error_cls=InventoryError, what="warehouse", unique_fields=()
    )


async def _check_location_parent(conn, warehouse_id: int, location_id: int | None, parent_id: int | None) -> None:
    """A parent location must be in the same warehouse and must not create a cycle."""
    if parent_id is None:
        return
    seen, current = set(), parent_id
    while current is not None:
        row = (
            await conn.execute(select(location.c.parent_id, location.c.warehouse_id).where(location.c.id == current))
        ).first()
        if row is None:
            raise InventoryError("NOT_FOUND", "parentId", what="location")
        if row.warehouse_id != warehouse_id or current == location_id or current in seen:
            raise InventoryError("INVALID_PARENT", "parentId")
        seen.add(current)
        current = row.parent_id


async def do_create_location(
    db: Database,
    *,
    warehouse_id: int,
    code: str,
    name: str = "",
    parent_id: int | None = None,
    sort_order: int = 0,
    idempotency_key: str | None = None,
    principal: Principal | None = None,
) -> int:
    _check_allowed(principal, warehouse_id)
    rules = TextRules(InventoryError)
    values = {
        "warehouse_id": warehouse_id,
        **location_texts(rules, code, name),
        "parent_id": parent_id,
        "sort_order": sort_order,
    }
    rules.raise_if_any()

    async def check(conn):
        await ensure_exists(conn, warehouse, warehouse_id, InventoryError, "warehouse", "warehouseId", active=True)
        await _check_location_parent(conn, warehouse_id, None, parent_id)

    return await create_record(
        db, location, values, error_cls=InventoryError, idempotency_key=idempotency_key, before_insert=check
    )


async def do_update_location(
    db: Database,
    location_id: int,
    *,
    name: str | None = None,
    sort_order: int | None = None,
    principal: Principal | None = None,
) -> None:
    if scope.warehouses(principal) is not None:
        _check_allowed(principal, await _warehouse_of_location(db, location_id))
    rules = TextRules(InventoryError)
    values = {"name": rules.text(name, "name", location.c.name), "sort_order": sort_order}
    rules.raise_if_any()
    await update_record(db, location, location_id, values, error_cls=InventoryError, what="location", unique_fields=())


async def do_set_warehouse_active(
    db: Database, warehouse_id: int, active: bool, *, principal: Principal | None = None
) -> None:
    _check_allowed(principal, warehouse_id)
    await set_active(db, warehouse, warehouse_id, active, error_cls=InventoryError, what="warehouse")


async def do_set_location_active(
    db: Database, location_id: int, active: bool, *, principal: Principal | None = None
) -> None:
    if scope.warehouses(principal) is not None:
        _check_allowed(principal, await _warehouse_of_location(db, location_id))
    await set_active(db, location, location_id, active, error_cls=InventoryError, what="location")
