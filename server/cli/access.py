"""``jxc user …``, ``jxc role …`` and ``jxc token …``: users, custom roles and API tokens."""

from __future__ import annotations

import asyncio
import sys

from server.cli.common import with_db

COMMANDS = ("user", "role", "token")


def add_parser(sub) -> None:
    users = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    for action in ("create", "passwd"):
        p = users.add_parser(action)
        p.add_argument("username")
        p.add_argument("--password", help="default: generate one and print it once")
        if action == "create":
            p.add_argument("--display-name", default="")
            p.add_argument("--role", action="append", help="role code, repeatable (admin, purchaser, …)")
            p.add_argument("--warehouse", action="append", help="restrict to this warehouse code, repeatable")
    users.add_parser("disable").add_argument("username")
    users.add_parser("list")
    roles = sub.add_parser("role", help="list roles, create custom ones").add_subparsers(dest="action", required=True)
    p = roles.add_parser("create")
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--permission", action="append", help="permission code, repeatable (e.g. stock.receive)")
    roles.add_parser("list")
    tokens = sub.add_parser("token", help="manage API tokens for devices and integrations").add_subparsers(
        dest="action", required=True
    )
    p = tokens.add_parser("create")
    p.add_argument("name")
    p.add_argument("--role", required=True, help="role code, e.g. scanner")
    tokens.add_parser("revoke").add_argument("id", type=int)
    tokens.add_parser("list")


def run(args, settings) -> int:
    if args.command == "user":
        return _users(args, settings)
    if args.command == "token":
        return _tokens(args, settings)
    if args.command == "role":
        return _roles(args, settings)
    return 2  # pragma: no cover


def _admin_command(settings, run) -> int:
    """Run an administrative action; a domain error is printed (in English) and exits 1."""
    from server.core.errors import DomainError

    try:
        return asyncio.run(with_db(settings, run))
    except DomainError as exc:
        print("; ".join(f"{d.field}: {d.message('en')}" for d in exc.details), file=sys.stderr)
        return 1


def _users(args, settings) -> int:
    import secrets

    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for u in await auth.list_users(db):
                print(
                    f"{u['username']:<20} {'active' if u['active'] else 'disabled':<9} {','.join(u['roles']):<30} "
                    f"{u['display_name']}"
                )
            return 0
        if args.action == "disable":
            await auth.do_set_user_active(db, args.username, False)
            print(f"disabled {args.username} / 已停用")
            return 0
        password = args.password or secrets.token_urlsafe(12)
        if args.action == "create":
            await auth.do_create_user(
                db,
                username=args.username,
                password=password,
                display_name=args.display_name,
                roles=args.role or [],
                warehouse_ids=await _warehouse_ids(db, args.warehouse or []),
            )
        else:
            await auth.do_set_password(db, args.username, password)
        if not args.password:
            print(f"password / 密码: {password}  (shown once / 只显示一次)")
        print(f"{args.action} {args.username}: OK")
        return 0

    return _admin_command(settings, run)


async def _warehouse_ids(db, codes: list[str]) -> list[int]:
    from sqlalchemy import select

    from server.auth.errors import AuthError
    from server.inventory.models import warehouse

    async with db.read() as conn:
        found = dict(
            (await conn.execute(select(warehouse.c.code, warehouse.c.id).where(warehouse.c.code.in_(codes)))).all()
        )
    missing = [c for c in codes if c not in found]
    if missing:
        raise AuthError("NOT_FOUND", "warehouse", what="warehouse")
    return [found[c] for c in codes]


def _roles(args, settings) -> int:
    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for r in await auth.list_roles(db):
                kind = "built-in" if r["builtin"] else "custom"
                print(f"{r['code']:<18} {r['name']:<8} {kind:<9} {' '.join(r['permissions'])}")
            return 0
        await auth.do_create_role(db, code=args.code, name=args.name, permissions=args.permission or [])
        print(f"created role {args.code} / 已创建角色")
        return 0

    return _admin_command(settings, run)


def _tokens(args, settings) -> int:
    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for t in await auth.list_tokens(db):
                state = "revoked" if t["revoked_at"] else "active"
                print(f"{t['id']:>5} {t['name']:<24} {t['code']:<18} {state:<8} last used {t['last_used_at'] or '-'}")
            return 0
        if args.action == "revoke":
            await auth.do_revoke_token(db, args.id)
            print(f"revoked token {args.id} / 已撤销")
            return 0
        token_id, token = await auth.do_create_api_token(db, name=args.name, role_code=args.role)
        print(f"token {token_id} ({args.name}, role {args.role}) / 令牌:\n{token}\n(shown once / 只显示一次)")
        return 0

    return _admin_command(settings, run)
