"""Permission declarations for GraphQL fields, and the per-operation sign-in check.

Every root field declares what it needs with ``needs("code")`` (``needs(None)``: any signed-in
caller). A denial is a GraphQL error with ``extensions.code = PERMISSION_DENIED`` and a bilingual
message; the field's resolver never runs, so nothing changes. ``caller_can`` and ``caller_warehouses``
answer the same questions inside resolvers (decided by ``server/auth/scope.py``).
"""

from __future__ import annotations

from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from server.auth import scope
from server.auth import services as auth
from server.auth.permissions import PERMISSIONS
from server.core.errors import ApiError


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


def required_permission(field) -> str | bool | None:
    """The permission a schema field declares; ``False`` when it declares none (for the coverage test)."""
    for ext in getattr(field, "extensions", None) or ():
        if isinstance(ext, PermissionExtension):
            for perm in ext.permissions:
                if isinstance(perm, Requires):
                    return perm.permission
    return False
