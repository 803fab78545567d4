"""The opening-balance status: go-live date, whether it is locked, the opening entries."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.finance.types import Voucher
from server.finance.models import voucher
from server.opening import services


@strawberry.type(description="期初建账: the go-live date and the opening entries posted so far.")
class OpeningStatus:
    go_live_date: date | None
    locked: bool = strawberry.field(description="A period is closed: the opening can no longer change.")
    entries: list[Voucher]


async def opening_status(info: Info) -> OpeningStatus:
    status = await services.opening_status(info.context.db)
    async with info.context.db.read() as conn:
        rows = (
            await conn.execute(select(voucher).where(voucher.c.id.in_(status.entries)).order_by(voucher.c.id))
        ).all()
    return OpeningStatus(
        go_live_date=status.go_live_date, locked=status.locked, entries=[Voucher.from_row(r) for r in rows]
    )


@strawberry.type
class OpeningQuery:
    @strawberry.field(
        description="The go-live date and the opening entries (期初建账).", extensions=needs("finance.view")
    )
    async def opening(self, info: Info) -> OpeningStatus:
        return await opening_status(info)
