"""Real uvicorn server processes for end-to-end tests (subscriptions across processes, concurrency)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import websockets

from server.core import clock

#: how long ``jxc serve`` may take to answer /healthz: a few seconds on a quiet machine, but on a
#: 2-core CI machine under load (another suite, browser builds) it was seen to take 37 s
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(str):
    """The base URL of a running server; ``pid`` is its (master) process; ``token`` an admin API token."""

    pid: int
    token: str


def _admin_token(database_url: str) -> str:
    from server.core.database import Database
    from tests.gql import admin_token

    async def make():
        db = Database(database_url)
        try:
            return await admin_token(db)
        finally:
            await db.dispose()

    # callable from async tests too: run on a loop of its own in a helper thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


def auth_headers(base) -> dict:
    return {"authorization": f"Bearer {base.token}"}


@contextlib.contextmanager
def running_server(database_url: str, *, workers: int = 1, port: int | None = None):
    """Start ``jxc serve`` on a free port (or ``port``) and wait until /healthz answers; stop it afterwards."""
    port = port or free_port()
    token = _admin_token(database_url)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        JXC_LOG_LEVEL="warning",
        JXC_CLOCK=clock.utcnow().isoformat(),
        JXC_TIMEZONE=str(clock.business_zone()),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = Server(f"http://127.0.0.1:{port}")
    base.pid = proc.pid
    base.token = token
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def graphql(http: httpx.AsyncClient, base: str, query: str, variables: dict | None = None) -> dict:
    resp = await http.post(
        base + "/graphql", json={"query": query, "variables": variables or {}}, headers=auth_headers(base)
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert not body.get("errors"), body
    return body["data"]


class Subscription:
    """A ``graphql-transport-ws`` client for one subscription."""

    def __init__(self, ws):
        self.ws = ws

    async def next(self, timeout: float = 5.0) -> dict:
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if msg["type"] == "next":
                assert not msg["payload"].get("errors"), msg
                return msg["payload"]["data"]
            if msg["type"] in ("error", "complete"):
                raise AssertionError(msg)

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return True
        return False


@contextlib.asynccontextmanager
async def subscribe(base: str, query: str, variables: dict | None = None):
    url = base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": getattr(base, "token", None)}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        )
        yield Subscription(ws)
