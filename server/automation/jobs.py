"""The job scheduler: periodic work that runs once per due time however many processes run it.

Each job has a row in ``job`` with its interval, next due time and a lease. A process that finds a job
due claims it with one conditional UPDATE (``… WHERE lease is free AND it is due``); only the process
whose UPDATE changed the row runs it, so two servers or a server and ``jxc worker`` never run it twice.
The result (ok/error and a summary) and the next due time are written when it ends; a process that
dies mid-run leaves a lease that expires, and the job runs again. Everything is in the database, so a
restart picks up where it was. ``auto_purchase_orders`` also runs as soon as a ``stock.low`` event
appears in the journal after the last one it looked at.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from server.automation.auto_po import do_auto_purchase_orders
from server.automation.models import demand_forecast, job
from server.core.audit import audited
from server.core.clock import utcnow
from server.core.database import Database
from server.core.sql import dialect_insert
from server.events.journal import last_sequence
from server.events.models import event
from server.events.types import STOCK_LOW
from server.integrations.delivery import WebhookSender, prune_delivery_log
from server.inventory.models import reorder_rule
from server.purchasing.models import preferred_supplier, supplier_price

log = logging.getLogger("jxc.jobs")

LEASE = timedelta(minutes=10)


async def _auto_po(db: Database, trigger: str) -> dict:
    return await do_auto_purchase_orders(db, trigger=trigger)


async def _forecasts(db: Database, _trigger: str) -> dict:
    """Forecast every product with a reorder rule, per warehouse, and store the suggested reorder point."""
    from server.reports.forecast import forecast_product

    async with db.read() as conn:
        pairs = (await conn.execute(select(reorder_rule.c.product_id, reorder_rule.c.warehouse_id))).all()
        lead = dict(
            (
                await conn.execute(
                    select(supplier_price.c.product_id, func.max(supplier_price.c.lead_time_days))
                    .join(
                        preferred_supplier,
                        (preferred_supplier.c.product_id == supplier_price.c.product_id)
                        & (preferred_supplier.c.supplier_id == supplier_price.c.supplier_id),
                    )
                    .group_by(supplier_price.c.product_id)
                )
            ).all()
        )
        results = []
        for product_id, warehouse_id in pairs:
            f = await forecast_product(
                conn, product_id, warehouse_id=warehouse_id, lead_time_days=lead.get(product_id) or 7
            )
            results.append((product_id, warehouse_id, f))
    now = utcnow()
    async with db.write() as conn:
        for product_id, warehouse_id, f in results:
            stmt = dialect_insert(conn, demand_forecast).values(
                product_id=product_id,
                warehouse_id=warehouse_id,
                method=f.method,
                mape="" if f.mape is None else str(f.mape),
                next_week=str(f.next_week),
                safety_stock=str(f.safety_stock),
                reorder_point=str(f.reorder_point),
                computed_at=now,
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["product_id", "warehouse_id"],
                    set_={
                        k: stmt.excluded[k]
                        for k in ("method", "mape", "next_week", "safety_stock", "reorder_point", "computed_at")
                    },
                )
            )
    return {"forecasts": len(results)}


async def _expiry(db: Database, _trigger: str) -> dict:
    from server.inventory.lots import do_alert_expiring_lots

    return {"lots_alerted": await do_alert_expiring_lots(db, 30)}


async def _snapshots(db: Database, _trigger: str) -> dict:
    from server.reports.snapshots import refresh_stock_snapshots

    return {"months": await refresh_stock_snapshots(db)}


async def _post_vouchers(db: Database, _trigger: str) -> dict:
    from server.finance.poster import post_pending

    return {"events_read": await post_pending(db)}


async def _prune_webhook_log(db: Database, _trigger: str) -> dict:
    return {"deliveries_pruned": await prune_delivery_log(db)}


# name: (interval in seconds, function, 中文, English)
JOBS: dict[str, tuple[int, Callable[[Database, str], Awaitable[dict]], str, str]] = {
    "auto_purchase_orders": (3600, _auto_po, "自动补货下单", "Automatic purchase orders"),
    "demand_forecast": (86400, _forecasts, "需求预测", "Demand forecasts"),
    "expiry_alerts": (86400, _expiry, "临期预警", "Expiry alerts"),
    "stock_snapshot": (86400, _snapshots, "月末库存快照", "Month-end stock snapshots"),
    "post_vouchers": (60, _post_vouchers, "业务凭证过账", "Book business events"),
    "webhook_log_prune": (86400, _prune_webhook_log, "清理 Webhook 投递日志", "Prune the webhook delivery log"),
}
TRIGGERS = {"auto_purchase_orders": STOCK_LOW}  # job → the journal event type that runs it early


def register_job(name: str, interval: int, fn: Callable[[Database, str], Awaitable[dict]], zh: str, en: str) -> None:
    """Add a job of a layer above this one (the entry points' scheduled backups and housekeeping),
    registered by the process that runs the jobs before it starts them."""
    JOBS[name] = (interval, fn, zh, en)


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def ensure_jobs(db: Database) -> None:
    now = utcnow()
    async with db.write() as conn:
        for name, (interval, *_rest) in JOBS.items():
            await conn.execute(
                dialect_insert(conn, job)
                .values(name=name, interval_seconds=interval, next_run_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )


async def _triggered(conn, name: str, cursor: int) -> int | None:
    """The newest triggering event after ``cursor``, if any."""
    kind = TRIGGERS.get(name)
    if kind is None:
        return None
    return (
        await conn.execute(select(func.max(event.c.seq)).where(event.c.seq > cursor, event.c.event_type == kind))
    ).scalar()


async def run_job(db: Database, name: str, owner: str, *, force: bool = False, now: datetime | None = None) -> bool:
    """Claim ``name`` if it is due (or ``force``d, or triggered) and its lease is free, then run it.
    Returns whether this process ran it."""
    now = now or utcnow()
    async with db.read() as conn:
        row = (await conn.execute(select(job).where(job.c.name == name))).first()
        if row is None or not row.enabled:
            return False
        trigger_seq = await _triggered(conn, name, row.cursor)
        head = await last_sequence(conn)
    due = force or row.next_run_at <= now or trigger_seq is not None
    if not due:
        return False
    async with db.write() as conn:
        claimed = (
            await conn.execute(
                update(job)
                .where(
                    job.c.name == name,
                    or_(job.c.lease_until.is_(None), job.c.lease_until < now),
                    job.c.runs == row.runs,
                )
                .values(lease_owner=owner, lease_until=now + LEASE, last_started_at=now)
            )
        ).rowcount
    if claimed != 1:
        return False
    trigger = "manual" if force else TRIGGERS[name] if trigger_seq is not None and row.next_run_at > now else "schedule"
    interval, fn, *_ = JOBS[name]
    try:
        with audited(f"job:{name}", name):  # what a job changes is audited like an API call
            result = await fn(db, trigger)
        status, text = "ok", json.dumps(result, ensure_ascii=False, default=str)[:4000]
    except Exception as exc:  # the job's failure is its result; the scheduler goes on
        log.exception("job %s failed", name)
        status, text = "error", f"{type(exc).__name__}: {exc}"[:4000]
    finished = utcnow()
    async with db.write() as conn:
        await conn.execute(
            update(job)
            .where(job.c.name == name, job.c.lease_owner == owner)
            .values(
                lease_owner=None,
                lease_until=None,
                last_finished_at=finished,
                last_status=status,
                last_result=text,
                runs=job.c.runs + 1,
                next_run_at=finished + timedelta(seconds=interval),
                cursor=head if TRIGGERS.get(name) else job.c.cursor,
            )
        )
    return True


async def run_due_jobs(db: Database, owner: str | None = None) -> list[str]:
    owner = owner or process_name()
    await ensure_jobs(db)
    return [name for name in JOBS if await run_job(db, name, owner)]


class JobRunner:
    """Runs due jobs every few seconds inside a server process (``JXC_JOBS=0`` turns it off) or in
    ``jxc worker``, and beside them the webhook sender (server/integrations/delivery.py), which
    delivers continuously rather than at due times."""

    def __init__(self, db: Database, *, interval: float = 5.0):
        self.db = db
        self.interval = interval
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self.webhooks = WebhookSender(db)

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever(), name="jxc-jobs")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            done, _ = await asyncio.wait({self._task}, timeout=30)
            if not done:
                self._task.cancel()

    async def run_forever(self) -> None:
        owner = process_name()
        webhooks = asyncio.create_task(self.webhooks.run_forever(self._stopping), name="jxc-webhooks")
        try:
            await self._run_jobs(owner)
        finally:
            self._stopping.set()
            await webhooks

    async def _run_jobs(self, owner: str) -> None:
        while not self._stopping.is_set():
            try:
                await run_due_jobs(self.db, owner)
            except Exception:
                log.exception("job scheduler round failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            except TimeoutError:
                pass
