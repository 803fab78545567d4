"""``jxc migrate``, ``jxc demo-data`` and ``jxc check``: the schema, the demo company, the consistency check."""

from __future__ import annotations

import asyncio

from server.cli.common import with_db

COMMANDS = ("migrate", "demo-data", "check")


def add_parser(sub) -> None:
    migrate = sub.add_parser(
        "migrate", help="upgrade the database schema in place, after a backup (JXC_BACKUP_DIR) / 升级数据库结构"
    )
    migrate.add_argument("--no-backup", action="store_true", help="upgrade without taking a backup first")
    demo = sub.add_parser("demo-data", help="load the demo company once (no-op if present)")
    demo.add_argument(
        "--scale",
        choices=("normal", "large"),
        default="normal",
        help="large: ≥ 10,000 products, ≥ 1,000,000 stock moves, ≥ 200,000 sales lines (benchmarks)",
    )
    demo.add_argument("--products", type=int, default=10_000, help="with --scale large")
    sub.add_parser("check", help="verify that stock levels and values equal the ledger, and the books agree")


def run(args, settings) -> int:
    if args.command == "migrate":
        from server.maintenance.backup import BackupError

        try:
            _migrate(settings, backup_first=not args.no_backup)
        except BackupError as exc:
            print(f"error / 错误: {exc}\nnot upgraded; `jxc migrate --no-backup` upgrades without a backup / 未升级")
            return 1
        asyncio.run(with_db(settings, _first_run))
        return 0
    if args.command == "demo-data" and args.scale == "large":
        from server.core.database import Database
        from server.demo.large import load_large_demo

        async def large():
            db = Database(settings.database_url)
            try:
                return await load_large_demo(db, products=args.products)
            finally:
                await db.dispose()

        loaded = asyncio.run(large())
        print("large demo loaded / 已加载大数据演示" if loaded else "large demo already present / 已存在")
        return 0
    if args.command == "demo-data":
        loaded = asyncio.run(_demo(settings))
        print("demo data loaded / 已加载演示数据" if loaded else "demo data already present / 演示数据已存在")
        return 0
    if args.command == "check":
        problems = asyncio.run(_check(settings))
        for line in problems:
            print(line)
        print(f"{len(problems)} mismatch(es) / 处不一致" if problems else "ledger OK / 账实一致")
        return 1 if problems else 0
    return 2  # pragma: no cover


def _migrate(settings, *, backup_first: bool) -> None:
    """Upgrade to head. A database holding data at an older revision is backed up first (the
    migrations then run in one transaction on PostgreSQL: all of them or none)."""
    from server.cli.maintenance import default_backup_file, take_backup
    from server.maintenance.backup import current_revision, head_revision
    from server.migrate import upgrade

    before, head = asyncio.run(current_revision(settings.database_url)), head_revision()
    if before is not None and before != head and backup_first:
        take_backup(settings, default_backup_file(settings, f"before-{head}"))
    upgrade(settings.database_url)
    where = _safe_url(settings.database_url)
    if before == head:
        print(f"database is up to date / 数据库已是最新: {where} (schema {head})")
    elif before is None:
        print(f"database created / 已创建数据库: {where} (schema {head})")
    else:
        print(f"database upgraded / 数据库已升级: {where} (schema {before} → {head})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _first_run(db) -> None:
    import os

    from server.auth import services as auth

    await auth.ensure_builtin_roles(db)
    generated = await auth.ensure_admin(db, os.environ.get("JXC_ADMIN_PASSWORD"))
    if generated:
        print(f"created user admin with password / 已创建管理员 admin，密码: {generated}")
        print("  (shown once; change it with `jxc user passwd admin` / 只显示一次)")


async def _demo(settings) -> bool:
    from server.core.database import Database
    from server.demo.company import load_demo_data

    db = Database(settings.database_url)
    try:
        return await load_demo_data(db)
    finally:
        await db.dispose()


async def _check(settings) -> list[str]:
    from server.core.database import Database
    from server.finance.check import books_problems
    from server.finance.poster import post_pending
    from server.sales.check import verify_ledger

    db = Database(settings.database_url)
    try:
        await post_pending(db)  # the books are compared once every business event is booked
        async with db.read() as conn:
            return await verify_ledger(conn) + await books_problems(conn)
    finally:
        await db.dispose()
