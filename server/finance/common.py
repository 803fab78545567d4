"""The shared document helpers (``server.documents.actions``) bound to finance's error class."""

from functools import partial

from server.auth import scope
from server.documents import actions
from server.documents.actions import actor_label, status_event
from server.finance.errors import FinanceError

Collector = partial(actions.Collector, FinanceError)
lock_row = partial(actions.lock_row, FinanceError)
require_status = partial(actions.require_status, FinanceError)
require_permission = scope.checker(FinanceError)  # decided by server/auth/scope.py
create_once = partial(actions.create_once, FinanceError)

__all__ = [
    "Collector",
    "actor_label",
    "create_once",
    "lock_row",
    "require_permission",
    "require_status",
    "status_event",
]
