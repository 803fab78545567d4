"""Live subscriptions over the event journal: sign-in re-checks and event rows shared by every
subscription of the process (O(1) reads per event, not per subscriber), and document status events.

A subscription ends when its token is revoked or expires (or loses the permission): the client
gets a ``PERMISSION_DENIED`` error for the subscription and then the WebSocket is closed with code
4403, so a device cannot keep listening on a dead token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import strawberry
from strawberry.types import Info

from schema.auth.permissions import caller_can, caller_warehouses, needs
from schema.enums import options_enum
from server.auth import scope
from server.auth.services import Verified, verify
from server.core.errors import ApiError
from server.events.bus import JournalEvent
from server.events.types import DOCUMENT_STATUS_CHANGED

CLOSE_CODE = 4403
T = TypeVar("T")
_closing: set[asyncio.Task] = set()


def _close_connection_soon(info: Info) -> None:
    """Close the caller's WebSocket just after the subscription's error message has gone out."""
    ws = info.context.request
    if getattr(ws, "scope", {}).get("type") != "websocket":
        return

    async def close():
        await asyncio.sleep(0.2)
        with contextlib.suppress(Exception):
            await ws.close(code=CLOSE_CODE, reason="token revoked or expired")

    task = asyncio.get_running_loop().create_task(close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


#: how long a subscription trusts a verified sign-in without reading it again; revocations end it at
#: once anyway (``Verified``), this only bounds a change that nobody announced
TRUST_SECONDS = 30.0


async def live_events(
    info: Info, predicate: Callable[[JournalEvent], bool], since: int | None, event_type: str, permission: str | None
) -> AsyncIterator[JournalEvent]:
    """Journal events after ``since`` then live, while the caller's token stays valid.

    Delivering one event to many subscriptions of this process costs the database what one costs:

    * the sign-in is re-checked against what this subscription verified last (``Verified``): no read
      while no credentials changed anywhere, the token has not expired and ``TRUST_SECONDS`` have not
      passed; a revocation anywhere drops it, and the tailer makes every subscription re-check then;
    * the event's rows (product, unit, location, warehouse, lot, move…) are read once, by the first
      subscription that resolves it, through DataLoaders kept on the event itself and shared by every
      subscription it is offered to (``Context.event_loaders``); they go when the event does.
      Loaders hold rows, never decisions: what each caller may see is still checked per subscriber
      (permissions and warehouse scopes are in-memory checks on its own principal).
    """
    context = info.context
    verified: Verified | None = None

    async def still_allowed() -> bool:
        nonlocal verified
        if not context.token:
            return True
        if verified is None or not verified.still_good(TRUST_SECONDS):
            verified = await verify(context.db, context.token)
        return verified is not None and (permission is None or scope.can(verified.principal, permission))

    async for ev in context.tailer.stream(predicate, since, event_type, still_allowed):
        # a revoked or expired token ends the subscription: at its next event, or when idle
        if not await still_allowed():
            break
        context.event_loaders(ev.shared)
        yield ev
    _close_connection_soon(info)
    raise ApiError("PERMISSION_DENIED", permission=permission or "sign-in / 登录")


async def shared_answer(ev: JournalEvent, key: object, compute: Callable[[], Awaitable[T]]) -> T:
    """``compute()`` once per event for every subscription of this process that asks with ``key``
    (the others wait for the first one's answer). Only for answers that do not depend on the caller
    beyond what ``key`` says."""
    shared = ev.shared
    task = shared.get(key)
    if task is None:
        task = shared[key] = asyncio.ensure_future(compute())
    if task.done():
        return task.result()
    return await asyncio.shield(task)


# which permission lets a caller see status changes of which document type
DOCUMENT_PERMISSIONS = {
    "purchase_order": "purchase.view",
    "goods_receipt": "purchase.view",
    "purchase_return": "purchase.view",
    "supplier_bill": "purchase.view",
    "supplier_payment": "purchase.view",
    "sales_order": "sales.view",
    "shipment": "sales.view",
    "sales_invoice": "sales.view",
    "customer_receipt": "sales.view",
    "sales_return": "sales.view",
    "transfer_order": "stock.view",
    "stock_count": "stock.count",
    "production_order": "stock.view",
}
DocumentType = options_enum("DocumentType", DOCUMENT_PERMISSIONS, "A kind of business document.")


@strawberry.type(description="A document changed status (created documents go from '' to their first status).")
class DocumentStatusChanged:
    seq: int = strawberry.field(description="Journal sequence number; pass it as `since` to resume.")
    occurred_at: datetime
    document_type: str
    document_id: strawberry.ID
    number: str
    from_status: str
    to_status: str
    actor: str


_GLOBAL_TYPE = {
    "purchase_order": "PurchaseOrder",
    "goods_receipt": "GoodsReceipt",
    "purchase_return": "PurchaseReturn",
    "supplier_bill": "SupplierBill",
    "supplier_payment": "SupplierPayment",
    "sales_order": "SalesOrder",
    "shipment": "Shipment",
    "sales_invoice": "SalesInvoice",
    "customer_receipt": "CustomerReceipt",
    "sales_return": "SalesReturn",
    "transfer_order": "Transfer",
    "stock_count": "StockCount",
    "production_order": "ProductionOrder",
}


@strawberry.type
class DocumentsSubscription:
    @strawberry.subscription(
        description=(
            "Status changes of documents (orders submitted/approved/received…, receipts, bills) the caller may "
            "see, in journal order; `since` replays what was missed. A caller restricted to some warehouses "
            "sees only the orders and receipts of those."
        ),
        extensions=needs(None),
    )
    async def document_status_changed(
        self, info: Info, document_types: list[DocumentType] | None = None, since: int | None = None
    ) -> AsyncGenerator[DocumentStatusChanged, None]:
        from schema.relay import to_global_id

        visible = {t for t, perm in DOCUMENT_PERMISSIONS.items() if caller_can(info, perm)}
        if document_types is not None:
            visible &= {t.value for t in document_types}

        allowed = caller_warehouses(info)

        def predicate(ev: JournalEvent) -> bool:
            return (
                ev.event_type == DOCUMENT_STATUS_CHANGED
                and ev.data.doc_type in visible
                and scope.allows(allowed, ev.data.warehouse_id)
            )

        async for ev in live_events(info, predicate, since, DOCUMENT_STATUS_CHANGED, None):
            d = ev.data
            yield DocumentStatusChanged(
                seq=ev.seq,
                occurred_at=ev.created_at,
                document_type=d.doc_type,
                document_id=to_global_id(_GLOBAL_TYPE.get(d.doc_type, d.doc_type), d.id),
                number=d.number,
                from_status=d.from_status,
                to_status=d.to_status,
                actor=d.actor,
            )
