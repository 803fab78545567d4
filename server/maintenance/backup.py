"""Backups of a whole jxc database and their restore (``jxc backup`` / ``jxc restore``).

A backup is one tar file holding ``manifest.json`` and ``data``:

- ``data`` is a SQLite database file taken with SQLite's online backup API (a consistent copy while
  the server goes on writing), or a ``pg_dump`` archive in custom format taken in the snapshot the
  row counts were read in (``pg_export_snapshot``), so counts and data are the same moment.
- the manifest names the format, the jxc version, the schema revision, the database kind, the rows
  of every table and the SHA-256 of ``data``.

Restore checks the checksum, refuses a schema newer than this jxc knows, and writes only into an
empty database: the same kind directly (SQLite backup API, ``pg_restore`` in one transaction), a
SQLite backup into PostgreSQL row by row in dependency order (a company outgrowing the embedded
default). An older schema is upgraded to head afterwards; the consistency check runs last.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from server.core.clock import utcnow
from server.core.version import jxc_version
from server.migrate import alembic_config, upgrade
from server.models import metadata

FORMAT = "jxc-backup/1"
COPY_BATCH = 1000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in Chinese and English."""


@dataclass
class Manifest:
    format: str
    jxc_version: str
    revision: str | None
    database: str  # "sqlite" or "postgresql"
    created_at: str
    counts: dict[str, int]
    sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


@dataclass
class RestoreReport:
    manifest: Manifest
    upgraded_from: str | None
    problems: list[str]


def known_revisions() -> list[str]:
    """Every schema revision this jxc's migrations know, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    return known_revisions()[-1]


def database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up / 内存数据库无法备份")
    return Path(path)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore (without the driver) and the environment carrying the password."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def _counts_and_revision(conn: AsyncConnection, *, count: bool = True) -> tuple[dict[str, int], str | None]:
    names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    counts = {}
    for name in sorted(names) if count else ():
        counts[name] = (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
    revision = None
    if "alembic_version" in names:
        revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    return counts, revision


def _sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    with sqlite3.connect(path) as raw:
        names = [
            r[0]
            for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not r[0].startswith("sqlite_")
        ]
        counts = {n: raw.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}
        revision = None
        if "alembic_version" in names:
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    return counts, revision


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while other connections write."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


async def _dump_postgres(url: str, out: Path) -> tuple[dict[str, int], str | None]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
            counts, revision = await _counts_and_revision(conn)
            target, env = _libpq(url)
            done = await asyncio.to_thread(
                subprocess.run,
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(out),
                    target,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            await conn.execute(text("COMMIT"))
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed / pg_dump 失败: {done.stderr.strip()}")
    finally:
        await engine.dispose()
    return counts, revision


async def backup(url: str, out: Path) -> Manifest:
    """Write a backup of the database at ``url`` to ``out`` (a tar file) and return its manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    kind = database_kind(url)
    with tempfile.TemporaryDirectory(prefix="jxc-backup-") as tmp:
        data = Path(tmp) / "data"
        if kind == "sqlite":
            source = sqlite_path(url)
            if not source.exists():
                raise BackupError(f"no database at {source} / 数据库文件不存在")
            await asyncio.to_thread(_sqlite_copy, source, data)
            counts, revision = await asyncio.to_thread(_sqlite_counts, data)
        else:
            counts, revision = await _dump_postgres(url, data)
        manifest = Manifest(
            format=FORMAT,
            jxc_version=jxc_version(),
            revision=revision,
            database=kind,
            created_at=utcnow().isoformat(),
            counts=counts,
            sha256=_sha256(data),
        )
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            info = tarfile.TarInfo("manifest.json")
            body = manifest.to_json()
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
            tar.add(data, arcname="data")
        os.replace(partial, out)  # a backup file is whole or absent
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = Manifest.from_json(member.read())
    except (OSError, KeyError, tarfile.TarError, ValueError, TypeError) as exc:
        raise BackupError(f"{path} is not a jxc backup / 不是 jxc 备份文件 ({exc})") from exc
    if manifest.format != FORMAT:
        raise BackupError(f"unknown backup format {manifest.format!r} / 未知的备份格式")
    return manifest


async def current_revision(url: str) -> str | None:
    """The schema revision of the database at ``url``; ``None`` when it has none yet (new or empty)."""
    if database_kind(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return None
        return (await asyncio.to_thread(_sqlite_counts, path))[1]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await _counts_and_revision(conn, count=False))[1]
    finally:
        await engine.dispose()


async def _is_empty(url: str) -> bool:
    if database_kind(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
        counts, _ = await asyncio.to_thread(_sqlite_counts, path)
        return not counts
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return not names
    finally:
        await engine.dispose()


async def _copy_rows(source_url: str, target_url: str) -> None:
    """Every table of the models from one database into another migrated to the same head, in
    dependency order, in one transaction on the target; then each id sequence continues after the
    copied rows."""
    source = create_async_engine(source_url)
    target = create_async_engine(target_url)
    try:
        async with source.connect() as src, target.begin() as dst:
            # the append-only and posting guards check business writes, not a copy of rows that passed
            # them once; DISABLE TRIGGER USER leaves the foreign keys on, and is undone at commit below
            for table in metadata.sorted_tables:
                await dst.execute(text(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER'))
            for table in reversed(metadata.sorted_tables):
                await dst.execute(table.delete())  # rows the migrations seeded (counters)
            for table in metadata.sorted_tables:
                # a column pointing into its own table (voucher.disposed_by) may point forward: insert
                # those rows without it, then set it once every row of the table is there
                own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
                keys = [c.name for c in table.primary_key.columns]
                later: list[dict[str, Any]] = []
                result = await src.stream(select(table))
                async for batch in result.partitions(COPY_BATCH):
                    rows = [dict(row._mapping) for row in batch]
                    for row in rows:
                        if any(row[c] is not None for c in own):
                            later.append({**{f"_pk_{k}": row[k] for k in keys}, **{c: row[c] for c in own}})
                            row.update(dict.fromkeys(own, None))
                    await dst.execute(table.insert(), rows)
                if later:
                    params: dict[str, Any] = {c: bindparam(c) for c in own}
                    match = [table.c[k] == bindparam(f"_pk_{k}") for k in keys]
                    await dst.execute(table.update().where(*match).values(params), later)
            for table in metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
                    await dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                            f'COALESCE(max("{pk[0].name}"), 1), max("{pk[0].name}") IS NOT NULL) FROM "{table.name}"'
                        )
                    )
            for table in metadata.sorted_tables:
                await dst.execute(text(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER'))
    except SQLAlchemyError as exc:
        first = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
        raise BackupError(f"copying the rows failed / 复制数据失败: {first}") from exc
    finally:
        await source.dispose()
        await target.dispose()


async def _empty_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def restore(path: Path, url: str, *, check: bool = True) -> RestoreReport:
    """Restore the backup at ``path`` into the empty database at ``url``; see the module docstring."""
    path = Path(path)
    manifest = read_manifest(path)
    known = known_revisions()
    if manifest.revision is not None and manifest.revision not in known:
        raise BackupError(
            f"the backup's schema {manifest.revision} is newer than this jxc ({known[-1]}): upgrade jxc first"
            f" / 备份的数据库结构 {manifest.revision} 比本程序 ({known[-1]}) 新，请先升级 jxc"
        )
    target_kind = database_kind(url)
    if manifest.database == "postgresql" and target_kind == "sqlite":
        raise BackupError("a PostgreSQL backup restores into PostgreSQL only / PostgreSQL 备份只能恢复到 PostgreSQL")
    if not await _is_empty(url):
        raise BackupError(
            "restore writes only into an empty database: create a new one or remove the file"
            " / 只能恢复到空数据库：请新建数据库或删除原文件"
        )
    with tempfile.TemporaryDirectory(prefix="jxc-restore-") as tmp:
        data = Path(tmp) / "data"
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("data")
            if member is None:
                raise BackupError(f"{path} holds no data / 备份文件中没有数据")
            with data.open("wb") as f:
                shutil.copyfileobj(member, f)
        if _sha256(data) != manifest.sha256:
            raise BackupError("the backup's checksum does not match: the file is damaged / 备份校验和不符，文件已损坏")
        if manifest.database == "sqlite" and target_kind == "sqlite":
            target = sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_sqlite_copy, data, target)
        elif manifest.database == "sqlite":
            staged = f"sqlite+aiosqlite:///{data}"
            await asyncio.to_thread(upgrade, staged)  # the copy speaks the head schema, like the target
            await asyncio.to_thread(upgrade, url)
            try:
                await _copy_rows(staged, url)
            except BackupError:
                await _empty_postgres(url)  # it was empty before: leave it so, ready for another try
                raise
        else:
            plain, env = _libpq(url)
            done = await asyncio.to_thread(
                subprocess.run,
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "-d",
                    plain,
                    str(data),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed / pg_restore 失败: {done.stderr.strip()}")
    upgraded_from = manifest.revision if manifest.revision != known[-1] else None
    await asyncio.to_thread(upgrade, url)
    problems = await consistency_problems(url) if check else []
    return RestoreReport(manifest=manifest, upgraded_from=upgraded_from, problems=problems)


async def consistency_problems(url: str) -> list[str]:
    """What ``jxc check`` reports: stock levels against the ledger and the books against both."""
    from server.core.database import Database
    from server.finance.check import books_problems
    from server.finance.poster import post_pending
    from server.sales.check import verify_ledger

    db = Database(url)
    try:
        await post_pending(db)  # the books are compared once every business event is booked
        async with db.read() as conn:
            return await verify_ledger(conn) + await books_problems(conn)
    finally:
        await db.dispose()


async def table_rows(url: str) -> dict[str, int]:
    """Rows per table of the models (what a restore must reproduce)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in metadata.sorted_tables
            }
    finally:
        await engine.dispose()
