"""``jxc serve``: the listening sockets, the per-address lock and the worker supervisor."""

from __future__ import annotations

import logging
import sys

COMMANDS = ("serve",)

IN_USE = ("the address is already in use: another server listens there", "地址已被占用：另一个服务正在监听")


def add_parser(sub) -> None:
    serve = sub.add_parser("serve", help="serve GraphQL on /graphql and /healthz")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)


def run(args, settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    try:
        _serve(host, port, workers, settings.log_level, settings.log_format)
    except CannotListen as exc:
        print(exc.message(), file=sys.stderr)
        return 1
    return 0


class CannotListen(Exception):
    """``jxc serve`` cannot listen: the address is taken (by another ``jxc serve`` or anything else), or
    the system refuses it. The message is in English and Chinese."""

    def __init__(self, host: str, port: int, reason: tuple[str, str]):
        self.host, self.port, self.reason = host, port, reason
        super().__init__(f"{host}:{port}: {reason[0]}")

    def message(self) -> str:
        en, zh = self.reason
        return (
            f"jxc serve: cannot listen on {self.host}:{self.port}: {en}; stop the other server or choose "
            f"another port with --port\n"
            f"jxc serve：无法监听 {self.host}:{self.port}：{zh}；请先停止另一个服务，或用 --port 换一个端口"
        )


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
        raise CannotListen(
            host,
            port,
            (
                "the address is already in use: another jxc serve is starting there",
                "地址已被占用：另一个 jxc serve 正在启动",
            ),
        ) from None
    return lock


def _uvicorn_config(host: str, port: int, log_level: str, log_format: str = "text"):
    import uvicorn

    from server.web.logs import logging_config

    # httptools (C) parses HTTP instead of h11 (pure Python): measured ~0.6 ms less CPU per request
    return uvicorn.Config(
        "server.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=logging_config(log_format, log_level),  # in every worker: uvicorn's records and jxc's alike
        http="httptools",
        ws="websockets-sansio",
    )


def _worker(host: str, port: int, log_level: str, log_format: str, sock) -> None:
    """One uvicorn server accepting on ``sock``, which the supervisor bound (never binds itself)."""
    import uvicorn

    uvicorn.Server(_uvicorn_config(host, port, log_level, log_format)).run(sockets=[sock])


def _serve(host: str, port: int, workers: int, log_level: str, log_format: str = "text") -> None:
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
        _worker(host, port, log_level, log_format, sock)
        return
    lock = _serve_lock(host, port)
    _listening_socket(host, port).close()  # the plain probe: is anything listening there already?
    socks = [_listening_socket(host, port, reuse_port=True) for _ in range(workers)]
    print(f"jxc GraphQL: http://{host}:{port}/graphql ({workers} workers)", flush=True)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start(sock):
        proc = ctx.Process(target=_worker, args=(host, port, log_level, log_format, sock), name="jxc-worker")
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
