"""Users, sign-in, tokens and principals.

* Passwords are hashed with argon2 (argon2-cffi). An unknown user is checked against a dummy hash, so
  a wrong password and an unknown user take the same time and give the same error.
* After ``MAX_FAILED_LOGINS`` failures in a row an account is locked for ``LOCK_MINUTES``; the error
  stays ``INVALID_CREDENTIALS`` (no enumeration). Every attempt is written to the audit log.
* Session and API tokens are random, shown once, and stored as SHA-256 hashes. Sessions expire;
  both kinds can be revoked. ``authenticate`` turns a token into a ``Principal``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import and_, case, column, delete, func, select, table, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope, throttle
from server.auth.errors import AuthError
from server.auth.models import (
    app_user,
    auth_token,
    role,
    role_permission,
    sign_in_lock,
    user_role,
    user_warehouse,
)
from server.auth.permissions import BUILTIN_ROLES, PERMISSIONS
from server.auth.principal import Principal
from server.core.audit import actor_of, audit_log, audited
from server.core.clock import utcnow
from server.core.database import Database
from server.core.db_types import IdType
from server.core.sql import dialect_insert
from server.events.journal import append_events
from server.events.types import AUTH_CHANGED as AUTH_CHANGED  # the name, re-exported
from server.events.types import AuthChanged

# Warehouses are inventory's table (server/inventory/models.py), a layer above access control: a user's
# warehouse restriction refers to them by key only, as the foreign key of ``user_warehouse`` does.
warehouse = table("warehouse", column("id", IdType))

AUTH_CHANNEL = "jxc_auth"  # PostgreSQL NOTIFY channel of the auth.changed journal events
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
MIN_PASSWORD_LENGTH = 8
LAST_USED_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("jxc-dummy-password-for-timing")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False


async def _hash(password: str) -> str:
    """argon2 is deliberately slow (~50 ms): keep it off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return "jxc_" + secrets.token_urlsafe(32)


async def write_audit(conn: AsyncConnection, actor: str, operation: str, target: str = "", **details) -> None:
    """Append an audit entry in the caller's transaction (the table is append-only)."""
    await conn.execute(
        audit_log.insert().values(
            at=utcnow(),
            actor=actor[:96],
            operation=operation,
            target=target[:96],
            details=json.dumps(details, ensure_ascii=False, default=str, separators=(",", ":")),
        )
    )


async def ensure_builtin_roles(db: Database) -> None:
    """Create the built-in roles that do not exist yet (their permissions live in code)."""
    async with db.write() as conn:
        for code, (name, name_en, _perms) in BUILTIN_ROLES.items():
            await conn.execute(
                dialect_insert(conn, role)
                .values(code=code, name=name, name_en=name_en, builtin=True)
                .on_conflict_do_nothing(index_elements=["code"])
            )


def _check_password(password: str) -> None:
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError("WEAK_PASSWORD", "password", min=MIN_PASSWORD_LENGTH)


async def _role_ids(conn: AsyncConnection, codes: list[str]) -> list[int]:
    rows = {r.code: r.id for r in await conn.execute(select(role.c.id, role.c.code).where(role.c.code.in_(codes)))}
    missing = [c for c in codes if c not in rows]
    if missing:
        raise AuthError("NOT_FOUND", "roles", what="role")
    return [rows[c] for c in codes]


async def do_create_user(
    db: Database,
    *,
    username: str,
    password: str,
    display_name: str = "",
    roles: Sequence[str] = (),
    warehouse_ids: Sequence[int] = (),
    principal: Principal | None = None,
) -> int:
    scope.require(principal, "user.admin", AuthError)
    actor = actor_of(principal)
    username = (username or "").strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise AuthError("INVALID_VALUE", "username", detail="1–64 chars, no spaces")
    _check_password(password)
    if len(display_name or "") > 128:
        raise AuthError("INVALID_VALUE", "displayName", detail="≤ 128 chars")
    roles = list(dict.fromkeys(roles))
    warehouse_ids = list(dict.fromkeys(warehouse_ids))
    await ensure_builtin_roles(db)
    password_hash = await _hash(password)
    async with db.write() as conn:
        if warehouse_ids:
            known = {w for (w,) in await conn.execute(select(warehouse.c.id).where(warehouse.c.id.in_(warehouse_ids)))}
            if len(known) != len(warehouse_ids):
                raise AuthError("NOT_FOUND", "warehouseIds", what="warehouse")
        if (await conn.execute(select(app_user.c.id).where(app_user.c.username == username))).first():
            raise AuthError("DUPLICATE_CODE", "username", code=username)
        role_ids = await _role_ids(conn, list(roles))
        user_id = (
            await conn.execute(
                app_user.insert()
                .values(
                    username=username,
                    display_name=display_name or username,
                    password_hash=password_hash,
                    active=True,
                    created_at=utcnow(),
                )
                .returning(app_user.c.id)
            )
        ).scalar_one()
        if role_ids:
            await conn.execute(user_role.insert(), [{"user_id": user_id, "role_id": r} for r in role_ids])
        if warehouse_ids:
            await conn.execute(
                user_warehouse.insert(), [{"user_id": user_id, "warehouse_id": w} for w in warehouse_ids]
            )
        await write_audit(
            conn, actor, "user.create", f"user:{username}", roles=list(roles), warehouses=list(warehouse_ids)
        )
    return user_id


async def _user(conn: AsyncConnection, username: str):
    row = (await conn.execute(select(app_user).where(app_user.c.username == username))).first()
    if row is None:
        raise AuthError("NOT_FOUND", "username", what="user")
    return row


async def do_set_password(db: Database, username: str, password: str, *, principal: Principal | None = None) -> None:
    scope.require(principal, "user.admin", AuthError)
    actor = actor_of(principal)
    _check_password(password)
    password_hash = await _hash(password)
    async with db.write() as conn:
        user = await _user(conn, username)
        await conn.execute(update(app_user).where(app_user.c.id == user.id).values(password_hash=password_hash))
        await _revoke_sessions(conn, user.id)
        await conn.execute(delete(sign_in_lock).where(sign_in_lock.c.user_id == user.id))
        await announce_credentials_changed(conn, reason="user.password", user_id=user.id)
        await write_audit(conn, actor, "user.password", f"user:{username}")
    forget_tokens()


async def do_set_user_active(db: Database, username: str, active: bool, *, principal: Principal | None = None) -> None:
    """Disable (or enable) a user; disabling also ends every session of the user."""
    scope.require(principal, "user.admin", AuthError)
    actor = actor_of(principal)
    async with db.write() as conn:
        user = await _user(conn, username)
        await conn.execute(update(app_user).where(app_user.c.id == user.id).values(active=active))
        if not active:
            await _revoke_sessions(conn, user.id)
            await announce_credentials_changed(conn, reason="user.disable", user_id=user.id)
        await write_audit(conn, actor, "user.enable" if active else "user.disable", f"user:{username}")
    forget_tokens()


async def _revoke_sessions(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(
        update(auth_token)
        .where(auth_token.c.user_id == user_id, auth_token.c.kind == "session", auth_token.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def do_login(db: Database, username: str, password: str, *, client: str = "") -> tuple[str, datetime]:
    """Check the password and open a session; returns the token (shown once) and its expiry.

    ``client`` is the caller's address. An address that failed too often lately is refused before
    the password is checked (``throttle.py``). ``MAX_FAILED_LOGINS`` wrong passwords in a row from one
    address lock that address out of the account for ``LOCK_MINUTES`` — other addresses can still
    sign in, so nobody can lock a user out from outside. The error never tells whether the user
    exists or is locked.
    """
    client = (client or "")[:64]
    if not throttle.allowed(client):
        raise AuthError("TOO_MANY_ATTEMPTS", "password", minutes=throttle.retry_after_minutes(client))
    now = utcnow()
    name = (username or "").strip()[:64]
    async with db.read() as conn:
        row = (await conn.execute(select(app_user).where(app_user.c.username == name))).first()
        lock = (
            None
            if row is None
            else (
                await conn.execute(
                    select(sign_in_lock).where(sign_in_lock.c.user_id == row.id, sign_in_lock.c.client == client)
                )
            ).first()
        )
    # argon2 runs outside any transaction: a sign-in never holds SQLite's write lock for ~50 ms
    ok = await asyncio.to_thread(_verify, row.password_hash if row else _DUMMY_HASH, password or "")
    locked = lock is not None and lock.locked_until is not None and lock.locked_until > now
    if row is None or not row.active or locked or not ok:
        if not ok:
            throttle.failed(client)
        async with db.write() as conn:
            if row is not None and not ok and not locked:
                await _count_failure(conn, row.id, client, now)
            reason = "unknown" if row is None else "inactive" if not row.active else "locked" if locked else "password"
            await write_audit(
                conn, f"user:{username}", "auth.login_failed", f"user:{username}", reason=reason, client=client
            )
        raise AuthError("INVALID_CREDENTIALS", "password")
    token = _new_token()
    expires = now + timedelta(hours=SESSION_HOURS)
    async with db.write() as conn:
        await conn.execute(
            delete(sign_in_lock).where(sign_in_lock.c.user_id == row.id, sign_in_lock.c.client == client)
        )
        await conn.execute(
            auth_token.insert().values(
                kind="session",
                name=row.username,
                token_hash=token_hash(token),
                user_id=row.id,
                created_at=now,
                expires_at=expires,
            )
        )
        await write_audit(conn, f"user:{row.username}", "auth.login", f"user:{row.username}", client=client)
    return token, expires


async def _count_failure(conn: AsyncConnection, user_id: int, client: str, now: datetime) -> None:
    """One atomic upsert, so parallel wrong guesses all count; after a lock has run out the count starts
    again. Attempts during a lock neither count nor extend it (the caller skips them)."""
    expired = and_(sign_in_lock.c.locked_until.is_not(None), sign_in_lock.c.locked_until <= now)
    failures = case((expired, 1), else_=sign_in_lock.c.failed_logins + 1)
    lock_at = now + timedelta(minutes=LOCK_MINUTES)
    first_lock = lock_at if MAX_FAILED_LOGINS <= 1 else None
    await conn.execute(
        dialect_insert(conn, sign_in_lock)
        .values(
            user_id=user_id,
            client=client,
            failed_logins=1,
            locked_until=first_lock,
        )
        .on_conflict_do_update(
            index_elements=["user_id", "client"],
            set_={
                "failed_logins": failures,
                "locked_until": case(
                    (failures >= MAX_FAILED_LOGINS, lock_at), (expired, None), else_=sign_in_lock.c.locked_until
                ),
            },
        )
    )


async def announce_credentials_changed(
    conn: AsyncConnection, reason: str, *, user_id: int | None = None, token_id: int | None = None
) -> None:
    """In the transaction that revokes or changes credentials: tell every server process.

    An ``auth.changed`` event goes into the journal (durable, in order); on PostgreSQL a NOTIFY on
    ``AUTH_CHANNEL`` is delivered on commit, so the other processes drop their cached principals and
    re-check their open subscriptions at once (SQLite processes poll the journal for it).
    """
    await append_events(conn, [AuthChanged(reason=reason, user_id=user_id, token_id=token_id)])
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SELECT pg_notify('{AUTH_CHANNEL}', '')"))


async def do_logout(db: Database, token: str, *, principal: Principal | None = None) -> None:
    """End the session of ``token``. An API token is not a session: it is refused with
    ``NOT_A_SESSION`` and stays valid (an administrator revokes it)."""
    digest = token_hash(token)
    async with db.write() as conn:
        kind = (await conn.execute(select(auth_token.c.kind).where(auth_token.c.token_hash == digest))).scalar()
        if kind != "session":
            raise AuthError("NOT_A_SESSION", None)
        await conn.execute(
            update(auth_token)
            .where(auth_token.c.token_hash == digest, auth_token.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await announce_credentials_changed(conn, reason="logout")
        await write_audit(conn, actor_of(principal), "auth.logout", actor_of(principal))
    forget_tokens()


async def do_create_api_token(
    db: Database, *, name: str, role_code: str, principal: Principal | None = None
) -> tuple[int, str]:
    """An API token for a device or an integration, scoped to one role; the token is returned once."""
    scope.require(principal, "user.admin", AuthError)
    return await _issue_token(db, name, role_code, principal)


DEVICE_ROLE = "scan_device"


async def do_create_device_token(db: Database, *, name: str, principal: Principal | None = None) -> tuple[int, str]:
    """A handheld's token (role ``scan_device``: it can scan and nothing else), issued by whoever may
    pair devices — a warehouse supervisor, not only an administrator. No other role can be asked
    for, so pairing never hands out more than scanning."""
    scope.require(principal, "device.pair", AuthError)
    return await _issue_token(db, name, DEVICE_ROLE, principal)


async def _issue_token(db: Database, name: str, role_code: str, principal: Principal | None) -> tuple[int, str]:
    actor = actor_of(principal)
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise AuthError("INVALID_VALUE", "name", detail="1–64 chars")
    await ensure_builtin_roles(db)
    token = _new_token()
    async with db.write() as conn:
        (role_id,) = await _role_ids(conn, [role_code])
        token_id = (
            await conn.execute(
                auth_token.insert()
                .values(kind="api", name=name, token_hash=token_hash(token), role_id=role_id, created_at=utcnow())
                .returning(auth_token.c.id)
            )
        ).scalar_one()
        await write_audit(conn, actor, "token.create", f"token:{token_id}", name=name, role=role_code)
    return token_id, token


async def do_revoke_token(db: Database, token_id: int, *, principal: Principal | None = None) -> None:
    """Revoke an API token (sessions end by logout, a new password or disabling the user)."""
    scope.require(principal, "user.admin", AuthError)
    actor = actor_of(principal)
    async with db.write() as conn:
        result = await conn.execute(
            update(auth_token)
            .where(
                auth_token.c.id == token_id,
                auth_token.c.kind == "api",
                auth_token.c.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        if result.rowcount == 0:
            raise AuthError("NOT_FOUND", "id", what="token")
        await announce_credentials_changed(conn, reason="token.revoke", token_id=token_id)
        await write_audit(conn, actor, "token.revoke", f"token:{token_id}")
    forget_tokens()


async def _permissions(conn: AsyncConnection, role_ids: list[int]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The permissions granted by these roles, and the roles' codes."""
    if not role_ids:
        return frozenset(), ()
    perms: set[str] = set()
    codes = []
    for r in await conn.execute(select(role.c.id, role.c.code, role.c.builtin).where(role.c.id.in_(role_ids))):
        codes.append(r.code)
        if r.builtin and r.code in BUILTIN_ROLES:
            perms |= BUILTIN_ROLES[r.code][2]
    rows = await conn.execute(select(role_permission.c.permission).where(role_permission.c.role_id.in_(role_ids)))
    perms |= {p for (p,) in rows if p in PERMISSIONS}
    return frozenset(perms), tuple(sorted(codes))


_cache: dict[str, tuple[float, Principal, float | None]] = {}  # digest: (fresh until, principal, expires)
CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000
_generation = 0  # how often cached principals were dropped in this process (``forget_tokens``)
_in_flight: dict[tuple[str, int], asyncio.Task] = {}


_forget_listeners: list[Callable[[], None]] = []


def on_tokens_forgotten(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` whenever cached principals are dropped (open subscriptions re-check then);
    returns the function that unregisters it."""
    _forget_listeners.append(callback)
    return lambda: _forget_listeners.remove(callback) if callback in _forget_listeners else None


def forget_tokens() -> None:
    """Drop cached principals: after a revocation, logout or role change here, or when another
    process announced one (``announce_credentials_changed``); open subscriptions re-check at once."""
    global _generation
    _generation += 1
    _cache.clear()
    _in_flight.clear()
    for callback in list(_forget_listeners):
        callback()


@dataclass(frozen=True)
class Verified:
    """A principal as verified at one moment, for a long-lived caller (a subscription) that must not
    read the database for every event it delivers.

    It stays good while no credentials changed anywhere since (every revocation, logout, disabled
    user or new password runs ``forget_tokens`` in the process that made it, and in every other
    process through the journal watch, ``server/auth/revocation.py``), while the token has not
    expired, and for at most ``trust_seconds``, a safety net for a change nobody announced.
    """

    principal: Principal
    generation: int
    expires: float | None  # time.monotonic() at which the token expires; None: it does not
    checked: float

    def still_good(self, trust_seconds: float) -> bool:
        now = time.monotonic()
        return (
            self.generation == _generation
            and (self.expires is None or now < self.expires)
            and now - self.checked < trust_seconds
        )


async def verify(db: Database, token: str | None) -> Verified | None:
    """``authenticate`` with what it takes to keep trusting the answer (see ``Verified``)."""
    if not token:
        return None
    generation = _generation  # before any await: a change from now on makes the answer stale
    found = await _cached_or_read(db, token)
    if found is None:
        return None
    principal, expires = found
    return Verified(principal, generation, expires, time.monotonic())


async def authenticate(db: Database, token: str | None) -> Principal | None:
    """The principal behind a bearer token, or ``None`` if it is unknown, expired or revoked.

    Principals are cached per process for ``CACHE_SECONDS`` (three queries less per request); a
    revocation here takes effect at once, one made through another process within that time.
    Concurrent sign-ins with one token (many subscriptions re-checking after a revocation) share
    one read.
    """
    if not token:
        return None
    found = await _cached_or_read(db, token)
    return None if found is None else found[0]


async def _cached_or_read(db: Database, token: str) -> tuple[Principal, float | None] | None:
    digest = token_hash(token)
    cached = _cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    key = (digest, _generation)
    task = _in_flight.get(key)
    if task is None:
        task = asyncio.ensure_future(_read_and_cache(db, token, digest, _generation))
        _in_flight[key] = task
        task.add_done_callback(lambda _t: _in_flight.pop(key, None) if _in_flight.get(key) is _t else None)
    return await asyncio.shield(task)


async def _read_and_cache(
    db: Database, token: str, digest: str, generation: int
) -> tuple[Principal, float | None] | None:
    found = await _authenticate(db, token)
    if found is None:
        return None
    principal, expires_at = found
    now = time.monotonic()
    ttl = CACHE_SECONDS
    expires = None
    if expires_at is not None:  # a cached session never outlives its expiry
        until_expiry = (expires_at - utcnow()).total_seconds()
        ttl = min(ttl, until_expiry)
        expires = now + until_expiry
    if generation == _generation:  # credentials changed meanwhile: the answer may be stale, keep it out
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[digest] = (now + ttl, principal, expires)
    return principal, expires


async def _authenticate(db: Database, token: str) -> tuple[Principal, datetime | None] | None:
    now = utcnow()
    async with db.read() as conn:
        t = (await conn.execute(select(auth_token).where(auth_token.c.token_hash == token_hash(token)))).first()
        if t is None or t.revoked_at is not None or (t.expires_at is not None and t.expires_at <= now):
            return None
        if t.kind == "session":
            user = (await conn.execute(select(app_user).where(app_user.c.id == t.user_id))).first()
            if user is None or not user.active:
                return None
            role_ids = [
                r for (r,) in await conn.execute(select(user_role.c.role_id).where(user_role.c.user_id == user.id))
            ]
            warehouses = frozenset(
                w
                for (w,) in await conn.execute(
                    select(user_warehouse.c.warehouse_id).where(user_warehouse.c.user_id == user.id)
                )
            )
            perms, codes = await _permissions(conn, role_ids)
            principal = Principal("user", user.username, user.id, t.id, perms, warehouses or None, codes)
        else:
            perms, codes = await _permissions(conn, [t.role_id])
            principal = Principal("token", t.name, None, t.id, perms, None, codes)
    if t.last_used_at is None or now - t.last_used_at > LAST_USED_RESOLUTION:
        async with db.write() as conn:
            await conn.execute(update(auth_token).where(auth_token.c.id == t.id).values(last_used_at=now))
    return principal, t.expires_at


def _role_values(name: str, name_en: str, permissions: list[str]) -> list[str]:
    """A role's names and permissions checked (``INVALID_VALUE``); the permissions sorted, once each."""
    if len(name or "") > 64 or len(name_en or "") > 64:
        raise AuthError("INVALID_VALUE", "name", detail="≤ 64 chars")
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise AuthError("INVALID_VALUE", "permissions", detail=", ".join(unknown))
    return sorted(set(permissions))


async def do_create_role(
    db: Database, *, code: str, name: str, permissions: list[str], name_en: str = "", principal: Principal | None = None
) -> int:
    """A custom role bundling any of the permission codes."""
    scope.require(principal, "user.admin", AuthError)
    actor = actor_of(principal)
    code = (code or "").strip()
    if not code or len(code) > 32 or any(ch.isspace() for ch in code):
        raise AuthError("INVALID_VALUE", "code", detail="1–32 chars, no spaces")
    permissions = _role_values(name, name_en, permissions)
    await ensure_builtin_roles(db)
    async with db.write() as conn:
        if (await conn.execute(select(role.c.id).where(role.c.code == code))).first():
            raise AuthError("DUPLICATE_CODE", "code", code=code)
        role_id = (
            await conn.execute(
                role.insert().values(code=code, name=name or code, name_en=name_en, builtin=False).returning(role.c.id)
            )
        ).scalar_one()
        if permissions:
            await conn.execute(role_permission.insert(), [{"role_id": role_id, "permission": p} for p in permissions])
        await write_audit(conn, actor, "role.create", f"role:{code}", permissions=permissions)
    return role_id


async def _custom_role(conn: AsyncConnection, code: str):
    """The custom role ``code``, locked; ``NOT_FOUND`` or ``BUILTIN_ROLE`` otherwise."""
    row = (await conn.execute(select(role).where(role.c.code == (code or "").strip()).with_for_update())).first()
    if row is None:
        raise AuthError("NOT_FOUND", "code", what="role")
    if row.builtin:
        raise AuthError("BUILTIN_ROLE", "code", code=row.code)
    return row


async def do_update_role(
    db: Database,
    *,
    code: str,
    name: str,
    permissions: list[str],
    name_en: str = "",
    principal: Principal | None = None,
) -> None:
    """Rename a custom role and replace its permissions. Everyone holding it — signed-in users, open
    sockets, API tokens, in every process — works with the new permissions from the next operation on
    (``announce_credentials_changed``). Built-in roles are fixed (``BUILTIN_ROLE``)."""
    scope.require(principal, "user.admin", AuthError)
    permissions = _role_values(name, name_en, permissions)
    async with db.write() as conn:
        row = await _custom_role(conn, code)
        before = sorted(
            (
                await conn.execute(select(role_permission.c.permission).where(role_permission.c.role_id == row.id))
            ).scalars()
        )
        await conn.execute(update(role).where(role.c.id == row.id).values(name=name or row.code, name_en=name_en))
        await conn.execute(role_permission.delete().where(role_permission.c.role_id == row.id))
        if permissions:
            await conn.execute(role_permission.insert(), [{"role_id": row.id, "permission": p} for p in permissions])
        await announce_credentials_changed(conn, reason="role.update")
        await write_audit(
            conn, actor_of(principal), "role.update", f"role:{row.code}", before=before, permissions=permissions
        )
    forget_tokens()


async def do_delete_role(db: Database, code: str, principal: Principal | None = None) -> None:
    """Delete a custom role nobody holds: no user and no live API token (``ROLE_IN_USE`` says how many
    do). The revoked and expired tokens of the role go with it (dead credentials; the audit log keeps
    their story)."""
    scope.require(principal, "user.admin", AuthError)
    async with db.write() as conn:
        row = await _custom_role(conn, code)
        users = (await conn.execute(select(func.count()).where(user_role.c.role_id == row.id))).scalar_one()
        live = auth_token.c.revoked_at.is_(None) & (
            auth_token.c.expires_at.is_(None) | (auth_token.c.expires_at > utcnow())
        )
        tokens = (await conn.execute(select(func.count()).where(auth_token.c.role_id == row.id, live))).scalar_one()
        if users or tokens:
            raise AuthError("ROLE_IN_USE", "code", code=row.code, users=users, tokens=tokens)
        await conn.execute(auth_token.delete().where(auth_token.c.role_id == row.id))  # revoked or expired
        await conn.execute(role_permission.delete().where(role_permission.c.role_id == row.id))
        await conn.execute(role.delete().where(role.c.id == row.id))
        await write_audit(conn, actor_of(principal), "role.delete", f"role:{row.code}")


async def list_roles(db: Database) -> list[dict]:
    await ensure_builtin_roles(db)
    async with db.read() as conn:
        roles = (await conn.execute(select(role).order_by(role.c.builtin.desc(), role.c.code))).all()
        extra = (await conn.execute(select(role_permission))).all()
    custom: dict[int, set[str]] = {}
    for r in extra:
        custom.setdefault(r.role_id, set()).add(r.permission)
    return [
        {
            "code": r.code,
            "name": r.name,
            "name_en": r.name_en,
            "builtin": r.builtin,
            "permissions": sorted(
                BUILTIN_ROLES[r.code][2] if r.builtin and r.code in BUILTIN_ROLES else custom.get(r.id, set())
            ),
        }
        for r in roles
    ]


async def ensure_admin(db: Database, password: str | None) -> str | None:
    """First run: create ``admin`` (role admin) when there is no user at all. Returns the password
    when it was generated here (to be printed once), else ``None``."""
    async with db.read() as conn:
        if (await conn.execute(select(func.count()).select_from(app_user))).scalar_one():
            return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    with audited("system:first-run", "user.create"):
        await do_create_user(
            db, username="admin", password=password, display_name="管理员 Administrator", roles=["admin"]
        )
    return generated


async def list_users(db: Database) -> list[dict]:
    async with db.read() as conn:
        users = (await conn.execute(select(app_user).order_by(app_user.c.username))).all()
        links = (
            await conn.execute(select(user_role.c.user_id, role.c.code).join(role, role.c.id == user_role.c.role_id))
        ).all()
    roles_of: dict[int, list[str]] = {}
    for user_id, code in links:
        roles_of.setdefault(user_id, []).append(code)
    return [
        {
            "username": u.username,
            "display_name": u.display_name,
            "active": u.active,
            "roles": sorted(roles_of.get(u.id, [])),
        }
        for u in users
    ]


async def list_tokens(db: Database) -> list[dict]:
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    auth_token.c.id,
                    auth_token.c.name,
                    auth_token.c.created_at,
                    auth_token.c.revoked_at,
                    auth_token.c.last_used_at,
                    role.c.code,
                )
                .join(role, role.c.id == auth_token.c.role_id)
                .where(auth_token.c.kind == "api")
                .order_by(auth_token.c.id)
            )
        ).all()
    return [dict(r._mapping) for r in rows]
