"""Sign-in mutations, and the administration of users, roles and tokens (``user.admin``)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from schema.auth.inputs import CreateUserInput
from schema.auth.permissions import needs
from schema.errors import AuthError, run_action
from schema.relay import decode_id
from server.auth import services as auth
from server.auth.errors import AuthErrorCode


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(description="Send as `Authorization: Bearer <token>`; shown once.")
    expires_at: datetime | None
    errors: list[AuthError]


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[AuthError]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Sign in with username and password; returns a session token.")
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        result, errors = await run_action(
            info,
            AuthErrorCode,
            lambda: auth.do_login(info.context.db, username, password, client=info.context.client_address),
        )
        if errors:
            return LoginPayload(token=None, expires_at=None, errors=errors)
        token, expires = result
        return LoginPayload(token=token, expires_at=expires, errors=[])

    @strawberry.mutation(
        description="End this session. An API token cannot log out (`NOT_A_SESSION`): an administrator revokes it.",
        extensions=needs(None),
    )
    async def logout(self, info: Info) -> LogoutPayload:
        _, errors = await run_action(
            info,
            AuthErrorCode,
            lambda: auth.do_logout(info.context.db, info.context.token or "", principal=info.context.principal),
        )
        return LogoutPayload(ok=not errors, errors=errors)


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
        return await _admin(
            info,
            lambda: auth.do_create_user(
                info.context.db,
                username=input.username,
                password=input.password,
                display_name=input.display_name,
                roles=input.roles,
                warehouse_ids=warehouses,
                principal=info.context.principal,
            ),
        )

    @strawberry.mutation(extensions=needs("user.admin"))
    async def set_user_active(self, info: Info, username: str, active: bool) -> AdminPayload:
        return await _admin(
            info, lambda: auth.do_set_user_active(info.context.db, username, active, principal=info.context.principal)
        )

    @strawberry.mutation(extensions=needs("user.admin"))
    async def set_user_password(self, info: Info, username: str, password: str) -> AdminPayload:
        return await _admin(
            info, lambda: auth.do_set_password(info.context.db, username, password, principal=info.context.principal)
        )

    @strawberry.mutation(description="A custom role bundling permission codes.", extensions=needs("user.admin"))
    async def create_role(
        self, info: Info, code: str, name: str, permissions: list[str], name_en: str = ""
    ) -> AdminPayload:
        return await _admin(
            info,
            lambda: auth.do_create_role(
                info.context.db,
                code=code,
                name=name,
                name_en=name_en,
                permissions=permissions,
                principal=info.context.principal,
            ),
        )

    @strawberry.mutation(
        description="Rename a custom role and replace its permissions; whoever holds it has the new ones from "
        "their next operation on. Built-in roles are fixed (BUILTIN_ROLE).",
        extensions=needs("user.admin"),
    )
    async def update_role(
        self, info: Info, code: str, name: str, permissions: list[str], name_en: str = ""
    ) -> AdminPayload:
        return await _admin(
            info,
            lambda: auth.do_update_role(
                info.context.db,
                code=code,
                name=name,
                name_en=name_en,
                permissions=permissions,
                principal=info.context.principal,
            ),
        )

    @strawberry.mutation(
        description="Delete a custom role no user and no active API token holds (ROLE_IN_USE says how many do).",
        extensions=needs("user.admin"),
    )
    async def delete_role(self, info: Info, code: str) -> AdminPayload:
        return await _admin(info, lambda: auth.do_delete_role(info.context.db, code, principal=info.context.principal))

    @strawberry.mutation(
        description="A token for a device or an integration, scoped to a role.", extensions=needs("user.admin")
    )
    async def create_api_token(self, info: Info, name: str, role: str) -> TokenPayload:
        result, errors = await run_action(
            info,
            AuthErrorCode,
            lambda: auth.do_create_api_token(
                info.context.db, name=name, role_code=role, principal=info.context.principal
            ),
        )
        if errors:
            return TokenPayload(id=None, token=None, errors=errors)
        return TokenPayload(id=result[0], token=result[1], errors=[])

    @strawberry.mutation(
        description="A handheld's token for /scan (role scan_device: scanning and nothing else), made by a "
        "supervisor who pairs the device; shown once.",
        extensions=needs("device.pair"),
    )
    async def create_device_token(self, info: Info, name: str) -> TokenPayload:
        result, errors = await run_action(
            info,
            AuthErrorCode,
            lambda: auth.do_create_device_token(info.context.db, name=name, principal=info.context.principal),
        )
        if errors:
            return TokenPayload(id=None, token=None, errors=errors)
        return TokenPayload(id=result[0], token=result[1], errors=[])

    @strawberry.mutation(extensions=needs("user.admin"))
    async def revoke_api_token(self, info: Info, id: int) -> AdminPayload:
        return await _admin(info, lambda: auth.do_revoke_token(info.context.db, id, principal=info.context.principal))
