"""The service around the ledger: migrations, the jxc command, settings, /healthz, error masking, protocols."""

from __future__ import annotations

import asyncio
import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schema.relay import to_global_id
from server import cli
from server.core.database import Database
from server.core.settings import load_settings
from server.migrate import upgrade
from server.models import metadata
from tests.factories import make_product, make_world
from tests.gql import gql_client


def _fresh(test_databases) -> str:
    url = test_databases.fresh_url()
    asyncio.run(test_databases.reset(url))
    return url


def test_migrations_match_the_models_and_rerun_keeps_data(test_databases):
    url = _fresh(test_databases)

    async def seed_and_diff():
        db = Database(url)
        w = await make_world(db)
        await make_product(db, w)
        await db.dispose()
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        await engine.dispose()
        return diff

    assert asyncio.run(seed_and_diff()) == []  # the migrations create exactly the declared schema
    upgrade(url)  # `make run` on an existing database: in place, nothing lost

    async def count():
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            n = (await conn.execute(text("SELECT count(*) FROM product"))).scalar()
        await engine.dispose()
        return n

    assert asyncio.run(count()) == 1


async def test_a_migrated_sqlite_file_is_in_wal_mode_and_many_first_connections_open_at_once(tmp_path):
    """The migrations leave the file in WAL mode: the server's first connections, several at a time,
    must not race to switch it (that race answers "database is locked" at once, busy timeout or not)."""
    import sqlite3

    path = tmp_path / "fresh.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    databases = [Database(url) for _ in range(4)]
    try:
        await asyncio.gather(*(d.ping() for d in databases for _ in range(4)))
    finally:
        for d in databases:
            await d.dispose()


def test_jxc_check_reports_a_corrupted_level(test_databases, monkeypatch, capsys):
    url = _fresh(test_databases)
    monkeypatch.setenv("DATABASE_URL", url)

    async def seed():
        from server.inventory.services import StockLine, do_receive_stock

        db = Database(url)
        w = await make_world(db)
        p = await make_product(db, w)
        await do_receive_stock(db, [StockLine(product_id=p, location_id=w.a1, quantity="5")])
        await db.dispose()

    asyncio.run(seed())
    assert cli.main(["check"]) == 0
    assert "ledger OK" in capsys.readouterr().out

    async def corrupt():
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE stock_level SET qty = qty + 1000000"))
        await engine.dispose()

    asyncio.run(corrupt())
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "level 6000000 != ledger 5000000" in out and "1 mismatch" not in out.splitlines()[0]


def test_jxc_demo_data_loads_once(test_databases, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", _fresh(test_databases))
    assert cli.main(["demo-data"]) == 0
    assert "demo data loaded" in capsys.readouterr().out
    assert cli.main(["demo-data"]) == 0
    assert "already present" in capsys.readouterr().out
    assert cli.main(["check"]) == 0


def test_settings_come_from_env_and_dotenv(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("JXC_PORT=9123\nJXC_MAX_PAGE_SIZE=50\nDATABASE_URL=postgresql://u@h:5432/d\n")
    for name in ("JXC_PORT", "JXC_MAX_PAGE_SIZE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JXC_MAX_PAGE_SIZE", "70")  # the environment wins over .env
    settings = load_settings(env_file)
    assert settings.port == 9123 and settings.max_page_size == 70
    assert settings.database_url == "postgresql+asyncpg://u@h:5432/d"


async def test_healthz_reports_the_database(db_url, tmp_path):
    async with gql_client(db_url) as gql:
        resp = await gql.http.get("/healthz")
        assert resp.status_code == 200 and resp.json()["status"] == "ok"
    broken = f"sqlite+aiosqlite:///{tmp_path}/missing-dir/nope/db.sqlite3"
    async with gql_client(broken, with_token=False) as gql:
        resp = await gql.http.get("/healthz")
        assert resp.status_code == 503 and resp.json() == {"status": "error", "database": "unreachable"}


async def test_unexpected_errors_are_masked_and_logged_with_a_request_id(db_url, monkeypatch, caplog):
    import schema.inventory.mutations as inventory_schema

    async def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(inventory_schema.services, "do_issue_stock", explode)
    async with gql_client(db_url) as gql:
        w = await make_world(gql.db)
        p = await make_product(gql.db, w)
        with caplog.at_level(logging.ERROR, logger="jxc.graphql"):
            body = await gql.post(
                """mutation($l: [IssueLineInput!]!) { issueStock(lines: $l, idempotencyKey: "x") { errors { code } } }""",
                {
                    "l": [
                        {
                            "productId": to_global_id("Product", p),
                            "locationId": to_global_id("Location", w.a1),
                            "quantity": "1",
                        }
                    ]
                },
                lang="en",
            )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in error["message"] and error["extensions"]["requestId"] in error["message"]
    assert any(error["extensions"]["requestId"] in r.getMessage() for r in caplog.records)
    assert any("secret internal detail" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_graphiql_is_served_to_browsers(db_url):
    async with gql_client(db_url) as gql:
        resp = await gql.http.get("/graphql", headers={"accept": "text/html"})
    assert resp.status_code == 200 and "graphiql" in resp.text.lower()


def test_only_graphql_transport_ws_is_accepted(test_databases):
    import websockets

    from tests.servers import running_server

    url = _fresh(test_databases)

    async def attempt(base: str, protocol: str):
        ws_url = base.replace("http://", "ws://") + "/graphql"
        try:
            async with websockets.connect(ws_url, subprotocols=[protocol]) as ws:
                return ws.subprotocol
        except (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed, OSError):
            return None

    with running_server(url) as base:
        assert asyncio.run(attempt(base, "graphql-transport-ws")) == "graphql-transport-ws"
        assert asyncio.run(attempt(base, "graphql-ws")) is None  # the legacy protocol is refused


@pytest.mark.parametrize("field", ["stockLevels", "products", "warehouses"])
async def test_max_page_size_is_configurable(db_url, field):
    async with gql_client(db_url, max_page_size=5) as gql:
        body = await gql.post(f"{{ {field}(first: 6) {{ totalCount }} }}")
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"


def test_jxc_migrate_creates_admin_once_and_user_and_token_commands_work(test_databases, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", _fresh(test_databases))
    monkeypatch.setenv("JXC_ADMIN_PASSWORD", "first-run-secret")
    assert cli.main(["migrate"]) == 0
    assert "created user admin" not in capsys.readouterr().out  # the given password is not echoed
    assert cli.main(["migrate"]) == 0
    assert cli.main(["user", "create", "li", "--role", "warehouse_keeper", "--password", "long enough"]) == 0
    assert cli.main(["user", "create", "li", "--password", "long enough"]) == 1  # duplicate
    assert cli.main(["user", "create", "wang", "--role", "viewer"]) == 0
    generated = capsys.readouterr().out.split("密码: ")[1].split()[0]
    assert cli.main(["user", "disable", "li"]) == 0
    assert cli.main(["user", "list"]) == 0
    listing = capsys.readouterr().out
    assert "admin" in listing and "li " in listing and "disabled" in listing
    assert cli.main(["token", "create", "handheld-1", "--role", "scanner"]) == 0
    token = capsys.readouterr().out.splitlines()[1]
    assert cli.main(["token", "revoke", "1"]) == 0
    assert cli.main(["token", "revoke", "1"]) == 1

    async def check():
        from server.auth import services as auth

        db = Database(_url_of(monkeypatch))
        try:
            assert await auth.authenticate(db, token) is None  # revoked
            assert (await auth.do_login(db, "wang", generated))[0]
            assert (await auth.do_login(db, "admin", "first-run-secret"))[0]
        finally:
            await db.dispose()

    asyncio.run(check())


def _url_of(monkeypatch) -> str:
    import os

    return os.environ["DATABASE_URL"]


def test_jxc_role_commands_and_warehouse_restricted_users(test_databases, monkeypatch, capsys):
    url = _fresh(test_databases)
    monkeypatch.setenv("DATABASE_URL", url)

    async def world():
        db = Database(url)
        await make_world(db)
        await db.dispose()

    asyncio.run(world())
    assert (
        cli.main(
            [
                "role",
                "create",
                "receiver",
                "--name",
                "收货员",
                "--permission",
                "stock.receive",
                "--permission",
                "stock.view",
            ]
        )
        == 0
    )
    assert cli.main(["role", "create", "bad", "--name", "x", "--permission", "stock.fly"]) == 1
    assert cli.main(["role", "list"]) == 0
    out = capsys.readouterr().out
    assert "receiver" in out and "custom" in out and "stock.receive stock.view" in out
    assert (
        cli.main(["user", "create", "zhao", "--role", "receiver", "--warehouse", "WH2", "--password", "long enough"])
        == 0
    )
    assert cli.main(["user", "create", "qian", "--warehouse", "NOPE", "--password", "long enough"]) == 1

    async def check():
        from server.auth import services as auth

        db = Database(url)
        try:
            principal = await auth.authenticate(db, (await auth.do_login(db, "zhao", "long enough"))[0])
            assert principal.permissions == {"stock.receive", "stock.view"} and len(principal.warehouse_ids) == 1
        finally:
            await db.dispose()

    asyncio.run(check())
