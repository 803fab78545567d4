"""Document actions shared by every document flow (purchasing, sales, finance, and stock's transfers,
counts and production): line values and VAT, prices, product/unit lookups, row locks, status and
permission checks, idempotent creation and document events. Each domain binds them to its own error
class in its ``common`` module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product, product_unit, unit
from server.core.audit import actor_of, note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError, ErrorCollector
from server.core.idempotency import claim_key, store_result
from server.core.numbers import (
    MAX_FEN,
    MAX_QTY,
    QTY_SCALE,
    NumberError,
    money_to_fen,
    parse_rate,
    parse_unit_price,
    qty_to_scaled,
    round_half_up_div,
)
from server.events.journal import append_events
from server.events.types import DocumentStatusChanged

MICRO = 10**6  # unit prices are integer micro-yuan

#: A result row of any columns (``select(table)`` or a few of its columns): attributes by column name.
AnyRow = Row[*tuple[Any, ...]]


def value_fen(qty: int, price_micro: int, factor: int) -> int:
    """Value of ``qty`` (scaled base units) at ``price_micro`` per price unit of ``factor`` scaled base
    units, rounded half-up to the fen — the one rounding point of a line amount."""
    return round_half_up_div(qty * price_micro, factor * 10_000)


def tax_fen(amount_fen: int, rate_bp: int) -> int:
    """VAT of one line, half-up to the fen (domain reference §4.3: per line, then summed)."""
    return round_half_up_div(amount_fen * rate_bp, 10_000)


def price_to_micro(value) -> int:
    return int(parse_unit_price(value) * MICRO)


def micro_to_decimal(micro: int) -> Decimal:
    d = Decimal(micro) / MICRO
    return d.quantize(Decimal("0.01")) if d == d.quantize(Decimal("0.01")) else d.normalize()


class Collector(ErrorCollector):
    """The error collector with the documents' number rules (prices, VAT rates, amounts)."""

    def price(self, value, field: str) -> int | None:
        try:
            micro = price_to_micro(value)
        except NumberError as exc:
            if exc.code == "TOO_MANY_DECIMALS":
                self.add("TOO_MANY_DECIMALS", field, precision=6)
            else:
                self.add("INVALID_VALUE", field, detail=str(value))
            return None
        if micro < 0:
            self.add("INVALID_VALUE", field, detail=str(value))
            return None
        return micro

    def rate(self, value, field: str) -> int | None:
        try:
            return parse_rate(value)
        except NumberError:
            self.add("INVALID_VALUE", field, detail=str(value))
            return None

    def money(self, value, field: str, *, positive: bool = False) -> int | None:
        try:
            fen = money_to_fen(value)
        except NumberError as exc:
            code = "TOO_MANY_DECIMALS" if exc.code == "TOO_MANY_DECIMALS" else "INVALID_VALUE"
            self.add(code, field, precision=2, detail=str(value))
            return None
        if fen < 0 or (positive and fen == 0):
            self.add("INVALID_VALUE", field, detail=str(value))
            return None
        return fen


@dataclass(frozen=True)
class ProductInfo:
    id: int
    base_unit_id: int
    precision: int
    tracking: str
    active: bool
    purchase_price_fen: int
    vat_rate_bp: int
    factors: dict  # unit_id -> (scaled base quantity per unit, unit precision)


async def load_products(conn: AsyncConnection, ids) -> dict[int, ProductInfo]:
    ids = set(ids)
    if not ids:
        return {}
    rows = (
        await conn.execute(
            select(
                product.c.id,
                product.c.base_unit_id,
                unit.c.precision,
                product.c.tracking,
                product.c.active,
                product.c.purchase_price_fen,
                product.c.vat_rate_bp,
            )
            .join(unit, unit.c.id == product.c.base_unit_id)
            .where(product.c.id.in_(ids))
        )
    ).all()
    alt = (
        await conn.execute(
            select(product_unit.c.product_id, product_unit.c.unit_id, product_unit.c.factor, unit.c.precision)
            .join(unit, unit.c.id == product_unit.c.unit_id)
            .where(product_unit.c.product_id.in_(ids))
        )
    ).all()
    out = {}
    for r in rows:
        factors = {r.base_unit_id: (QTY_SCALE, r.precision)}
        factors.update({a.unit_id: (a.factor, a.precision) for a in alt if a.product_id == r.id})
        out[r.id] = ProductInfo(
            r.id, r.base_unit_id, r.precision, r.tracking, r.active, r.purchase_price_fen, r.vat_rate_bp, factors
        )
    return out


def quantity_in_unit(
    c: Collector, p: ProductInfo, unit_id: int | None, value, field: str, *, allow_zero: bool = False
) -> tuple[int, int, int] | None:
    """Parse ``value`` in ``unit_id`` (default: base unit). Returns (quantity in the unit scaled,
    quantity in base units scaled, factor); too many decimals is an error, never rounded."""
    unit_id = unit_id or p.base_unit_id
    if unit_id not in p.factors:
        c.add("WRONG_UNIT", field.rsplit(".", 1)[0] + ".unitId")
        return None
    factor, precision = p.factors[unit_id]
    try:
        qty = qty_to_scaled(value, precision)
    except NumberError as exc:
        if exc.code == "TOO_MANY_DECIMALS":
            c.add("TOO_MANY_DECIMALS", field, precision=precision)
        else:
            c.add("INVALID_VALUE", field, detail=str(value))
        return None
    if qty < 0 or (qty == 0 and not allow_zero):
        c.add("INVALID_QUANTITY", field)
        return None
    base, rem = divmod(qty * factor, QTY_SCALE)
    if rem or base % (10 ** (6 - p.precision)):
        c.add("TOO_MANY_DECIMALS", field, precision=p.precision)
        return None
    if base > MAX_QTY:
        c.add("INVALID_VALUE", field, detail=str(value))
        return None
    return qty, base, factor


def check_amount(c: Collector, fen: int, field: str) -> None:
    if fen > MAX_FEN:
        c.add("INVALID_VALUE", field, detail="amount out of range")


async def lock_row(
    error_cls: type[DomainError],
    conn: AsyncConnection,
    table: Table,
    row_id: int,
    what: str,
    principal: Principal | None = None,
):
    """Read a document row and hold its lock to commit (``FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers). Concurrent actions on one document queue here
    and each then sees the previous one's result. With ``principal``, a document of a warehouse
    outside the principal's is refused (``PERMISSION_DENIED``)."""
    row = (await conn.execute(select(table).where(table.c.id == row_id).with_for_update())).first()
    if row is None:
        raise error_cls("NOT_FOUND", "id", what=what)
    if principal is not None and "warehouse_id" in table.c:
        scope.require_warehouse(principal, row.warehouse_id, error_cls, "id")
    return row


def require_status(error_cls: type[DomainError], row, allowed: tuple[str, ...], what: str, action: str) -> None:
    if row.status not in allowed:
        raise error_cls("INVALID_STATUS", "id", what=what, status=row.status, action=action)


def actor_label(principal: Principal | None) -> str:
    """The actor recorded on documents and moves (see ``audit.actor_of``)."""
    return actor_of(principal)


async def status_event(
    conn: AsyncConnection,
    doc_type: str,
    row_id: int,
    number: str,
    old: str,
    new: str,
    principal: Principal | None,
    **extra,
) -> None:
    """The ``document.status_changed`` journal event; call last in the transaction. ``extra``: the
    fields of ``DocumentStatusChanged`` a document type carries (``server/events/types.py``)."""
    await append_events(
        conn,
        [
            DocumentStatusChanged(
                doc_type=doc_type,
                id=row_id,
                number=number,
                from_status=old,
                to_status=new,
                actor=actor_label(principal),
                **extra,
            )
        ],
    )


async def create_once(
    error_cls: type[DomainError],
    db: Database,
    scope: str,
    data,
    idempotency_key: str | None,
    create: Callable[[AsyncConnection], Awaitable[int]],
) -> int:
    """Run ``create`` in a write transaction; with an idempotency key a retry of the same request
    returns the first document's id instead of creating another one."""
    async with db.write() as conn:
        if idempotency_key is not None:
            stored = await claim_key(conn, idempotency_key, scope, asdict(data), error_cls)
            if stored is not None:
                return stored["id"]
        new_id = await create(conn)
        if idempotency_key is not None:
            await store_result(conn, idempotency_key, {"id": new_id})
    return new_id


# ---- approvals shared by purchase and sales orders ------------------------------------------------------


async def transition(
    conn: AsyncConnection,
    table: Table,
    history: Table,
    row,
    action: str,
    to_status: str,
    principal: Principal | None,
    *,
    comment: str = "",
    history_values: dict | None = None,
    **values,
) -> None:
    """Move an order to ``to_status`` (with ``values``): one history row, one audit note and, when the
    status changes, one ``document.status_changed`` event."""
    if to_status != row.status or values:
        await conn.execute(update(table).where(table.c.id == row.id).values(status=to_status, **values))
    await conn.execute(
        history.insert().values(
            order_id=row.id,
            action=action,
            from_status=row.status,
            to_status=to_status,
            actor=actor_label(principal),
            user_id=principal.user_id if principal else None,
            comment=comment,
            at=utcnow(),
            **(history_values or {}),
        )
    )
    note_change(
        conn,
        f"{table.name}:{row.id}",
        before={"status": row.status},
        after={"status": to_status, "comment": comment} if comment else {"status": to_status},
    )
    if to_status != row.status:
        await status_event(
            conn, table.name, row.id, row.number, row.status, to_status, principal, warehouse_id=row.warehouse_id
        )


def is_creator(row, principal: Principal) -> bool:
    """Whether ``principal`` created the document (separation of duties): the same user, or for API
    tokens the same token."""
    if principal.user_id is not None and row.created_by_user_id is not None:
        return principal.user_id == row.created_by_user_id
    return principal.label == row.created_by


async def approved_this_round(conn: AsyncConnection, history: Table, order_id: int, principal: Principal) -> bool:
    """Whether ``principal`` already signed a step since the order was last submitted."""
    rows = (
        await conn.execute(
            select(history.c.action, history.c.actor, history.c.user_id)
            .where(history.c.order_id == order_id)
            .order_by(history.c.id.desc())
        )
    ).all()
    for r in rows:
        if r.action == "submitted":
            return False
        if r.action == "approved" and (
            (principal.user_id is not None and r.user_id == principal.user_id) or r.actor == principal.label
        ):
            return True
    return False


def clean_comment(error_cls: type[DomainError], comment: str, *, required: bool = False, max_len: int = 500) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise error_cls("REQUIRED", "comment")
    if len(comment) > max_len:
        raise error_cls("INVALID_VALUE", "comment", detail=f"≤ {max_len} chars")
    return comment


def parse_thresholds(
    error_cls: type[DomainError], thresholds: list[tuple[str, str]], role_codes: set[str]
) -> list[dict]:
    """Approval thresholds ``(amount in yuan, role code)`` as ``[{"above_fen", "role"}]``, ascending."""
    out = []
    for i, (amount, role_code) in enumerate(thresholds):
        try:
            fen = money_to_fen(amount)
        except NumberError:
            fen = -1
        if fen < 0:
            raise error_cls("INVALID_VALUE", f"approvalThresholds.{i}.amount", detail=amount)
        if role_code not in role_codes:
            raise error_cls("NOT_FOUND", f"approvalThresholds.{i}.role", what="role")
        out.append({"above_fen": fen, "role": role_code})
    return sorted(out, key=lambda t: t["above_fen"])
