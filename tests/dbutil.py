"""Test databases: a migrated SQLite template file copied per test, or a fresh PostgreSQL database per run."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg

from server.migrate import upgrade
from server.models import metadata

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/jxc_test"


def backend() -> str:
    return os.environ.get("JXC_TEST_DB", "sqlite")


def pg_base_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)


def _raw(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _server_and_db(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name or "jxc_test"


async def pg_reachable(url: str | None = None) -> bool:
    server, _ = _server_and_db(url or pg_base_url())
    try:
        conn = await asyncpg.connect(_raw(server + "/postgres"), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def create_pg_database() -> str:
    server, name = _server_and_db(pg_base_url())
    db_name = f"{name}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_raw(server + "/postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{db_name}"')
    finally:
        await conn.close()
    return f"{server}/{db_name}"


async def drop_pg_database(url: str) -> None:
    server, name = _server_and_db(url)
    conn = await asyncpg.connect(_raw(server + "/postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class TestDatabases:
    """Hands out one clean, migrated database URL per test."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.kind = backend()
        self.template: Path | None = None
        self.pg_url: str | None = None

    def setup(self) -> None:
        if self.kind == "sqlite":
            self.template = self.tmp_dir / "template.sqlite3"
            upgrade(f"sqlite+aiosqlite:///{self.template}")
        else:
            self.pg_url = asyncio.run(create_pg_database())
            upgrade(self.pg_url)

    def teardown(self) -> None:
        if self.pg_url:
            asyncio.run(drop_pg_database(self.pg_url))

    def fresh_url(self) -> str:
        if self.kind == "sqlite":
            path = self.tmp_dir / f"t_{uuid.uuid4().hex[:12]}.sqlite3"
            shutil.copyfile(self.template, path)
            return f"sqlite+aiosqlite:///{path}"
        return self.pg_url

    async def reset(self, url: str) -> None:
        """Empty every table on PostgreSQL (TRUNCATE does not fire the append-only triggers)."""
        if self.kind == "sqlite":
            return
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != "event_counter")
        conn = await asyncpg.connect(_raw(url))
        try:
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            await conn.execute("UPDATE event_counter SET last_seq = 0")
        finally:
            await conn.close()
