"""The audit log of business mutations, written in the mutation's own transaction.

The API layer opens an ``audited(actor, operation)`` scope around each mutation; the actions note
what they changed (``note_change``); ``Database.write`` appends one audit entry per changed record
just before it commits (this module registers ``flush`` as a before-commit hook). A mutation that fails leaves no entry, because its transaction rolls back.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass

from sqlalchemy import Column, String, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.database import AUDIT_ORDER, on_before_commit
from server.core.db_types import IdType, UtcDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(96), nullable=False),
    Column("operation", String(64), nullable=False, index=True),
    Column("target", String(96), nullable=False, server_default=""),
    Column("details", Text, nullable=False, server_default="{}"),
)

_NOTES_KEY = "jxc_audit_notes"
_SECRET_FIELDS = {"password_hash", "token_hash", "request_hash"}


@dataclass(frozen=True)
class AuditScope:
    actor: str
    operation: str


_scope: contextvars.ContextVar[AuditScope | None] = contextvars.ContextVar("jxc_audit_scope", default=None)


@contextlib.contextmanager
def audited(actor: str, operation: str):
    token = _scope.set(AuditScope(actor or "anonymous", operation))
    try:
        yield
    finally:
        _scope.reset(token)


def actor_of(principal) -> str:
    """Who acts: the principal's label (``user:li``, ``token:gun-7``); for the system itself the actor of
    the audit scope it runs in (``system:cli``, ``job:auto_purchase_orders``), else ``system``."""
    if principal is not None:
        return principal.label
    scope = _scope.get()
    return scope.actor if scope is not None else "system"


def _compact(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in _SECRET_FIELDS}


def note_change(conn: AsyncConnection, target: str, *, before: dict | None = None, after: dict | None = None) -> None:
    """Record that ``target`` (e.g. ``product:12``) changed in this transaction."""
    conn.info.setdefault(_NOTES_KEY, []).append((target, _compact(before), _compact(after)))


async def flush(conn: AsyncConnection) -> None:
    """Write the noted changes; called by ``Database.write`` before commit. Outside any audited scope
    (a domain action called by code, not by the API, the CLI or a job) the actor is ``system``."""
    notes = conn.info.pop(_NOTES_KEY, None)
    if not notes:
        return
    scope = _scope.get() or AuditScope("system", "system")
    now = utcnow()
    await conn.execute(
        audit_log.insert(),
        [
            {
                "at": now,
                "actor": scope.actor,
                "operation": scope.operation,
                "target": target,
                "details": json.dumps(
                    {k: v for k, v in (("before", before), ("after", after)) if v is not None},
                    ensure_ascii=False,
                    default=str,
                    separators=(",", ":"),
                ),
            }
            for target, before, after in notes
        ],
    )


def discard(conn: AsyncConnection) -> None:
    conn.info.pop(_NOTES_KEY, None)


# the audit entry commits with the change, or not at all
on_before_commit("audit", order=AUDIT_ORDER, flush=flush, discard=discard)
