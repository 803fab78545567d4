"""What purchase orders and sales orders share: creating a draft, replacing a draft's (or a rejected
order's) header and lines, the header checks (note, partner, warehouses in the caller's scope) and the
status transitions with their history rows.

Each flow describes itself once in an ``OrderBook`` (``server/purchasing/orders.py::PURCHASE_ORDERS``,
``server/sales/orders.py::SALES_ORDERS``) and keeps only what differs — how a line is priced — in its
own ``build`` function. An update locks the stored order first and refuses it outside the caller's
warehouses (``lock_row`` with the principal), before the new header and lines are checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.principal import Principal
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbering import next_number
from server.core.text_limits import collect_length
from server.documents.actions import (
    AnyRow,
    Collector,
    ProductInfo,
    actor_label,
    create_once,
    lock_row,
    require_status,
    status_event,
    transition,
)

EDITABLE = ("draft", "rejected")
CANCELLABLE = ("draft", "submitted", "approved", "rejected")

Header = dict[str, Any]
Lines = list[dict[str, Any]]
D = TypeVar("D")
#: ``build(conn, data, principal)``: validate an order's input and compute its header and lines.
Build = Callable[[AsyncConnection, D, Principal | None], Awaitable[tuple[Header, Lines]]]


@dataclass(frozen=True)
class OrderBook:
    """How one order flow names its tables, numbers and permissions."""

    error_cls: type[DomainError]
    orders: Table  # purchase_order | sales_order (its name is the document type of events and messages)
    lines: Table  # purchase_order_line | sales_order_line
    history: Table  # purchase_order_history | sales_order_history
    prefix: str  # document numbers: "PO" | "SO"
    edit_permission: str  # "purchase.order.edit" | "sales.order.edit"
    create_scope: str  # idempotency scope: "purchase.order.create" | "sales.order.create"
    party: Table  # supplier | customer
    party_field: str  # "supplierId" | "customerId"
    warehouses: Table  # stock's warehouse table (stock is a layer above this one: the flow hands it down)
    step_column: str  # the history column naming an approval step: "role_code" | "reason"

    @property
    def what(self) -> str:
        return self.orders.name


async def check_ref(
    conn: AsyncConnection, table: Table, row_id: int, what: str, field: str, c: Collector
) -> AnyRow | None:
    """The active row ``row_id`` of ``table``; ``NOT_FOUND`` or ``INACTIVE`` collected otherwise."""
    row = (await conn.execute(select(table).where(table.c.id == row_id))).first()
    if row is None:
        c.add("NOT_FOUND", field, what=what)
    elif not row.active:
        c.add("INACTIVE", field, what=what)
    else:
        return row
    return None


async def check_header(
    conn: AsyncConnection,
    book: OrderBook,
    c: Collector,
    principal: Principal | None,
    *,
    note: str,
    party_id: int,
    warehouse_id: int,
    line_warehouses: Iterable[int | None],
) -> AnyRow | None:
    """Check an order's note, partner and warehouses (each active and inside the principal's scope);
    returns the partner row when it is usable."""
    collect_length(c, note.strip(), book.orders.c.note, "note")
    party = await check_ref(conn, book.party, party_id, book.party.name, book.party_field, c)
    for wh in sorted({warehouse_id} | {w for w in line_warehouses if w}):
        fld = "warehouseId" if wh == warehouse_id else "lines"
        if await check_ref(conn, book.warehouses, wh, "warehouse", fld, c) and not scope.in_scope(principal, wh):
            c.add("PERMISSION_DENIED", fld, permission=f"warehouse {wh}")
    return party


def line_product(c: Collector, products: Mapping[int, ProductInfo], product_id: int, i: int) -> ProductInfo | None:
    """The active product of input line ``i``; ``NOT_FOUND`` or ``INACTIVE`` collected otherwise."""
    p = products.get(product_id)
    if p is None:
        c.add("NOT_FOUND", f"lines.{i}.productId", what="product")
    elif not p.active:
        c.add("INACTIVE", f"lines.{i}.productId", what="product")
    else:
        return p
    return None


async def create_order(
    db: Database,
    book: OrderBook,
    data: D,
    principal: Principal | None,
    build: Build[D],
    *,
    idempotency_key: str | None = None,
) -> int:
    """Create a draft order; its number (``PO2026-000001``) is taken in the same transaction."""
    scope.require(principal, book.edit_permission, book.error_cls)

    async def create(conn: AsyncConnection) -> int:
        header, lines = await build(conn, data, principal)
        number = await next_number(conn, book.prefix, header["order_date"])
        order_id: int = (
            await conn.execute(
                book.orders.insert()
                .values(
                    number=number,
                    status="draft",
                    created_by=actor_label(principal),
                    created_by_user_id=principal.user_id if principal else None,
                    created_at=utcnow(),
                    **header,
                )
                .returning(book.orders.c.id)
            )
        ).scalar_one()
        await conn.execute(book.lines.insert(), [dict(ln, order_id=order_id) for ln in lines])
        note_change(conn, f"{book.what}:{order_id}", after=dict(header, number=number, lines=lines))
        await status_event(
            conn, book.what, order_id, number, "", "draft", principal, warehouse_id=header["warehouse_id"]
        )
        return order_id

    return await create_once(book.error_cls, db, book.create_scope, data, idempotency_key, create)


async def update_order(
    db: Database, book: OrderBook, order_id: int, data: D, principal: Principal | None, build: Build[D]
) -> None:
    """Replace a draft's header and lines. A rejected order may be corrected too: it becomes a draft.
    The stored order's warehouse must be inside the principal's scope, as must the new ones."""
    scope.require(principal, book.edit_permission, book.error_cls)
    async with db.write() as conn:
        row = await lock_row(book.error_cls, conn, book.orders, order_id, book.what, principal)
        require_status(book.error_cls, row, EDITABLE, book.what, "edit")
        header, lines = await build(conn, data, principal)
        await conn.execute(book.lines.delete().where(book.lines.c.order_id == order_id))
        await conn.execute(
            update(book.orders).where(book.orders.c.id == order_id).values(status="draft", approvals_done=0, **header)
        )
        await conn.execute(book.lines.insert(), [dict(ln, order_id=order_id) for ln in lines])
        note_change(
            conn,
            f"{book.what}:{order_id}",
            before={k: getattr(row, k) for k in header},
            after=dict(header, lines=lines),
        )
        if row.status != "draft":
            await order_transition(conn, book, row, "edited", "draft", principal)


async def order_transition(
    conn: AsyncConnection,
    book: OrderBook,
    row: AnyRow,
    action: str,
    to_status: str,
    principal: Principal | None,
    *,
    comment: str = "",
    step: str = "",
    **values: Any,
) -> None:
    """``actions.transition`` for an order; ``step`` goes to the history's ``book.step_column``."""
    await transition(
        conn,
        book.orders,
        book.history,
        row,
        action,
        to_status,
        principal,
        comment=comment,
        history_values={book.step_column: step},
        **values,
    )
