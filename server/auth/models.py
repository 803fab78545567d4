"""Access-control tables: users, roles, their permissions, warehouse restrictions, tokens (the audit log: server/core/audit.py)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
)

from server.core.db_types import IdType, UtcDateTime, metadata

app_user = Table(
    "app_user",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False, server_default=""),
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
)

# Failed sign-ins per account *and client address*: a lock keeps that address out of that account
# only, so nobody can lock a user out from elsewhere (addresses are also throttled, see throttle.py).
sign_in_lock = Table(
    "sign_in_lock",
    metadata,
    Column("user_id", IdType, ForeignKey("app_user.id"), primary_key=True),
    Column("client", String(64), primary_key=True),  # '' when unknown (in-process callers)
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
)

role = Table(
    "role",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("name_en", String(64), nullable=False, server_default=""),
    # built-in roles take their permissions from server.auth.permissions; custom ones from role_permission
    Column("builtin", Boolean, nullable=False, server_default="0"),
)

role_permission = Table(
    "role_permission",
    metadata,
    Column("role_id", IdType, ForeignKey("role.id"), primary_key=True),
    Column("permission", String(64), primary_key=True),
)

user_role = Table(
    "user_role",
    metadata,
    Column("user_id", IdType, ForeignKey("app_user.id"), primary_key=True),
    Column("role_id", IdType, ForeignKey("role.id"), primary_key=True),
)

# no rows: the user may work in every warehouse; rows: only in these
user_warehouse = Table(
    "user_warehouse",
    metadata,
    Column("user_id", IdType, ForeignKey("app_user.id"), primary_key=True),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), primary_key=True),
)

auth_token = Table(
    "auth_token",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(64), nullable=False, server_default=""),
    # SHA-256 of the token; the token itself is shown once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", IdType, ForeignKey("app_user.id"), nullable=True, index=True),
    Column("role_id", IdType, ForeignKey("role.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    CheckConstraint("kind IN ('session', 'api')", name="kind"),
    CheckConstraint("user_id IS NOT NULL OR role_id IS NOT NULL", name="owner"),
)
