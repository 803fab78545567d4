"""The shared document helpers (``server.doc_kit``) bound to sales' error class."""

from functools import partial

from server import doc_kit
from server.auth import scope
from server.doc_kit import (
    actor_label,
    check_amount,
    load_products,
    quantity_in_unit,
    status_event,
)
from server.sales.errors import SalesError

Collector = partial(doc_kit.Collector, SalesError)
lock_row = partial(doc_kit.lock_row, SalesError)
require_status = partial(doc_kit.require_status, SalesError)
require_permission = scope.checker(SalesError)  # decided by server/auth/scope.py
create_once = partial(doc_kit.create_once, SalesError)

__all__ = ["Collector", "lock_row", "require_status", "require_permission", "create_once", "actor_label",
           "check_amount", "load_products", "quantity_in_unit", "status_event"]
