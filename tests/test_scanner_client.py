"""End to end with real processes: the scanner client receives against a PO, the server is killed
(kill -9) in the middle, the worker keeps scanning offline, the server comes back, the client
replays its queue — the receipt holds exactly the scanned quantities: no scan lost, none doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

from sqlalchemy import select

from server.auth.services import do_create_api_token
from server.purchasing.models import goods_receipt_line
from tests.purchasing_helpers import approved_order_for_scanning
from tests.servers import free_port, running_server

EAN = "9521234543213"


def jxc_scan(home, *args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanner_client.cli", *args], input=stdin, capture_output=True,
                          text=True, env=dict(os.environ, JXC_SCAN_HOME=str(home)), timeout=60)


async def test_offline_scans_are_replayed_once(db, db_url, tmp_path):
    pw, item, number = await approved_order_for_scanning(db, "20")
    _, token = await do_create_api_token(db, name="handheld-07", role_code="scanner")
    port = free_port()
    home = tmp_path / "client"

    with running_server(db_url, port=port) as base:
        assert jxc_scan(home, "login", "--server", base, "--token", token, "--lang", "en").returncode == 0
        started = jxc_scan(home, "start", "RECEIVE", "--document", number, "--location", "WH1-A-01")
        assert started.returncode == 0, started.stdout + started.stderr
        first = jxc_scan(home, "run", stdin=f"{EAN}\n{EAN}*2\n")
        assert first.stdout.count("✓") == 2, first.stdout + first.stderr
        os.kill(base.pid, signal.SIGKILL)  # the Wi-Fi, or the server, is gone

        offline = jxc_scan(home, "run", stdin=f"{EAN}*4\n{EAN}\n9521234999997\n")
        assert "offline" in offline.stdout and "✓" not in offline.stdout
        assert "pending 3" in jxc_scan(home, "status").stdout

    with running_server(db_url, port=port):  # back again, same address
        synced = jxc_scan(home, "sync")
        assert synced.stdout.count("✓") == 2 and synced.stdout.count("✗") == 1  # the unknown code is refused
        # an answer lost on the way back: the client sends the same scan again — applied once
        queue = sqlite3.connect(home / "queue.sqlite3")
        queue.execute("UPDATE scan SET status = 'pending' WHERE seq = 3")
        queue.commit()
        replay = jxc_scan(home, "sync")
        assert replay.stdout.count("✓") == 1
        status = jxc_scan(home, "status").stdout
        assert "pending 0" in status and "refused 1" in status and "9521234999997" in status
        done = jxc_scan(home, "complete")
        assert "RC" in done.stdout, done.stdout + done.stderr

    async with db.read() as conn:
        accepted = (await conn.execute(select(goods_receipt_line.c.accepted_qty))).scalars().all()
    assert sum(accepted) == 8 * 10**6  # 1 + 2 + 4 + 1: every scan once


def test_decode_reads_a_photo_of_a_label(tmp_path):
    from scanner_client.cli import decode
    from server.scanning.labels import one_d_png

    photo = tmp_path / "label.png"
    photo.write_bytes(one_d_png("gs1_128", "0109521234543213" + "10ABC123"))
    assert decode(str(photo)) == ["(01)09521234543213(10)ABC123"]
