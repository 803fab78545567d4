"""The backup job (server/maintenance/scheduled.py): a backup per interval on the pinned clock, the
newest ``JXC_BACKUP_KEEP`` scheduled ones kept, other backups never touched, and the last one shown in
``/metrics`` and ``jxc jobs``."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from server import cli
from server.automation import jobs
from server.core import clock
from server.core.settings import load_settings
from server.maintenance.backup import read_manifest
from server.maintenance.scheduled import JOB, register_maintenance_jobs, scheduled_backups
from tests.gql import gql_client


@pytest.fixture
def job_table(monkeypatch):
    """The jobs of this test only: registering the backup job must not outlive it."""
    monkeypatch.setattr(jobs, "JOBS", dict(jobs.JOBS))
    return jobs.JOBS


def _settings(db_url, tmp_path, **extra):
    return dataclasses.replace(
        load_settings(env_file=None), database_url=db_url, backup_dir=str(tmp_path / "backups"), **extra
    )


async def test_no_backup_job_unless_an_interval_is_set(db_url, tmp_path, job_table):
    register_maintenance_jobs(_settings(db_url, tmp_path))
    assert JOB not in jobs.JOBS


async def test_scheduled_backups_keep_the_newest(db, db_url, tmp_path, job_table):
    settings = _settings(db_url, tmp_path, backup_interval_hours=6, backup_keep=2)
    register_maintenance_jobs(settings)
    assert jobs.JOBS[JOB][0] == 6 * 3600
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / "jxc-backup-manual.jxcbak").write_bytes(b"mine")  # taken by hand: never deleted
    start = clock.utcnow()
    ran = []
    for hours in (0, 1, 7, 14, 21):  # due 6 hours after each run ended: not at 1
        clock.set_clock(start + timedelta(hours=hours, seconds=1))
        ran.append(JOB in await jobs.run_due_jobs(db, "test"))
    assert ran == [True, False, True, True, True]
    names = [p.name for p in scheduled_backups(directory)]
    stamps = [(start + timedelta(hours=h, seconds=1)).strftime("%Y%m%dT%H%M%SZ") for h in (14, 21)]
    assert names == [f"jxc-scheduled-{s}.jxcbak" for s in stamps]
    assert (directory / "jxc-backup-manual.jxcbak").read_bytes() == b"mine"
    assert read_manifest(scheduled_backups(directory)[-1]).counts
    async with db.read() as conn:
        row = (await conn.execute(select(jobs.job).where(jobs.job.c.name == JOB))).one()
    assert row.last_status == "ok" and row.runs == 4 and f"jxc-scheduled-{stamps[0]}" not in row.last_result
    assert row.last_finished_at >= start + timedelta(hours=21)

    async with gql_client(db_url, metrics_token="t") as gql:
        body = (await gql.http.get("/metrics", headers={"authorization": "Bearer t"})).text
    line = next(x for x in body.splitlines() if x.startswith('jxc_job_last_success_timestamp_seconds{job="backup"}'))
    assert int(line.split()[-1]) == round(row.last_finished_at.timestamp())


async def test_a_failed_backup_is_the_jobs_result(db, tmp_path, job_table):
    settings = _settings("sqlite+aiosqlite:///" + str(tmp_path / "absent.sqlite3"), tmp_path, backup_interval_hours=1)
    register_maintenance_jobs(settings)
    await jobs.ensure_jobs(db)
    assert await jobs.run_job(db, JOB, "test", force=True) is True
    async with db.read() as conn:
        row = (await conn.execute(select(jobs.job).where(jobs.job.c.name == JOB))).one()
    assert row.last_status == "error" and "BackupError" in row.last_result
    assert not scheduled_backups(tmp_path / "backups")


def test_jxc_jobs_lists_the_backup_job(db_url, tmp_path, monkeypatch, capsys, job_table):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JXC_BACKUP_INTERVAL_HOURS", "24")
    monkeypatch.setenv("JXC_BACKUP_DIR", str(tmp_path / "backups"))
    assert cli.main(["worker", "--job", JOB]) == 0
    assert cli.main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert "backup: ran" in out and "定时备份" in out and "every  86400s" in out
    assert len(scheduled_backups(tmp_path / "backups")) == 1
