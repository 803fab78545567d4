"""``jxc backup`` and ``jxc restore``: a whole database to one file and back (server/maintenance/backup.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.core.clock import utcnow

COMMANDS = ("backup", "restore")


def add_parser(sub) -> None:
    b = sub.add_parser("backup", help="write a backup of the whole database (manifest + data) / 备份整个数据库")
    b.add_argument("file", nargs="?", help="the backup file (default: JXC_BACKUP_DIR/jxc-<time>.jxcbak)")
    r = sub.add_parser("restore", help="restore a backup into an empty database, then check it / 恢复备份到空数据库")
    r.add_argument("file", help="a file written by `jxc backup`")
    r.add_argument("--no-check", action="store_true", help="skip the consistency check at the end")


def default_backup_file(settings, reason: str = "backup") -> Path:
    return Path(settings.backup_dir) / f"jxc-{reason}-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.jxcbak"


def take_backup(settings, out: Path) -> None:
    from server.maintenance.backup import backup

    manifest = asyncio.run(backup(settings.database_url, out))
    rows = sum(manifest.counts.values())
    print(
        f"backup written / 已备份: {out} ({manifest.database}, schema {manifest.revision}, "
        f"{len(manifest.counts)} tables, {rows} rows, sha256 {manifest.sha256[:12]}…)"
    )


def run(args, settings) -> int:
    from server.maintenance.backup import BackupError, restore

    try:
        if args.command == "backup":
            take_backup(settings, Path(args.file) if args.file else default_backup_file(settings))
            return 0
        report = asyncio.run(restore(Path(args.file), settings.database_url, check=not args.no_check))
    except BackupError as exc:
        print(f"error / 错误: {exc}")
        return 1
    m = report.manifest
    print(
        f"restored / 已恢复: {args.file} ({m.database} → {settings.database_url.split(':', 1)[0]}, jxc {m.jxc_version})"
    )
    if report.upgraded_from:
        print(f"schema upgraded from {report.upgraded_from} / 数据库结构已从 {report.upgraded_from} 升级")
    for line in report.problems:
        print(line)
    if args.no_check:
        return 0
    print(f"{len(report.problems)} mismatch(es) / 处不一致" if report.problems else "ledger OK / 账实一致")
    return 1 if report.problems else 0
