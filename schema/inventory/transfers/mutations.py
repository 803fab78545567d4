"""Transfer mutations: dispatch and receive."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import InventoryError, run_action
from schema.inventory.inputs import inventory_pk
from schema.inventory.transfers.inputs import ArrivalLineInput, DispatchLineInput
from schema.inventory.transfers.types import Transfer
from server.inventory import transfers
from server.inventory.errors import InventoryErrorCode
from server.inventory.models import transfer_order


@strawberry.type
class TransferPayload:
    transfer: Transfer | None
    errors: list[InventoryError]


async def _payload(info: Info, action) -> TransferPayload:
    tid, errors = await run_action(info, InventoryErrorCode, action)
    if errors:
        return TransferPayload(transfer=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(transfer_order).where(transfer_order.c.id == tid))).one()
    return TransferPayload(transfer=Transfer.from_row(row), errors=[])


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        description="Send goods to another warehouse: they are in transit until received.",
        extensions=needs("stock.transfer"),
    )
    async def dispatch_transfer(
        self,
        info: Info,
        to_warehouse_id: strawberry.ID,
        lines: list[DispatchLineInput],
        idempotency_key: str | None = None,
        dispatch_date: date | None = None,
        note: str = "",
    ) -> TransferPayload:
        async def action():
            data = transfers.DispatchInput(
                to_warehouse_id=inventory_pk(to_warehouse_id, "Warehouse", "toWarehouseId", "warehouse"),
                dispatch_date=dispatch_date,
                note=note,
                lines=[
                    transfers.DispatchLineInput(
                        product_id=inventory_pk(ln.product_id, "Product", f"lines.{i}.productId", "product"),
                        quantity=ln.quantity,
                        from_location_id=inventory_pk(
                            ln.from_location_id, "Location", f"lines.{i}.fromLocationId", "location"
                        ),
                        lot=ln.lot,
                        unit_id=inventory_pk(ln.unit_id, "Unit", f"lines.{i}.unitId", "unit") if ln.unit_id else None,
                    )
                    for i, ln in enumerate(lines)
                ],
            )
            return await transfers.do_dispatch_transfer(
                info.context.db, data, info.context.principal, idempotency_key=idempotency_key
            )

        return await _payload(info, action)

    @strawberry.mutation(
        description="Receive a transfer; differences need a reason and are written off.",
        extensions=needs("stock.transfer"),
    )
    async def receive_transfer(self, info: Info, id: strawberry.ID, lines: list[ArrivalLineInput]) -> TransferPayload:
        async def action():
            tid = inventory_pk(id, "Transfer", "id", "transfer")
            await transfers.do_receive_transfer(
                info.context.db,
                tid,
                [
                    transfers.ArrivalLineInput(
                        transfer_line_id=inventory_pk(
                            ln.transfer_line_id, "TransferLine", f"lines.{i}.transferLineId", "transfer_line"
                        ),
                        received_quantity=ln.received_quantity,
                        to_location_id=inventory_pk(
                            ln.to_location_id, "Location", f"lines.{i}.toLocationId", "location"
                        ),
                        close=ln.close,
                        difference_reason=ln.difference_reason,
                    )
                    for i, ln in enumerate(lines)
                ],
                info.context.principal,
            )
            return tid

        return await _payload(info, action)
