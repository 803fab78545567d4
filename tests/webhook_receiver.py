"""A real HTTP webhook receiver for the tests and the benchmark: a small asyncio HTTP/1.1 server (keep-alive,
Content-Length bodies) on a free port that records every request, verifies its signature the Standard
Webhooks way and answers what the test scripted per path (status codes in turn, then 200; or a delay)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from server.core import clock
from server.integrations.signing import verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    verified: bool | None  # None: no secret known for the path
    duplicate: bool  # its webhook-id was received before on this path

    @property
    def id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = 0
    secrets: dict[str, list[str]] = field(default_factory=dict)  # path -> secrets any of which must verify
    script: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # path -> next statuses
    delay: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    received: list[Received] = field(default_factory=list)
    record: bool = True  # the benchmark only counts
    count: int = 0
    _seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _server: asyncio.AbstractServer | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def ids(self, path: str) -> list[str]:
        return [r.id for r in self.on(path)]

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def wait_for(self, predicate, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"receiver: condition not met after {timeout} s ({len(self.received)} received)")
            await asyncio.sleep(0.01)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if path in self.delay:
                    await asyncio.sleep(self.delay[path])
                statuses = self.script.get(path)
                status = statuses.pop(0) if statuses else 200
                self.count += 1
                if self.record:
                    self._record(path, headers, body, status)
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _record(self, path: str, headers: dict, body: bytes, status: int) -> None:
        secrets = self.secrets.get(path)
        verified = None
        if secrets:
            # the sender stamps requests with its clock (the tests set it): verify against the same clock
            now = clock.utcnow().timestamp()
            verified = all(verify(s, headers, body, now=now) for s in secrets)
        msg_id = headers.get("webhook-id", "")
        duplicate = msg_id in self._seen[path]
        if 200 <= status < 300:
            self._seen[path].add(msg_id)
        self.received.append(Received(path, headers, body, status, verified, duplicate))
