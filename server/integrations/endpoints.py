"""Registering webhook endpoints (``webhook.manage``): create, change, enable/disable, delete, rotate the
secret, replay from a sequence number, and a test ping.

A new endpoint starts at the end of the journal: it receives what happens after it was registered (a
replay sends older events). Its secret is shown once, at creation and at each rotation; a rotated-out
secret keeps signing beside the new one for a grace period, so a receiver can switch without losing a
message (docs/integrations.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.principal import Principal
from server.catalog.models import category
from server.core.audit import actor_of, note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import ErrorCollector
from server.events.journal import last_sequence
from server.integrations.config import DeliveryConfig, load_config
from server.integrations.errors import IntegrationError
from server.integrations.models import webhook_delivery, webhook_endpoint
from server.integrations.payloads import KINDS
from server.integrations.signing import new_secret, secret_key
from server.inventory.models import warehouse

PERMISSION = "webhook.manage"
MAX_URL = 2000
MAX_NAME = 100
MAX_FILTER = 100  # warehouses or categories in one filter
MAX_GRACE_HOURS = 24 * 30
WHAT = {"what": "Webhook 端点", "what_en": "Webhook endpoint"}


@dataclass
class EndpointSpec:
    """What an administrator registers (``None`` in an update: unchanged)."""

    name: str | None = None
    url: str | None = None
    event_types: list[str] | None = None  # names of ``payloads.KINDS``
    warehouses: list[int] | None = None
    categories: list[int] | None = None
    secret: str | None = None  # only at creation; generated when not given
    extra: dict = field(default_factory=dict)


def _check_url(c: ErrorCollector, url: str) -> None:
    ok = len(url) <= MAX_URL and url.isascii() and not any(ch.isspace() for ch in url)
    if ok:
        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
        except ValueError:  # a port that is not a number
            ok = False
    c.check(ok, "INVALID_URL", "url", max=MAX_URL)


async def _check_spec(conn: AsyncConnection, spec: EndpointSpec, *, creating: bool) -> ErrorCollector:
    c = ErrorCollector(IntegrationError)
    if spec.name is not None or creating:
        name = (spec.name or "").strip()
        if not name:
            c.add("REQUIRED", "name")
        else:
            c.check(len(name) <= MAX_NAME, "INVALID_VALUE", "name", detail=f"≤ {MAX_NAME}")
    if spec.url is not None or creating:
        if not spec.url:
            c.add("REQUIRED", "url")
        else:
            _check_url(c, spec.url)
    if spec.event_types is not None or creating:
        kinds = spec.event_types or []
        if not kinds:
            c.add("NO_EVENT_TYPES", "eventTypes")
        for i, kind in enumerate(kinds):
            c.check(kind in KINDS, "INVALID_VALUE", f"eventTypes.{i}", detail=" | ".join(KINDS))
    for name, ids, table in (
        ("warehouseIds", spec.warehouses, warehouse),
        ("categoryIds", spec.categories, category),
    ):
        if not ids:
            continue
        if len(ids) > MAX_FILTER:
            c.add("INVALID_VALUE", name, detail=f"≤ {MAX_FILTER}")
            continue
        known = set((await conn.execute(select(table.c.id).where(table.c.id.in_(sorted(set(ids)))))).scalars())
        for i, pk in enumerate(ids):
            c.check(pk in known, "NOT_FOUND", f"{name}.{i}", what=table.name)
    if spec.secret is not None:
        c.check(secret_key(spec.secret) is not None, "INVALID_SECRET", "secret")
    return c


def _public(row) -> dict:
    """An endpoint as the audit log records it (never its secrets)."""
    return {
        "name": row.name,
        "url": row.url,
        "event_types": json.loads(row.event_types),
        "warehouse_ids": json.loads(row.warehouse_ids),
        "category_ids": json.loads(row.category_ids),
        "enabled": row.enabled,
    }


async def _locked(conn: AsyncConnection, endpoint_id: int):
    row = (
        await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).with_for_update())
    ).first()
    if row is None:
        raise IntegrationError("NOT_FOUND", "id", **WHAT)
    return row


async def do_create_webhook_endpoint(db: Database, spec: EndpointSpec, principal: Principal | None) -> tuple[int, str]:
    """Register an endpoint; returns its id and its secret (shown once)."""
    scope.require(principal, PERMISSION, IntegrationError)
    secret = spec.secret or new_secret()
    now = utcnow()
    async with db.write() as conn:
        (await _check_spec(conn, spec, creating=True)).raise_if_any()
        values = {
            "name": (spec.name or "").strip(),
            "url": spec.url,
            "event_types": json.dumps(list(dict.fromkeys(spec.event_types or []))),
            "warehouse_ids": json.dumps(sorted(set(spec.warehouses or []))),
            "category_ids": json.dumps(sorted(set(spec.categories or []))),
            "secret": secret,
            "enabled": True,
            "owner": actor_of(principal),
            "owner_user_id": principal.user_id if principal else None,
            "created_at": now,
            "updated_at": now,
            "cursor": await last_sequence(conn),  # from now on; a replay sends older events
        }
        endpoint_id = (
            await conn.execute(webhook_endpoint.insert().values(**values).returning(webhook_endpoint.c.id))
        ).scalar_one()
        row = await _locked(conn, endpoint_id)
        note_change(conn, f"webhook_endpoint:{endpoint_id}", after=_public(row))
    return endpoint_id, secret


async def do_update_webhook_endpoint(
    db: Database, endpoint_id: int, spec: EndpointSpec, principal: Principal | None
) -> None:
    """Change the name, URL, events or filters; what is ``None`` stays. The sender picks the change up
    before its next batch."""
    scope.require(principal, PERMISSION, IntegrationError)
    async with db.write() as conn:
        before = await _locked(conn, endpoint_id)
        spec.secret = None  # a secret changes by rotation only
        (await _check_spec(conn, spec, creating=False)).raise_if_any()
        values: dict = {"updated_at": utcnow()}
        if spec.name is not None:
            values["name"] = spec.name.strip()
        if spec.url is not None:
            values["url"] = spec.url
        if spec.event_types is not None:
            values["event_types"] = json.dumps(list(dict.fromkeys(spec.event_types)))
        if spec.warehouses is not None:
            values["warehouse_ids"] = json.dumps(sorted(set(spec.warehouses)))
        if spec.categories is not None:
            values["category_ids"] = json.dumps(sorted(set(spec.categories)))
        await conn.execute(update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(**values))
        note_change(
            conn,
            f"webhook_endpoint:{endpoint_id}",
            before=_public(before),
            after=_public(await _locked(conn, endpoint_id)),
        )


async def do_set_webhook_endpoint_enabled(
    db: Database, endpoint_id: int, enabled: bool, principal: Principal | None, *, skip_missed: bool = False
) -> None:
    """Disable (nothing is sent until it is enabled again) or enable an endpoint. Enabled again, it
    resumes at its cursor — nothing that happened meanwhile is lost — unless ``skip_missed`` moves the
    cursor to the end of the journal. Enabling also clears the retry state of an automatically
    disabled endpoint."""
    scope.require(principal, PERMISSION, IntegrationError)
    now = utcnow()
    async with db.write() as conn:
        row = await _locked(conn, endpoint_id)
        values: dict = {"enabled": enabled, "updated_at": now}
        if enabled:
            values.update(disabled_reason="", disabled_at=None, attempt=0, next_attempt_at=None, failing_since=None)
            if skip_missed:
                values.update(cursor=await last_sequence(conn), generation=row.generation + 1)
        else:
            values.update(disabled_reason=f"disabled by {actor_of(principal)}", disabled_at=now)
        await conn.execute(update(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id).values(**values))
        note_change(
            conn, f"webhook_endpoint:{endpoint_id}", before={"enabled": row.enabled}, after={"enabled": enabled}
        )


async def do_delete_webhook_endpoint(db: Database, endpoint_id: int, principal: Principal | None) -> None:
    """Remove an endpoint and its delivery log."""
    scope.require(principal, PERMISSION, IntegrationError)
    async with db.write() as conn:
        row = await _locked(conn, endpoint_id)
        await conn.execute(delete(webhook_delivery).where(webhook_delivery.c.endpoint_id == endpoint_id))
        await conn.execute(delete(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id))
        note_change(conn, f"webhook_endpoint:{endpoint_id}", before=_public(row))


async def do_rotate_webhook_secret(
    db: Database,
    endpoint_id: int,
    principal: Principal | None,
    *,
    grace_hours: float = 24,
    secret: str | None = None,
) -> str:
    """A new secret (returned, shown once); the old one keeps signing beside it for ``grace_hours``
    (0: at once no longer)."""
    scope.require(principal, PERMISSION, IntegrationError)
    c = ErrorCollector(IntegrationError)
    c.check(0 <= grace_hours <= MAX_GRACE_HOURS, "INVALID_VALUE", "graceHours", detail=f"0 … {MAX_GRACE_HOURS}")
    if secret is not None:
        c.check(secret_key(secret) is not None, "INVALID_SECRET", "secret")
    c.raise_if_any()
    new = secret or new_secret()
    now = utcnow()
    async with db.write() as conn:
        row = await _locked(conn, endpoint_id)
        keep = grace_hours > 0
        await conn.execute(
            update(webhook_endpoint)
            .where(webhook_endpoint.c.id == endpoint_id)
            .values(
                secret=new,
                previous_secret=row.secret if keep else None,
                previous_secret_until=now + timedelta(hours=grace_hours) if keep else None,
                updated_at=now,
            )
        )
        note_change(conn, f"webhook_endpoint:{endpoint_id}", after={"secret": "rotated", "grace_hours": grace_hours})
    return new


async def do_replay_webhook_endpoint(
    db: Database, endpoint_id: int, from_sequence: int, principal: Principal | None
) -> None:
    """Send again everything from journal sequence ``from_sequence`` on (the events the endpoint
    subscribes to), in order, with their original ids; a batch in flight is sent to its end first."""
    scope.require(principal, PERMISSION, IntegrationError)
    async with db.write() as conn:
        row = await _locked(conn, endpoint_id)
        last = await last_sequence(conn)
        if not 1 <= from_sequence <= last + 1:
            raise IntegrationError("INVALID_SEQUENCE", "fromSequence", sequence=from_sequence, last=last)
        await conn.execute(
            update(webhook_endpoint)
            .where(webhook_endpoint.c.id == endpoint_id)
            .values(
                cursor=from_sequence - 1,
                generation=row.generation + 1,
                attempt=0,
                next_attempt_at=None,
                failing_since=None,
                updated_at=utcnow(),
            )
        )
        note_change(
            conn,
            f"webhook_endpoint:{endpoint_id}",
            before={"cursor": row.cursor},
            after={"cursor": from_sequence - 1, "replay_from": from_sequence},
        )


async def do_ping_webhook_endpoint(
    db: Database, endpoint_id: int, principal: Principal | None, *, config: DeliveryConfig | None = None
) -> int:
    """Send a signed ``webhook.ping`` to the endpoint now (enabled or not) and log it; returns the id of
    its delivery-log row (status code, time, error). Waits at most the delivery timeout."""
    from server.integrations.delivery import ping

    scope.require(principal, PERMISSION, IntegrationError)
    async with db.read() as conn:
        row = (await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.id == endpoint_id))).first()
        pings = (
            await conn.execute(
                select(func.count()).where(
                    webhook_delivery.c.endpoint_id == endpoint_id, webhook_delivery.c.seq.is_(None)
                )
            )
        ).scalar_one()
    if row is None:
        raise IntegrationError("NOT_FOUND", "id", **WHAT)
    return await ping(db, row, config or load_config(), number=pings + 1)
