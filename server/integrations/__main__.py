"""``python -m server.integrations``: a webhook sender on its own (``jxc worker`` runs one beside the
scheduled jobs). Any number may run against one database: the endpoint leases keep them apart."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from server.core.database import Database
from server.core.settings import load_settings
from server.integrations.delivery import WebhookSender


async def _main() -> int:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db = Database(settings.database_url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    print("jxc webhooks: delivering (Ctrl-C to stop) / Webhook 投递中", flush=True)
    try:
        await WebhookSender(db).run_forever(stopping)
    finally:
        await db.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by the tests
    sys.exit(asyncio.run(_main()))
