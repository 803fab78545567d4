"""Backups and restores of a whole company (server/maintenance/backup.py, ``jxc backup`` / ``jxc restore``):
every row comes back, the books and the shelves still agree, and a backup that cannot be restored
safely is refused before anything is written."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from server import cli
from server.core.database import Database
from server.demo.company import load_demo_data
from server.maintenance.backup import BackupError, backup, head_revision, read_manifest, restore, table_rows
from server.migrate import upgrade
from server.models import metadata
from tests.dbutil import create_pg_database, drop_pg_database

TODAY = date(2026, 3, 15)


def _plain(value):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


async def every_row(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in key order, with values in one comparable form."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            out = {}
            for table in metadata.sorted_tables:
                rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                out[table.name] = [tuple(_plain(v) for v in row) for row in rows]
            return out
    finally:
        await engine.dispose()


async def _demo_company(url: str) -> None:
    db = Database(url)
    try:
        assert await load_demo_data(db, today=TODAY)
    finally:
        await db.dispose()


async def _sqlite_company(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'company.sqlite3'}"
    upgrade(url)
    await _demo_company(url)
    return url


async def test_a_company_backed_up_and_restored_is_the_same_company(db_url, tmp_path):
    """Demo company → backup → restore into a new database of the same kind → every row identical,
    the manifest counts them, and the consistency check finds nothing."""
    await _demo_company(db_url)
    file = tmp_path / "company.jxcbak"
    manifest = await backup(db_url, file)
    assert manifest.revision == head_revision() and manifest.sha256 and manifest.jxc_version
    assert manifest.counts["stock_move"] > 0 and manifest.counts["voucher"] > 0
    assert read_manifest(file) == manifest
    if db_url.startswith("sqlite"):
        target = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        target = await create_pg_database()
    try:
        report = await restore(file, target)
        assert report.problems == [] and report.upgraded_from is None
        assert await every_row(target) == await every_row(db_url)
        rows = await table_rows(target)
        assert all(manifest.counts[name] == n for name, n in rows.items())
        # the restored company goes on: new documents continue the numbering and the ids
        db = Database(target)
        try:
            from server.catalog.services import do_create_category

            created = await do_create_category(db, code="AFTER-RESTORE", name="恢复后 after restore")
            assert created > max(r[0] for r in (await every_row(db_url))["category"])
        finally:
            await db.dispose()
    finally:
        if not target.startswith("sqlite"):
            await drop_pg_database(target)


@pytest.mark.postgres
async def test_a_sqlite_company_moves_into_postgresql(tmp_path):
    """A company that outgrows the embedded default: its SQLite backup restores into PostgreSQL
    row for row, with the ledger and the books checked."""
    source = await _sqlite_company(tmp_path)
    file = tmp_path / "sqlite.jxcbak"
    await backup(source, file)
    target = await create_pg_database()
    try:
        report = await restore(file, target)
        assert report.problems == []
        assert await every_row(target) == await every_row(source)
    finally:
        await drop_pg_database(target)


async def test_a_backup_is_refused_when_newer_damaged_or_the_target_holds_data(tmp_path):
    source = await _sqlite_company(tmp_path)
    good = tmp_path / "good.jxcbak"
    await backup(source, good)

    def rewritten(name: str, manifest_change=None, data_change=None) -> Path:
        out = tmp_path / name
        with tarfile.open(good) as src, tarfile.open(out, "w") as dst:
            for member in src.getmembers():
                body = src.extractfile(member).read()
                if member.name == "manifest.json" and manifest_change:
                    body = json.dumps(manifest_change(json.loads(body))).encode()
                if member.name == "data" and data_change:
                    body = data_change(body)
                member.size = len(body)
                dst.addfile(member, io.BytesIO(body))
        return out

    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
    newer = rewritten("newer.jxcbak", manifest_change=lambda m: {**m, "revision": "9999"})
    with pytest.raises(BackupError, match="newer than this jxc"):
        await restore(newer, fresh)
    damaged = rewritten("damaged.jxcbak", data_change=lambda b: b[:-10] + b"0123456789")
    with pytest.raises(BackupError, match="checksum"):
        await restore(damaged, fresh)
    assert not (tmp_path / "fresh.sqlite3").exists()  # nothing written by a refused restore
    with pytest.raises(BackupError, match="empty database"):
        await restore(good, source)  # the company itself is not empty
    (tmp_path / "junk.jxcbak").write_bytes(b"not a tar file")
    with pytest.raises(BackupError, match="not a jxc backup"):
        read_manifest(tmp_path / "junk.jxcbak")
    pg_manifest = rewritten("pg.jxcbak", manifest_change=lambda m: {**m, "database": "postgresql"})
    with pytest.raises(BackupError, match="PostgreSQL only"):
        await restore(pg_manifest, fresh)


async def test_a_backup_of_an_older_schema_is_upgraded_on_restore(tmp_path):
    old = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(old, "0015")
    with sqlite3.connect(tmp_path / "old.sqlite3") as raw:
        raw.execute("INSERT INTO category (code, name) VALUES ('OLD', '旧分类 old')")
    file = tmp_path / "old.jxcbak"
    assert (await backup(old, file)).revision == "0015"
    target = f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    report = await restore(file, target)
    assert report.upgraded_from == "0015" and report.problems == []
    assert (await every_row(target))["category"][0][1:3] == ("OLD", "旧分类 old")
    with sqlite3.connect(tmp_path / "new.sqlite3") as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()


def test_jxc_backup_restore_and_migrate_from_the_command_line(tmp_path, monkeypatch, capsys):
    """``jxc migrate`` backs a database with data up before upgrading it (or refuses to go on
    without ``--no-backup`` when it cannot); ``jxc backup`` / ``jxc restore`` round-trip; ``--version``."""
    monkeypatch.setenv("JXC_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("JXC_SQLITE_PATH", str(tmp_path / "a.sqlite3"))
    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}", "0015")
    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"0015 → {head_revision()}" in out and "backup written" in out
    (taken,) = (tmp_path / "backups").iterdir()
    assert read_manifest(taken).revision == "0015"
    assert cli.main(["migrate"]) == 0 and "up to date" in capsys.readouterr().out
    assert len(list((tmp_path / "backups").iterdir())) == 1  # nothing to upgrade: no backup
    assert cli.main(["backup", str(tmp_path / "now.jxcbak")]) == 0
    monkeypatch.setenv("JXC_SQLITE_PATH", str(tmp_path / "b.sqlite3"))
    assert cli.main(["restore", str(tmp_path / "now.jxcbak")]) == 0
    assert "ledger OK" in capsys.readouterr().out
    assert cli.main(["restore", str(tmp_path / "now.jxcbak")]) == 1  # b is no longer empty
    assert "empty database" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("jxc ")
