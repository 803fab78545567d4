"""Data housekeeping (server/maintenance/housekeeping.py, ``jxc housekeeping``): only rows nothing needs
go — ended sessions, idempotency keys past their window, old webhook logs — and a dry run deletes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from server import cli
from server.auth.models import auth_token, role
from server.auth.services import ensure_builtin_roles
from server.automation import jobs
from server.core.clock import utcnow
from server.core.idempotency import idempotency_key
from server.integrations.models import webhook_delivery, webhook_endpoint
from server.maintenance.housekeeping import housekeeping

DAY = timedelta(days=1)


async def _rows(db) -> dict[str, int]:
    async with db.read() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in (auth_token, idempotency_key, webhook_delivery)
        }


async def _world(db) -> None:
    """Two of each kind of row: one housekeeping may delete, one it must keep."""
    await ensure_builtin_roles(db)
    now = utcnow()
    async with db.write() as conn:
        role_id = (await conn.execute(select(role.c.id).where(role.c.code == "admin"))).scalar_one()

        def token(n: int, kind: str, **times):
            times = {"expires_at": None, "revoked_at": None, **times}
            return {
                "kind": kind,
                "name": f"t{n}",
                "token_hash": f"{n:064d}",
                "role_id": role_id,
                "created_at": now - 40 * DAY,
                **times,
            }

        await conn.execute(
            auth_token.insert(),
            [
                token(1, "session", expires_at=now - 2 * DAY),  # expired two days ago: goes
                token(2, "session", expires_at=now + DAY, revoked_at=now - 3 * DAY),  # logged out: goes
                token(3, "session", expires_at=now - DAY / 2),  # expired within the grace day: stays
                token(4, "session", expires_at=now + DAY),  # valid: stays
                token(5, "api", revoked_at=now - 300 * DAY),  # a revoked API token: stays
            ],
        )
        await conn.execute(
            idempotency_key.insert(),
            [
                {"key": "old", "scope": "s", "request_hash": "h", "result": "{}", "created_at": now - 91 * DAY},
                {"key": "new", "scope": "s", "request_hash": "h", "result": "{}", "created_at": now - 89 * DAY},
            ],
        )
        endpoint = (
            await conn.execute(
                webhook_endpoint.insert()
                .values(
                    name="erp",
                    url="https://erp.example/hook",
                    event_types="[]",
                    secret="whsec_x",
                    owner="test",
                    created_at=now,
                    updated_at=now,
                )
                .returning(webhook_endpoint.c.id)
            )
        ).scalar_one()
        delivery = {
            "endpoint_id": endpoint,
            "message_id": "m",
            "event_type": "stock.changed",
            "attempt": 1,
            "duration_ms": 5,
            "outcome": "delivered",
            "sender": "t",
        }
        await conn.execute(
            webhook_delivery.insert(), [{**delivery, "at": now - 31 * DAY}, {**delivery, "at": now - 29 * DAY}]
        )


async def test_housekeeping_deletes_only_what_nothing_needs(db):
    await _world(db)
    before = await _rows(db)
    planned = await housekeeping(db, dry_run=True)
    assert planned == {"sessions": 2, "idempotency_keys": 1, "webhook_deliveries": 1}
    assert await _rows(db) == before  # a dry run deletes nothing
    assert await housekeeping(db) == planned
    async with db.read() as conn:
        left = [r.name for r in await conn.execute(select(auth_token.c.name).order_by(auth_token.c.name))]
        keys = [r.key for r in await conn.execute(select(idempotency_key.c.key))]
    assert left == ["t3", "t4", "t5"] and keys == ["new"]
    assert (await _rows(db))["webhook_delivery"] == 1
    assert await housekeeping(db) == {"sessions": 0, "idempotency_keys": 0, "webhook_deliveries": 0}


async def test_idempotency_window_is_a_setting(db):
    await _world(db)
    assert (await housekeeping(db, idempotency_days=30, dry_run=True))["idempotency_keys"] == 2


def test_jxc_housekeeping_and_its_job(db_url, monkeypatch, capsys):
    import asyncio

    from server.core.database import Database

    async def world():
        db = Database(db_url)
        try:
            await _world(db)
        finally:
            await db.dispose()

    asyncio.run(world())
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(jobs, "JOBS", dict(jobs.JOBS))
    assert cli.main(["housekeeping", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete        2 expired or ended sign-in sessions / 将删除 已过期或已结束的登录会话" in out
    assert cli.main(["worker", "--job", "housekeeping"]) == 0
    assert cli.main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert "housekeeping: ran" in out and '"sessions": 2' in out
    assert cli.main(["housekeeping"]) == 0
    assert "deleted        0 expired or ended sign-in sessions / 已删除" in capsys.readouterr().out
