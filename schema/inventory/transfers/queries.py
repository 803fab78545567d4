"""Transfer queries."""

from __future__ import annotations

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.enums import TransferStatus
from schema.inventory.transfers.types import Transfer
from schema.relay import Connection, decode_id, paginate
from server.auth import scope
from server.inventory.models import transfer_order


@strawberry.type
class TransferQuery:
    @strawberry.field(description="Transfers between warehouses, newest first.", extensions=needs("stock.view"))
    async def transfers(
        self, info: Info, status: TransferStatus | None = None, first: int | None = None, after: str | None = None
    ) -> Connection[Transfer]:
        q = select(transfer_order).order_by(transfer_order.c.id.desc())
        if status:
            q = q.where(transfer_order.c.status == status.value)
        allowed = caller_warehouses(info)
        q = q.where(
            or_(
                scope.within(allowed, transfer_order.c.from_warehouse_id),
                scope.within(allowed, transfer_order.c.to_warehouse_id),
            )
        )
        return await paginate(info, q, Transfer.from_row, first=first, after=after)

    @strawberry.field(
        description="One transfer by its ID; null when it does not exist or lies outside the caller's warehouses.",
        extensions=needs("stock.view"),
    )
    async def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        pk = decode_id(id, "Transfer")
        if pk is None:
            return None
        allowed = caller_warehouses(info)
        q = select(transfer_order).where(
            transfer_order.c.id == pk,
            or_(
                scope.within(allowed, transfer_order.c.from_warehouse_id),
                scope.within(allowed, transfer_order.c.to_warehouse_id),
            ),
        )
        async with info.context.db.read() as conn:
            row = (await conn.execute(q)).first()
        return Transfer.from_row(row) if row else None
