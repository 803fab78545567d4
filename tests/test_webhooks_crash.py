"""The webhook sender killed with kill -9 mid-stream and restarted loses nothing: it runs as the real
``jxc worker`` process, a real HTTP receiver sees every event id at least once, duplicates (the batch
in flight when it died, sent again) flagged by ``webhook-id``, and in journal order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from server.core import clock
from server.integrations import endpoints
from server.inventory.services import StockLine, do_receive_stock
from tests.factories import make_product, make_world
from tests.test_webhooks import stock_seqs
from tests.webhook_receiver import Receiver


def start_worker(db_url: str, log_path) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        JXC_LOG_LEVEL="warning",
        JXC_CLOCK=clock.utcnow().isoformat(),
        JXC_TIMEZONE=str(clock.business_zone()),
        JXC_WEBHOOK_LEASE="1",  # a killed sender's claim expires after a second
        JXC_WEBHOOK_POLL="0.02",
        JXC_WEBHOOK_BATCH="20",
        JXC_WEBHOOK_TIMEOUT="2",
        JXC_WEBHOOK_BACKOFF="0.05",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "wb"),  # the child owns it
    )


async def _events(db, w, products, rounds: int, tag: str) -> None:
    for i in range(rounds):
        await do_receive_stock(
            db, [StockLine(product_id=p, location_id=w.a1, quantity="1") for p in products], idempotency_key=f"{tag}{i}"
        )


async def test_a_sender_killed_mid_stream_and_restarted_loses_nothing(db, db_url, tmp_path):
    receiver = await Receiver().start()
    receiver.delay["/crash"] = 0.004  # a few ms per event: the stream lasts long enough to be cut
    try:
        w = await make_world(db)
        products = [await make_product(db, w) for _ in range(10)]
        _id, secret = await endpoints.do_create_webhook_endpoint(
            db, endpoints.EndpointSpec(name="crash", url=receiver.url("/crash"), event_types=["stock_changed"]), None
        )
        receiver.secrets["/crash"] = [secret]
        await _events(db, w, products, 30, "a")  # 300 events

        first = start_worker(db_url, tmp_path / "worker1.log")
        try:
            await receiver.wait_for(lambda: len(receiver.received) >= 60, timeout=60)
        finally:
            os.kill(first.pid, signal.SIGKILL)  # mid-stream, no chance to write anything
            first.wait(10)
        cut = len(receiver.received)
        assert cut < 300, "the stream was over before the kill: nothing was tested"
        await _events(db, w, products, 5, "b")  # 50 more while no sender runs
        expected = [f"evt_{s}" for s in await stock_seqs(db)]
        assert len(expected) == 350

        second = start_worker(db_url, tmp_path / "worker2.log")
        try:
            await receiver.wait_for(lambda: set(expected) <= {r.id for r in receiver.received}, timeout=90)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
    finally:
        await receiver.stop()

    got = receiver.on("/crash")
    assert all(r.status == 200 and r.verified for r in got)
    ids = [r.id for r in got]
    assert set(ids) == set(expected)  # every event, nothing else
    seen: set[str] = set()
    for r in got:  # duplicates are exactly the ids received before
        assert r.duplicate == (r.id in seen)
        seen.add(r.id)
    seqs = [int(i.removeprefix("evt_")) for i in ids]
    descents = [i for i in range(1, len(seqs)) if seqs[i] <= seqs[i - 1]]
    assert len(descents) <= 1  # in order within each process; the restart may go back to the last cursor
    firsts = [s for s, r in zip(seqs, got) if not r.duplicate]
    assert firsts == sorted(firsts)  # first deliveries in journal order
    if descents:  # what was sent again is the tail of what the killed sender had sent
        d = descents[0]
        assert all(r.duplicate for r in got[d : d + (seqs[d - 1] - seqs[d] + 1)])
    print(f"kill -9 after {cut} deliveries; {len(ids) - len(set(ids))} duplicates after the restart")
    await asyncio.sleep(0)
