"""``jxc worker``, ``jxc jobs`` and ``jxc expiring``: the scheduled jobs and the daily expiry alert."""

from __future__ import annotations

import asyncio
import sys

from server.cli.common import with_db

COMMANDS = ("worker", "jobs", "expiring")


def add_parser(sub) -> None:
    worker = sub.add_parser("worker", help="run the scheduled jobs (forecasts, automatic POs, expiry alerts, posting)")
    worker.add_argument("--once", action="store_true", help="run what is due now and exit")
    worker.add_argument("--job", help="run this job now, due or not, and exit")
    sub.add_parser("jobs", help="list the scheduled jobs with their last result")


def add_expiring_parser(sub) -> None:
    """``jxc expiring``, registered after ``labels`` so that ``jxc --help`` lists the commands as it always has."""
    sub.add_parser("expiring", help="write a lot.expiring event for lots expiring soon (run daily)").add_argument(
        "--days", type=int, default=30
    )


def run(args, settings) -> int:
    if args.command in ("worker", "jobs"):
        return asyncio.run(_job_worker(settings, args))
    if args.command == "expiring":
        from server.inventory.lots import do_alert_expiring_lots

        count = asyncio.run(with_db(settings, lambda db: do_alert_expiring_lots(db, args.days)))
        print(f"{count} lot(s) expiring within {args.days} days alerted / 个批次临期预警")
        return 0
    return 2  # pragma: no cover


async def _job_worker(settings, args) -> int:
    """``jxc worker [--once | --job NAME]`` and ``jxc jobs``."""
    from sqlalchemy import select

    from server.automation.jobs import JOBS, JobRunner, ensure_jobs, process_name, run_due_jobs, run_job
    from server.automation.models import job
    from server.core.database import Database
    from server.maintenance.scheduled import register_maintenance_jobs

    register_maintenance_jobs(settings)
    db = Database(settings.database_url)
    try:
        await ensure_jobs(db)
        if args.command == "jobs":
            async with db.read() as conn:
                for r in await conn.execute(select(job).order_by(job.c.name)):
                    print(
                        f"{r.name:22} {JOBS[r.name][2] if r.name in JOBS else '-':8} every {r.interval_seconds:>6}s  next {r.next_run_at:%Y-%m-%d %H:%M}"
                        f"  last {r.last_status or '-':5} {r.last_result[:80]}"
                    )
            return 0
        if args.job:
            if args.job not in JOBS:
                print(f"unknown job {args.job}: {' | '.join(JOBS)}", file=sys.stderr)
                return 2
            ran = await run_job(db, args.job, process_name(), force=True)
            print(f"{args.job}: {'ran' if ran else 'busy elsewhere'}")
            return 0
        if args.once:
            print("ran: " + (", ".join(await run_due_jobs(db)) or "nothing due"))
            return 0
        print("jxc worker: running scheduled jobs (Ctrl-C to stop) / 定时任务运行中")
        await JobRunner(db).run_forever()
        return 0
    finally:
        await db.dispose()
