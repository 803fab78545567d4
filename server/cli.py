"""The ``jxc`` command: serve, migrate, demo-data, check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from server.settings import load_settings


def _migrate(settings) -> None:
    from server.migrate import upgrade

    upgrade(settings.database_url)
    print(f"database is up to date: {_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def _demo(settings) -> bool:
    from server.database import Database
    from server.demo import load_demo_data

    db = Database(settings.database_url)
    try:
        return await load_demo_data(db)
    finally:
        await db.dispose()


async def _check(settings) -> list[str]:
    from server.database import Database
    from server.inventory.check import verify_ledger

    from server.finance.check import books_problems
    from server.finance.poster import post_pending

    db = Database(settings.database_url)
    try:
        await post_pending(db)  # the books are compared once every business event is booked
        async with db.read() as conn:
            return await verify_ledger(conn) + await books_problems(conn)
    finally:
        await db.dispose()


async def _job_worker(settings, args) -> int:
    """``jxc worker [--once | --job NAME]`` and ``jxc jobs``."""
    from sqlalchemy import select

    from server.automation.jobs import JOBS, JobRunner, ensure_jobs, process_name, run_due_jobs, run_job
    from server.automation.models import job
    from server.database import Database

    db = Database(settings.database_url)
    try:
        await ensure_jobs(db)
        if args.command == "jobs":
            async with db.read() as conn:
                for r in await conn.execute(select(job).order_by(job.c.name)):
                    print(f"{r.name:22} {JOBS[r.name][2]:8} every {r.interval_seconds:>6}s  next {r.next_run_at:%Y-%m-%d %H:%M}"
                          f"  last {r.last_status or '-':5} {r.last_result[:80]}")
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


async def _finance(settings, args) -> int:
    """``jxc finance setup|post|close|status``."""
    from server.database import Database
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
                print(f"  event {f.seq} {f.event_type} {f.source} (attempts {f.attempts}, since "
                      f"{f.first_failed_at:%Y-%m-%d %H:%M:%S}): {f.error}")
        return 0
    finally:
        await db.dispose()


async def _labels(db, args) -> int:
    """All active products (or bins) on label sheets, with a progress bar on stderr."""
    from sqlalchemy import select

    from server.catalog.models import product
    from server.inventory.models import location, warehouse
    from server.scanning import labels

    async with db.read() as conn:
        if args.what == "products":
            ids = [r.id for r in await conn.execute(select(product.c.id).where(product.c.active).order_by(product.c.sku))]
        else:
            q = select(location.c.id).join(warehouse, warehouse.c.id == location.c.warehouse_id).where(
                location.c.active, location.c.kind == "bin").order_by(location.c.code)
            if args.warehouse:
                q = q.where(warehouse.c.code == args.warehouse)
            ids = [r.id for r in await conn.execute(q)]
        items = []
        for n, pk in enumerate(ids, start=1):
            if args.what == "products":
                try:
                    items.append(await labels.product_label(conn, pk, args.kind))
                except Exception as exc:  # a product without a GTIN gets no EAN label: say so, go on
                    print(f"\nskipped product {pk}: {exc}", file=sys.stderr)
            else:
                items.append(await labels.location_label(conn, pk))
            done = n * 30 // max(len(ids), 1)
            print(f"\r[{'#' * done}{'.' * (30 - done)}] {n}/{len(ids)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    Path(args.output).write_bytes(labels.labels_pdf(items, args.layout))
    return len(items)


async def _with_db(settings, fn):
    from server.database import Database

    db = Database(settings.database_url)
    try:
        return await fn(db)
    finally:
        await db.dispose()


async def _first_run(db) -> None:
    import os

    from server.auth import services as auth

    await auth.ensure_builtin_roles(db)
    generated = await auth.ensure_admin(db, os.environ.get("JXC_ADMIN_PASSWORD"))
    if generated:
        print(f"created user admin with password / 已创建管理员 admin，密码: {generated}")
        print("  (shown once; change it with `jxc user passwd admin` / 只显示一次)")


def _admin_command(settings, run) -> int:
    """Run an administrative action; a domain error is printed (in English) and exits 1."""
    from server.errors import DomainError

    try:
        return asyncio.run(_with_db(settings, run))
    except DomainError as exc:
        print("; ".join(f"{d.field}: {d.message('en')}" for d in exc.details), file=sys.stderr)
        return 1


def _users(args, settings) -> int:
    import secrets

    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for u in await auth.list_users(db):
                print(f"{u['username']:<20} {'active' if u['active'] else 'disabled':<9} {','.join(u['roles']):<30} "
                      f"{u['display_name']}")
            return 0
        if args.action == "disable":
            await auth.do_set_user_active(db, args.username, False, actor="system:cli")
            print(f"disabled {args.username} / 已停用")
            return 0
        password = args.password or secrets.token_urlsafe(12)
        if args.action == "create":
            await auth.do_create_user(db, username=args.username, password=password, display_name=args.display_name,
                                      roles=args.role or [], warehouse_ids=await _warehouse_ids(db, args.warehouse or []),
                                      actor="system:cli")
        else:
            await auth.do_set_password(db, args.username, password, actor="system:cli")
        if not args.password:
            print(f"password / 密码: {password}  (shown once / 只显示一次)")
        print(f"{args.action} {args.username}: OK")
        return 0

    return _admin_command(settings, run)


async def _warehouse_ids(db, codes: list[str]) -> list[int]:
    from sqlalchemy import select

    from server.errors import AuthError
    from server.inventory.models import warehouse

    async with db.read() as conn:
        found = dict((await conn.execute(select(warehouse.c.code, warehouse.c.id).where(warehouse.c.code.in_(codes)))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise AuthError("NOT_FOUND", "warehouse", what="warehouse")
    return [found[c] for c in codes]


def _roles(args, settings) -> int:
    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for r in await auth.list_roles(db):
                kind = "built-in" if r["builtin"] else "custom"
                print(f"{r['code']:<18} {r['name']:<8} {kind:<9} {' '.join(r['permissions'])}")
            return 0
        await auth.do_create_role(db, code=args.code, name=args.name, permissions=args.permission or [],
                                  actor="system:cli")
        print(f"created role {args.code} / 已创建角色")
        return 0

    return _admin_command(settings, run)


def _tokens(args, settings) -> int:
    from server.auth import services as auth

    async def run(db):
        if args.action == "list":
            for t in await auth.list_tokens(db):
                state = "revoked" if t["revoked_at"] else "active"
                print(f"{t['id']:>5} {t['name']:<24} {t['code']:<18} {state:<8} last used {t['last_used_at'] or '-'}")
            return 0
        if args.action == "revoke":
            await auth.do_revoke_token(db, args.id, actor="system:cli")
            print(f"revoked token {args.id} / 已撤销")
            return 0
        token_id, token = await auth.do_create_api_token(db, name=args.name, role_code=args.role, actor="system:cli")
        print(f"token {token_id} ({args.name}, role {args.role}) / 令牌:\n{token}\n(shown once / 只显示一次)")
        return 0

    return _admin_command(settings, run)


IN_USE = ("the address is already in use: another server listens there", "地址已被占用：另一个服务正在监听")


class CannotListen(Exception):
    """``jxc serve`` cannot listen: the address is taken (by another ``jxc serve`` or anything else), or
    the system refuses it. The message is in English and Chinese."""

    def __init__(self, host: str, port: int, reason: tuple[str, str]):
        self.host, self.port, self.reason = host, port, reason
        super().__init__(f"{host}:{port}: {reason[0]}")

    def message(self) -> str:
        en, zh = self.reason
        return (f"jxc serve: cannot listen on {self.host}:{self.port}: {en}; stop the other server or choose "
                f"another port with --port\n"
                f"jxc serve：无法监听 {self.host}:{self.port}：{zh}；请先停止另一个服务，或用 --port 换一个端口")


def _family(host: str):
    import socket

    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _listening_socket(host: str, port: int, *, reuse_port: bool = False):
    """A listening TCP socket with ``TCP_NODELAY`` (inherited by accepted connections on Linux).

    Without ``reuse_port`` it is a plain bind, which fails while anything else listens on the port
    — including another ``jxc serve``. ``reuse_port`` (``SO_REUSEPORT``) is only for the sockets the
    supervisor binds for its own workers, right after such a plain probe: each worker accepts on its
    own socket and the kernel spreads new connections across them evenly (a single shared socket
    lets one worker take most keep-alive connections)."""
    import socket

    sock = socket.socket(_family(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # only lets TIME_WAIT leftovers go
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        import errno

        reason = IN_USE if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc),) * 2
        raise CannotListen(host, port, reason) from None
    return sock


def _serve_lock(host: str, port: int):
    """A per-address lock between ``jxc serve`` supervisors (a Linux abstract socket, gone with the
    process): two supervisors starting at the same moment cannot both pass the plain probe and then
    join one SO_REUSEPORT group. Elsewhere the probe alone guards."""
    import socket

    if not sys.platform.startswith("linux"):
        return None
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind(f"\0jxc-serve:{host}:{port}")
    except OSError:
        lock.close()
        raise CannotListen(host, port, ("the address is already in use: another jxc serve is starting there",
                                        "地址已被占用：另一个 jxc serve 正在启动")) from None
    return lock


def _uvicorn_config(host: str, port: int, log_level: str):
    import uvicorn

    # httptools (C) parses HTTP instead of h11 (pure Python): measured ~0.6 ms less CPU per request
    return uvicorn.Config("server.web.app:create_app", factory=True, host=host, port=port, log_level=log_level,
                          http="httptools", ws="websockets-sansio")


def _worker(host: str, port: int, log_level: str, sock) -> None:
    """One uvicorn server accepting on ``sock``, which the supervisor bound (never binds itself)."""
    import uvicorn

    uvicorn.Server(_uvicorn_config(host, port, log_level)).run(sockets=[sock])


def _serve(host: str, port: int, workers: int, log_level: str) -> None:
    """One process, or ``workers`` processes supervised here: SIGINT/SIGTERM stop them all gracefully,
    a worker that dies is restarted on the same socket.

    The port is checked with a plain bind first, so a second ``jxc serve`` on a taken port refuses
    to start (``CannotListen``) instead of silently sharing it. With several workers the supervisor
    then binds their ``SO_REUSEPORT`` sockets itself before spawning them and keeps them open:
    workers never bind, and no later ``jxc serve`` gets past the probe."""
    import multiprocessing
    import signal
    import time

    if workers <= 1:
        sock = _listening_socket(host, port)
        print(f"jxc GraphQL: http://{host}:{port}/graphql", flush=True)
        _worker(host, port, log_level, sock)
        return
    lock = _serve_lock(host, port)
    _listening_socket(host, port).close()  # the plain probe: is anything listening there already?
    socks = [_listening_socket(host, port, reuse_port=True) for _ in range(workers)]
    print(f"jxc GraphQL: http://{host}:{port}/graphql ({workers} workers)", flush=True)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start(sock):
        proc = ctx.Process(target=_worker, args=(host, port, log_level, sock), name="jxc-worker")
        proc.start()
        return proc

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    procs = [start(sock) for sock in socks]
    while not stopping:
        time.sleep(0.2)
        for i, proc in enumerate(procs):
            if not proc.is_alive() and not stopping:
                logging.getLogger("jxc").warning("worker %s exited (%s); restarting", proc.pid, proc.exitcode)
                procs[i] = start(socks[i])
    for proc in procs:
        if proc.is_alive():
            proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
    for proc in procs:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    for sock in socks:
        sock.close()
    if lock is not None:
        lock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jxc", description="jxc 进销存 server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve GraphQL on /graphql and /healthz")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    sub.add_parser("migrate", help="upgrade the database schema in place")
    demo = sub.add_parser("demo-data", help="load the demo company once (no-op if present)")
    demo.add_argument("--scale", choices=("normal", "large"), default="normal",
                      help="large: ≥ 10,000 products, ≥ 1,000,000 stock moves, ≥ 200,000 sales lines (benchmarks)")
    demo.add_argument("--products", type=int, default=10_000, help="with --scale large")
    sub.add_parser("check", help="verify that stock levels and values equal the ledger, and the books agree")
    worker = sub.add_parser("worker", help="run the scheduled jobs (forecasts, automatic POs, expiry alerts, posting)")
    worker.add_argument("--once", action="store_true", help="run what is due now and exit")
    worker.add_argument("--job", help="run this job now, due or not, and exit")
    sub.add_parser("jobs", help="list the scheduled jobs with their last result")
    fin = sub.add_parser("finance", help="books: setup, post pending events, close a period, status").add_subparsers(
        dest="action", required=True)
    fin.add_parser("setup").add_argument("standard", choices=("enterprise", "small"),
                                         help="企业会计准则 (enterprise) or 小企业会计准则 (small)")
    fin.add_parser("post")
    fin.add_parser("close").add_argument("period", type=int, help="yyyymm")
    fin.add_parser("status")
    labels = sub.add_parser("labels", help="print barcode labels to a PDF (products or bins)")
    labels.add_argument("what", choices=["products", "locations"])
    labels.add_argument("--kind", default="ean13", help="products: ean13 | code128 | gs1_128 | qr")
    labels.add_argument("--layout", default="a4_3x8", help="a4_3x8 | 50x30")
    labels.add_argument("--warehouse", help="locations: only this warehouse (code)")
    labels.add_argument("-o", "--output", required=True)
    sub.add_parser("expiring", help="write a lot.expiring event for lots expiring soon (run daily)").add_argument(
        "--days", type=int, default=30)
    users = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    for action in ("create", "passwd"):
        p = users.add_parser(action)
        p.add_argument("username")
        p.add_argument("--password", help="default: generate one and print it once")
        if action == "create":
            p.add_argument("--display-name", default="")
            p.add_argument("--role", action="append", help="role code, repeatable (admin, purchaser, …)")
            p.add_argument("--warehouse", action="append", help="restrict to this warehouse code, repeatable")
    users.add_parser("disable").add_argument("username")
    users.add_parser("list")
    roles = sub.add_parser("role", help="list roles, create custom ones").add_subparsers(dest="action", required=True)
    p = roles.add_parser("create")
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--permission", action="append", help="permission code, repeatable (e.g. stock.receive)")
    roles.add_parser("list")
    tokens = sub.add_parser("token", help="manage API tokens for devices and integrations").add_subparsers(
        dest="action", required=True)
    p = tokens.add_parser("create")
    p.add_argument("name")
    p.add_argument("--role", required=True, help="role code, e.g. scanner")
    tokens.add_parser("revoke").add_argument("id", type=int)
    tokens.add_parser("list")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if args.command == "migrate":
        _migrate(settings)
        asyncio.run(_with_db(settings, _first_run))
        return 0
    if args.command == "user":
        return _users(args, settings)
    if args.command == "token":
        return _tokens(args, settings)
    if args.command == "role":
        return _roles(args, settings)
    if args.command == "demo-data" and args.scale == "large":
        from server.database import Database
        from server.demo_large import load_large_demo

        async def large():
            db = Database(settings.database_url)
            try:
                return await load_large_demo(db, products=args.products)
            finally:
                await db.dispose()
        loaded = asyncio.run(large())
        print("large demo loaded / 已加载大数据演示" if loaded else "large demo already present / 已存在")
        return 0
    if args.command == "demo-data":
        loaded = asyncio.run(_demo(settings))
        print("demo data loaded / 已加载演示数据" if loaded else "demo data already present / 演示数据已存在")
        return 0
    if args.command == "check":
        problems = asyncio.run(_check(settings))
        for line in problems:
            print(line)
        print(f"{len(problems)} mismatch(es) / 处不一致" if problems else "ledger OK / 账实一致")
        return 1 if problems else 0
    if args.command in ("worker", "jobs"):
        return asyncio.run(_job_worker(settings, args))
    if args.command == "finance":
        from server.errors import DomainError

        try:
            return asyncio.run(_finance(settings, args))
        except DomainError as exc:
            for d in exc.details:
                print(f"{d.code}: {d.message('zh')} / {d.message('en')}", file=sys.stderr)
            return 1
    if args.command == "labels":
        count = asyncio.run(_with_db(settings, lambda db: _labels(db, args)))
        print(f"{count} label(s) → {args.output}")
        return 0
    if args.command == "expiring":
        from server.inventory.lots import do_alert_expiring_lots

        count = asyncio.run(_with_db(settings, lambda db: do_alert_expiring_lots(db, args.days)))
        print(f"{count} lot(s) expiring within {args.days} days alerted / 个批次临期预警")
        return 0
    if args.command == "serve":
        host = args.host or settings.host
        port = args.port or settings.port
        workers = args.workers or settings.workers
        try:
            _serve(host, port, workers, settings.log_level)
        except CannotListen as exc:
            print(exc.message(), file=sys.stderr)
            return 1
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
