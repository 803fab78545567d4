"""The shared document helpers (``server.documents.actions``) bound to sales' error class."""

from functools import partial

from server.auth import scope
from server.documents import actions
from server.documents.actions import (
    actor_label,
    check_amount,
    load_products,
    quantity_in_unit,
    status_event,
)
from server.sales.errors import SalesError


class Collector(actions.Collector):
    """The document collector raising ``SalesError``."""

    def __init__(self) -> None:
        super().__init__(SalesError)


lock_row = partial(actions.lock_row, SalesError)
require_status = partial(actions.require_status, SalesError)
require_permission = scope.checker(SalesError)  # decided by server/auth/scope.py
create_once = partial(actions.create_once, SalesError)

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
]
