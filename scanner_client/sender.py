"""Sending the queue, in order, in the background while the worker scans.

``Sender.step`` sends what is pending until the queue is empty or the server cannot be reached:
sessions started offline are created first (``startScanSession``) and their scans then sent to them;
consecutive scans of a session go in one ``scanBatch`` (up to 100), a batch the server fails on as a
whole is sent again scan by scan, so one scan it cannot take — a refusal or ``INTERNAL_ERROR`` alike —
is set aside for review and the others go on. ``undo`` takes back the session's last scan: one set
aside is simply dropped, one the server counted is undone with ``undoLastScan``; ``done`` completes
the session after every other operation of it, those queued after it included (a scan retried or
given its lot in the review): while one is set aside the ``done`` is set aside too, and the review
queues it again once none is left.

One process sends at a time (a lock file under ``JXC_SCAN_HOME``): another ``jxc-scan`` keeps
queueing. ``Background`` runs ``step`` in a thread with exponential backoff and full jitter while the
server is unreachable, so the prompt never waits for the network."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from scanner_client import config
from scanner_client.queue import Op, ScanQueue, Session
from scanner_client.text import Printer, explain, t
from scanner_client.transport import Offline, ServerError, SignedOut, post

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None

ANSWER = "answer { ok kind message replayed } errors { code message }"
SCAN = f"""mutation($s: ID!, $c: String!, $k: String!, $q: Quantity, $t: DateTime) {{
  scan(sessionId: $s, code: $c, scanId: $k, quantity: $q, deviceTime: $t) {{ {ANSWER} }} }}"""
SCAN_BATCH = f"""mutation($s: ID!, $scans: [ScanItemInput!]!) {{ scanBatch(sessionId: $s, scans: $scans) {{
  results {{ scanId {ANSWER} }} errors {{ code message }} }} }}"""
START = """mutation($m: ScanMode!, $d: String!, $l: String!, $k: String!) {
  startScanSession(mode: $m, documentNumber: $d, locationCode: $l, idempotencyKey: $k) {
    sessionId errors { code message } } }"""
UNDO = "mutation($s: ID!) { undoLastScan(sessionId: $s) { answer { message } errors { code message } } }"
COMPLETE = "mutation($s: ID!) { completeScanSession(sessionId: $s) { documentNumber errors { code message } } }"
RESOLVE = """query($c: String!) { resolveBarcode(code: $c) {
  resolution { kind product { name tracking } } errors { code } } }"""
ME = "{ me { kind name permissions } }"
REPLAY_BATCH = 100


def backoff(attempt: int, base: float | None = None, cap: float | None = None) -> float:
    """Full jitter: random between 0 and ``base × 2^attempt`` (at most ``cap``)."""
    base = base or config.env_float("JXC_SCAN_BACKOFF", 0.5)
    cap = cap or config.env_float("JXC_SCAN_BACKOFF_MAX", 30.0)
    return random.uniform(0, min(cap, base * 2 ** min(attempt, 30)))


class Sender:
    def __init__(self, home: Path, printer: Printer, queue: ScanQueue | None = None):
        self.home, self.p = home, printer
        self.q = queue or ScanQueue(home / "queue.sqlite3")
        self.timeout = config.timeout()
        self.state = "idle"  # idle | offline | signed_out | busy
        self.reason = ""
        self._lock = None

    # ---- one sender per JXC_SCAN_HOME -----------------------------------------------------------

    def acquire(self) -> bool:
        if self._lock is not None:
            return True
        handle = open(self.home / "sender.lock", "a+")  # noqa: SIM115 - held open: the lock lives as long as the handle
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                self.state = "busy"
                return False
        self._lock = handle
        self.recover()
        return True

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the flock
            self._lock = None

    def recover(self) -> None:
        """An undo on its way when the last sender stopped (killed, powered off) may or may not have
        reached the server: the worker decides, it is not sent twice."""
        for op in self.q.ops("status = 'inflight'"):
            if op.kind == "undo":
                self.q.mark(op.seq, "set_aside", error_code="UNDO_UNCERTAIN", message="")
                self.p.bad(f"#{op.seq} undo: {t(*explain('UNDO_UNCERTAIN'))}")
            else:
                self.q.mark(op.seq, "pending")

    # ---- requests -------------------------------------------------------------------------------

    def call(self, query: str, variables: dict, timeout: float | None = None) -> dict:
        server, token = self.q.get("server"), config.read_token(self.home)
        if not server or not token:
            raise SignedOut("not signed in")
        return post(server, token, self.q.get("lang", "zh-CN"), query, variables, timeout or self.timeout)

    # ---- the loop ---------------------------------------------------------------------------------

    def step(self) -> str:
        """Send until the queue is empty (``idle``) or the server cannot be reached (``offline``) or
        refuses the token (``signed_out``)."""
        if not self.acquire():
            return "busy"
        deferred = None
        try:
            while True:
                ops = self.q.to_send(REPLAY_BATCH)
                if not ops:
                    self._reached()
                    return "idle"
                op = ops[0]
                session = self.q.session(op.session_id)
                if session is None:
                    self._set_aside(op, "NO_SESSION", "")
                    continue
                if session.status == "refused":
                    self._set_aside(op, session.error_code, session.message)
                    continue
                if session.server_id is None:
                    self.ensure_session(session)
                    self._reached()
                    continue
                if op.kind == "scan":
                    chunk = [op]
                    for nxt in ops[1:]:
                        if nxt.kind != "scan" or nxt.session_id != op.session_id:
                            break
                        chunk.append(nxt)
                    self._scans(session, chunk)
                elif op.kind == "undo":
                    self._undo(session, op)
                elif not self._complete(session, op):
                    if deferred == op.seq:  # cannot happen (``to_send`` sends them first): never spin
                        self._set_aside(op, "SESSION_HAS_SET_ASIDE", "")
                    deferred = op.seq
                    continue
                deferred = None
                self._reached()
        except Offline as exc:
            if self.state != "offline":
                n = self.queued()
                self.p.warn(
                    t(
                        f"连不上服务器，{n} 条已保存待发送，会自动重试",
                        f"server unreachable: {n} saved, retrying by itself",
                    )
                    + f" ({exc})"
                )
            self.state, self.reason = "offline", str(exc)
            return "offline"
        except SignedOut as exc:
            if self.state != "signed_out":
                self.p.bad(
                    t(
                        "令牌被拒绝：请重新 jxc-scan login（扫描都已保存）",
                        "the token was refused: jxc-scan login again (every scan is kept)",
                    )
                    + f" ({exc})"
                )
            self.state, self.reason = "signed_out", str(exc)
            return "signed_out"

    def queued(self) -> int:
        counts = self.q.counts()
        return counts.get("pending", 0) + counts.get("inflight", 0)

    def _reached(self) -> None:
        if self.state in ("offline", "signed_out"):
            self.p.ok(t("已连上服务器", "server reachable again"))
        self.state, self.reason = "idle", ""

    def _set_aside(self, op: Op, code: str, message: str) -> None:
        self.q.mark(op.seq, "set_aside", error_code=code, message=message)
        self._print_set_aside(op, code, message)

    def _print_set_aside(self, op: Op, code: str, message: str) -> None:
        zh, en = explain(code)
        self.p.bad(
            f"#{op.seq} {op.line}: {message or zh + ' / ' + en} — "
            + t("已搁置，稍后 jxc-scan review", "set aside: jxc-scan review")
        )

    # ---- sessions --------------------------------------------------------------------------------

    def ensure_session(self, session: Session) -> bool:
        """Create a session started offline on the server; ``False`` if the server refuses it."""
        try:
            # the local id (device + random) is the key: a start whose answer was lost opens no second session
            variables = {"m": session.mode, "d": session.document, "l": session.location, "k": session.local_id}
            data = self.call(START, variables)["startScanSession"]
            errors, server_id = data["errors"], data["sessionId"]
        except ServerError as exc:
            errors, server_id = [{"code": exc.code, "message": exc.message}], None
        except (KeyError, TypeError):
            errors, server_id = [{"code": "BAD_RESPONSE", "message": ""}], None
        if errors or not server_id:
            err = errors[0] if errors else {"code": "BAD_RESPONSE", "message": ""}
            self.q.update_session(session.local_id, status="refused", error_code=err["code"], message=err["message"])
            self.p.bad(
                t("作业无法开始", "the session cannot start") + f": {session.mode} {session.document}: "
                f"{err['message'] or t(*explain(err['code']))}"
            )
            return False
        self.q.update_session(session.local_id, server_id=server_id, status="open", error_code="", message="")
        self.p.ok(t("作业已在服务器上开始", "session started on the server") + f": {session.mode} {session.document}")
        return True

    # ---- scans ---------------------------------------------------------------------------------

    def _scan_one(self, server_id: str, op: Op) -> tuple[dict | None, dict | None]:
        try:
            data = self.call(
                SCAN, {"s": server_id, "c": op.code, "k": op.scan_id, "q": op.quantity, "t": op.device_time}
            )["scan"]
            if data["errors"]:
                return None, data["errors"][0]
            return {"message": data["answer"]["message"], "kind": data["answer"]["kind"]}, None
        except ServerError as exc:  # INTERNAL_ERROR, a value refused…: this scan only
            return None, {"code": exc.code, "message": exc.message}
        except (KeyError, TypeError):
            return None, {"code": "BAD_RESPONSE", "message": ""}

    def _scans(self, session: Session, chunk: list[Op]) -> None:
        sid = session.server_id
        if len(chunk) == 1:
            self._settle(chunk, [self._scan_one(sid, chunk[0])])
            return
        try:
            data = self.call(
                SCAN_BATCH,
                {
                    "s": sid,
                    "scans": [
                        {"code": o.code, "scanId": o.scan_id, "quantity": o.quantity, "deviceTime": o.device_time}
                        for o in chunk
                    ],
                },
            )["scanBatch"]
            if data["errors"]:  # the batch itself was refused (e.g. the session is closed): each scan says so
                results = [(None, data["errors"][0]) for _ in chunk]
            else:
                results = [
                    (None, r["errors"][0])
                    if r["errors"]
                    else ({"message": r["answer"]["message"], "kind": r["answer"]["kind"]}, None)
                    for r in data["results"]
                ]
                if len(results) != len(chunk):
                    raise KeyError("results")
        except (ServerError, KeyError, TypeError):
            # the batch failed as a whole (one scan the server chokes on): one by one, so only that one
            # is set aside
            for op in chunk:
                self._settle([op], [self._scan_one(sid, op)])
            return
        self._settle(chunk, results)

    def _settle(self, chunk: list[Op], results) -> None:
        updates, learn = [], []
        for op, (answer, error) in zip(chunk, results):
            if error is not None:
                updates.append((op.seq, "set_aside", {"error_code": error["code"], "message": error["message"]}))
                if error["code"] == "LOT_REQUIRED" and not op.code.startswith("]"):
                    learn.append(op.code)
            else:
                updates.append(
                    (op.seq, "sent", {"message": answer["message"], "answer_kind": answer["kind"], "error_code": ""})
                )
        self.q.mark_many(updates)
        for code in dict.fromkeys(learn):  # before the worker reads the refusal and scans the code again
            self._learn(code)
        for op, (answer, error) in zip(chunk, results):
            if error is not None:
                self._print_set_aside(op, error["code"], error["message"])
                if error["code"] == "LOT_REQUIRED" and op.code in learn:
                    self.p.info(
                        "  "
                        + t(
                            "下次扫描这个条码时会询问批次和有效期；也可以输入 条码 lot=批次 exp=有效期",
                            "the next scan of this code asks for the lot and expiry; or type "
                            "CODE lot=LOT exp=YYYY-MM-DD",
                        )
                    )
            else:
                self.p.ok(answer["message"])

    def _learn(self, code: str) -> None:
        """The next scans of this code will ask for the lot (or serial) at the prompt."""
        tracking, name = "lot", ""
        try:
            res = self.call(RESOLVE, {"c": code})["resolveBarcode"]["resolution"]
            if res and res.get("product"):
                tracking = "serial" if res["product"]["tracking"] == "SERIAL" else "lot"
                name = res["product"]["name"]
        except (Offline, ServerError, SignedOut, KeyError, TypeError):
            pass
        self.q.remember_product(code, tracking, name)

    # ---- undo and done ---------------------------------------------------------------------------

    def _undo(self, session: Session, op: Op) -> None:
        target = self.q.undo_target(op.session_id, op.seq)
        if target is None:
            self.q.mark(op.seq, "sent", message=t("没有可撤销的扫描", "nothing to undo"))
            self.p.warn(t("没有可撤销的扫描", "nothing to undo"))
            return
        if target.status == "set_aside":  # never counted: dropping it is the undo
            self.q.mark_many(
                [
                    (target.seq, "dropped", {"error_code": "UNDONE", "undone": 1}),
                    (op.seq, "sent", {"message": target.line}),
                ]
            )
            self.p.line(
                f"↶ {t('已撤销（它已被搁置，未计入）', 'undone (it had been set aside, never counted)')}: "
                f"{target.line}",
                "33",
            )
            return
        self.q.mark(op.seq, "inflight")
        try:
            data = self.call(UNDO, {"s": session.server_id})["undoLastScan"]
            errors, answer = data["errors"], data["answer"]
        except (KeyError, TypeError):
            self.q.mark(op.seq, "set_aside", error_code="UNDO_UNCERTAIN", message="")
            self._print_set_aside(op, "UNDO_UNCERTAIN", "")
            return
        except Offline as exc:
            if exc.delivered:
                self.q.mark(op.seq, "set_aside", error_code="UNDO_UNCERTAIN", message="")
                self._print_set_aside(op, "UNDO_UNCERTAIN", "")
            else:
                self.q.mark(op.seq, "pending")
            raise
        except SignedOut:
            self.q.mark(op.seq, "pending")
            raise
        except ServerError as exc:
            self._set_aside(op, exc.code, exc.message)
            return
        if errors:
            self._set_aside(op, errors[0]["code"], errors[0]["message"])
            return
        message = answer["message"] if answer else t("没有可撤销的扫描", "nothing to undo")
        self.q.mark_many([(target.seq, "sent", {"undone": 1}), (op.seq, "sent", {"message": message})])
        self.p.line(f"↶ {message}", "33")

    def _complete(self, session: Session, op: Op) -> bool:
        """Complete the session, or set the ``done`` aside while scans of it are set aside; ``False``
        (nothing done, the ``done`` still pending) while others of its operations are still queued —
        queued after it by another ``jxc-scan`` (a replacement typed in the review): they go first."""
        blocking = self.q.blocking_complete(op.session_id)
        aside = [b for b in blocking if b.status == "set_aside"]
        if blocking and not aside:
            return False
        if aside:
            seqs = ", ".join(f"#{b.seq}" for b in aside)
            self._set_aside(
                op,
                "SESSION_HAS_SET_ASIDE",
                t(
                    f"本作业还有待复核的扫描 {seqs}：复核后“完成”自动随后发送",
                    f"set-aside scans {seqs} in this session: review them, done follows by itself",
                ),
            )
            return True
        try:
            data = self.call(COMPLETE, {"s": session.server_id})["completeScanSession"]
            errors, number = data["errors"], data["documentNumber"]
        except ServerError as exc:
            self._set_aside(op, exc.code, exc.message)
            return True
        except (KeyError, TypeError):  # completing again is safe: it posts once
            self._set_aside(op, "BAD_RESPONSE", "")
            return True
        if errors:
            self._set_aside(op, errors[0]["code"], errors[0]["message"])
            return True
        self.q.mark(op.seq, "sent", message=number)
        self.q.update_session(session.local_id, status="completed", result=number)
        self.p.ok(t(f"作业完成：{number}", f"session completed: {number}"))
        return True


class Background(threading.Thread):
    """``Sender.step`` in a thread (its own SQLite connection): woken when a line is queued, pausing
    with backoff while the server is unreachable."""

    def __init__(self, home: Path, printer: Printer):
        super().__init__(daemon=True, name="jxc-scan-sender")
        self.home, self.printer = home, printer
        self.wake, self.stop = threading.Event(), threading.Event()
        self.finishing = False
        self.state = "idle"
        self.retry_at = 0.0

    def run(self) -> None:
        sender = Sender(self.home, self.printer)
        attempt = 0
        try:
            while True:
                self.wake.clear()
                try:
                    self.state = sender.step()
                except Exception as exc:
                    self.printer.bad(t("客户端错误，稍后重试", "client error, retrying later") + f": {exc!r}")
                    self.state = "offline"
                if self.state == "idle":
                    attempt = 0
                    if self.finishing:
                        if not sender.q.pending(limit=1):
                            return
                        continue  # queued while we were sending
                    self.wake.wait(30)
                    continue
                if self.finishing:
                    return
                delay = backoff(attempt)
                attempt += 1
                self.retry_at = time.monotonic() + delay
                self.stop.wait(delay)  # new scans do not cut a pause short: a dead zone is not hammered
                if self.finishing:
                    return
        finally:
            sender.release()
            sender.q.close()

    def notify(self) -> None:
        self.wake.set()

    def finish(self, wait: float) -> None:
        """After the last line: send what is left if the server is reachable, then stop."""
        self.finishing = True
        self.stop.set()
        self.wake.set()
        self.join(wait)
