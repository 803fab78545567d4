"""End to end with real processes: the scanner client receives against a PO, the server is killed
(kill -9) in the middle, the worker keeps scanning offline, the server comes back, the client
replays its queue — the receipt holds exactly the scanned quantities: no scan lost, none doubled.
The rest of the client (offline sessions, undo and done, a killed client, set-aside scans and their
review, the dead zone, login, lots typed by hand): tests/test_scanner_client_resilience.py."""

from __future__ import annotations

import os
import signal
import sqlite3

from sqlalchemy import select

from server.auth.services import do_create_api_token
from server.purchasing.models import goods_receipt_line
from tests.purchasing_helpers import approved_order_for_scanning
from tests.scanner_kit import EAN, UNKNOWN, jxc_scan
from tests.servers import free_port, running_server


async def test_offline_scans_are_replayed_once(db, db_url, tmp_path):
    _pw, _item, number = await approved_order_for_scanning(db, "20")
    _, token = await do_create_api_token(db, name="handheld-07", role_code="scanner")
    port = free_port()
    home = tmp_path / "client"

    with running_server(db_url, port=port) as base:
        assert jxc_scan(home, "login", "--server", base, "--token", token, "--lang", "en").returncode == 0
        started = jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01")
        assert started.returncode == 0, started.stdout + started.stderr
        first = jxc_scan(home, "run", stdin=f"{EAN}\n{EAN}*2\n")
        assert first.stdout.count(f"{number} · ") == 2, first.stdout + first.stderr  # two answers: 1/20, 3/20
        os.kill(base.pid, signal.SIGKILL)  # the Wi-Fi, or the server, is gone

        offline = jxc_scan(home, "run", stdin=f"{EAN}*4\n{EAN}\n{UNKNOWN}\n")
        assert offline.returncode == 0 and "server unreachable" in offline.stdout, offline.stdout
        assert f"{number} · " not in offline.stdout
        assert "queued 3 · sent 2" in jxc_scan(home, "status").stdout

    with running_server(db_url, port=port):  # back again, same address
        synced = jxc_scan(home, "sync")
        assert synced.returncode == 0, synced.stdout
        assert synced.stdout.count(f"{number} · ") == 2 and synced.stdout.count("✗") == 1  # the unknown code
        # an answer lost on the way back: the client sends the same scan again — applied once
        queue = sqlite3.connect(home / "queue.sqlite3")
        queue.execute("UPDATE op SET status = 'pending' WHERE seq = 3")
        queue.commit()
        replay = jxc_scan(home, "sync")
        assert replay.stdout.count(f"{number} · ") == 1, replay.stdout
        status = jxc_scan(home, "status").stdout
        assert "queued 0 · sent 4 · set aside 1" in status and UNKNOWN in status
        done = jxc_scan(home, "review", "--drop", "all")  # the worker puts the unknown item aside
        assert done.returncode == 0, done.stdout
        done = jxc_scan(home, "complete")
        assert "RC" in done.stdout and done.returncode == 0, done.stdout + done.stderr

    async with db.read() as conn:
        accepted = (await conn.execute(select(goods_receipt_line.c.accepted_qty))).scalars().all()
    assert sum(accepted) == 8 * 10**6  # 1 + 2 + 4 + 1: every scan once


def test_decode_reads_a_photo_of_a_label(tmp_path):
    import barcode
    from barcode.writer import ImageWriter

    from scanner_client.cli import decode

    photo = tmp_path / "label.png"
    with open(photo, "wb") as f:  # a GS1-128 label as python-barcode draws it (the server's labels use it too)
        barcode.get_barcode_class("gs1_128")("0109521234543213" + "10ABC123", writer=ImageWriter()).write(f)
    assert decode(str(photo)) == ["(01)09521234543213(10)ABC123"]
