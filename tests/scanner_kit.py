"""Helpers of the ``jxc-scan`` end-to-end tests: the client as a subprocess (one command, or ``run``
typed into line by line), a server that accepts connections and never answers (a Wi-Fi dead zone), a
proxy in front of the real server that can fail requests, and purchase orders to receive."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

from sqlalchemy import select

EAN = "9521234543213"
UNKNOWN = "9521234999997"  # a valid EAN-13 no product has


def client_env(home, **extra) -> dict:
    env = dict(
        os.environ, JXC_SCAN_HOME=str(home), JXC_SCAN_TIMEOUT="2", JXC_SCAN_BACKOFF="0.05", JXC_SCAN_BACKOFF_MAX="0.3"
    )
    env.pop("NO_COLOR", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def jxc_scan(home, *args, stdin: str = "", timeout: float = 60, umask: int = -1, **env) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "scanner_client.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=client_env(home, **env),
        timeout=timeout,
        umask=umask,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


class Handheld:
    """``jxc-scan run`` with a worker typing into it: ``type`` sends one line and waits for the
    client's answer to it (the status line it prints after every line, or a prompt)."""

    def __init__(self, home, **env):
        os.makedirs(str(home), exist_ok=True)
        self.stderr = open(os.path.join(str(home), f"stderr-{time.monotonic_ns()}.txt"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scanner_client.cli", "run"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            env=client_env(home, **env),
        )
        self.lines: list[str] = []
        self._eof = False
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def wait_until(self, cond, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out; output so far:\n" + "\n".join(self.lines))
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self._eof = True
                if cond():
                    return
                raise AssertionError("the client exited; output:\n" + "\n".join(self.lines) + self.errors())
            self.lines.append(line)

    def wait_for(self, text: str, n: int = 1, timeout: float = 30) -> None:
        self.wait_until(lambda: self.count(text) >= n, timeout)

    def type(self, line: str, answer: str = "⋯") -> float:
        """Seconds from typing ``line`` to the client's answer."""
        before = self.count(answer)
        start = time.monotonic()
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.wait_until(lambda: self.count(answer) > before)
        return time.monotonic() - start

    def close(self, timeout: float = 60) -> int:
        """End of input (Ctrl-D): the exit status, once the client has exited and its output is read."""
        self.proc.stdin.close()
        rc = self.proc.wait(timeout)
        while not self._eof:
            line = self._q.get(timeout=10)
            if line is None:
                self._eof = True
            else:
                self.lines.append(line)
        assert "Traceback" not in self.errors(), self.errors()
        return rc

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@contextlib.contextmanager
def dead_zone(port: int):
    """Connections to ``port`` are accepted by the kernel and never answered: every request hangs
    until the client's timeout, like a handheld at the edge of the Wi-Fi."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    try:
        yield
    finally:
        sock.close()


class FlakyProxy:
    """Forwards to the real server; ``down`` answers 503 (a gateway without its server); ``poison``: a
    request naming that code gets the server's INTERNAL_ERROR response instead (a scan the server
    chokes on — in a batch the whole batch fails, as a failed transaction does); ``delay``: seconds
    the server's answer is held back after the server has applied the request."""

    def __init__(self, upstream: str):
        self.upstream, self.down, self.poison, self.delay = upstream, False, None, 0.0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if proxy.down:
                    return self._send(503, b"<html>503 Service Unavailable</html>", "text/html")
                if proxy.poison and proxy.poison in body.decode():
                    return self._send(
                        200,
                        json.dumps(
                            {
                                "data": None,
                                "errors": [
                                    {
                                        "message": "服务器内部错误，请求编号 test0001。",
                                        "path": ["scan"],
                                        "extensions": {"code": "INTERNAL_ERROR", "requestId": "test0001"},
                                    }
                                ],
                            }
                        ).encode(),
                    )
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=body,
                    method="POST",
                    headers={
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("authorization", "content-type", "accept-language")
                    },
                )
                with urllib.request.urlopen(request, timeout=30) as resp:
                    status, data = resp.status, resp.read()
                time.sleep(proxy.delay)  # applied by the server; the answer is slow to come back
                self._send(status, data)

            def _send(self, status, data, ctype="application/json"):
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def queue_rows(home, sql: str = "SELECT seq, kind, line, status, error_code FROM op ORDER BY seq"):
    with contextlib.closing(sqlite3.connect(os.path.join(str(home), "queue.sqlite3"))) as conn:
        return conn.execute(sql).fetchall()


async def order_to_receive(db, *lines):
    """An approved PO; each line ``(ean, quantity, tracking, box_ean)`` is a product labelled ``ean``
    (and its box of 12 ``box_ean``). Returns (product ids, PO number)."""
    from server.catalog.services import AltUnitInput, BarcodeInput, ProductInput, do_create_product
    from server.purchasing import orders
    from server.purchasing.models import purchase_order
    from tests.purchasing_helpers import MANAGER, PURCHASER, make_purchasing_world

    pw = await make_purchasing_world(db)
    products = []
    for i, (ean, _qty, tracking, box) in enumerate(lines):
        products.append(
            await do_create_product(
                db,
                ProductInput(
                    sku=f"SCAN-{i}",
                    name=f"扫码商品 {i}",
                    base_unit_id=pw.w.pcs,
                    purchase_price="2.00",
                    sale_price="5.00",
                    tracking=tracking,
                    units=[AltUnitInput(unit_id=pw.w.box, factor="12")],
                    barcodes=[BarcodeInput(code=ean)] + ([BarcodeInput(code=box, unit_id=pw.w.box)] if box else []),
                ),
            )
        )
    order_id = await orders.do_create_purchase_order(
        db,
        orders.OrderInput(
            pw.supplier, pw.w.wh1, [orders.OrderLineInput(pid, qty) for pid, (_, qty, _, _) in zip(products, lines)]
        ),
        PURCHASER,
    )
    await orders.do_submit_purchase_order(db, order_id, PURCHASER)
    await orders.do_approve_purchase_order(db, order_id, MANAGER)
    async with db.read() as conn:
        number = (
            await conn.execute(select(purchase_order.c.number).where(purchase_order.c.id == order_id))
        ).scalar_one()
    return products, number


async def received(db) -> dict:
    """Accepted quantity (whole units) by (product, lot code, expiry) over all receipts."""
    from server.inventory.models import lot
    from server.purchasing.models import goods_receipt_line as grl

    out: dict = {}
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(grl.c.product_id, lot.c.code, lot.c.expiry_date, grl.c.accepted_qty).select_from(
                    grl.outerjoin(lot, lot.c.id == grl.c.lot_id)
                )
            )
        ).all()
    for pid, code, expiry, qty in rows:
        key = (pid, code, expiry.isoformat() if expiry else None)
        out[key] = out.get(key, 0) + qty // 10**6
    return out
