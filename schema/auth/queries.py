"""Auth queries: who is calling, the audit log, and (``user.admin``) users and roles."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.inputs import AuditFilter
from schema.auth.permissions import caller_can, needs
from schema.auth.types import ApiToken, AuditEntry, Me, Permission, Role, User
from schema.relay import Connection, paginate
from server.auth import scope
from server.auth import services as auth
from server.auth.models import app_user, auth_token, role
from server.auth.permissions import PERMISSIONS
from server.core.audit import audit_log


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The audit log, newest first.", extensions=needs("audit.view"))
    async def audit_log(
        self, info: Info, filter: AuditFilter | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEntry]:
        q = select(audit_log)
        f = filter or AuditFilter()
        for column, value in (
            (audit_log.c.actor, f.actor),
            (audit_log.c.operation, f.operation),
            (audit_log.c.target, f.target),
        ):
            if value:
                q = q.where(column == value)
        costs = caller_can(info, scope.COST_VIEW)
        return await paginate(
            info,
            q.order_by(audit_log.c.id.desc()),
            lambda r: AuditEntry.from_row(r, costs=costs),
            first=first,
            after=after,
            keyset=(audit_log.c.id, True),
        )

    @strawberry.field(description="Who is calling, with the permissions in force.", extensions=needs(None))
    def me(self, info: Info) -> Me:
        p = info.context.principal
        return Me(kind=p.kind, name=p.name, roles=list(p.roles), permissions=sorted(p.permissions))


@strawberry.type
class AdminQuery:
    @strawberry.field(extensions=needs("user.admin"))
    async def users(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[User]:
        return await paginate(
            info, select(app_user).order_by(app_user.c.username), User.from_row, first=first, after=after
        )

    @strawberry.field(extensions=needs("user.admin"))
    async def roles(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Role]:
        await auth.ensure_builtin_roles(info.context.db)
        return await paginate(info, select(role).order_by(role.c.code), Role.from_row, first=first, after=after)

    @strawberry.field(
        description="Every permission code a role can hold, with its names.", extensions=needs("user.admin")
    )
    def permission_codes(self) -> list[Permission]:
        return [Permission(code=code, name=zh, name_en=en) for code, (zh, en) in PERMISSIONS.items()]

    @strawberry.field(
        description="API and device tokens, newest first (revoked ones too unless active: true).",
        extensions=needs("user.admin"),
    )
    async def api_tokens(
        self, info: Info, active: bool | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[ApiToken]:
        q = (
            select(auth_token, role.c.code.label("role_code"))
            .join(role, role.c.id == auth_token.c.role_id)
            .where(auth_token.c.kind == "api")
        )
        if active:
            q = q.where(auth_token.c.revoked_at.is_(None))
        return await paginate(
            info,
            q.order_by(auth_token.c.id.desc()),
            lambda r: ApiToken.from_row(r, auth.DEVICE_ROLE),
            first=first,
            after=after,
            keyset=(auth_token.c.id, True),
        )
