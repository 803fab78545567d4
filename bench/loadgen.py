"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams.

httpx costs more CPU per request than the server under test on a 2-core machine; this client only
formats bytes and reads ``Content-Length`` bodies, so most of the CPU stays with the server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RunResult:
    clients: int
    ok: int = 0
    failed: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] * 1000


class Connection:
    def __init__(self, host: str, port: int, token: str | None = None):
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n{self.auth}Connection: keep-alive\r\n\r\n"
        ).encode()
        self.writer.write(head + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, json.loads(data)

    def close(self) -> None:
        if self.writer:
            self.writer.close()


async def run_load(
    host: str,
    port: int,
    clients: int,
    duration: float,
    make_body: Callable[[int, int], dict],
    is_ok: Callable[[dict], bool],
    token: str | None = None,
) -> RunResult:
    """``clients`` connections each send requests back to back for ``duration`` seconds."""
    result = RunResult(clients)
    conns = [Connection(host, port, token) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in conns))
    stop_at = time.perf_counter() + duration

    async def worker(idx: int, conn: Connection) -> None:
        n = 0
        while time.perf_counter() < stop_at:
            body = make_body(idx, n)
            n += 1
            t0 = time.perf_counter()
            status, data = await conn.post_json("/graphql", body)
            result.latencies.append(time.perf_counter() - t0)
            if status == 200 and is_ok(data):
                result.ok += 1
            else:
                result.failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
    result.elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    return result
