"""``jxc-scan`` never loses a scan (issue #16), end to end against real server processes, the client a
subprocess a worker types into: sessions started, undone and completed offline; the server coming
back while the worker scans; the client killed (kill -9) and restarted; scans the server cannot take
set aside and reviewed; a Wi-Fi dead zone that never slows the prompt; login checked before the
token is stored (0600); colours only on a terminal; lots typed by hand for GTIN-only labels."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import time

from server.auth.services import do_create_api_token
from tests.scanner_kit import (
    EAN,
    UNKNOWN,
    FlakyProxy,
    Handheld,
    dead_zone,
    jxc_scan,
    order_to_receive,
    queue_rows,
    received,
)
from tests.servers import free_port, running_server

EAN2 = "6901234567892"
BOX = "6901234567809"  # a box of 12 of the EAN2 product
LOT_EAN = "6920000000012"


async def scanner_token(db, name: str = "handheld-07") -> str:
    return (await do_create_api_token(db, name=name, role_code="scanner"))[1]


def sign_in(home, base, token) -> None:
    done = jxc_scan(home, "login", "--server", base, "--token", token, "--lang", "en")
    assert done.returncode == 0, done.stdout + done.stderr


async def test_session_started_undone_and_completed_offline(db, db_url, tmp_path):
    """Start, undo and done with the server down crash nothing and lose nothing: the session is created
    on the server when it is back, its scans follow in order, the undo takes back the right scan."""
    (item,), number = await order_to_receive(db, (EAN, "20", "none", None))
    token = await scanner_token(db)
    port, home = free_port(), tmp_path / "client"
    with running_server(db_url, port=port) as base:
        sign_in(home, base, token)
    # the server is gone from here on
    started = jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01")
    assert started.returncode == 0 and "started offline" in started.stdout, started.stdout + started.stderr
    typed = [f"{EAN}*5", EAN, "undo", f"{EAN}*2", UNKNOWN, "undo", EAN, "done"]
    offline = jxc_scan(home, "run", stdin="".join(line + "\n" for line in typed))
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "undo saved" in offline.stdout and "done saved" in offline.stdout
    assert [r[2] for r in queue_rows(home)] == typed  # every line, in order, before anything was sent
    status = jxc_scan(home, "status").stdout
    assert "queued 8 · sent 0" in status and "not on the server yet" in status, status

    with running_server(db_url, port=port):
        synced = jxc_scan(home, "sync")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        out = synced.stdout
        assert "session started on the server" in out and "session completed: RC" in out, out
        # in order: 5, 6, undo → 5, 7, unknown (set aside, then dropped by the second undo), 8
        assert [line.split(": ")[-1] for line in out.splitlines() if line.startswith("✓ PO")] == [
            "5 / 20",
            "6 / 20",
            "7 / 20",
            "8 / 20",
        ], out
        assert out.index("Undone: ") < out.index("7 / 20") < out.index("undone (it had been set aside")
    assert await received(db) == {(item, None, None): 8}
    rows = queue_rows(home)
    assert [r[3] for r in rows] == ["sent", "sent", "sent", "sent", "dropped", "sent", "sent", "sent"], rows


async def test_server_coming_back_while_the_worker_scans(db, db_url, tmp_path):
    (item,), number = await order_to_receive(db, (EAN, "50", "none", None))
    token = await scanner_token(db)
    port, home = free_port(), tmp_path / "client"
    with running_server(db_url, port=port) as base:
        sign_in(home, base, token)
        assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
    hand = Handheld(home)
    for _ in range(5):
        hand.type(EAN)  # connection refused: queued
    hand.wait_for("server unreachable")  # said once by the sender (the status line may not have seen it yet)
    assert hand.count(f"{number} · ") == 0
    with running_server(db_url, port=port):
        hand.wait_for("server reachable again", timeout=60)  # the backoff found it by itself
        for _ in range(3):
            hand.type(f"{EAN}*2")
        hand.wait_for("/ 50", n=8)
        assert hand.close() == 0
        assert [line.split(": ")[-1] for line in hand.lines if line.startswith("✓ PO")] == [
            "1 / 50",
            "2 / 50",
            "3 / 50",
            "4 / 50",
            "5 / 50",
            "7 / 50",
            "9 / 50",
            "11 / 50",
        ], hand.output
        assert jxc_scan(home, "complete").returncode == 0
    assert await received(db) == {(item, None, None): 11}


async def scan_records(db) -> int:
    from sqlalchemy import func, select

    from server.scanning.models import scan_record

    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(scan_record))).scalar_one()


async def test_a_killed_client_loses_nothing_and_sends_each_scan_once(db, db_url, tmp_path):
    """kill -9 while scans are queued and one is applied by the server but its answer is still on the
    way: restarted, the client has every line typed and sends each scan exactly once."""
    (item,), number = await order_to_receive(db, (EAN, "100", "none", None))
    token = await scanner_token(db)
    home = tmp_path / "client"
    with running_server(db_url) as base:
        proxy = FlakyProxy(base)
        try:
            sign_in(home, proxy.url, token)
            assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
            first = [f"{EAN}*3", EAN, f"{EAN}*2"]
            hand = Handheld(home, JXC_SCAN_TIMEOUT=30)
            for line in first:
                hand.type(line)
            hand.type("undo")
            hand.wait_for("Undone: ")  # the undo has been answered (an undo cut off mid-way goes to the review)
            proxy.delay = 20  # from here the server applies scans, and the answers do not come back
            burst = [f"{EAN}*{n}" for n in (4, 5, 6, 7)] + [EAN] * 6
            for line in burst:
                assert hand.type(line) < 0.5
            deadline = time.monotonic() + 20
            while await scan_records(db) < len(first) + 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            hand.kill()  # kill -9: scans queued, one applied by the server without the client knowing
            at_kill = queue_rows(home)
            assert await scan_records(db) > len([r for r in at_kill if r[1] == "scan" and r[3] == "sent"])
            assert [r[2] for r in at_kill] == first + ["undo"] + burst  # every line acknowledged is on disk
            proxy.delay = 0
            then = [f"{EAN}*8", EAN]
            again = Handheld(home)
            for line in then:
                again.type(line)
            assert again.close() == 0
            rows = queue_rows(home)
            typed = first + ["undo"] + burst + then
            assert [r[2] for r in rows] == typed, rows  # every line typed is there, once, in order
            assert {r[3] for r in rows} == {"sent"}, rows
            assert jxc_scan(home, "complete").returncode == 0
        finally:
            proxy.close()
    # 3 + 1 (2 undone) + 4 + 5 + 6 + 7 + 6 × 1 + 8 + 1: each scan applied exactly once
    assert await received(db) == {(item, None, None): 41}
    assert await scan_records(db) == len(typed) - 1  # one record per scan: the resent one was replayed


async def test_scans_the_server_cannot_take_are_set_aside_and_reviewed(db, db_url, tmp_path):
    """A scan the server fails on (INTERNAL_ERROR — in a batch, the whole batch fails) and one it
    refuses are set aside, the queue goes on; the review shows the server's message and the reason in
    both languages, and retries or drops each; ``done`` waits for the review."""
    (item, other), number = await order_to_receive(db, (EAN, "20", "none", None), (EAN2, "5", "none", None))
    token = await scanner_token(db)
    home = tmp_path / "client"
    with running_server(db_url) as base:
        proxy = FlakyProxy(base)
        try:
            done = jxc_scan(home, "login", "--server", proxy.url, "--token", token)  # Chinese answers
            assert done.returncode == 0, done.stdout
            assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
            proxy.down = True  # a gateway without its server: 503, nothing set aside
            typed = [EAN, EAN2, f"{EAN}*2", UNKNOWN, EAN, "done"]
            offline = jxc_scan(home, "run", stdin="".join(line + "\n" for line in typed))
            assert "server unreachable" in offline.stdout and "✗" not in offline.stdout, offline.stdout

            proxy.down, proxy.poison = False, EAN2  # back, but the server chokes on one scan
            synced = jxc_scan(home, "sync")
            assert synced.returncode == 0, synced.stdout
            assert synced.stdout.count(f"✓ {number} · ") == 3, synced.stdout  # the others went on
            status = jxc_scan(home, "status").stdout
            assert "queued 0 · sent 3 · set aside 3" in status, status
            assert "服务器内部错误" in status and "系统里没有这个条码" in status, status

            proxy.poison = None
            review = jxc_scan(home, "review", stdin="r\nd\n")  # the done follows by itself
            out = review.stdout
            assert review.returncode == 0, out + review.stderr
            assert "服务器 / server: 服务器内部错误" in out and "internal server error: retry" in out, out
            assert "unknown barcode: check the product or bin label" in out and "[UNKNOWN_BARCODE]" in out, out
            assert "every scan of this session is reviewed: done follows them" in out, out  # no retry needed
            assert out.index("1 / 5") < out.index("session completed: RC"), out
            assert f"{number} · 扫码商品 1: 1 / 5" in out and "session completed: RC" in out, out
            rows = queue_rows(home)
            assert [(r[2], r[3]) for r in rows] == [
                (EAN, "sent"),
                (EAN2, "sent"),
                (f"{EAN}*2", "sent"),
                (UNKNOWN, "dropped"),
                (EAN, "sent"),
                ("done", "sent"),
            ], rows
            assert "nothing is set aside" in jxc_scan(home, "review").stdout
        finally:
            proxy.close()
    assert await received(db) == {(item, None, None): 4, (other, None, None): 1}


async def test_a_dead_zone_never_slows_the_prompt(db, db_url, tmp_path):
    """The server accepts connections and never answers: 50 scans are each answered at once (queued),
    the status line shows them; back in range, they are sent in batches."""
    (_item,), number = await order_to_receive(db, (EAN, "60", "none", None))
    token = await scanner_token(db)
    port, home = free_port(), tmp_path / "client"
    with running_server(db_url, port=port) as base:
        sign_in(home, base, token)
        assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
    with dead_zone(port):
        hand = Handheld(home, JXC_SCAN_TIMEOUT=5)  # each request hangs 5 s before giving up
        times = [hand.type(EAN) for _ in range(50)]
        # a 5 s wait per scan before; the first line also waits for the client to start (slow on a busy machine)
        assert max(times[1:]) < 0.5 and times[0] < 3, times
        assert "queued 50 · set aside 0" in hand.lines[-1], hand.output
        started = time.monotonic()
        assert hand.close() == 0
        assert time.monotonic() - started < 15
        assert f"{number} · " not in hand.output
    assert len([r for r in queue_rows(home) if r[3] == "pending"]) == 50
    with running_server(db_url, port=port):
        synced = jxc_scan(home, "sync")
        assert synced.stdout.count(f"{number} · ") == 50 and "50 / 60" in synced.stdout, synced.stdout
    assert {r[3] for r in queue_rows(home)} == {"sent"}


async def test_login_checks_the_token_and_keeps_it_private(db, db_url, tmp_path):
    token = await scanner_token(db)
    _, viewer = await do_create_api_token(db, name="wallboard", role_code="viewer")
    home = tmp_path / "client"
    port = free_port()
    down = jxc_scan(home, "login", "--server", f"http://127.0.0.1:{port}", "--token", token)
    assert down.returncode == 1 and "cannot reach the server" in down.stdout and "连不上服务器" in down.stdout
    assert not (home / "token").exists()
    with running_server(db_url, port=port) as base:
        bad = jxc_scan(home, "login", "--server", base, "--token", "jxc_not-a-token")
        assert bad.returncode == 1 and "invalid or revoked" in bad.stdout and "令牌无效" in bad.stdout, bad.stdout
        assert not (home / "token").exists()
        cannot_scan = jxc_scan(home, "login", "--server", base, "--token", viewer)
        assert cannot_scan.returncode == 1 and "scan.use" in cannot_scan.stdout
        assert not (home / "token").exists()
        good = jxc_scan(home, "login", "--server", base, "--token", token, umask=0)  # whatever the umask
        assert good.returncode == 0 and "signed in as handheld-07" in good.stdout, good.stdout + good.stderr
    assert stat.S_IMODE(os.stat(home / "token").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(home / "queue.sqlite3").st_mode) == 0o600
    assert (home / "token").read_text() == token
    assert token.encode() not in (home / "queue.sqlite3").read_bytes()  # only in the token file


def test_a_token_stored_by_the_first_client_moves_to_its_own_file(tmp_path):
    home = tmp_path / "client"
    home.mkdir()
    old = sqlite3.connect(home / "queue.sqlite3")
    old.executescript("""CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE scan (seq INTEGER PRIMARY KEY AUTOINCREMENT, scan_id TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
        code TEXT NOT NULL, quantity TEXT, device_time TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
        message TEXT NOT NULL DEFAULT '');
        INSERT INTO setting VALUES ('token', 'jxc_old'), ('server', 'http://127.0.0.1:9'), ('session', 'U2NhbjE=');
        INSERT INTO scan (scan_id, session_id, code, quantity, device_time, status, message) VALUES
            ('a-1', 'U2NhbjE=', '9521234543213', '2', '2026-06-15T02:00:00+00:00', 'pending', ''),
            ('a-2', 'U2NhbjE=', '9521234999997', NULL, '2026-06-15T02:00:01+00:00', 'refused', '系统里没有这个条码');""")
    old.commit()
    old.close()
    status = jxc_scan(home, "status").stdout
    assert "queued 1 · sent 0 · set aside 1" in status and "9521234999997" in status, status
    assert (home / "token").read_text() == "jxc_old" and stat.S_IMODE(os.stat(home / "token").st_mode) == 0o600
    assert b"jxc_old" not in (home / "queue.sqlite3").read_bytes()


def test_colours_only_on_a_terminal_without_no_color(tmp_path, monkeypatch):
    from scanner_client.cli import main

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("JXC_SCAN_HOME", str(tmp_path / "client"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    for out, coloured in ((Terminal(), True), (io.StringIO(), False)):
        assert main(["review"], stdout=out) == 0
        assert "nothing is set aside" in out.getvalue() and "没有待复核" in out.getvalue()
        assert ("\033[" in out.getvalue()) is coloured
    monkeypatch.setenv("NO_COLOR", "1")
    out = Terminal()
    main(["review"], stdout=out)
    assert "\033[" not in out.getvalue() and "\a" not in out.getvalue()


async def test_lots_typed_by_hand_for_labels_with_only_a_gtin(db, db_url, tmp_path):
    """The short syntax (pieces and boxes), the prompt the client shows once the server said the
    product needs a lot, and the lot typed in the review for the scan that was refused for want of it —
    each received into its lot with its expiry."""
    (lotted,), number = await order_to_receive(db, (LOT_EAN, "200", "lot", BOX))
    token = await scanner_token(db)
    home = tmp_path / "client"
    with running_server(db_url) as base:
        sign_in(home, base, token)
        assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
        hand = Handheld(home)
        hand.type(f"{LOT_EAN} lot=A123 exp=2030-06-30 qty=24")
        hand.type(f"{BOX} lot=A123 exp=2030-06-30 qty=2")  # two boxes of 12
        hand.wait_for("/ 200", n=2)
        hand.type(LOT_EAN)  # a label with only the GTIN, typed without the lot
        hand.wait_for("lot/serial tracked")  # set aside: the server needs the lot
        hand.type(LOT_EAN, answer="Lot")  # the client now asks
        hand.type("B7", answer="Expiry")
        hand.type("2030-13-45", answer="invalid expiry")
        hand.type("2030-12-31", answer="Quantity")
        hand.type("6")
        hand.wait_for("/ 200", n=3)
        hand.type("done")
        hand.wait_for("review them, done follows by itself")  # the scan without its lot is set aside
        assert hand.close() == 0
        assert [line.split(": ")[-1] for line in hand.lines if line.startswith("✓ PO")] == [
            "24 / 200",
            "48 / 200",
            "54 / 200",
        ], hand.output

        # the lot typed for the refused scan (C9, no expiry, quantity 1): the done, queued again by
        # itself, completes the session after the new scan
        review = jxc_scan(home, "review", stdin="l\nC9\n\n\n")
        out = review.stdout
        assert review.returncode == 0, out + review.stderr
        assert "(01)06920000000012(10)C9" in out and out.index("55 / 200") < out.index("session completed: RC"), out
        rows = queue_rows(home)
        assert [(r[2], r[3], r[4]) for r in rows] == [
            (f"{LOT_EAN} lot=A123 exp=2030-06-30 qty=24", "sent", ""),
            (f"{BOX} lot=A123 exp=2030-06-30 qty=2", "sent", ""),
            (LOT_EAN, "dropped", "REPLACED"),
            (f"{LOT_EAN} lot=B7 exp=2030-12-31 qty=6", "sent", ""),
            ("done", "sent", ""),
            (f"{LOT_EAN} lot=C9", "sent", ""),
        ], rows
    assert await received(db) == {
        (lotted, "A123", "2030-06-30"): 48,
        (lotted, "B7", "2030-12-31"): 6,
        (lotted, "C9", None): 1,
    }


def test_the_short_syntax_and_the_gs1_string_it_sends():
    from datetime import date

    from scanner_client.entry import GS, EntryError, parse_expiry, parse_line

    e = parse_line("6901234567892 lot=A123 exp=2027-06-30 qty=24")
    assert (e.code, e.lot, e.expiry, e.quantity) == ("6901234567892", "A123", date(2027, 6, 30), "24")
    assert e.to_send() == "]C1" + "0106901234567892" + "17270630" + "10A123"
    assert (
        parse_line("6901234567892 批次=A1 序列号=SN9 有效期=20270630").to_send()
        == "]C1" + "0106901234567892" + "17270630" + "21SN9" + GS + "10A1"
    )
    assert parse_line(f"{EAN}*2").to_send() == EAN and parse_line(f"{EAN}*2").quantity == "2"
    assert parse_line("CODE 39 TEXT").code == "CODE 39 TEXT"  # not our syntax: one code
    assert parse_line("撤销").kind == "undo" and parse_line("done").kind == "done"
    assert parse_expiry("300630", today=date(2026, 6, 15)) == date(2030, 6, 30)
    assert parse_expiry("800101", today=date(2026, 6, 15)) == date(1980, 1, 1)
    for bad in (
        "6901234567893 lot=A",
        f"{EAN} lot=A exp=2027-02-30",
        f"{EAN}*0",
        f"{EAN} lot=A B",
        f"{EAN} lot=toolongforthegs1field123",
        f"{EAN} lot=A exp=2099-01-01",
        f"{EAN}*2 qty=3",
    ):
        try:
            parse_line(bad)
        except EntryError as exc:
            assert " / " in str(exc)  # both languages
        else:
            raise AssertionError(bad)


def test_backoff_is_exponential_with_full_jitter():
    from scanner_client.sender import backoff

    for attempt, ceiling in ((0, 0.5), (1, 1.0), (3, 4.0), (10, 30.0)):
        values = [backoff(attempt, 0.5, 30.0) for _ in range(200)]
        assert all(0 <= v <= ceiling for v in values) and max(values) > ceiling / 2 and len(set(values)) > 150


def test_an_undo_cut_off_on_the_wire_is_not_sent_twice(tmp_path):
    """``undoLastScan`` has no idempotency key: an undo whose request went out and whose answer never
    came (the client was killed, the Wi-Fi dropped) is set aside for the worker, never resent blindly."""
    from scanner_client.queue import ScanQueue
    from scanner_client.sender import Sender
    from scanner_client.text import Printer

    q = ScanQueue(tmp_path / "queue.sqlite3")
    s = q.new_session("RECEIVE", "PO2026-000001")
    q.update_session(s, server_id="U2NhblNlc3Npb246MQ==", status="open")
    scan = q.add("scan", s, EAN, code=EAN)
    q.mark(scan, "sent", answer_kind="product")
    undo = q.add("undo", s, "undo")
    q.mark(undo, "inflight")  # as a killed sender left it
    out = io.StringIO()
    Sender(tmp_path, Printer(out), q).acquire()
    assert q.op(undo).status == "set_aside" and q.op(undo).error_code == "UNDO_UNCERTAIN"
    assert "no answer came" in out.getvalue() and "没有收到回复" in out.getvalue()


async def test_a_done_typed_offline_waits_for_the_lot_typed_in_the_review(db, db_url, tmp_path):
    """The worker types ``done`` in a dead zone while a scan of the session is set aside for want of a
    lot, then types the lot in the review, still offline: the replacement is queued after the ``done``,
    yet is sent before it — the session completes with it, the ``done`` is never set aside."""
    (lotted,), number = await order_to_receive(db, (LOT_EAN, "10", "lot", None))
    token = await scanner_token(db)
    port, home = free_port(), tmp_path / "client"
    with running_server(db_url, port=port) as base:
        sign_in(home, base, token)
        assert jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01").returncode == 0
        online = jxc_scan(home, "run", stdin=f"{LOT_EAN} lot=A1 qty=4\n{LOT_EAN}*2\n")
        assert "4 / 10" in online.stdout and "lot/serial tracked" in online.stdout, online.stdout
    offline = jxc_scan(home, "run", stdin="done\n")  # the server is gone
    assert "done saved" in offline.stdout, offline.stdout
    review = jxc_scan(home, "review", stdin="l\nB2\n\n\n")  # the lot; no expiry; the quantity typed before
    assert "→ #4" in review.stdout and "server unreachable" in review.stdout, review.stdout
    assert [(r[0], r[2], r[3]) for r in queue_rows(home)] == [
        (1, f"{LOT_EAN} lot=A1 qty=4", "sent"),
        (2, f"{LOT_EAN}*2", "dropped"),
        (3, "done", "pending"),
        (4, f"{LOT_EAN} lot=B2 qty=2", "pending"),
    ]
    with running_server(db_url, port=port):
        synced = jxc_scan(home, "sync")
    out = synced.stdout
    assert synced.returncode == 0 and "✗" not in out, out
    assert out.index("6 / 10") < out.index("session completed: RC"), out
    assert {r[3] for r in queue_rows(home)} == {"sent", "dropped"}
    assert await received(db) == {(lotted, "A1", None): 4, (lotted, "B2", None): 2}


def test_a_done_waits_for_what_another_jxc_scan_queues_while_it_is_sent(tmp_path):
    """A replacement queued by ``jxc-scan review`` in another terminal just after the sender picked the
    ``done``: the ``done`` stays queued behind it (it used to be set aside as if a scan were set aside)."""
    from scanner_client import config
    from scanner_client.queue import ScanQueue
    from scanner_client.sender import Sender
    from scanner_client.text import Printer

    q = ScanQueue(tmp_path / "queue.sqlite3")
    q.set("server", f"http://127.0.0.1:{free_port()}")  # nobody listens: the scan cannot be sent
    config.write_token(tmp_path, "jxc_test")
    s = q.new_session("RECEIVE", "PO2026-000001")
    q.update_session(s, server_id="U2NhblNlc3Npb246MQ==", status="open")
    done = q.add("complete", s, "done")
    picked = q.to_send

    def review_meanwhile(limit):
        ops = picked(limit)
        if not q.ops("kind = 'scan'"):
            q.add("scan", s, f"{LOT_EAN} lot=B2", code=f"]C10{LOT_EAN}10B2")
        return ops

    q.to_send = review_meanwhile
    out = io.StringIO()
    assert Sender(tmp_path, Printer(out), q).step() == "offline"
    assert [(op.kind, op.status) for op in q.ops()] == [("complete", "pending"), ("scan", "pending")], out.getvalue()
    assert q.op(done).error_code == "" and "review them" not in out.getvalue()
