"""``jxc housekeeping [--dry-run]``: delete what grows without bound and nothing needs (server/maintenance/housekeeping.py)."""

from __future__ import annotations

import asyncio

from server.cli.common import with_db

COMMANDS = ("housekeeping",)


def add_parser(sub) -> None:
    h = sub.add_parser(
        "housekeeping", help="delete expired sessions, old idempotency keys and webhook logs / 清理过期数据"
    )
    h.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing / 只统计不删除")


def run(args, settings) -> int:
    from server.maintenance.housekeeping import RULES, housekeeping

    counts = asyncio.run(
        with_db(settings, lambda db: housekeeping(db, idempotency_days=settings.idempotency_days, dry_run=args.dry_run))
    )
    verb = ("would delete", "将删除") if args.dry_run else ("deleted", "已删除")
    for rule in RULES:
        print(f"{verb[0]} {counts[rule.name]:>8} {rule.en} / {verb[1]} {rule.zh}")
    return 0
