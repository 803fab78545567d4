"""The ``jxc`` command: serve, migrate, demo-data, check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

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

    db = Database(settings.database_url)
    try:
        async with db.read() as conn:
            return await verify_ledger(conn)
    finally:
        await db.dispose()


def _serve(host: str, port: int, workers: int, log_level: str) -> None:
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("server.app:create_app", factory=True, host=host, port=port, workers=workers,
                            log_level=log_level, ws="websockets-sansio")
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    # uvicorn creates the shared socket with protocol 0, so asyncio skips TCP_NODELAY on the accepted
    # connections and small responses wait ~40 ms for delayed ACKs. Linux copies TCP_NODELAY from the
    # listening socket to the connections it accepts.
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jxc", description="jxc 进销存 server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve GraphQL on /graphql and /healthz")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    sub.add_parser("migrate", help="upgrade the database schema in place")
    sub.add_parser("demo-data", help="load the demo company once (no-op if present)")
    sub.add_parser("check", help="verify that stock levels and values equal the ledger")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if args.command == "migrate":
        _migrate(settings)
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
    if args.command == "serve":
        host = args.host or settings.host
        port = args.port or settings.port
        workers = args.workers or settings.workers
        print(f"jxc GraphQL: http://{host}:{port}/graphql")
        _serve(host, port, workers, settings.log_level)
        return 0
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
