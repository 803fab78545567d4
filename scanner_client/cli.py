"""``jxc-scan``: the handheld client. 扫码枪客户端：每一行输入先写入本地队列，再在后台发送。

    jxc-scan login --server http://127.0.0.1:8000 --token jxc_… [--lang zh-CN|en]
    jxc-scan start RECEIVE --document PO2026-000001 [--location WH1-A-01]   # works offline too
    jxc-scan run        # every line: CODE, CODE*QTY, CODE lot=A123 exp=2027-06-30 qty=24, undo, done
    jxc-scan status     # what is queued, sent, set aside
    jxc-scan review     # set-aside scans: retry, drop, or type the lot
    jxc-scan sync | complete | decode IMAGE

Every line the worker types is on disk (SQLite under JXC_SCAN_HOME, default ~/.jxc-scan) before the
prompt returns; a background sender sends the queue in order, with backoff while the server is
unreachable, so scanning never waits for the network. One scan the server cannot take is set aside
for `jxc-scan review` and the queue goes on. Talks to the server only through the GraphQL API.
"""

from __future__ import annotations

import argparse
import sys

from scanner_client import config
from scanner_client.entry import (
    MODES,
    Entry,
    EntryError,
    check_gs1_text,
    check_quantity,
    human,
    parse_expiry,
    parse_line,
)
from scanner_client.queue import Op, ScanQueue
from scanner_client.sender import ME, Background, Sender
from scanner_client.text import DIM, RED, YELLOW, Printer, explain, t
from scanner_client.transport import Offline, ServerError, SignedOut, post

HELP = [
    t("每行一次扫描：条码、条码*数量", "one scan a line: CODE or CODE*QTY"),
    t(
        "只有 GTIN 的批次商品：条码 lot=批次 exp=有效期 qty=数量",
        "a lot for a GTIN-only label: CODE lot=LOT exp=YYYY-MM-DD qty=QTY",
    ),
    t(
        "undo 撤销上一次扫描 · done 完成本作业 · status 状态 · start 模式 单号 库位 开始新作业",
        "undo the last scan · done completes the session · status · start MODE DOCUMENT BIN",
    ),
]
STATES = {
    "starting": ("连接中", "connecting"),
    "idle": ("在线", "online"),
    "offline": ("离线，自动重试", "offline, retrying"),
    "signed_out": ("需要重新登录", "sign in again"),
    "busy": ("另一个 jxc-scan 在发送", "another jxc-scan sends"),
}


class Reader:
    """Lines from the scanner (standard input) or a list; a prompt first when it is a terminal."""

    def __init__(self, source, printer: Printer):
        self.source, self.p = source, printer
        self.tty = bool(getattr(source, "isatty", None) and source.isatty())
        self._iter = None if hasattr(source, "readline") else iter(source)

    def next(self, prompt: str | None = None) -> str | None:
        if prompt is not None:
            self.p.line(prompt, end=" " if self.tty else "\n")
        elif self.tty:
            self.p.line("> ", end="")
        if self._iter is not None:
            return next(self._iter, None)
        line = self.source.readline()
        return line or None


class Station:
    """What the worker types, turned into queued operations (main thread, its own connection)."""

    def __init__(self, q: ScanQueue, printer: Printer, reader: Reader, notify=lambda: None, state=lambda: "idle"):
        self.q, self.p, self.reader, self.notify, self.state = q, printer, reader, notify, state

    def handle(self, raw: str) -> None:
        text = raw.strip("\r\n").strip()
        if not text:
            return
        session = self.q.get("session")
        try:
            entry = parse_line(text)
        except EntryError as exc:
            seq = self.q.add("scan", session, text, status="set_aside", error_code="NOT_UNDERSTOOD", message=str(exc))
            self.p.bad(f"#{seq} {text}: {exc} — " + t("已搁置", "set aside"))
            return
        if entry.kind == "help":
            for line in HELP:
                self.p.info(line)
        elif entry.kind == "status":
            print_status(self.q, self.p)
        elif entry.kind == "start":
            mode, document, location = (*entry.args, "", "")[:3]
            self.q.set("session", self.q.new_session(mode, document, location))
            self.p.ok(
                t("新作业已保存，后台在服务器上开始", "new session saved: started on the server in the background")
                + f": {mode} {document}"
            )
            self.notify()
        elif session is None:
            seq = self.q.add(
                "scan" if entry.kind == "scan" else entry.kind.replace("done", "complete"),
                None,
                text,
                code=entry.to_send() if entry.kind == "scan" else None,
                quantity=entry.quantity,
                status="set_aside",
                error_code="NO_SESSION",
            )
            self.p.bad(
                f"#{seq} {text}: "
                + t("没有进行中的作业（jxc-scan start），已搁置", "no session open (jxc-scan start): set aside")
            )
        elif entry.kind == "undo":
            self.q.add("undo", session, text)
            self.p.line("↶ " + t("撤销已保存，按顺序发送", "undo saved, sent in order"), YELLOW)
            self.notify()
        elif entry.kind == "done":
            self.q.add("complete", session, text)
            self.q.unset("session")
            self.p.line(
                "⏎ "
                + t(
                    "“完成”已保存：前面的扫描发送后完成本作业",
                    "done saved: the session completes after its scans are sent",
                ),
                YELLOW,
            )
            self.notify()
        else:
            self.scan(session, text, entry)

    def scan(self, session: str, text: str, entry: Entry) -> None:
        known = None if entry.has_lot else self.q.tracking(entry.code)
        if known is None:
            self.q.add("scan", session, text, code=entry.to_send(), quantity=entry.quantity)
            self.notify()
            return
        # the server said this code needs a lot: ask for it — the line is on disk first, set aside as
        # unfinished until the answers are in (a crash at the prompt leaves it in the review)
        seq = self.q.add(
            "scan", session, text, code=entry.code, quantity=entry.quantity, status="set_aside", error_code="UNFINISHED"
        )
        if not ask_lot(self.reader, self.p, entry, known[0], known[1]):
            self.p.bad(f"#{seq} {text}: {t(*explain('UNFINISHED'))}")
            return
        self.q.mark(
            seq,
            "pending",
            error_code="",
            message="",
            line=entry.normalized(),
            code=entry.to_send(),
            quantity=entry.quantity,
        )
        self.notify()

    def status_line(self) -> None:
        c = self.q.counts()
        queued, aside = c.get("pending", 0) + c.get("inflight", 0), c.get("set_aside", 0)
        zh, en = STATES.get(self.state(), STATES["idle"])
        self.p.line(f"⋯ 待发送 {queued} · 待复核 {aside} · {zh} / queued {queued} · set aside {aside} · {en}", DIM)


def ask(reader: Reader, p: Printer, prompt: str, check, *, required: bool = False):
    """Ask until the answer passes ``check`` (blank: ``None`` unless ``required``); EOF: ``False``."""
    while True:
        answer = reader.next(prompt)
        if answer is None:
            return False
        answer = answer.strip()
        if not answer:
            if required:
                continue
            return None
        try:
            return check(answer)
        except EntryError as exc:
            p.bad(str(exc))


def ask_lot(
    reader: Reader, p: Printer, entry: Entry, tracking: str, name: str = "", default_qty: str | None = None
) -> bool:
    """Fill ``entry``'s lot (or serial), expiry and quantity from prompts; ``False`` at end of input."""
    what = f" · {name}" if name else ""
    if tracking == "serial":
        serial = ask(
            reader, p, f"  序列号 / Serial{what}:", lambda v: check_gs1_text(v, "序列号", "serial"), required=True
        )
        if serial is False:
            return False
        entry.serial = serial
    else:
        lot = ask(reader, p, f"  批次 / Lot{what} (空=不填 / blank: none):", lambda v: check_gs1_text(v, "批次", "lot"))
        if lot is False:
            return False
        if lot is None:
            return True  # sent as scanned: the server decides
        entry.lot = lot
    expiry = ask(reader, p, "  有效期 / Expiry YYYY-MM-DD (空=无 / blank: none):", parse_expiry)
    if expiry is False:
        return False
    entry.expiry = expiry
    if tracking != "serial" and entry.quantity is None:
        default = default_qty or "1"
        qty = ask(reader, p, f"  数量 / Quantity (空={default} / blank: {default}):", check_quantity)
        if qty is False:
            return False
        entry.quantity = qty or default_qty
    return True


# ---- commands ---------------------------------------------------------------------------------------


def print_status(q: ScanQueue, p: Printer) -> None:
    c = q.counts()
    queued = c.get("pending", 0) + c.get("inflight", 0)
    sent, aside, dropped = c.get("sent", 0), c.get("set_aside", 0), c.get("dropped", 0)
    p.info(
        f"待发送 {queued} · 已发送 {sent} · 待复核 {aside} · 已放弃 {dropped} / "
        f"queued {queued} · sent {sent} · set aside {aside} · dropped {dropped}"
    )
    current = q.get("session")
    for s in q.sessions_to_show(current):
        where = {
            "local": ("尚未在服务器上创建", "not on the server yet"),
            "open": ("进行中", "open"),
            "refused": ("服务器拒绝", "refused by the server"),
            "completed": ("已完成", "completed"),
        }[s.status]
        label = t("当前作业", "session") if s.local_id == current else t("作业", "session")
        p.info(f"{label}: {s.mode} {s.document} {s.location} — {t(*where)}" + (f" {s.result}" if s.result else ""))
    for op in q.set_aside():
        show(q, p, op, brief=True)


def show(q: ScanQueue, p: Printer, op: Op, *, brief: bool = False) -> None:
    s = q.session(op.session_id)
    where = f"{s.mode} {s.document}".strip() + " · " if s else ""
    what = {"undo": "undo", "complete": "done"}.get(op.kind, op.line)
    p.line(f"#{op.seq} · {where}{what}", RED)
    zh, en = explain(op.error_code)
    if op.message and op.message != f"{zh} / {en}":
        p.info(f"    服务器 / server: {op.message}" if op.error_code not in CLIENT_CODES else f"    {op.message}")
    if not brief or not op.message:
        p.info(f"    {zh} / {en} [{op.error_code}]")


CLIENT_CODES = {"NOT_UNDERSTOOD", "NO_SESSION", "UNFINISHED", "UNDO_UNCERTAIN", "SESSION_HAS_SET_ASIDE"}


def review(q: ScanQueue, p: Printer, home, reader: Reader | None, retry: list[str], drop: list[str]) -> int:
    items = q.set_aside()
    if not items:
        p.ok(t("没有待复核的操作", "nothing is set aside"))
        return 0
    p.info(t(f"待复核 {len(items)} 条", f"{len(items)} set aside"))
    changed = False
    if retry or drop:
        for op in items:
            if q.op(op.seq).status != "set_aside":  # a done queued again below
                continue
            if "all" in drop or str(op.seq) in drop:
                q.mark(op.seq, "dropped")
                p.line(f"#{op.seq} " + t("已放弃", "dropped"), YELLOW)
            elif "all" in retry or str(op.seq) in retry:
                changed |= _retry(q, p, op)
            changed |= _release_done(q, p, q.op(op.seq).session_id)
    else:
        for op in items:
            if q.op(op.seq).status != "set_aside":  # a done queued again once its scans were reviewed
                continue
            show(q, p, op)
            while True:
                hint = (
                    "r 重试/retry · d 放弃/drop · "
                    + ("l 补批次/type the lot · " if _can_add_lot(op) else "")
                    + "s 跳过/skip · q 退出/quit"
                )
                answer = reader.next(f"  {hint} >")
                choice = (answer or "q").strip().lower()
                if choice in ("r", "retry", "重试"):
                    changed |= _retry(q, p, op)
                elif choice in ("d", "drop", "放弃"):
                    q.mark(op.seq, "dropped")
                    p.line(f"#{op.seq} " + t("已放弃", "dropped"), YELLOW)
                elif choice in ("l", "lot", "批次") and _can_add_lot(op):
                    added = _add_lot(q, p, reader, op)
                    if added is None:
                        continue
                    changed |= added
                elif choice in ("q", "quit", "退出"):
                    break
                elif choice not in ("s", "skip", "跳过", ""):
                    continue
                break
            changed |= _release_done(q, p, q.op(op.seq).session_id)
            if choice in ("q", "quit", "退出"):
                break
    if changed:
        sync(q, p, home)
    left = q.set_aside()
    if left:
        p.warn(t(f"仍有 {len(left)} 条待复核", f"{len(left)} still set aside"))
    return 0 if not left else 1


def _release_done(q: ScanQueue, p: Printer, session_id: str | None) -> bool:
    """A ``done`` set aside only because scans of its session were set aside is queued again once none
    is left: it is sent after them (``ScanQueue.to_send``), the worker does not retry it."""
    if session_id is None:
        return False
    aside = q.ops("session_id = ? AND status = 'set_aside'", (session_id,))
    waiting = [o for o in aside if o.kind == "complete" and o.error_code == "SESSION_HAS_SET_ASIDE"]
    if not waiting or len(waiting) != len(aside):
        return False
    for o in waiting:
        q.mark(o.seq, "pending", error_code="", message="")
        p.line(
            f"#{o.seq} done: "
            + t("本作业的扫描都已复核，“完成”随后发送", "every scan of this session is reviewed: done follows them"),
            YELLOW,
        )
    return True


def _can_add_lot(op: Op) -> bool:
    return op.kind == "scan" and bool(op.code) and not op.code.startswith("]") and op.error_code != "NOT_UNDERSTOOD"


def _retry(q: ScanQueue, p: Printer, op: Op) -> bool:
    if op.error_code == "NOT_UNDERSTOOD":
        p.bad(
            f"#{op.seq} "
            + t("这一行无法识别，不能重试：放弃后重新输入", "this line could not be read: drop it and type it again")
        )
        return False
    session = op.session_id
    if session is None:
        session = q.get("session")
        if session is None:
            p.bad(f"#{op.seq} " + t("没有当前作业：先 jxc-scan start", "no current session: jxc-scan start first"))
            return False
    s = q.session(session)
    if s is not None and s.status == "refused":  # try to start it again (the PO may be approved now)
        q.update_session(s.local_id, status="local", error_code="", message="")
    q.mark(op.seq, "pending", error_code="", message="", session_id=session)
    p.line(f"#{op.seq} " + t("将重试", "will be retried"), YELLOW)
    return True


def _add_lot(q: ScanQueue, p: Printer, reader: Reader, op: Op) -> bool | None:
    """Type the lot (expiry, quantity) of a scan the server refused for want of one: it is sent again
    with them, as a new scan; the old one is kept, dropped, as replaced."""
    known = q.tracking(op.code)
    entry = Entry("scan", code=op.code)
    try:
        from scanner_client.entry import gtin14

        gtin14(op.code)
    except EntryError as exc:
        p.bad(str(exc))
        return None
    if not ask_lot(reader, p, entry, known[0] if known else "lot", known[1] if known else "", default_qty=op.quantity):
        return False
    if not entry.has_lot:
        return None
    session = op.session_id or q.get("session")
    new = q.add("scan", session, entry.normalized(), code=entry.to_send(), quantity=entry.quantity)
    q.mark(op.seq, "dropped", error_code="REPLACED", message=f"#{new}")
    q.remember_product(op.code, known[0] if known else "lot", known[1] if known else "")
    p.line(f"#{op.seq} → #{new} {entry.normalized()} ({human(entry.to_send())})", YELLOW)
    return True


def sync(q: ScanQueue, p: Printer, home) -> str:
    sender = Sender(home, p, q)
    if not sender.acquire():
        p.warn(t("另一个 jxc-scan 正在发送，本次只保存", "another jxc-scan is sending: saved only"))
        return "busy"
    try:
        state = sender.step()
    finally:
        sender.release()
    if state == "signed_out" and sender.reason == "not signed in":
        p.bad(
            t(
                "未登录：jxc-scan login --server URL --token TOKEN",
                "not signed in: jxc-scan login --server URL --token TOKEN",
            )
        )
    return state


def login(q: ScanQueue, p: Printer, home, server: str, token: str, lang: str) -> int:
    """The token is checked with the server (``me``) before it is stored, then written 0600."""
    try:
        me = post(server, token, lang, ME, {}, min(config.timeout(), 10.0))["me"]
    except Offline as exc:
        p.bad(t("连不上服务器，令牌未保存", "cannot reach the server: the token was not saved") + f" ({exc})")
        return 1
    except SignedOut:
        p.bad(t("令牌无效或已吊销，未保存", "the token is invalid or revoked: not saved"))
        return 1
    except ServerError as exc:
        p.bad(t("服务器拒绝了登录，令牌未保存", "the server refused: the token was not saved") + f" ({exc})")
        return 1
    if "scan.use" not in (me.get("permissions") or []):
        p.bad(t("此令牌没有扫码权限（scan.use），未保存", "this token cannot scan (no scan.use): not saved"))
        return 1
    config.write_token(home, token)
    q.set("server", server)
    q.set("lang", lang)
    q.unset("token")
    p.ok(t(f"已登录：{me['name']}（{server}）", f"signed in as {me['name']} ({server})"))
    return 0


def start(q: ScanQueue, p: Printer, home, mode: str, document: str, location: str) -> int:
    """Saved first; created on the server now if it can be reached, else later by the sender."""
    previous = q.get("session")
    local = q.new_session(mode, document, location)
    q.set("session", local)
    sender = Sender(home, p, q)
    if not sender.acquire():
        p.ok(
            t(
                "作业已保存，由正在运行的 jxc-scan 在服务器上开始",
                "session saved: the running jxc-scan starts it on the server",
            )
            + f": {mode} {document}"
        )
        return 0
    try:
        created = sender.ensure_session(q.session(local))
    except Offline:
        p.ok(
            t(
                "已离线开始：连上服务器后自动在服务器上创建",
                "started offline: created on the server once it is reachable",
            )
            + f": {mode} {document}"
        )
        return 0
    except SignedOut:
        p.warn(
            t("作业已保存，但令牌被拒绝：请 jxc-scan login", "session saved, but the token was refused: jxc-scan login")
        )
        return 1
    finally:
        sender.release()
    if not created:  # the worker sees the refusal now: the previous session stays current
        if previous is None:
            q.unset("session")
        else:
            q.set("session", previous)
        return 1
    return 0


def run(q: ScanQueue, p: Printer, home, source) -> int:
    if q.get("session") is None:
        p.warn(
            t(
                "没有进行中的作业：先 jxc-scan start（或输入 start 模式 单号 库位）",
                "no session open: jxc-scan start first (or type start MODE DOCUMENT BIN)",
            )
        )
    bg = Background(home, p)
    bg.state = "starting"
    bg.start()
    station = Station(q, p, Reader(source, p), notify=bg.notify, state=lambda: bg.state)
    try:
        while (raw := station.reader.next()) is not None:
            station.handle(raw)
            station.status_line()
    except KeyboardInterrupt:
        pass
    bg.finish(wait=config.timeout() * 2 + 2)
    c = q.counts()
    queued, aside = c.get("pending", 0) + c.get("inflight", 0), c.get("set_aside", 0)
    if queued or aside:
        p.warn(
            t(
                f"已保存：待发送 {queued}，待复核 {aside}（jxc-scan sync / review）",
                f"saved: {queued} queued, {aside} set aside (jxc-scan sync / review)",
            )
        )
    return 0


def complete(q: ScanQueue, p: Printer, home) -> int:
    session = q.get("session")
    if session is None:
        p.bad(t("没有进行中的作业", "no session open"))
        return 1
    seq = q.add("complete", session, "done")
    q.unset("session")
    sync(q, p, home)
    op = q.op(seq)
    if op.status == "sent":
        return 0
    if op.status in ("pending", "inflight"):
        p.warn(
            t(
                "“完成”已保存：连上服务器后发送（jxc-scan sync）",
                "done saved: sent once the server is reachable (jxc-scan sync)",
            )
        )
    return 1


def decode(path: str) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


def main(argv: list[str] | None = None, stdin=None, stdout=None) -> int:
    parser = argparse.ArgumentParser(
        prog="jxc-scan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_login = sub.add_parser("login", help=t("验证并保存设备令牌", "check and store the device token"))
    p_login.add_argument("--server", required=True)
    p_login.add_argument("--token", required=True)
    p_login.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    p_start = sub.add_parser("start", help=t("开始作业（可离线）", "start a session (offline too)"))
    p_start.add_argument("mode", choices=MODES)
    p_start.add_argument("--document", default="")
    p_start.add_argument("--location", default="")
    sub.add_parser("run", help=t("扫描（每行一次）", "scan, one line each"))
    sub.add_parser("status", help=t("队列状态", "what is queued"))
    sub.add_parser("sync", help=t("立即发送队列", "send the queue now"))
    sub.add_parser("complete", help=t("完成当前作业", "complete the session"))
    p_review = sub.add_parser("review", help=t("复核被搁置的扫描", "review set-aside scans"))
    p_review.add_argument("--retry", action="append", default=[], metavar="SEQ|all")
    p_review.add_argument("--drop", action="append", default=[], metavar="SEQ|all")
    sub.add_parser("decode", help=t("识别照片中的条码", "read barcodes from a photo")).add_argument("image")
    args = parser.parse_args(argv)
    stdin = stdin or sys.stdin
    p = Printer(stdout or sys.stdout)
    home = config.home()
    q = ScanQueue(home / "queue.sqlite3")
    try:
        legacy = q.get("token")  # the first client kept the token in the queue database
        if legacy and config.read_token(home) is None:
            config.write_token(home, legacy)
        q.unset("token")
        if args.command == "login":
            return login(q, p, home, args.server, args.token, args.lang)
        if args.command == "start":
            return start(q, p, home, args.mode, args.document, args.location)
        if args.command == "run":
            return run(q, p, home, stdin)
        if args.command == "sync":
            sync(q, p, home)
            return 0 if not q.pending(limit=1) else 1
        if args.command == "complete":
            return complete(q, p, home)
        if args.command == "review":
            return review(q, p, home, Reader(stdin, p), args.retry, args.drop)
        if args.command == "decode":
            codes = decode(args.image)
            if not codes:
                p.bad(t("照片中没有找到条码", "no barcode found in the photo"))
                return 1
            station = Station(q, p, Reader([], p))
            for code in codes:
                station.handle(code)
            sync(q, p, home)
            return 0
        print_status(q, p)
        return 0
    finally:
        q.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
