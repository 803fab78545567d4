"""Auth GraphQL types: the caller, the audit log, users and roles."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from strawberry.types import Info

from server.auth.permissions import BUILTIN_ROLES
from server.core import clock


@strawberry.type(description="The signed-in user or API token.")
class Me:
    kind: str
    name: str
    roles: list[str]
    permissions: list[str]


@strawberry.type(description="An immutable audit entry: who changed what, when.")
class AuditEntry:
    at: datetime
    actor: str
    operation: str
    target: str
    details: str = strawberry.field(description="JSON: before/after of the changed fields.")

    @classmethod
    def from_row(cls, r, *, costs: bool = True) -> AuditEntry:
        return cls(
            at=r.at,
            actor=r.actor,
            operation=r.operation,
            target=r.target,
            details=r.details if costs else _without_costs(r.details),
        )


COST_FIELDS = {"purchase_price_fen", "value_fen"}


def _without_costs(details: str) -> str:
    """Audit details for a reader without ``cost.view``: cost fields are left out."""
    data = json.loads(details)
    for side in ("before", "after"):
        if isinstance(data.get(side), dict):
            data[side] = {k: v for k, v in data[side].items() if k not in COST_FIELDS}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@strawberry.type(description="A role: built-in or custom, with its permission codes.")
class Role:
    code: str
    name: str
    name_en: str
    builtin: bool
    _pk: strawberry.Private[int]

    @strawberry.field
    async def permissions(self, info: Info) -> list[str]:
        if self.builtin and self.code in BUILTIN_ROLES:
            return sorted(BUILTIN_ROLES[self.code][2])
        return [r.permission for r in await info.context.loaders.auth.role_permissions.load(self._pk)]

    @classmethod
    def from_row(cls, r) -> Role:
        return cls(code=r.code, name=r.name, name_en=r.name_en, builtin=r.builtin, _pk=r.id)


@strawberry.type(description="A permission code with what it allows, in Chinese and English.")
class Permission:
    code: str
    name: str
    name_en: str


@strawberry.type(description="An API or device token (the secret itself is shown once, when issued, and never stored).")
class ApiToken:
    token_id: int = strawberry.field(description="What revokeApiToken takes.")
    name: str
    role: str = strawberry.field(description="The role code the token acts as.")
    device: bool = strawberry.field(description="A handheld's token (role scan_device: it can scan and nothing else).")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @strawberry.field(description="Not revoked and not expired.")
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > clock.utcnow())

    @classmethod
    def from_row(cls, r, device_role: str) -> ApiToken:
        return cls(
            token_id=r.id,
            name=r.name,
            role=r.role_code,
            device=r.role_code == device_role,
            created_at=r.created_at,
            expires_at=r.expires_at,
            last_used_at=r.last_used_at,
            revoked_at=r.revoked_at,
        )


@strawberry.type(description="A user account.")
class User:
    username: str
    display_name: str
    active: bool
    _pk: strawberry.Private[int]

    @strawberry.field
    async def roles(self, info: Info) -> list[str]:
        return await info.context.loaders.auth.roles_by_user.load(self._pk)

    @classmethod
    def from_row(cls, r) -> User:
        return cls(username=r.username, display_name=r.display_name, active=r.active, _pk=r.id)
