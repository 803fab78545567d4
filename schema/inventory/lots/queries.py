"""Lot queries: trace a lot both ways, stock expiring soon."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import caller_warehouses, needs
from schema.bounds import check_days
from schema.inventory.lots.types import ExpiringStock, LotOnHand, LotTrace
from schema.inventory.types import Lot
from schema.relay import Connection, decode_id, paginate
from schema.scalars import quantity_of
from server.core import clock
from server.inventory import lots
from server.inventory.models import lot
from server.reports.lots import lot_trace


@strawberry.type
class LotQuery:
    @strawberry.field(
        description="Trace a lot or serial: by lotId, or by productId and the lot/serial code.",
        extensions=needs("stock.view"),
    )
    async def lot_trace(
        self,
        info: Info,
        lot_id: strawberry.ID | None = None,
        product_id: strawberry.ID | None = None,
        code: str | None = None,
    ) -> LotTrace | None:
        async with info.context.db.read() as conn:
            if lot_id is not None:
                lid = decode_id(lot_id, "Lot")
            else:
                pid = decode_id(product_id, "Product") if product_id else None
                lid = (
                    await conn.execute(
                        select(lot.c.id).where(lot.c.product_id == pid, lot.c.code == (code or "").strip())
                    )
                ).scalar()
            if lid is None:
                return None
            trace = await lot_trace(conn, lid, caller_warehouses(info))
        if trace is None:
            return None
        return LotTrace(
            lot=Lot.from_row(trace.lot),
            on_hand=[LotOnHand(quantity=quantity_of(r.qty), _location_id=r.location_id) for r in trace.on_hand],
            _trace=trace,
        )

    @strawberry.field(
        description="Stock of lots expiring within `days` (default 30), earliest first.", extensions=needs("stock.view")
    )
    async def expiring_soon(
        self,
        info: Info,
        days: int = 30,
        warehouse_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ExpiringStock]:
        check_days(days)
        today = clock.today()
        wh = (decode_id(warehouse_id, "Warehouse") or 0) if warehouse_id is not None else None
        q = lots.expiring_soon(max(days, 0), on=today, warehouse_id=wh, warehouses=caller_warehouses(info))
        return await paginate(
            info,
            q,
            lambda r: ExpiringStock(
                lot=r.code,
                expiry_date=r.expiry_date,
                days_left=(r.expiry_date - today).days,
                quantity=quantity_of(r.qty),
                _product_id=r.product_id,
                _location_id=r.location_id,
            ),
            first=first,
            after=after,
        )
