"""``jxc-scan``: sign in with a device token, start a session, then every line on standard input is a
scan (``CODE`` or ``CODE*QUANTITY``; ``undo``, ``done``). Each scan goes to the local queue first, then
to the server; when the server is unreachable the worker keeps scanning and the queue is replayed in
order once it is back. Talks to the server only through the public GraphQL API.

    jxc-scan login --server http://127.0.0.1:8000 --token jxc_…
    jxc-scan start RECEIVE --document PO2026-000001 [--location WH1-A-01]
    jxc-scan run              # scan away; Ctrl-D to stop
    jxc-scan status | sync | complete | decode IMAGE
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from scanner_client.queue import ScanQueue

GREEN, RED, YELLOW, RESET, BELL = "\033[32m", "\033[31m", "\033[33m", "\033[0m", "\a"

SCAN = """mutation($s: ID!, $c: String!, $k: String!, $q: Quantity, $t: DateTime) {
  scan(sessionId: $s, code: $c, scanId: $k, quantity: $q, deviceTime: $t) {
    answer { ok message replayed } errors { code message } } }"""


SCAN_BATCH = """mutation($s: ID!, $scans: [ScanItemInput!]!) { scanBatch(sessionId: $s, scans: $scans) {
    results { answer { ok message replayed } errors { code message } } errors { code message } } }"""
REPLAY_BATCH = 100


class Offline(Exception):
    """The server cannot be reached now: keep the scan queued."""


def _home() -> Path:
    home = Path(os.environ.get("JXC_SCAN_HOME", Path.home() / ".jxc-scan"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def call(queue: ScanQueue, query: str, variables: dict, timeout: float = 5.0) -> dict:
    server, token = queue.get("server"), queue.get("token")
    if not server or not token:
        raise SystemExit("not signed in: jxc-scan login --server URL --token TOKEN")
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(server.rstrip("/") + "/graphql", data=body, method="POST", headers={
        "content-type": "application/json", "authorization": f"Bearer {token}",
        "accept-language": queue.get("lang", "zh-CN")})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        raise Offline(str(exc)) from None
    if data.get("errors"):
        raise SystemExit(f"{RED}{data['errors'][0].get('message')}{RESET}")
    return data["data"]


def _results(queue: ScanQueue, chunk) -> list[dict]:
    """Send one queued scan, or several of one session in one ``scanBatch`` (replaying after being
    offline); one ``{answer, errors}`` per scan, in order."""
    if len(chunk) == 1:
        row = chunk[0]
        return [call(queue, SCAN, {"s": row["session_id"], "c": row["code"], "k": row["scan_id"],
                                   "q": row["quantity"], "t": row["device_time"]})["scan"]]
    data = call(queue, SCAN_BATCH, {"s": chunk[0]["session_id"], "scans": [
        {"code": r["code"], "scanId": r["scan_id"], "quantity": r["quantity"], "deviceTime": r["device_time"]}
        for r in chunk]})["scanBatch"]
    if data["errors"]:  # the batch itself was refused (e.g. the session is closed): each scan says so
        return [{"answer": None, "errors": data["errors"]} for _ in chunk]
    return data["results"]


def send_pending(queue: ScanQueue, out=sys.stdout) -> int:
    """Replay queued scans in order (consecutive scans of a session in batches); stops when the server
    cannot be reached, leaving the rest queued."""
    sent, rows = 0, queue.pending()
    while sent < len(rows):
        chunk = [rows[sent]]
        while (sent + len(chunk) < len(rows) and len(chunk) < REPLAY_BATCH
               and rows[sent + len(chunk)]["session_id"] == chunk[0]["session_id"]):
            chunk.append(rows[sent + len(chunk)])
        try:
            results = _results(queue, chunk)
        except Offline:
            break
        for row, data in zip(chunk, results):
            if data["errors"]:
                message = data["errors"][0]["message"]
                queue.mark(row["scan_id"], "refused", message)
                print(f"{RED}✗ {row['code']}: {message}{RESET}{BELL}", file=out, flush=True)
            else:
                answer = data["answer"]
                queue.mark(row["scan_id"], "sent", answer["message"])
                print(f"{GREEN}✓ {answer['message']}{RESET}", file=out, flush=True)
        sent += len(chunk)
    return sent


def run(queue: ScanQueue, lines, out=sys.stdout) -> None:
    session = queue.get("session")
    if not session:
        raise SystemExit("no session: jxc-scan start MODE --document NUMBER")
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        if text in ("undo", "done"):
            send_pending(queue, out)
            if text == "undo":
                call(queue, "mutation($s: ID!) { undoLastScan(sessionId: $s) { answer { message } } }", {"s": session})
                print(f"{YELLOW}↶ undone{RESET}", file=out, flush=True)
            else:
                complete(queue, out)
            continue
        code, _, qty = text.partition("*")
        queue.add(session, code, qty or None)  # durable first
        send_pending(queue, out)
        if queue.pending():
            print(f"{YELLOW}… offline: {len(queue.pending())} scan(s) queued{RESET}", file=out, flush=True)


def complete(queue: ScanQueue, out=sys.stdout) -> None:
    send_pending(queue, out)
    if queue.pending():
        raise SystemExit(f"{len(queue.pending())} scan(s) still queued: the server is unreachable")
    data = call(queue, """mutation($s: ID!) { completeScanSession(sessionId: $s) { documentNumber
        errors { message } } }""", {"s": queue.get("session")})["completeScanSession"]
    if data["errors"]:
        print(f"{RED}✗ {data['errors'][0]['message']}{RESET}{BELL}", file=out, flush=True)
    else:
        print(f"{GREEN}✓ {data['documentNumber']}{RESET}", file=out, flush=True)


def decode(path: str) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jxc-scan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login")
    login.add_argument("--server", required=True)
    login.add_argument("--token", required=True)
    login.add_argument("--lang", default="zh-CN")
    start = sub.add_parser("start")
    start.add_argument("mode", choices=["RECEIVE", "PUTAWAY", "PICK", "TRANSFER", "COUNT"])
    start.add_argument("--document", default="")
    start.add_argument("--location", default="")
    sub.add_parser("run")
    sub.add_parser("status")
    sub.add_parser("sync")
    sub.add_parser("complete")
    sub.add_parser("decode").add_argument("image")
    args = parser.parse_args(argv)
    queue = ScanQueue(_home() / "queue.sqlite3")
    if args.command == "login":
        queue.set("server", args.server)
        queue.set("token", args.token)
        queue.set("lang", args.lang)
        return 0
    if args.command == "start":
        data = call(queue, """mutation($m: ScanMode!, $d: String!, $l: String!) {
            startScanSession(mode: $m, documentNumber: $d, locationCode: $l) { sessionId errors { message } } }""",
                    {"m": args.mode, "d": args.document, "l": args.location})["startScanSession"]
        if data["errors"]:
            print(f"{RED}✗ {data['errors'][0]['message']}{RESET}{BELL}")
            return 1
        queue.set("session", data["sessionId"])
        print(f"{GREEN}✓ {args.mode} {args.document}{RESET}")
        return 0
    if args.command == "run":
        run(queue, sys.stdin)
        return 0
    if args.command == "sync":
        send_pending(queue)
        return 0 if not queue.pending() else 1
    if args.command == "complete":
        complete(queue)
        return 0
    if args.command == "decode":
        codes = decode(args.image)
        if not codes:
            print(f"{RED}✗ no barcode found{RESET}{BELL}")
            return 1
        run(queue, codes)
        return 0
    counts = queue.counts()
    print(f"pending {counts.get('pending', 0)} · sent {counts.get('sent', 0)} · refused {counts.get('refused', 0)}")
    for code, qty, message in queue.refused():
        print(f"  {RED}✗ {code}{'*' + qty if qty else ''}: {message}{RESET}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
