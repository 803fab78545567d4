"""Idempotency keys: a retried request with the same key applies once and returns the first result.

Stock operations keep their key on the operation row itself (``stock_operation.idempotency_key``,
unique, inserted first by ``ledger.open_operation``); other actions use the ``idempotency_key``
table here. Either way the key row is inserted at the start of the business transaction (``INSERT … ON CONFLICT DO
NOTHING``). On PostgreSQL a concurrent repeat blocks on the unique index until the first transaction
commits, then finds the stored result; on SQLite writers are serialised anyway. A key whose first
attempt failed is rolled back with it, so a corrected retry may use it again. The same key with a
different payload is refused with ``IDEMPOTENCY_KEY_REUSED``.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from typing import overload

from sqlalchemy import Column, String, Table, Text, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.clock import utcnow
from server.core.db_types import UtcDateTime, metadata
from server.core.errors import DomainError
from server.core.sql import prepared

MAX_KEY_LENGTH = 128
STORED_KEY_LENGTH = 160  # owner prefix ("u123/", "t45/") + the caller's key

idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("key", String(160), primary_key=True),  # owner prefix + the caller's key (≤ 128)
    Column("scope", String(64), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

_owner: contextvars.ContextVar[str] = contextvars.ContextVar("jxc_idempotency_owner", default="")


@contextlib.contextmanager
def keys_owned_by(owner: str):
    """Scope the idempotency keys used inside to ``owner`` (a user or an API token, see
    ``Principal.key_owner``): another principal's key with the same text neither answers nor blocks.
    Outside any scope (CLI, demo, jobs) keys are the system's own."""
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


@overload
def stored_key(key: str) -> str: ...


@overload
def stored_key(key: str | None) -> str | None: ...


def stored_key(key: str | None) -> str | None:
    """The key as stored: prefixed with its owner."""
    if key is None:
        return None
    owner = _owner.get()
    return f"{owner}/{key}" if owner else key


def check_key(key: str, error_cls: type[DomainError]) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise error_cls("INVALID_VALUE", "idempotencyKey", detail=f"1–{MAX_KEY_LENGTH} chars")


def request_hash(scope: str, payload) -> str:
    blob = json.dumps([scope, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _build_claim(insert):
    return (
        insert(idempotency_key)
        .values(
            key=bindparam("b_key"),
            scope=bindparam("b_scope"),
            request_hash=bindparam("b_hash"),
            created_at=bindparam("b_created_at"),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(idempotency_key.c.key)
    )


async def claim_key(conn: AsyncConnection, key: str, scope: str, payload, error_cls: type[DomainError]) -> dict | None:
    """Claim ``key`` for this request. Returns the stored result of an earlier identical request."""
    check_key(key, error_cls)
    key = stored_key(key)
    digest = request_hash(scope, payload)
    stmt = prepared(conn, "idempotency.claim", _build_claim)
    params = {"b_key": key, "b_scope": scope, "b_hash": digest, "b_created_at": utcnow()}
    if (await conn.execute(stmt, params)).first() is not None:
        return None
    row = (
        await conn.execute(
            select(idempotency_key.c.request_hash, idempotency_key.c.result).where(idempotency_key.c.key == key)
        )
    ).one()
    if row.request_hash != digest or row.result is None:
        raise error_cls("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    return json.loads(row.result)


async def store_result(conn: AsyncConnection, key: str, result: dict) -> None:
    await conn.execute(
        update(idempotency_key).where(idempotency_key.c.key == stored_key(key)).values(result=json.dumps(result))
    )
