"""Upgrades from a released jxc (issue #21): the demo company as the previous release stored it
(``tests/fixtures/release-*.jxcbackup``, made by ``tests/fixtures/make_release_backup.py``) upgrades to
this schema — by ``jxc restore`` into SQLite and PostgreSQL and by ``jxc migrate`` in place — keeps
every row, passes ``jxc check`` and goes on doing business."""

from __future__ import annotations

import asyncio
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from server import cli
from server.core.database import Database
from server.inventory.models import location, stock_level
from server.inventory.services import StockLine, do_receive_stock
from server.maintenance.backup import consistency_problems, head_revision, read_manifest, restore, table_rows
from tests.dbutil import create_pg_database, drop_pg_database

RELEASES = sorted(Path(__file__).parent.joinpath("fixtures").glob("release-*.jxcbackup"))


def test_there_is_a_previous_release_to_upgrade_from():
    assert RELEASES, "commit the backup of the last release (tests/fixtures/make_release_backup.py)"


async def _business_goes_on(url: str) -> None:
    """A receipt into the upgraded database books and checks like any other."""
    db = Database(url)
    try:
        async with db.read() as conn:
            level = (await conn.execute(select(stock_level).where(stock_level.c.lot_id.is_(None)).limit(1))).one()
            loc = (await conn.execute(select(location.c.id).where(location.c.id == level.location_id))).scalar_one()
        await do_receive_stock(
            db, [StockLine(product_id=level.product_id, quantity="5", location_id=loc, unit_cost="1.00")]
        )
    finally:
        await db.dispose()
    assert await consistency_problems(url) == []


async def _upgraded_as_released(release: Path, url: str) -> None:
    manifest = read_manifest(release)
    report = await restore(release, url)
    assert report.problems == []
    assert report.upgraded_from == (manifest.revision if manifest.revision != head_revision() else None)
    rows = await table_rows(url)
    kept = {t: n for t, n in manifest.counts.items() if t in rows and t != "alembic_version"}
    assert {t: rows[t] for t in kept} == kept  # every row of the release is still there
    await _business_goes_on(url)


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
async def test_a_release_restores_and_upgrades_into_sqlite(release, tmp_path):
    await _upgraded_as_released(release, f"sqlite+aiosqlite:///{tmp_path / 'upgraded.sqlite3'}")


@pytest.mark.postgres
@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
async def test_a_release_restores_and_upgrades_into_postgresql(release):
    url = await create_pg_database()
    try:
        await _upgraded_as_released(release, url)
    finally:
        await drop_pg_database(url)


@pytest.mark.parametrize("release", RELEASES, ids=lambda p: p.stem)
def test_jxc_migrate_upgrades_a_released_database_in_place(release, tmp_path, monkeypatch, capsys):
    path = tmp_path / "jxc.sqlite3"
    with tarfile.open(release) as tar:
        path.write_bytes(tar.extractfile("data").read())
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("JXC_SQLITE_PATH", str(path))
    monkeypatch.setenv("JXC_BACKUP_DIR", str(tmp_path / "backups"))
    assert cli.main(["migrate"]) == 0  # backs the data up first, then upgrades
    assert read_manifest(release).revision == head_revision() or list((tmp_path / "backups").iterdir())
    capsys.readouterr()
    asyncio.run(_business_goes_on(f"sqlite+aiosqlite:///{path}"))
