"""Who may see and do what: the one place that decides permissions and warehouse scope.

Every entry point (GraphQL fields, subscriptions, downloads, the scanner page) and every domain
action asks here; nothing else compares permission codes or warehouse ids.

* A principal of ``None`` is the system itself (CLI commands, the demo loader, scheduled jobs): it
  may do everything. Entry points never pass ``None`` for a caller: an anonymous caller is refused
  before it reaches an action.
* ``warehouses(principal)`` is ``None`` when the principal may work in every warehouse, else the set
  of warehouse ids it is limited to. Objects outside it are invisible (lists filter them, lookups by
  id answer ``PERMISSION_DENIED``) and actions on them are refused.
* Book quantities of locations under an open blind count are hidden from whoever lacks
  ``stock.count.approve`` (counters must not see what the books say).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from sqlalchemy import ColumnElement, false, true

from server.auth.permissions import PERMISSIONS
from server.auth.principal import Principal
from server.core.errors import DomainError

COST_VIEW = "cost.view"  # costs, purchase prices, stock values, margins
PARTNER_VIEW = "partner.view"  # supplier and customer contact data (tax id, phone, e-mail, address, bank)
BOOK_QUANTITIES = "stock.count.approve"  # book quantities of locations under a blind count


def can(principal: Principal | None, permission: str) -> bool:
    """Whether ``principal`` holds ``permission`` (the system holds every permission)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")
    return principal is None or permission in principal.permissions


def can_any(principal: Principal | None, permissions: Iterable[str]) -> bool:
    return any(can(principal, p) for p in permissions)


def require(
    principal: Principal | None, permission: str, error_cls: type[DomainError], field: str | None = None
) -> None:
    """Raise ``error_cls("PERMISSION_DENIED")`` unless ``principal`` holds ``permission``."""
    if not can(principal, permission):
        raise error_cls("PERMISSION_DENIED", field, permission=permission)


def checker(error_cls: type[DomainError]) -> Callable[..., None]:
    """``require`` bound to one domain's error class: ``require_permission = scope.checker(SalesError)``."""

    def require_permission(principal: Principal | None, permission: str, field: str | None = None) -> None:
        require(principal, permission, error_cls, field)

    return require_permission


def granting(principal: Principal | None, permission: str) -> Principal | None:
    """``principal`` with one more permission, for an action that posts on its behalf what it was
    allowed to start (a scan session completes as a receipt, a shipment, a transfer or a count)."""
    if principal is None or can(principal, permission):
        return principal
    return replace(principal, permissions=principal.permissions | {permission})


def warehouses(principal: Principal | None) -> frozenset[int] | None:
    """The warehouses ``principal`` is limited to; ``None``: every warehouse. Lower layers (the stock
    primitives, list queries) receive this set and test it with ``allows``."""
    return None if principal is None else principal.warehouse_ids


def allows(allowed: frozenset[int] | None, warehouse_id: int | None) -> bool:
    """Whether a warehouse set from ``warehouses()`` admits an object of ``warehouse_id``."""
    return allowed is None or (warehouse_id is not None and warehouse_id in allowed)


def in_scope(principal: Principal | None, warehouse_id: int | None) -> bool:
    """Whether an object of ``warehouse_id`` is inside the principal's warehouses."""
    return allows(warehouses(principal), warehouse_id)


def require_warehouse(
    principal: Principal | None,
    warehouse_id: int | None,
    error_cls: type[DomainError],
    field: str | None = "warehouseId",
) -> None:
    if not in_scope(principal, warehouse_id):
        raise error_cls("PERMISSION_DENIED", field, permission=f"warehouse {warehouse_id}")


def within(allowed: frozenset[int] | None, column) -> ColumnElement[bool]:
    """A WHERE clause limiting ``column`` (a warehouse id column) to a set from ``warehouses()``."""
    if allowed is None:
        return true()
    return column.in_(sorted(allowed)) if allowed else false()


def sees_costs(principal: Principal | None) -> bool:
    return can(principal, COST_VIEW)


def sees_partner_contacts(principal: Principal | None) -> bool:
    return can(principal, PARTNER_VIEW)


def sees_book_quantities(principal: Principal | None) -> bool:
    """Whether book quantities of locations under an open blind count may be shown."""
    return can(principal, BOOK_QUANTITIES)
