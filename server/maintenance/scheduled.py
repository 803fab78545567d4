"""The jobs of the entry-point layer: ``housekeeping`` daily (server/maintenance/housekeeping.py), and
the backup job: every ``JXC_BACKUP_INTERVAL_HOURS`` a backup into ``JXC_BACKUP_DIR``
(``jxc-scheduled-<UTC time>.jxcbak``), keeping the newest ``JXC_BACKUP_KEEP`` of them. Only files of
that pattern are ever deleted: backups taken by hand or by ``jxc migrate`` stay.

The job runs in the scheduler (server/automation/jobs.py), which records its time and result in
``job`` (``jxc jobs``, ``jxc_job_last_success_timestamp_seconds`` in ``/metrics``).
"""

from __future__ import annotations

from pathlib import Path

from server.automation.jobs import register_job
from server.core.clock import utcnow
from server.core.database import Database
from server.core.settings import Settings
from server.maintenance.backup import backup
from server.maintenance.housekeeping import housekeeping

JOB = "backup"
PREFIX = "jxc-scheduled-"
SUFFIX = ".jxcbak"


def scheduled_backups(directory: Path) -> list[Path]:
    """The scheduled backups in ``directory``, oldest first (their names sort by time)."""
    return sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


async def scheduled_backup(settings: Settings) -> dict:
    """Write one backup, then delete the oldest scheduled ones beyond ``backup_keep``."""
    directory = Path(settings.backup_dir)
    out = directory / f"{PREFIX}{utcnow().strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"
    manifest = await backup(settings.database_url, out)
    kept = scheduled_backups(directory)
    deleted = kept[: max(len(kept) - settings.backup_keep, 0)]
    for old in deleted:
        old.unlink()
    return {
        "file": str(out),
        "rows": sum(manifest.counts.values()),
        "revision": manifest.revision,
        "deleted": [p.name for p in deleted],
    }


def register_maintenance_jobs(settings: Settings) -> None:
    """Register housekeeping, and the backup job when ``JXC_BACKUP_INTERVAL_HOURS`` is set (the server
    and ``jxc worker`` call this before running jobs)."""

    async def clean(db: Database, _trigger: str) -> dict:
        return await housekeeping(db, idempotency_days=settings.idempotency_days)

    register_job("housekeeping", 86400, clean, "数据清理", "Data housekeeping")
    if settings.backup_interval_hours <= 0:
        return

    async def run(_db: Database, _trigger: str) -> dict:
        return await scheduled_backup(settings)

    register_job(JOB, settings.backup_interval_hours * 3600, run, "定时备份", "Scheduled backup")
