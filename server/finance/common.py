"""The shared document helpers (``server.doc_kit``) bound to finance's error class."""

from functools import partial

from server import doc_kit
from server.auth import scope
from server.doc_kit import actor_label, status_event
from server.finance.errors import FinanceError

Collector = partial(doc_kit.Collector, FinanceError)
lock_row = partial(doc_kit.lock_row, FinanceError)
require_status = partial(doc_kit.require_status, FinanceError)
require_permission = scope.checker(FinanceError)  # decided by server/auth/scope.py
create_once = partial(doc_kit.create_once, FinanceError)

__all__ = ["Collector", "lock_row", "require_status", "require_permission", "create_once", "actor_label",
           "status_event"]
