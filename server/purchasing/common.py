"""The shared document helpers (``server.doc_kit``) bound to purchasing's error class."""

from functools import partial

from server import doc_kit
from server.auth import scope
from server.doc_kit import (
    actor_label,
    check_amount,
    load_products,
    quantity_in_unit,
    status_event,
    tax_fen,
    value_fen,
)
from server.purchasing.errors import PurchasingError

Collector = partial(doc_kit.Collector, PurchasingError)
lock_row = partial(doc_kit.lock_row, PurchasingError)
require_status = partial(doc_kit.require_status, PurchasingError)
require_permission = scope.checker(PurchasingError)  # decided by server/auth/scope.py
create_once = partial(doc_kit.create_once, PurchasingError)

__all__ = ["Collector", "lock_row", "require_status", "require_permission", "create_once", "actor_label",
           "check_amount", "load_products", "quantity_in_unit", "status_event", "tax_fen", "value_fen"]
