"""The shared document helpers (``server.documents.actions``) bound to purchasing's error class."""

from functools import partial

from server.auth import scope
from server.documents import actions
from server.documents.actions import (
    actor_label,
    check_amount,
    load_products,
    quantity_in_unit,
    status_event,
    tax_fen,
    value_fen,
)
from server.purchasing.errors import PurchasingError


class Collector(actions.Collector):
    """The document collector raising ``PurchasingError``."""

    def __init__(self) -> None:
        super().__init__(PurchasingError)


lock_row = partial(actions.lock_row, PurchasingError)
require_status = partial(actions.require_status, PurchasingError)
require_permission = scope.checker(PurchasingError)  # decided by server/auth/scope.py
create_once = partial(actions.create_once, PurchasingError)

__all__ = [
    "Collector",
    "actor_label",
    "check_amount",
    "create_once",
    "load_products",
    "lock_row",
    "quantity_in_unit",
    "require_permission",
    "require_status",
    "status_event",
    "tax_fen",
    "value_fen",
]
