"""The live ``scanSession`` subscription (a supervisor's screen)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.live import live_events
from schema.scanning.inputs import session_pk
from schema.scanning.types import ScanEvent
from server.events.types import SCAN_RECORDED


@strawberry.type
class ScanningSubscription:
    @strawberry.subscription(
        description="Follow a scan session live (a supervisor's screen).", extensions=needs("scan.use")
    )
    async def scan_session(
        self, info: Info, session_id: strawberry.ID, since: int | None = None
    ) -> AsyncGenerator[ScanEvent, None]:
        pk = session_pk(session_id)
        en = info.context.lang.startswith("en")

        def predicate(ev) -> bool:
            return ev.event_type == SCAN_RECORDED and ev.data.session_id == pk

        async for ev in live_events(info, predicate, since, SCAN_RECORDED, "scan.use"):
            d = ev.data
            yield ScanEvent(seq=ev.seq, scan_id=d.scan_id, message=d.message_en if en else d.message_zh)
