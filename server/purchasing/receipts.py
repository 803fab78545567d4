"""Goods receipts with inspection and put-away (到货验收 → 采购入库), and purchase returns (采购退货).

A receipt records per line the received quantity and the inspection result (accepted + rejected =
received, with a reason); accepted goods go straight into the chosen bin of the line's destination
warehouse through the stock ledger, in the receipt's own transaction. The receipt number (``RC…``)
and the inspection record number (验收单, ``QC…``) are taken in that transaction too.

Inventory value of a line = accepted × order price excl. VAT (half-up to the fen) + its share of the
receipt's landed costs (运费、保险 …), allocated by value or by quantity with the largest-remainder
method so that the shares add up to the landed cost exactly.

Over-receipt: the accepted quantity of an order line may reach ordered × (1 + tolerance) and no
more; the order row is locked first and the line is then changed with one conditional ``UPDATE``,
so two concurrent receipts of one line can never exceed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.auth import scope
from server.auth.services import Principal
from server.core.audit import note_change
from server.core.business_dates import business_day
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError
from server.core.numbering import next_number
from server.core.numbers import QTY_SCALE, allocate_largest_remainder, round_half_up_div, scaled_to_decimal
from server.core.text_limits import collect_length
from server.documents.actions import AnyRow
from server.events.journal import append_events
from server.events.types import DocumentStatusChanged
from server.inventory.models import location, lot
from server.inventory.services import ISSUE, RECEIPT, StockLine, post_document_moves
from server.partners.models import supplier
from server.purchasing.common import (
    Collector,
    actor_label,
    check_amount,
    create_once,
    load_products,
    lock_row,
    quantity_in_unit,
    require_permission,
    require_status,
    status_event,
    tax_fen,
    value_fen,
)
from server.purchasing.errors import PurchasingError
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    purchase_order,
    purchase_order_line,
    purchase_return,
    purchase_return_line,
    supplier_bill,
    supplier_bill_line,
)
from server.purchasing.orders import RECEIVABLE, refresh_receipt_status
from server.purchasing.settings import load_purchase_settings


@dataclass
class ReceiptLineInput:
    received_quantity: str
    order_line_id: int | None = None
    product_id: int | None = None  # receipts without an order
    rejected_quantity: str = "0"
    reject_reason: str = ""
    location_id: int | None = None  # put-away bin; required when anything is accepted
    unit_id: int | None = None  # default: the order line's unit, else the base unit
    lot: str | None = None
    expiry_date: date | None = None
    serials: list[str] = field(default_factory=list)  # serial-tracked: one per accepted unit
    unit_price: str | None = None  # receipts without an order only (yuan per unit, excl. VAT)
    vat_rate: str | None = None


@dataclass
class ReceiptInput:
    lines: list[ReceiptLineInput]
    order_id: int | None = None
    supplier_id: int | None = None  # required without an order
    receipt_date: date | None = None
    landed_cost: str = "0"  # yuan, allocated to the accepted lines
    landed_allocation: str = "value"  # "value" or "quantity"
    note: str = ""


@dataclass
class _Line:
    index: int  # input line
    product_id: int
    order_line: AnyRow | None
    received: int
    accepted: int
    rejected: int
    reason: str
    location_id: int | None
    lot_code: str | None
    expiry: date | None
    price: int
    factor: int
    rate: int
    precision: int
    on_time: bool | None
    goods: int = 0
    landed: int = 0
    batch: str | None = None  # serial-tracked: the unit's production lot


async def _locations(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, AnyRow]:
    rows = (
        await conn.execute(
            select(location.c.id, location.c.warehouse_id, location.c.active).where(location.c.id.in_(set(ids)))
        )
    ).all()
    return {r.id: r for r in rows}


async def do_receive_goods(
    db: Database, data: ReceiptInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Receive, inspect and put away goods in one transaction; returns the receipt id."""
    require_permission(principal, "stock.receive")
    return await create_once(
        db, "purchase.receipt", data, idempotency_key, lambda conn: _receive(conn, data, principal)
    )


async def _receive(conn: AsyncConnection, data: ReceiptInput, principal: Principal | None) -> int:
    c = Collector()
    settings = await load_purchase_settings(conn)
    receipt_date = await business_day(conn, data.receipt_date, PurchasingError, "receiptDate")
    order = None
    order_lines: dict[int, AnyRow] = {}
    if data.order_id is not None:
        order = await lock_row(conn, purchase_order, data.order_id, "purchase_order", principal)
        require_status(order, RECEIVABLE, "purchase_order", "receive")
        supplier_id = order.supplier_id
        order_lines = {
            r.id: r
            for r in await conn.execute(select(purchase_order_line).where(purchase_order_line.c.order_id == order.id))
        }
    else:
        if not settings.allow_receipt_without_order:
            raise PurchasingError("ORDER_REQUIRED", "orderId")
        if data.supplier_id is None:
            raise PurchasingError("REQUIRED", "supplierId")
        row = (await conn.execute(select(supplier.c.active).where(supplier.c.id == data.supplier_id))).first()
        if row is None or not row.active:
            raise PurchasingError("NOT_FOUND" if row is None else "INACTIVE", "supplierId", what="supplier")
        supplier_id = data.supplier_id
    if not data.lines:
        raise PurchasingError("EMPTY_OPERATION", "lines")
    if data.landed_allocation not in ("value", "quantity"):
        c.add("INVALID_VALUE", "landedAllocation", detail="value | quantity")
    landed_total = c.money(data.landed_cost, "landedCost")
    collect_length(c, data.note.strip(), goods_receipt.c.note, "note")

    product_ids = {ln.product_id for ln in data.lines if ln.product_id}
    product_ids |= {order_lines[ln.order_line_id].product_id for ln in data.lines if ln.order_line_id in order_lines}
    products = await load_products(conn, product_ids)
    locations = await _locations(conn, [ln.location_id for ln in data.lines if ln.location_id])
    lines: list[_Line] = []
    for i, ln in enumerate(data.lines):
        f = f"lines.{i}"
        ol = None
        if order is not None:
            if ln.order_line_id is None:
                c.add("REQUIRED", f"{f}.orderLineId")
                continue
            ol = order_lines.get(ln.order_line_id)
            if ol is None:
                c.add("WRONG_ORDER", f"{f}.orderLineId")
                continue
            product_id = ol.product_id
        elif ln.product_id is None:
            c.add("REQUIRED", f"{f}.productId")
            continue
        else:
            product_id = ln.product_id
        p = products.get(product_id)
        if p is None:
            c.add("NOT_FOUND", f"{f}.productId", what="product")
            continue
        unit_id = ln.unit_id or (ol.unit_id if ol is not None else None)
        received_q = quantity_in_unit(c, p, unit_id, ln.received_quantity, f"{f}.receivedQuantity")
        rejected_q = quantity_in_unit(c, p, unit_id, ln.rejected_quantity, f"{f}.rejectedQuantity", allow_zero=True)
        if received_q is None or rejected_q is None:
            continue
        received, rejected = received_q[1], rejected_q[1]
        if rejected > received:
            c.add("INVALID_QUANTITY", f"{f}.rejectedQuantity")
            continue
        if rejected and not ln.reject_reason.strip():
            c.add("REQUIRED", f"{f}.rejectReason")
        collect_length(c, ln.reject_reason.strip(), goods_receipt_line.c.reject_reason, f"{f}.rejectReason")
        accepted = received - rejected
        if ol is not None:
            price, factor, rate, wh = ol.unit_price_micro, ol.unit_factor, ol.vat_rate_bp, ol.warehouse_id
        else:
            factor = p.factors.get(unit_id or p.base_unit_id, (QTY_SCALE, 0))[0]
            price = (
                c.price(ln.unit_price, f"{f}.unitPrice")
                if ln.unit_price is not None
                else p.purchase_price_fen * 10_000 * factor // QTY_SCALE
            )
            rate = c.rate(ln.vat_rate, f"{f}.vatRate") if ln.vat_rate is not None else p.vat_rate_bp
            wh = None
        if price is None or rate is None:
            continue
        if accepted:
            loc = locations.get(ln.location_id) if ln.location_id else None
            if ln.location_id is None:
                c.add("REQUIRED", f"{f}.locationId")
                continue
            if loc is None:
                c.add("NOT_FOUND", f"{f}.locationId", what="location")
                continue
            if wh is not None and loc.warehouse_id != wh:
                c.add("WRONG_WAREHOUSE", f"{f}.locationId")
                continue
            if not scope.in_scope(principal, loc.warehouse_id):
                c.add("PERMISSION_DENIED", f"{f}.locationId", permission=f"warehouse {loc.warehouse_id}")
                continue
        on_time = None if ol is None or ol.expected_date is None else receipt_date <= ol.expected_date
        common = dict(
            product_id=product_id,
            order_line=ol,
            reason=ln.reject_reason.strip(),
            location_id=ln.location_id,
            expiry=ln.expiry_date,
            price=price,
            factor=factor,
            rate=rate,
            precision=p.precision,
            on_time=on_time,
        )
        if p.tracking == "serial" and accepted:
            serials = [s.strip() for s in ln.serials if s.strip()]
            if len(serials) * QTY_SCALE != accepted or len(set(serials)) != len(serials):
                c.add(
                    "SERIAL_COUNT",
                    f"{f}.serials",
                    serials=len(serials),
                    accepted=str(scaled_to_decimal(accepted, p.precision)),
                )
                continue
            # a lot given with serials is the units' production lot (a lot-and-serial label's (10))
            batch = ln.lot.strip() if ln.lot and ln.lot.strip() else None
            if not collect_length(c, batch, lot.c.batch, f"{f}.lot"):
                continue
            for s in serials:  # one receipt line per serial: each can be returned on its own
                lines.append(
                    _Line(i, received=QTY_SCALE, accepted=QTY_SCALE, rejected=0, lot_code=s, batch=batch, **common)
                )
            if rejected:
                lines.append(_Line(i, received=rejected, accepted=0, rejected=rejected, lot_code=None, **common))
        else:
            if ln.serials:
                c.add("LOT_NOT_ALLOWED", f"{f}.serials")
                continue
            lines.append(
                _Line(
                    i,
                    received=received,
                    accepted=accepted,
                    rejected=rejected,
                    lot_code=ln.lot.strip() if ln.lot else None,
                    **common,
                )
            )
    c.raise_if_any()

    # over-receipt, per order line, counting every line of this receipt
    tolerance = settings.tolerance("over_receipt_tolerance")
    per_order_line: dict[int, list[int]] = {}
    for rl in lines:
        if rl.order_line is not None:
            acc = per_order_line.setdefault(rl.order_line.id, [0, 0, 0])
            acc[0] += rl.accepted
            acc[1] += rl.received
            acc[2] += rl.rejected
    for ol_id, (n_acc, n_rec, n_rej) in sorted(per_order_line.items()):
        ol = order_lines[ol_id]
        limit = int((Decimal(ol.qty) * (1 + tolerance)).to_integral_value(ROUND_FLOOR))
        row = (
            await conn.execute(
                update(purchase_order_line)
                .where(purchase_order_line.c.id == ol_id, purchase_order_line.c.accepted_qty + n_acc <= limit)
                .values(
                    accepted_qty=purchase_order_line.c.accepted_qty + n_acc,
                    received_qty=purchase_order_line.c.received_qty + n_rec,
                    rejected_qty=purchase_order_line.c.rejected_qty + n_rej,
                )
                .returning(purchase_order_line.c.accepted_qty)
            )
        ).first()
        if row is None:
            current = (
                await conn.execute(select(purchase_order_line.c.accepted_qty).where(purchase_order_line.c.id == ol_id))
            ).scalar_one()
            p = products[ol.product_id]
            index = next(rl.index for rl in lines if rl.order_line is not None and rl.order_line.id == ol_id)
            raise PurchasingError(
                "OVER_RECEIPT",
                f"lines.{index}.receivedQuantity",
                ordered=str(scaled_to_decimal(ol.qty, p.precision)),
                received=str(scaled_to_decimal(current, p.precision)),
                requested=str(scaled_to_decimal(n_acc, p.precision)),
                tolerance=f"{tolerance:%}",
            )

    for rl in lines:
        rl.goods = value_fen(rl.accepted, rl.price, rl.factor)
    stocked = [rl for rl in lines if rl.accepted]
    if landed_total and not stocked:
        raise PurchasingError("INVALID_VALUE", "landedCost", detail="nothing accepted to carry the landed cost")
    weights = [rl.goods if data.landed_allocation == "value" else rl.accepted for rl in stocked]
    for rl, share in zip(stocked, allocate_largest_remainder(landed_total or 0, weights)):
        rl.landed = share
    for rl in lines:
        check_amount(c, rl.goods + rl.landed, f"lines.{rl.index}.receivedQuantity")
    c.raise_if_any()

    warehouse_id = order.warehouse_id if order is not None else None
    if stocked:
        first_bin = stocked[0].location_id
        assert first_bin is not None  # every accepted line has a bin (REQUIRED above)
        warehouse_id = locations[first_bin].warehouse_id
    if warehouse_id is None:  # everything rejected on a receipt without order: the first line's bin
        raise PurchasingError("REQUIRED", "lines.0.locationId")
    number = await next_number(conn, "RC", receipt_date)
    inspection_number = await next_number(conn, "QC", receipt_date)
    actor = actor_label(principal)
    receipt_id = (
        await conn.execute(
            goods_receipt.insert()
            .values(
                number=number,
                inspection_number=inspection_number,
                supplier_id=supplier_id,
                order_id=order.id if order is not None else None,
                warehouse_id=warehouse_id,
                receipt_date=receipt_date,
                landed_cost_fen=landed_total or 0,
                landed_allocation=data.landed_allocation,
                goods_value_fen=sum(rl.goods for rl in lines),
                note=data.note.strip(),
                actor=actor,
                created_at=utcnow(),
            )
            .returning(goods_receipt.c.id)
        )
    ).scalar_one()

    rows = [
        dict(
            receipt_id=receipt_id,
            line_no=no,
            order_line_id=rl.order_line.id if rl.order_line is not None else None,
            product_id=rl.product_id,
            received_qty=rl.received,
            accepted_qty=rl.accepted,
            rejected_qty=rl.rejected,
            reject_reason=rl.reason,
            location_id=rl.location_id if rl.accepted else None,
            unit_factor=rl.factor,
            unit_price_micro=rl.price,
            vat_rate_bp=rl.rate,
            goods_value_fen=rl.goods,
            landed_fen=rl.landed,
            value_fen=rl.goods + rl.landed,
            on_time=rl.on_time,
        )
        for no, rl in enumerate(lines, start=1)
    ]
    # one batched statement (a receipt of 5,000 serials has 5,000 lines), ids back in line order
    line_ids = [
        r[0]
        for r in await conn.execute(
            goods_receipt_line.insert().returning(goods_receipt_line.c.id, sort_by_parameter_order=True), rows
        )
    ]
    stock_lines, stock_index = [], []
    for rl, line_id in zip(lines, line_ids):
        if rl.accepted:
            stock_lines.append(
                StockLine(
                    product_id=rl.product_id,
                    quantity=scaled_to_decimal(rl.accepted),
                    location_id=rl.location_id,
                    lot_code=rl.lot_code,
                    expiry_date=rl.expiry,
                    batch=rl.batch,
                    value_fen=rl.goods + rl.landed,
                    source_line_id=line_id,
                )
            )
            stock_index.append(rl.index)
    operation_id = None
    if stock_lines:
        try:
            posted = await post_document_moves(
                conn,
                "in",
                stock_lines,
                move_type=RECEIPT,
                actor=actor,
                source_type="goods_receipt",
                reference=number,
                reason=inspection_number,
                business_date=receipt_date,
                warehouses=scope.warehouses(principal),
            )
        except DomainError as exc:
            raise PurchasingError.from_inventory(exc, lambda fld: _map_field(fld, stock_index)) from None
        operation_id = posted.operation["id"]
        lots = [{"b_id": m["source_line_id"], "b_lot": m["lot_id"]} for m in posted.moves if m["lot_id"]]
        if lots:
            await conn.execute(
                update(goods_receipt_line)
                .where(goods_receipt_line.c.id == bindparam("b_id"))
                .values(lot_id=bindparam("b_lot")),
                lots,
            )
        await conn.execute(
            update(goods_receipt).where(goods_receipt.c.id == receipt_id).values(operation_id=operation_id)
        )
    note_change(
        conn,
        f"goods_receipt:{receipt_id}",
        after={
            "number": number,
            "inspection_number": inspection_number,
            "order_id": data.order_id,
            "landed_cost_fen": landed_total,
            "lines": [
                {
                    "product_id": rl.product_id,
                    "received": rl.received,
                    "accepted": rl.accepted,
                    "rejected": rl.rejected,
                    "reason": rl.reason,
                    "location_id": rl.location_id,
                }
                for rl in lines
            ],
        },
    )
    if order is not None:
        await refresh_receipt_status(conn, order, principal)
    await status_event(
        conn,
        "goods_receipt",
        receipt_id,
        number,
        "",
        "posted",
        principal,
        inspection_number=inspection_number,
        order_id=data.order_id,
        warehouse_id=warehouse_id,
    )
    return receipt_id


def _map_field(fld: str, index: list[int]) -> str:
    """``lines.<k>.x`` of the stock lines → ``lines.<input line>.x`` of the receipt request."""
    parts = fld.split(".")
    if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(index):
        parts[1] = str(index[int(parts[1])])
        if len(parts) > 2 and parts[2] == "quantity":
            parts[2] = "receivedQuantity"
    return ".".join(parts)


# ---- purchase returns -----------------------------------------------------------------------------


@dataclass
class ReturnLineInput:
    receipt_line_id: int
    quantity: str  # in the product's base unit
    location_id: int | None = None  # default: the bin it was put away into


@dataclass
class ReturnInput:
    receipt_id: int
    lines: list[ReturnLineInput]
    reason: str = ""
    return_date: date | None = None


async def do_return_to_supplier(
    db: Database, data: ReturnInput, principal: Principal | None, *, idempotency_key: str | None = None
) -> int:
    """Return accepted goods of a receipt to its supplier (采购退货).

    The goods leave their bin at their original receipt cost (domain reference §2.3, Policy A: the
    average of what stays is recomputed), rounded cumulatively per receipt line so that the last
    return of a line takes exactly the value still left of it. A debit note (红字发票, negative supplier bill) for the goods at the order price plus
    VAT, per line to the fen, is created for the supplier. Returns the return id.
    """
    require_permission(principal, "purchase.return")
    return await create_once(db, "purchase.return", data, idempotency_key, lambda conn: _return(conn, data, principal))


async def _return(conn: AsyncConnection, data: ReturnInput, principal: Principal | None) -> int:
    c = Collector()
    receipt = await lock_row(conn, goods_receipt, data.receipt_id, "receipt")
    if not data.lines:
        raise PurchasingError("EMPTY_OPERATION", "lines")
    reason = data.reason.strip()
    if not reason:
        c.add("REQUIRED", "reason")
    collect_length(c, reason, purchase_return.c.reason, "reason")
    rows = {
        r.id: r
        for r in await conn.execute(
            select(goods_receipt_line, lot.c.code.label("lot_code"))
            .outerjoin(lot, lot.c.id == goods_receipt_line.c.lot_id)
            .where(goods_receipt_line.c.receipt_id == receipt.id)
        )
    }
    products = await load_products(conn, {r.product_id for r in rows.values()})
    wanted: dict[int, int] = {}
    checked = []
    for i, ln in enumerate(data.lines):
        r = rows.get(ln.receipt_line_id)
        if r is None:
            c.add("NOT_FOUND", f"lines.{i}.receiptLineId", what="receipt_line")
            continue
        q = quantity_in_unit(c, products[r.product_id], None, ln.quantity, f"lines.{i}.quantity")
        if q is None:
            continue
        qty = q[1]
        wanted[r.id] = wanted.get(r.id, 0) + qty
        available = r.accepted_qty - r.returned_qty
        if wanted[r.id] > available:
            c.add(
                "OVER_RETURN",
                f"lines.{i}.quantity",
                available=str(scaled_to_decimal(available, products[r.product_id].precision)),
            )
            continue
        checked.append((i, r, qty, ln.location_id or r.location_id))
    c.raise_if_any()

    return_date = await business_day(conn, data.return_date, PurchasingError, "returnDate")
    number = await next_number(conn, "PR", return_date)
    actor = actor_label(principal)
    stock_lines, out = [], []
    returned_so_far = {r.id: (r.returned_qty, r.returned_value_fen) for r in rows.values()}
    for _i, r, qty, loc in checked:
        done_qty, done_value = returned_so_far[r.id]
        # cumulative rounding: all returns of a line so far take round(value × returned ÷ accepted), so
        # they never take more than the line's value and the last one takes exactly what is left
        value = round_share(r.value_fen, done_qty + qty, r.accepted_qty) - done_value
        returned_so_far[r.id] = (done_qty + qty, done_value + value)
        amount = value_fen(qty, r.unit_price_micro, r.unit_factor)
        out.append(
            dict(
                receipt_line_id=r.id,
                product_id=r.product_id,
                location_id=loc,
                qty=qty,
                value_fen=value,
                amount_fen=amount,
                tax_fen=tax_fen(amount, r.vat_rate_bp),
                row=r,
            )
        )
        stock_lines.append(
            StockLine(
                product_id=r.product_id,
                quantity=scaled_to_decimal(qty),
                location_id=loc,
                lot_code=r.lot_code,
                value_fen=value,
                source_line_id=r.id,
            )
        )
    try:
        posted = await post_document_moves(
            conn,
            "out",
            stock_lines,
            move_type=ISSUE,
            actor=actor,
            reference=number,
            source_type="purchase_return",
            reason=reason,
            business_date=return_date,
            warehouses=scope.warehouses(principal),
        )
    except DomainError as exc:
        index = [i for i, *_ in checked]
        raise PurchasingError.from_inventory(
            exc, lambda fld: _map_field(fld, index).replace("receivedQuantity", "quantity")
        ) from None
    # the value that really left (capped by what was on hand) is what the return records
    for entry, move in zip(out, posted.moves):
        entry["value_fen"] = move["value_fen"]

    debit_note_id = await _debit_note(conn, receipt, out, return_date, number, actor)
    return_id = (
        await conn.execute(
            purchase_return.insert()
            .values(
                number=number,
                receipt_id=receipt.id,
                supplier_id=receipt.supplier_id,
                return_date=return_date,
                reason=reason,
                operation_id=posted.operation["id"],
                value_fen=sum(e["value_fen"] for e in out),
                debit_note_id=debit_note_id,
                actor=actor,
                created_at=utcnow(),
            )
            .returning(purchase_return.c.id)
        )
    ).scalar_one()
    for no, e in enumerate(out, start=1):
        r = e.pop("row")
        await conn.execute(purchase_return_line.insert().values(return_id=return_id, line_no=no, **e))
        await conn.execute(
            update(goods_receipt_line)
            .where(goods_receipt_line.c.id == r.id)
            .values(
                returned_qty=goods_receipt_line.c.returned_qty + e["qty"],
                returned_value_fen=goods_receipt_line.c.returned_value_fen + e["value_fen"],
            )
        )
        if r.order_line_id is not None:
            await conn.execute(
                update(purchase_order_line)
                .where(purchase_order_line.c.id == r.order_line_id)
                .values(returned_qty=purchase_order_line.c.returned_qty + e["qty"])
            )
    note_change(
        conn,
        f"purchase_return:{return_id}",
        after={"number": number, "receipt_id": receipt.id, "reason": reason, "lines": out},
    )
    await status_event(conn, "purchase_return", return_id, number, "", "posted", principal, debit_note_id=debit_note_id)
    return return_id


def round_share(total: int, part: int, whole: int) -> int:
    return round_half_up_div(total * part, whole)


async def _debit_note(conn, receipt, out: list[dict], on: date, return_number: str, actor: str) -> int:
    """A red-letter supplier bill: negative amounts that reduce what we owe the supplier."""
    number = await next_number(conn, "DN", on)
    amount = -sum(e["amount_fen"] for e in out)
    tax = -sum(e["tax_fen"] for e in out)
    bill_id = (
        await conn.execute(
            supplier_bill.insert()
            .values(
                number=number,
                kind="debit_note",
                supplier_id=receipt.supplier_id,
                supplier_invoice_no=return_number,
                bill_date=on,
                due_date=on,
                amount_fen=amount,
                tax_fen=tax,
                total_fen=amount + tax,
                status="open",
                actor=actor,
                created_at=utcnow(),
            )
            .returning(supplier_bill.c.id)
        )
    ).scalar_one()
    await conn.execute(
        supplier_bill_line.insert(),
        [
            dict(
                bill_id=bill_id,
                line_no=no,
                receipt_line_id=e["receipt_line_id"],
                product_id=e["product_id"],
                qty=-e["qty"],
                unit_factor=e["row"].unit_factor,
                unit_price_micro=e["row"].unit_price_micro,
                vat_rate_bp=e["row"].vat_rate_bp,
                amount_fen=-e["amount_fen"],
                tax_fen=-e["tax_fen"],
            )
            for no, e in enumerate(out, start=1)
        ],
    )
    await append_events(
        conn,
        [
            DocumentStatusChanged(
                doc_type="supplier_bill",
                id=bill_id,
                number=number,
                from_status="",
                to_status="open",
                actor=actor,
                kind="debit_note",
            )
        ],
    )
    return bill_id
