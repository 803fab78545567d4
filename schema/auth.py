"""Permission declarations for GraphQL fields, and the sign-in mutations.

Every root field declares what it needs with ``needs("code")`` (``needs(None)``: any signed-in
caller). A denial is a GraphQL error with ``extensions.code = PERMISSION_DENIED`` and a bilingual
message; the field's resolver never runs, so nothing changes.
"""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from schema.errors import AuthError, run_action
from schema.relay import Connection, decode_id, paginate
from server.auth import scope
from server.auth.models import app_user, audit_log, role
from server.auth.permissions import BUILTIN_ROLES
from server.auth import services as auth
from server.auth.permissions import PERMISSIONS
from server.errors import ApiError
from server.auth.errors import AuthErrorCode


class Requires(BasePermission):
    """Any one of ``permissions`` (none given: any signed-in caller)."""

    def __init__(self, *permissions: str):
        self.permissions = permissions

    @property
    def permission(self) -> str | None:
        return " | ".join(self.permissions) or None

    def has_permission(self, source, info: Info, **kwargs) -> bool:
        if not self.permissions:
            return caller_can(info, None)
        return any(caller_can(info, p) for p in self.permissions)

    def on_unauthorized(self) -> None:
        raise ApiError("PERMISSION_DENIED", permission=self.permission or "sign-in / 登录")


class CheckPrincipalPerOperation(SchemaExtension):
    """Every operation is authenticated, not just the connection.

    Over HTTP the context (and its principal) is built per request. A WebSocket authenticates once, in
    ``connection_init``; queries, mutations and subscriptions sent over it later would otherwise run
    on that first principal after its token was revoked, its session ended or its user disabled.
    So each operation on a socket looks its token up again (cached for seconds, and the cache is
    dropped in every process when credentials change, see ``server/auth/revocation.py``). A dead
    token leaves the principal empty: every field then answers ``PERMISSION_DENIED``.
    """

    async def on_operation(self):
        context = self.execution_context.context
        if getattr(context, "over_websocket", False) and context.token:
            context.principal = await auth.authenticate(context.db, context.token)
        yield


def caller_can(info: Info, permission: str | None) -> bool:
    """Whether the signed-in caller holds ``permission`` (``None``: any signed-in caller). An anonymous
    caller holds nothing. Decided by server/auth/scope.py."""
    principal = info.context.principal
    return principal is not None and (permission is None or scope.can(principal, permission))


def caller_warehouses(info: Info) -> frozenset[int] | None:
    """The warehouses the caller is limited to (``None``: all), for list filters and predicates."""
    return scope.warehouses(info.context.principal)


def needs(permission: str | None, *alternatives: str) -> list:
    """The field needs ``permission`` (or any of ``alternatives``); ``needs(None)``: any signed-in caller."""
    wanted = tuple(p for p in (permission, *alternatives) if p is not None)
    unknown = [p for p in wanted if p not in PERMISSIONS]
    if unknown:
        raise ValueError(f"unknown permission {unknown}")
    return [PermissionExtension(permissions=[Requires(*wanted)], use_directives=False)]


# amounts owed to or paid to suppliers reveal purchase costs: cost.view, or the books (finance.view)
PAYABLE_AMOUNTS = ("cost.view", "finance.view")


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
    roles: list[str]
    permissions: list[str]


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`; shown once.")
    expires_at: datetime | None
    errors: list[AuthError]


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[AuthError]


@strawberry.type(description="An immutable audit entry: who changed what, when.")
class AuditEntry:
    at: datetime
    actor: str
    operation: str
    target: str
    details: str = strawberry.field(description="JSON: before/after of the changed fields.")

    @classmethod
    def from_row(cls, r, *, costs: bool = True) -> AuditEntry:
        return cls(at=r.at, actor=r.actor, operation=r.operation, target=r.target,
                   details=r.details if costs else _without_costs(r.details))


COST_FIELDS = {"purchase_price_fen", "value_fen"}


def _without_costs(details: str) -> str:
    """Audit details for a reader without ``cost.view``: cost fields are left out."""
    data = json.loads(details)
    for side in ("before", "after"):
        if isinstance(data.get(side), dict):
            data[side] = {k: v for k, v in data[side].items() if k not in COST_FIELDS}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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
        costs = caller_can(info, scope.COST_VIEW)
        return await paginate(info, q.order_by(audit_log.c.id.desc()), lambda r: AuditEntry.from_row(r, costs=costs),
                              first=first, after=after, keyset=(audit_log.c.id, True))

    @strawberry.field(description="Who is calling, with the permissions in force.", extensions=needs(None))
    def me(self, info: Info) -> Me:
        p = info.context.principal
        return Me(kind=p.kind, name=p.name, roles=list(p.roles), permissions=sorted(p.permissions))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in with username and password; returns a session token.")
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        result, errors = await run_action(info, AuthErrorCode, lambda: auth.do_login(
            info.context.db, username, password, client=info.context.client_address))
        if errors:
            return LoginPayload(token=None, expires_at=None, errors=errors)
        token, expires = result
        return LoginPayload(token=token, expires_at=expires, errors=[])

    @strawberry.mutation(description="End this session. An API token cannot log out (`NOT_A_SESSION`): an "
                                     "administrator revokes it.", extensions=needs(None))
    async def logout(self, info: Info) -> LogoutPayload:
        _, errors = await run_action(info, AuthErrorCode, lambda: auth.do_logout(
            info.context.db, info.context.token or "", principal=info.context.principal))
        return LogoutPayload(ok=not errors, errors=errors)


# ---- administration of users, roles and tokens (user.admin) -------------------------------------


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
        return [r.permission for r in await info.context.loaders.role_permissions.load(self._pk)]

    @classmethod
    def from_row(cls, r) -> Role:
        return cls(code=r.code, name=r.name, name_en=r.name_en, builtin=r.builtin, _pk=r.id)


@strawberry.type(description="A user account.")
class User:
    username: str
    display_name: str
    active: bool
    _pk: strawberry.Private[int]

    @strawberry.field
    async def roles(self, info: Info) -> list[str]:
        return await info.context.loaders.roles_by_user.load(self._pk)

    @classmethod
    def from_row(cls, r) -> User:
        return cls(username=r.username, display_name=r.display_name, active=r.active, _pk=r.id)


@strawberry.type
class AdminQuery:
    @strawberry.field(extensions=needs("user.admin"))
    async def users(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[User]:
        return await paginate(info, select(app_user).order_by(app_user.c.username), User.from_row, first=first,
                              after=after)

    @strawberry.field(extensions=needs("user.admin"))
    async def roles(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Role]:
        await auth.ensure_builtin_roles(info.context.db)
        return await paginate(info, select(role).order_by(role.c.code), Role.from_row, first=first, after=after)


@strawberry.input
class CreateUserInput:
    username: str
    password: str
    display_name: str = ""
    roles: list[str] = strawberry.field(default_factory=list)
    warehouse_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Restrict the user to these warehouses (empty: all).")


@strawberry.type
class AdminPayload:
    ok: bool
    errors: list[AuthError]


@strawberry.type
class TokenPayload:
    id: int | None
    token: str | None = strawberry.field(description="Shown once; store it in the device or integration.")
    errors: list[AuthError]


async def _admin(info: Info, action) -> AdminPayload:
    _, errors = await run_action(info, AuthErrorCode, action)
    return AdminPayload(ok=not errors, errors=errors)


@strawberry.type
class AdminMutation:
    @strawberry.mutation(extensions=needs("user.admin"))
    async def create_user(self, info: Info, input: CreateUserInput) -> AdminPayload:
        warehouses = [decode_id(w, "Warehouse") or 0 for w in input.warehouse_ids]
        return await _admin(info, lambda: auth.do_create_user(
            info.context.db, username=input.username, password=input.password, display_name=input.display_name,
            roles=input.roles, warehouse_ids=warehouses, principal=info.context.principal))

    @strawberry.mutation(extensions=needs("user.admin"))
    async def set_user_active(self, info: Info, username: str, active: bool) -> AdminPayload:
        return await _admin(info, lambda: auth.do_set_user_active(info.context.db, username, active,
                                                                  principal=info.context.principal))

    @strawberry.mutation(extensions=needs("user.admin"))
    async def set_user_password(self, info: Info, username: str, password: str) -> AdminPayload:
        return await _admin(info, lambda: auth.do_set_password(info.context.db, username, password,
                                                               principal=info.context.principal))

    @strawberry.mutation(description="A custom role bundling permission codes.", extensions=needs("user.admin"))
    async def create_role(self, info: Info, code: str, name: str, permissions: list[str],
                          name_en: str = "") -> AdminPayload:
        return await _admin(info, lambda: auth.do_create_role(info.context.db, code=code, name=name, name_en=name_en,
                                                              permissions=permissions, principal=info.context.principal))

    @strawberry.mutation(description="A token for a device or an integration, scoped to a role.",
                         extensions=needs("user.admin"))
    async def create_api_token(self, info: Info, name: str, role: str) -> TokenPayload:
        result, errors = await run_action(info, AuthErrorCode, lambda: auth.do_create_api_token(
            info.context.db, name=name, role_code=role, principal=info.context.principal))
        if errors:
            return TokenPayload(id=None, token=None, errors=errors)
        return TokenPayload(id=result[0], token=result[1], errors=[])

    @strawberry.mutation(extensions=needs("user.admin"))
    async def revoke_api_token(self, info: Info, id: int) -> AdminPayload:
        return await _admin(info, lambda: auth.do_revoke_token(info.context.db, id, principal=info.context.principal))
