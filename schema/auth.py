"""Permission declarations for GraphQL fields, and the sign-in mutations.

Every root field declares what it needs with ``needs("code")`` (``needs(None)``: any signed-in
caller). A denial is a GraphQL error with ``extensions.code = PERMISSION_DENIED`` and a bilingual
message; the field's resolver never runs, so nothing changes.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from schema.errors import AuthError, run_action
from schema.relay import Connection, paginate
from server.auth.models import audit_log
from server.auth import services as auth
from server.auth.permissions import PERMISSIONS
from server.errors import ApiError, AuthErrorCode


class Requires(BasePermission):
    def __init__(self, permission: str | None):
        self.permission = permission

    def has_permission(self, source, info: Info, **kwargs) -> bool:
        principal = info.context.principal
        return principal is not None and (self.permission is None or principal.can(self.permission))

    def on_unauthorized(self) -> None:
        raise ApiError("PERMISSION_DENIED", permission=self.permission or "sign-in / 登录")


def needs(permission: str | None) -> list:
    if permission is not None and permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")
    return [PermissionExtension(permissions=[Requires(permission)], use_directives=False)]


def required_permission(field) -> str | None | bool:
    """The permission a schema field declares; ``False`` when it declares none (for the coverage test)."""
    for ext in getattr(field, "extensions", None) or ():
        if isinstance(ext, PermissionExtension):
            for perm in ext.permissions:
                if isinstance(perm, Requires):
                    return perm.permission
    return False


@strawberry.type(description="The signed-in user or API token.")
class Me:
    kind: str
    name: str
    permissions: list[str]


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`; shown once.")
    expires_at: datetime | None
    errors: list[AuthError]


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type(description="An immutable audit entry: who changed what, when.")
class AuditEntry:
    at: datetime
    actor: str
    operation: str
    target: str
    details: str = strawberry.field(description="JSON: before/after of the changed fields.")

    @classmethod
    def from_row(cls, r) -> AuditEntry:
        return cls(at=r.at, actor=r.actor, operation=r.operation, target=r.target, details=r.details)


@strawberry.input
class AuditFilter:
    actor: str | None = None
    operation: str | None = None
    target: str | None = None


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The audit log, newest first.", extensions=needs("audit.view"))
    async def audit_log(self, info: Info, filter: AuditFilter | None = None, first: int | None = None,
                        after: str | None = None) -> Connection[AuditEntry]:
        q = select(audit_log)
        f = filter or AuditFilter()
        for column, value in ((audit_log.c.actor, f.actor), (audit_log.c.operation, f.operation),
                              (audit_log.c.target, f.target)):
            if value:
                q = q.where(column == value)
        return await paginate(info, q.order_by(audit_log.c.id.desc()), AuditEntry.from_row, first=first,
                              after=after, keyset=(audit_log.c.id, True))

    @strawberry.field(description="Who is calling, with the permissions in force.", extensions=needs(None))
    def me(self, info: Info) -> Me:
        p = info.context.principal
        return Me(kind=p.kind, name=p.name, permissions=sorted(p.permissions))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in with username and password; returns a session token.")
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        result, errors = await run_action(info, AuthErrorCode, lambda: auth.do_login(info.context.db, username, password))
        if errors:
            return LoginPayload(token=None, expires_at=None, errors=errors)
        token, expires = result
        return LoginPayload(token=token, expires_at=expires, errors=[])

    @strawberry.mutation(description="End this session.", extensions=needs(None))
    async def logout(self, info: Info) -> LogoutPayload:
        if info.context.token and info.context.principal.kind == "user":
            await auth.do_logout(info.context.db, info.context.token)
        return LogoutPayload(ok=True)
