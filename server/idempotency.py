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

import hashlib
import json

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import utcnow
from server.errors import DomainError
from server.events.models import idempotency_key
from server.sql import prepared

MAX_KEY_LENGTH = 128


def check_key(key: str, error_cls: type[DomainError]) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise error_cls("INVALID_VALUE", "idempotencyKey", detail=f"1–{MAX_KEY_LENGTH} chars")


def request_hash(scope: str, payload) -> str:
    blob = json.dumps([scope, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _build_claim(insert):
    return (
        insert(idempotency_key)
        .values(key=bindparam("b_key"), scope=bindparam("b_scope"), request_hash=bindparam("b_hash"),
                created_at=bindparam("b_created_at"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(idempotency_key.c.key)
    )


async def claim_key(
    conn: AsyncConnection, key: str, scope: str, payload, error_cls: type[DomainError]
) -> dict | None:
    """Claim ``key`` for this request. Returns the stored result of an earlier identical request."""
    check_key(key, error_cls)
    digest = request_hash(scope, payload)
    stmt = prepared(conn, "idempotency.claim", _build_claim)
    params = {"b_key": key, "b_scope": scope, "b_hash": digest, "b_created_at": utcnow()}
    if (await conn.execute(stmt, params)).first() is not None:
        return None
    row = (
        await conn.execute(
            select(idempotency_key.c.request_hash, idempotency_key.c.result).where(
                idempotency_key.c.key == key
            )
        )
    ).one()
    if row.request_hash != digest or row.result is None:
        raise error_cls("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    return json.loads(row.result)


async def store_result(conn: AsyncConnection, key: str, result: dict) -> None:
    await conn.execute(
        update(idempotency_key).where(idempotency_key.c.key == key).values(result=json.dumps(result))
    )
