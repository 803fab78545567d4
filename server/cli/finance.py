"""``jxc finance setup|post|close|status``: the books from the command line."""

from __future__ import annotations

import asyncio
import sys

COMMANDS = ("finance",)


def add_parser(sub) -> None:
    fin = sub.add_parser("finance", help="books: setup, post pending events, close a period, status").add_subparsers(
        dest="action", required=True
    )
    fin.add_parser("setup").add_argument(
        "standard", choices=("enterprise", "small"), help="企业会计准则 (enterprise) or 小企业会计准则 (small)"
    )
    fin.add_parser("post")
    fin.add_parser("close").add_argument("period", type=int, help="yyyymm")
    fin.add_parser("status")


def run(args, settings) -> int:
    from server.core.errors import DomainError

    try:
        return asyncio.run(_finance(settings, args))
    except DomainError as exc:
        for d in exc.details:
            print(f"{d.code}: {d.message('zh')} / {d.message('en')}", file=sys.stderr)
        return 1


async def _finance(settings, args) -> int:
    """``jxc finance setup|post|close|status``."""
    from server.core.database import Database
    from server.finance import closing
    from server.finance.books import do_setup_books
    from server.finance.poster import post_pending, poster_lag, set_aside_events

    db = Database(settings.database_url)
    try:
        if args.action == "setup":
            await do_setup_books(db, args.standard, None)
            print(f"books set up ({args.standard}) / 已建账")
        booked = await post_pending(db)
        if args.action == "post":
            print(f"{booked} event(s) read / 个业务事件已处理")
        if args.action == "close":
            await closing.do_transfer_vat(db, args.period, None)
            await closing.do_close_profit(db, args.period, None)
            await closing.do_close_period(db, args.period, None)
            print(f"period {args.period} closed / 已结账")
        if args.action == "status":
            async with db.read() as conn:
                done, last = await poster_lag(conn)
                failures = await set_aside_events(conn)
            print(f"booked up to event {done} of {last} / 已记账到事件 {done}（共 {last}）")
            if failures:
                print(f"{len(failures)} event(s) set aside, not booked / 个业务事件无法记账，已搁置:")
            for f in failures:
                print(
                    f"  event {f.seq} {f.event_type} {f.source} (attempts {f.attempts}, since "
                    f"{f.first_failed_at:%Y-%m-%d %H:%M:%S}): {f.error}"
                )
        return 0
    finally:
        await db.dispose()
