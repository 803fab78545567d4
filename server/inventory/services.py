"""Inventory primitives — receive, issue, transfer, adjust — as ``do_*`` actions.

Each action validates the whole request first, then posts it through the ledger in one write
transaction with its idempotency key. An action may be dated (``on``: a business date up to today,
default today): the operation records it and the finance poster books its voucher on it. Later
document flows (purchasing, sales, production, counts) call these; nothing else writes stock moves.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product, product_unit, unit
from server.core import clock
from server.core.business_dates import business_day
from server.core.database import Database
from server.core.errors import ErrorCollector
from server.core.idempotency import check_key, request_hash, stored_key
from server.core.numbers import (
    MAX_FEN,
    MAX_QTY,
    QTY_SCALE,
    NumberError,
    line_value_fen,
    parse_unit_price,
    qty_to_scaled,
)
from server.core.sql import dialect_insert, prepared
from server.core.text_limits import string_length
from server.documents.actions import actor_label
from server.inventory.errors import InventoryError
from server.inventory.ledger import MoveSpec, PostedOperation, open_operation, post_moves
from server.inventory.models import (
    frozen_location,
    location,
    lot,
    product_cost,
    stock_level,
    stock_move,
    stock_operation,
    warehouse,
)

LOT_CODE_MAX = string_length(lot.c.code)
REFERENCE_MAX = string_length(stock_operation.c.reference)
REASON_MAX = string_length(stock_operation.c.reason)


class MoveType(str, enum.Enum):
    """Kinds of stock move; later document flows post production receipts and issues."""

    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    PRODUCTION_RECEIPT = "production_receipt"
    PRODUCTION_ISSUE = "production_issue"


RECEIPT = MoveType.RECEIPT.value
ISSUE = MoveType.ISSUE.value
TRANSFER = MoveType.TRANSFER.value
ADJUSTMENT = MoveType.ADJUSTMENT.value


@dataclass
class StockLine:
    """One requested line. ``quantity`` is a decimal string in ``unit_id`` (default: base unit)."""

    product_id: int
    quantity: str | Decimal
    location_id: int | None = None  # receive/issue/adjust location; transfer source
    to_location_id: int | None = None  # transfer destination
    unit_id: int | None = None
    lot_code: str | None = None
    expiry_date: date | None = None
    batch: str | None = None  # receipts of serial-tracked products: the unit's production lot (10)
    unit_cost: str | Decimal | None = None  # yuan per unit of ``unit_id``; receipts and gains
    source_line_id: int | None = None
    value_fen: int | None = None  # documents: the exact inbound (or outbound) line value, overrides unit_cost


@dataclass(frozen=True)
class OperationResult:
    operation_id: int
    replayed: bool
    posted: PostedOperation | None = None  # the written rows, when not replayed


class _ProductRef(NamedTuple):
    id: int
    base_unit_id: int
    tracking: str
    active: bool
    purchase_price_fen: int
    precision: int


class _LocationRef(NamedTuple):
    id: int
    warehouse_id: int
    active: bool
    code: str
    frozen_by: int  # the freeze count holding it, or 0


def _refs_stmt(_insert):
    """The products and locations a request names, in one round trip."""
    products = (
        select(
            literal("p").label("kind"),
            product.c.id,
            product.c.base_unit_id.label("ref"),
            product.c.tracking,
            product.c.active,
            product.c.purchase_price_fen.label("price"),
            unit.c.precision,
        )
        .join(unit, unit.c.id == product.c.base_unit_id)
        .where(product.c.id.in_(bindparam("pids", expanding=True)))
    )
    locations = (
        select(
            literal("l"),
            location.c.id,
            location.c.warehouse_id,
            location.c.code,
            and_(location.c.active, warehouse.c.active),
            func.coalesce(frozen_location.c.count_id, 0),
            literal(0),
        )
        .join(warehouse, warehouse.c.id == location.c.warehouse_id)
        .outerjoin(frozen_location, frozen_location.c.location_id == location.c.id)
        .where(location.c.id.in_(bindparam("lids", expanding=True)))
    )
    return union_all(products, locations)


class _Validator(ErrorCollector):
    """Loads the master data a request refers to and collects every problem before raising."""

    def __init__(self, conn: AsyncConnection):
        super().__init__(InventoryError)
        self.conn = conn
        self.products: dict[int, _ProductRef] = {}
        self.locations: dict[int, _LocationRef] = {}
        self.factors: dict[tuple[int, int], tuple[int, int]] = {}

    async def load(self, lines: list[StockLine]) -> None:
        product_ids = {ln.product_id for ln in lines}
        location_ids = {x for ln in lines for x in (ln.location_id, ln.to_location_id) if x}
        rows = await self.conn.execute(
            prepared(self.conn, "validator.refs", _refs_stmt), {"pids": list(product_ids), "lids": list(location_ids)}
        )
        for r in rows:
            if r.kind == "p":
                self.products[r.id] = _ProductRef(r.id, r.ref, r.tracking, r.active, r.price, r.precision)
            else:
                self.locations[r.id] = _LocationRef(r.id, r.ref, r.active, r.tracking, r.price)
        alt = {(ln.product_id, ln.unit_id) for ln in lines if ln.unit_id is not None}
        if alt:
            rows = await self.conn.execute(
                select(product_unit.c.product_id, product_unit.c.unit_id, product_unit.c.factor, unit.c.precision)
                .join(unit, unit.c.id == product_unit.c.unit_id)
                .where(product_unit.c.product_id.in_({p for p, _ in alt}))
            )
            self.factors = {(r.product_id, r.unit_id): (r.factor, r.precision) for r in rows}

    def product(self, ln: StockLine, i: int):
        p = self.products.get(ln.product_id)
        if p is None:
            self.add("NOT_FOUND", f"lines.{i}.productId", what="product")
        elif not p.active:
            self.add("INACTIVE", f"lines.{i}.productId", what="product")
            return None
        return p

    def location(self, location_id: int | None, field: str):
        if location_id is None:
            self.add("REQUIRED", field)
            return None
        loc = self.locations.get(location_id)
        if loc is None:
            self.add("NOT_FOUND", field, what="location")
        elif not loc.active:
            self.add("INACTIVE", field, what="location")
            return None
        elif loc.frozen_by:
            self.add("LOCATION_FROZEN", field, location=loc.code, count=loc.frozen_by)
            return None
        return loc

    def quantity(self, ln: StockLine, i: int, p, *, signed: bool = False) -> int | None:
        """Quantity in scaled base units; too many decimals for the unit is an error, never rounded."""
        field = f"lines.{i}.quantity"
        factor, precision = QTY_SCALE, p.precision
        if ln.unit_id is not None and ln.unit_id != p.base_unit_id:
            if (ln.product_id, ln.unit_id) not in self.factors:
                self.add("WRONG_UNIT", f"lines.{i}.unitId")
                return None
            factor, precision = self.factors[(ln.product_id, ln.unit_id)]
        try:
            qty = qty_to_scaled(ln.quantity, precision)
        except NumberError as exc:
            if exc.code == "TOO_MANY_DECIMALS":
                self.add("TOO_MANY_DECIMALS", field, precision=precision)
            else:
                self.add("INVALID_VALUE", field, detail=str(ln.quantity))
            return None
        if qty == 0 or (qty < 0 and not signed):
            self.add("INVALID_QUANTITY", field)
            return None
        base, rem = divmod(qty * factor, QTY_SCALE)
        if abs(base) > MAX_QTY:
            self.add("INVALID_VALUE", field, detail=str(ln.quantity))
            return None
        step = 10 ** (6 - p.precision)
        if rem or base % step:
            self.add("TOO_MANY_DECIMALS", field, precision=p.precision)
            return None
        if p.tracking == "serial" and abs(base) != QTY_SCALE:
            self.add("SERIAL_QUANTITY", field)
            return None
        return base

    def lot_required(self, ln: StockLine, i: int, p) -> bool:
        tracked = p.tracking in ("lot", "serial")
        if tracked and not ln.lot_code:
            self.add("LOT_REQUIRED", f"lines.{i}.lot")
        elif not tracked and ln.lot_code:
            self.add("LOT_NOT_ALLOWED", f"lines.{i}.lot")
        elif ln.lot_code and len(ln.lot_code) > LOT_CODE_MAX:
            self.add("INVALID_VALUE", f"lines.{i}.lot", detail=f"≤ {LOT_CODE_MAX} chars")
            return False
        return tracked and bool(ln.lot_code)

    def unit_cost_value(self, ln: StockLine, i: int, qty_base: int, p) -> int | None:
        """Line value in fen for an inbound line: qty (in its unit) × unit cost, half-up to the fen."""
        if ln.unit_cost is None:
            return None
        try:
            price = parse_unit_price(ln.unit_cost)
        except NumberError as exc:
            if exc.code == "TOO_MANY_DECIMALS":
                self.add("TOO_MANY_DECIMALS", f"lines.{i}.unitCost", precision=6)
            else:
                self.add("INVALID_VALUE", f"lines.{i}.unitCost", detail=str(ln.unit_cost))
            return None
        if price < 0:
            self.add("INVALID_VALUE", f"lines.{i}.unitCost", detail=str(ln.unit_cost))
            return None
        factor = QTY_SCALE
        if ln.unit_id is not None and ln.unit_id != p.base_unit_id:
            factor = self.factors[(ln.product_id, ln.unit_id)][0]
        qty_in_unit = qty_base * QTY_SCALE // factor
        value = line_value_fen(abs(qty_in_unit), price)
        if value > MAX_FEN:
            self.add("INVALID_VALUE", f"lines.{i}.unitCost", detail=str(ln.unit_cost))
            return None
        return value


def _lot_key(ln: StockLine) -> tuple[int, str]:
    """(product, lot code) of a line that names its lot (``_Validator.lot_required`` said so)."""
    assert ln.lot_code
    return ln.product_id, ln.lot_code


async def _lot_ids(
    conn: AsyncConnection,
    wanted: dict[tuple[int, str], date | None],
    create: bool,
    batches: dict[tuple[int, str], str | None] | None = None,
) -> dict[tuple[int, str | None], int]:
    """Resolve (product, lot code) to lot ids; receipts create lots that do not exist yet (with the
    ``batches`` of serialised units)."""
    if not wanted:
        return {}
    if create:
        # sorted, so that two requests creating the same new lots lock them in the same order; one
        # batched statement (a receipt of 5,000 serials creates 5,000 lots)
        rows = [
            {
                "product_id": product_id,
                "code": code,
                "expiry_date": expiry,
                "batch": (batches or {}).get((product_id, code)),
            }
            for (product_id, code), expiry in sorted(wanted.items(), key=lambda kv: kv[0])
        ]
        await conn.execute(
            dialect_insert(conn, lot).on_conflict_do_nothing(index_elements=["product_id", "code"]), rows
        )
    found = await conn.execute(
        select(lot.c.id, lot.c.product_id, lot.c.code).where(
            lot.c.product_id.in_({p for p, _ in wanted}), lot.c.code.in_({c for _, c in wanted})
        )
    )
    return {(r.product_id, r.code): r.id for r in found}


async def _within(conn: AsyncConnection, operation_id: int, warehouses: frozenset[int]) -> bool:
    """Whether every location an operation touched lies in ``warehouses``."""
    ends = (
        select(stock_move.c.from_location_id.label("loc"))
        .where(stock_move.c.operation_id == operation_id)
        .union(select(stock_move.c.to_location_id).where(stock_move.c.operation_id == operation_id))
        .subquery()
    )
    rows = await conn.execute(select(location.c.warehouse_id).where(location.c.id.in_(select(ends.c.loc))))
    return all(scope.allows(warehouses, w) for (w,) in rows)


async def _check_expiry(conn: AsyncConnection, v: _Validator, entries) -> None:
    """A lot has one expiry date: an inbound line that names another one is refused."""
    wanted = {lot_id: (i, ln.expiry_date) for i, ln, lot_id in entries if lot_id and ln.expiry_date}
    if not wanted:
        return
    rows = await conn.execute(select(lot.c.id, lot.c.expiry_date).where(lot.c.id.in_(wanted)))
    for r in rows:
        i, expiry = wanted[r.id]
        if r.expiry_date is not None and r.expiry_date != expiry:
            v.add("INVALID_VALUE", f"lines.{i}.expiryDate", detail=f"lot expires {r.expiry_date}")


def _payload(lines: list[StockLine], **extra) -> dict:
    return {"lines": [asdict(ln) for ln in lines], **extra}


# the permission each stock primitive needs (documents post through ``post_document_moves`` instead)
PRIMITIVE_PERMISSIONS = {
    RECEIPT: "stock.receive",
    ISSUE: "stock.issue",
    TRANSFER: "stock.transfer",
    ADJUSTMENT: "stock.adjust",
}


async def _run(
    db: Database,
    op_type: str,
    lines: list[StockLine],
    build,
    *,
    principal: Principal | None,
    reference: str,
    reason: str,
    idempotency_key: str | None,
    on: date | None = None,
) -> OperationResult:
    """One stock primitive, as ``principal`` (``None``: the system): its permission and warehouses
    decide through server/auth/scope.py. ``on``: its business date (``None``: today); a date beyond
    the company's horizon (server/core/business_dates.py) is refused before anything is written."""
    scope.require(principal, PRIMITIVE_PERMISSIONS.get(op_type, "stock.adjust"), InventoryError)
    actor, warehouses = actor_label(principal), scope.warehouses(principal)
    if len(reference) > REFERENCE_MAX:
        raise InventoryError("INVALID_VALUE", "reference", detail=f"≤ {REFERENCE_MAX} chars")
    if len(reason) > REASON_MAX:
        raise InventoryError("INVALID_VALUE", "reason", detail=f"≤ {REASON_MAX} chars")
    if on is not None and on > clock.today():  # only then is the company's horizon read
        async with db.read() as conn:
            await business_day(conn, on, InventoryError, "date")
    digest = None
    if idempotency_key is not None:
        check_key(idempotency_key, InventoryError)
        # the date is part of the request when given (an undated request hashes as it always did)
        dated = {"date": on.isoformat()} if on is not None else {}
        digest = request_hash(f"stock.{op_type}", _payload(lines, reference=reference, reason=reason, **dated))
    async with db.write() as conn:
        operation = await open_operation(
            conn,
            op_type=op_type,
            actor=actor,
            reference=reference,
            reason=reason,
            idempotency_key=idempotency_key,
            request_hash=digest,
            business_date=on,
        )
        if operation is None:  # this key was applied before: the same request again, or a misuse
            first = (
                await conn.execute(
                    select(stock_operation.c.id, stock_operation.c.request_hash).where(
                        stock_operation.c.idempotency_key == stored_key(idempotency_key)
                    )
                )
            ).one()
            if first.request_hash != digest:
                raise InventoryError("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
            if warehouses is not None and not await _within(conn, first.id, warehouses):
                raise InventoryError("PERMISSION_DENIED", "lines", permission="warehouse")
            return OperationResult(first.id, replayed=True)
        posted = await _validate_and_post(conn, operation, lines, build, warehouses)
    return OperationResult(operation["id"], replayed=False, posted=posted)


async def _validate_and_post(
    conn, operation: dict, lines: list[StockLine], build, warehouses: frozenset[int] | None, consume_reservations=None
) -> PostedOperation:
    if not lines:
        raise InventoryError("EMPTY_OPERATION", "lines")
    v = _Validator(conn)
    await v.load(lines)
    for loc in v.locations.values():  # a user restricted to some warehouses
        if not scope.allows(warehouses, loc.warehouse_id):
            raise InventoryError("PERMISSION_DENIED", "lines", permission=f"warehouse {loc.warehouse_id}")
    specs = await build(conn, v)
    for spec in specs:  # default values (purchase price × quantity) must fit too
        if max(spec.inbound_value_fen or 0, spec.fallback_value_fen) > MAX_FEN:
            v.add("INVALID_VALUE", f"lines.{spec.line_no - 1}.quantity", detail="value out of range")
    v.raise_if_any()
    warehouse_of = {loc_id: loc.warehouse_id for loc_id, loc in v.locations.items()}
    return await post_moves(
        conn, operation=operation, specs=specs, warehouse_of=warehouse_of, consume_reservations=consume_reservations
    )


async def post_document_moves(
    conn: AsyncConnection,
    direction: str,
    lines: list[StockLine],
    *,
    move_type: str,
    actor: str,
    reference: str,
    reason: str = "",
    warehouses: frozenset[int] | None = None,
    consume_reservations: dict[tuple[int, int], int] | None = None,
    at_average: bool = False,
    source_type: str,
    business_date: date | None = None,
) -> PostedOperation:
    """Post a document's stock lines inside the document's own write transaction.

    ``direction`` is ``"in"`` (receipts: ``StockLine.value_fen`` is the exact line value),
    ``"out"`` (issues at moving average, or at ``value_fen`` when given: purchase returns leave at
    their original receipt cost) or ``"move"`` (transfers to ``to_location_id``). The document keeps the idempotency key, so the operation has none.
    Errors are ``InventoryError`` with ``lines.<i>.…`` fields indexing ``lines``. A shipment passes
    ``consume_reservations`` ((product, warehouse) → quantity) to release what it ships; a count
    posts its gains ``at_average``. ``source_type`` names the document type (``goods_receipt`` …): the
    finance poster books the operation by it. ``business_date`` is the document's date (checked by the
    document against the horizon already): the operation, its moves in the stock ledger and its voucher
    carry it; none: today.
    """
    operation = await open_operation(
        conn,
        op_type=move_type,
        actor=actor,
        reference=reference,
        reason=reason,
        source_type=source_type,
        business_date=business_date,
    )
    assert operation is not None  # only an idempotency key already taken gives none

    async def build(conn, v):
        if direction == "in":
            return await _receipt_specs(conn, v, lines, move_type, at_average)
        return await _outbound_specs(conn, v, lines, move_type, transfer=direction == "move")

    return await _validate_and_post(conn, operation, lines, build, warehouses, consume_reservations)


async def do_receive_stock(
    db: Database,
    lines: list[StockLine],
    *,
    move_type: str = RECEIPT,
    reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
    on: date | None = None,
) -> OperationResult:
    """Receive goods into locations at a unit cost (default: the product's purchase price)."""

    async def build(conn, v: _Validator) -> list[MoveSpec]:
        return await _receipt_specs(conn, v, lines, move_type)

    return await _run(
        db,
        move_type,
        lines,
        build,
        principal=principal,
        reference=reference,
        reason=reason,
        idempotency_key=idempotency_key,
        on=on,
    )


async def _receipt_specs(
    conn, v: _Validator, lines: list[StockLine], move_type: str, at_average: bool = False
) -> list[MoveSpec]:
    """Inbound specs. ``at_average``: value at the current moving average (count gains), or at the
    purchase price when there is no stock and so no average."""
    checked = []
    for i, ln in enumerate(lines):
        p = v.product(ln, i)
        loc = v.location(ln.location_id, f"lines.{i}.locationId")
        if p is None or loc is None:
            continue
        qty = v.quantity(ln, i, p)
        tracked = v.lot_required(ln, i, p)
        if qty is None:
            continue
        value = ln.value_fen if ln.value_fen is not None else v.unit_cost_value(ln, i, qty, p)
        if value is None and ln.unit_cost is None and not at_average:
            value = line_value_fen(qty, _fen_price(p.purchase_price_fen))
        checked.append((i, ln, p, qty, value, tracked))
    v.raise_if_any()
    lots = await _lot_ids(
        conn,
        {_lot_key(ln): ln.expiry_date for _, ln, _, _, _, t in checked if t},
        True,
        {_lot_key(ln): ln.batch for _, ln, _, _, _, t in checked if t and ln.batch},
    )
    await _check_expiry(conn, v, [(i, ln, lots.get((ln.product_id, ln.lot_code))) for i, ln, *_ in checked])
    v.raise_if_any()
    return [
        MoveSpec(
            line_no=i + 1,
            move_type=move_type,
            product_id=ln.product_id,
            qty=qty,
            to_location_id=ln.location_id,
            lot_id=lots.get((ln.product_id, ln.lot_code)) if tracked else None,
            inbound_value_fen=value,
            fallback_value_fen=line_value_fen(qty, _fen_price(p.purchase_price_fen)),
            source_line_id=ln.source_line_id,
            precision=p.precision,
            serial=p.tracking == "serial",
        )
        for i, ln, p, qty, value, tracked in checked
    ]


def _fen_price(fen: int) -> Decimal:
    return Decimal(fen) / 100


async def _outbound_specs(conn, v: _Validator, lines: list[StockLine], move_type: str, *, transfer: bool):
    checked = []
    for i, ln in enumerate(lines):
        p = v.product(ln, i)
        src = v.location(ln.location_id, f"lines.{i}.locationId")
        dst = v.location(ln.to_location_id, f"lines.{i}.toLocationId") if transfer else None
        if p is None or src is None or (transfer and dst is None):
            continue
        if transfer and ln.location_id == ln.to_location_id:
            v.add("SAME_LOCATION", f"lines.{i}.toLocationId")
            continue
        qty = v.quantity(ln, i, p)
        tracked = v.lot_required(ln, i, p)
        if qty is not None:
            checked.append((i, ln, p, qty, tracked))
    v.raise_if_any()
    lots = await _lot_ids(conn, {_lot_key(ln): None for _, ln, _, _, t in checked if t}, False)
    specs = []
    for i, ln, p, qty, tracked in checked:
        lot_id = lots.get((ln.product_id, ln.lot_code)) if tracked else None
        if tracked and lot_id is None:
            v.add("NOT_FOUND", f"lines.{i}.lot", what="lot")
            continue
        specs.append(
            MoveSpec(
                line_no=i + 1,
                move_type=move_type,
                product_id=ln.product_id,
                qty=qty,
                from_location_id=ln.location_id,
                to_location_id=ln.to_location_id if transfer else None,
                lot_id=lot_id,
                outbound_value_fen=None if transfer else ln.value_fen,
                source_line_id=ln.source_line_id,
                precision=p.precision,
                serial=p.tracking == "serial",
            )
        )
    return specs


async def do_issue_stock(
    db: Database,
    lines: list[StockLine],
    *,
    move_type: str = ISSUE,
    reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
    on: date | None = None,
) -> OperationResult:
    """Issue goods out of locations at moving-average cost; all lines or none."""

    async def build(conn, v):
        return await _outbound_specs(conn, v, lines, move_type, transfer=False)

    return await _run(
        db,
        move_type,
        lines,
        build,
        principal=principal,
        reference=reference,
        reason=reason,
        idempotency_key=idempotency_key,
        on=on,
    )


async def do_transfer_stock(
    db: Database,
    lines: list[StockLine],
    *,
    reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
    on: date | None = None,
) -> OperationResult:
    """Move goods between locations (any warehouses); value is unchanged."""

    async def build(conn, v):
        return await _outbound_specs(conn, v, lines, TRANSFER, transfer=True)

    return await _run(
        db,
        TRANSFER,
        lines,
        build,
        principal=principal,
        reference=reference,
        reason=reason,
        idempotency_key=idempotency_key,
        on=on,
    )


async def do_adjust_stock(
    db: Database,
    lines: list[StockLine],
    *,
    reason: str,
    reference: str = "",
    idempotency_key: str | None = None,
    principal: Principal | None = None,
    on: date | None = None,
) -> OperationResult:
    """Correct stock by a signed quantity with a reason. Gains enter at ``unit_cost`` or else the
    current average (or the purchase price when there is no stock); losses leave at average."""

    async def build(conn, v: _Validator):
        if not reason or not reason.strip():
            v.add("REQUIRED", "reason")
        checked = []
        for i, ln in enumerate(lines):
            p = v.product(ln, i)
            loc = v.location(ln.location_id, f"lines.{i}.locationId")
            if p is None or loc is None:
                continue
            qty = v.quantity(ln, i, p, signed=True)
            tracked = v.lot_required(ln, i, p)
            if qty is None:
                continue
            if qty < 0 and ln.unit_cost is not None:
                v.add("INVALID_VALUE", f"lines.{i}.unitCost", detail="a loss leaves at the average cost")
                continue
            value = v.unit_cost_value(ln, i, qty, p) if qty > 0 else None
            checked.append((i, ln, p, qty, value, tracked))
        v.raise_if_any()
        gains = {_lot_key(ln): ln.expiry_date for _, ln, _, q, _, t in checked if t and q > 0}
        losses: dict[tuple[int, str], date | None] = {
            _lot_key(ln): None for _, ln, _, q, _, t in checked if t and q < 0
        }
        lots = await _lot_ids(conn, gains, True)
        lots.update(await _lot_ids(conn, losses, False))
        await _check_expiry(
            conn, v, [(i, ln, lots.get((ln.product_id, ln.lot_code))) for i, ln, _, q, _, _ in checked if q > 0]
        )
        specs = []
        for i, ln, p, qty, value, tracked in checked:
            lot_id = lots.get((ln.product_id, ln.lot_code)) if tracked else None
            if tracked and lot_id is None:
                v.add("NOT_FOUND", f"lines.{i}.lot", what="lot")
                continue
            specs.append(
                MoveSpec(
                    line_no=i + 1,
                    move_type=ADJUSTMENT,
                    product_id=ln.product_id,
                    qty=abs(qty),
                    from_location_id=ln.location_id if qty < 0 else None,
                    to_location_id=ln.location_id if qty > 0 else None,
                    lot_id=lot_id,
                    inbound_value_fen=value,
                    fallback_value_fen=line_value_fen(abs(qty), _fen_price(p.purchase_price_fen)),
                    source_line_id=ln.source_line_id,
                    precision=p.precision,
                    serial=p.tracking == "serial",
                )
            )
        return specs

    return await _run(
        db,
        ADJUSTMENT,
        lines,
        build,
        principal=principal,
        reference=reference,
        reason=reason,
        idempotency_key=idempotency_key,
        on=on,
    )


async def stock_of_product(
    db: Database, product_id: int, *, warehouses: frozenset[int] | None = None, hidden=None
) -> tuple[int, int | None]:
    """Quantity (scaled) and value (fen) on hand. For a caller restricted to some warehouses, or one
    that may not see the locations in the subquery ``hidden`` (open blind counts), the quantity of
    what it may see and no value: the moving average is one figure per product, not split."""
    async with db.read() as conn:
        if warehouses is not None or hidden is not None:
            q = select(func.coalesce(func.sum(stock_level.c.qty), 0)).where(
                stock_level.c.product_id == product_id, scope.within(warehouses, stock_level.c.warehouse_id)
            )
            if hidden is not None:
                q = q.where(stock_level.c.location_id.not_in(hidden))
            return int((await conn.execute(q)).scalar_one()), None
        row = (
            await conn.execute(
                select(product_cost.c.qty, product_cost.c.value_fen).where(product_cost.c.product_id == product_id)
            )
        ).first()
    return (row.qty, row.value_fen) if row else (0, 0)
