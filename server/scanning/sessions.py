"""Scan sessions (扫码作业): the handheld workflow as another door to the same rules.

``do_start_session`` opens a session on a document (a PO to receive, an SO to pick, a count) or
none (a transfer). Each ``do_scan`` resolves the code (``resolve_barcode``): a bin label sets the
current location (for a transfer: the first bin is the source, a later one the destination), a
product adds its quantity — the scanned unit's pack quantity × the quantity typed or encoded (AI
30/37), one per serial — to the session, after checking it against the document (wrong product,
over-receipt, more than reserved, expired lot, serial scanned twice, bin outside the count). The
answer says what the document needs now ("PO2026-000001 · 螺丝 M6: 7 / 12").

``scan_id`` is the idempotency key: the same scan sent again (a retry, a replay after reconnecting)
returns the first answer and changes nothing. ``do_complete_session`` posts everything through the
document services — the receipt, the shipment, the transfer, the count entries — with the session
as idempotency key, so a repeated completion posts once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update

from server.audit import note_change
from server.auth.services import Principal
from server.catalog.models import product, unit
from server.database import Database
from server.db_types import utcnow
from server.doc_kit import actor_label
from server.errors import DomainError, ScanningError
from server.events.journal import NewEvent, append_events
from server.inventory.models import location, stock_count, stock_count_line
from server.numbers import QTY_SCALE, NumberError, parse_decimal, scaled_to_decimal
from server.purchasing.models import purchase_order, purchase_order_line
from server.purchasing.settings import load_purchase_settings
from server.sales.models import sales_order, sales_order_line
from server.scanning.barcodes import resolve_barcode
from server.scanning.models import scan_record, scan_session, scan_tally
from server.sql import dialect_insert

MODES = ("RECEIVE", "PUTAWAY", "PICK", "TRANSFER", "COUNT")  # PUTAWAY: a transfer from the receiving area
SCAN_RECORDED = "scan.recorded"
DOCUMENTS = {"RECEIVE": ("PO", purchase_order, ("approved", "partially_received", "received")),
             "PICK": ("SO", sales_order, ("approved", "partially_shipped")),
             "COUNT": ("SC", stock_count, ("open",))}


def _require(principal, permission: str = "scan.use") -> None:
    if principal is not None and not principal.can(permission):
        raise ScanningError("PERMISSION_DENIED", None, permission=permission)


async def do_start_session(db: Database, mode: str, principal: Principal | None, *, document_number: str = "",
                           location_code: str = "") -> int:
    _require(principal)
    if mode not in MODES:
        raise ScanningError("INVALID_VALUE", "mode", detail=" | ".join(MODES))
    async with db.write() as conn:
        doc_id = None
        if mode in DOCUMENTS:
            prefix, table, statuses = DOCUMENTS[mode]
            doc = (await conn.execute(select(table.c.id, table.c.status).where(
                table.c.number == document_number.strip()))).first()
            if doc is None or not document_number.strip().startswith(prefix):
                raise ScanningError("NOT_FOUND", "document", what="scan_session")
            if doc.status not in statuses:
                raise ScanningError("INVALID_STATUS", "document", what="scan_session", status=doc.status, action="scan")
            doc_id = doc.id
        loc_id = None
        if location_code:
            loc_id = (await conn.execute(select(location.c.id).where(location.c.code == location_code.strip()))).scalar()
            if loc_id is None:
                raise ScanningError("UNKNOWN_BARCODE", "location", code=location_code)
        session_id = (await conn.execute(scan_session.insert().values(
            mode=mode, status="open", document_id=doc_id, document_number=document_number.strip(), location_id=loc_id,
            actor=actor_label(principal), created_at=utcnow()).returning(scan_session.c.id))).scalar_one()
        note_change(conn, f"scan_session:{session_id}", after={"mode": mode, "document": document_number})
    return session_id


@dataclass
class ScanAnswer:
    session_id: int
    ok: bool
    kind: str  # product | location
    message_zh: str
    message_en: str
    product_id: int | None = None
    quantity: int = 0  # scaled base units added by this scan
    done: int | None = None  # scaled: what the session holds for this product now
    needed: int | None = None  # scaled: what the document needs in total (None: no limit)
    replayed: bool = False

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if k != "replayed"})


async def _lock_open(conn, session_id: int):
    row = (await conn.execute(select(scan_session).where(scan_session.c.id == session_id).with_for_update())).first()
    if row is None:
        raise ScanningError("NOT_FOUND", "sessionId", what="scan_session")
    if row.status != "open":
        raise ScanningError("INVALID_STATUS", "sessionId", what="scan_session", status=row.status, action="scan")
    return row


async def _tally(conn, session_id: int, product_id: int) -> int:
    return int((await conn.execute(select(scan_tally.c.qty).where(
        scan_tally.c.session_id == session_id, scan_tally.c.product_id == product_id))).scalar() or 0)


async def _add_to_tally(conn, session_id: int, product_id: int, qty: int) -> None:
    stmt = dialect_insert(conn, scan_tally).values(session_id=session_id, product_id=product_id, qty=qty)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["session_id", "product_id"],
                                                  set_={"qty": scan_tally.c.qty + stmt.excluded.qty}))


async def do_scan(db: Database, session_id: int, code: str, scan_id: str, principal: Principal | None, *,
                  quantity: str | None = None, device_time: datetime | None = None,
                  gs_substitutes: str = "") -> ScanAnswer:
    """Apply one scan (see the module docstring); a repeated ``scan_id`` returns the first answer."""
    _require(principal)
    if not scan_id or len(scan_id) > 128:
        raise ScanningError("INVALID_VALUE", "scanId", detail="1–128 chars")
    async with db.write() as conn:
        earlier = (await conn.execute(select(scan_record).where(scan_record.c.scan_id == scan_id))).first()
        if earlier is not None:
            if earlier.session_id != session_id or earlier.code != code:
                raise ScanningError("IDEMPOTENCY_KEY_REUSED", "scanId")
            return ScanAnswer(**json.loads(earlier.answer), replayed=True)
        r = await resolve_barcode(conn, code, gs_substitutes=gs_substitutes)  # before the lock: keep it short
        session = await _lock_open(conn, session_id)
        base = dict(session_id=session_id, scan_id=scan_id, code=code[:300], device_time=device_time,
                    created_at=utcnow(), seq=session.scans + 1)
        if r.kind == "location":
            answer = await _scan_location(conn, session, r.location_id)
            await conn.execute(scan_record.insert().values(kind="location", location_id=r.location_id,
                                                           answer=answer.to_json(), **base))
        elif r.kind == "product":
            answer, record = await _scan_product(conn, session, r, quantity)
            await conn.execute(scan_record.insert().values(kind="product", answer=answer.to_json(), **record, **base))
            await _add_to_tally(conn, session_id, r.product_id, record["qty"])
        else:
            raise ScanningError("WRONG_PRODUCT", "code", product=code, document=session.document_number or session.mode)
        await conn.execute(update(scan_session).where(scan_session.c.id == session_id).values(scans=session.scans + 1))
        await append_events(conn, [NewEvent(SCAN_RECORDED, {"session_id": session_id, "scan_id": scan_id,
                                                            "message_zh": answer.message_zh,
                                                            "message_en": answer.message_en})])
    return answer


async def _scan_location(conn, session, location_id: int) -> ScanAnswer:
    code = (await conn.execute(select(location.c.code).where(location.c.id == location_id))).scalar_one()
    if session.mode == "COUNT":
        inside = (await conn.execute(select(stock_count.c.warehouse_id).where(stock_count.c.id == session.document_id))
                  ).scalar_one() == (await conn.execute(select(location.c.warehouse_id).where(
                      location.c.id == location_id))).scalar_one()
        if not inside:
            raise ScanningError("WRONG_LOCATION", "code", location=code)
    values = {"location_id": location_id}
    if session.mode in ("TRANSFER", "PUTAWAY") and session.location_id is not None and \
            await _has_products(conn, session.id):
        values = {"to_location_id": location_id}  # after the goods: where they go
    await conn.execute(update(scan_session).where(scan_session.c.id == session.id).values(**values))
    target = "目的库位" if "to_location_id" in values else "库位"
    return ScanAnswer(session.id, True, "location", f"{target} {code}", f"{'To ' if target == '目的库位' else ''}bin {code}")


async def _has_products(conn, session_id: int) -> bool:
    return (await conn.execute(select(scan_record.c.id).where(
        scan_record.c.session_id == session_id, scan_record.c.kind == "product",
        scan_record.c.undone.is_(False)).limit(1))).first() is not None


async def _scan_product(conn, session, r, quantity: str | None):
    p = (await conn.execute(select(product.c.name, product.c.tracking, unit.c.precision)
                            .join(unit, unit.c.id == product.c.base_unit_id).where(product.c.id == r.product_id))).one()
    if session.location_id is None:
        raise ScanningError("LOCATION_REQUIRED", "code")
    if quantity is not None:
        try:
            typed = parse_decimal(quantity)
        except NumberError:
            raise ScanningError("INVALID_VALUE", "quantity", detail=quantity) from None
        if typed <= 0:
            raise ScanningError("INVALID_VALUE", "quantity", detail=quantity)
    else:
        typed = r.count or 1
    qty = int(typed * (r.pack_quantity or QTY_SCALE))
    if p.tracking == "serial":
        if not r.serial:
            raise ScanningError("LOT_REQUIRED", "code")
        qty = QTY_SCALE
        dup = (await conn.execute(select(scan_record.c.id).where(
            scan_record.c.session_id == session.id, scan_record.c.serial == r.serial,
            scan_record.c.product_id == r.product_id, scan_record.c.undone.is_(False)))).first()
        if dup is not None:
            raise ScanningError("SERIAL_ALREADY_SCANNED", "code", serial=r.serial)
    elif p.tracking == "lot" and not r.lot:
        raise ScanningError("LOT_REQUIRED", "code")
    if r.expiry_date is not None and r.expiry_date < date.today() and session.mode in ("RECEIVE", "PICK"):
        raise ScanningError("EXPIRED_LOT", "code", lot=r.lot or "", expiry=r.expiry_date.isoformat())
    done = await _tally(conn, session.id, r.product_id) + qty
    needed = await _needed(conn, session, r.product_id, p, done, qty)
    shown = lambda v: str(scaled_to_decimal(v, p.precision))  # noqa: E731
    prefix = f"{session.document_number} · " if session.document_number else ""
    tail = f"{shown(done)} / {shown(needed)}" if needed is not None else shown(done)
    answer = ScanAnswer(session.id, True, "product", f"{prefix}{p.name}: {tail}", f"{prefix}{p.name}: {tail}",
                        product_id=r.product_id, quantity=qty, done=done, needed=needed)
    record = dict(product_id=r.product_id, location_id=session.location_id, qty=qty, lot=r.serial or r.lot,
                  serial=r.serial, expiry_date=r.expiry_date)
    return answer, record


async def _needed(conn, session, product_id: int, p, done: int, qty: int) -> int | None:
    doc = session.document_number
    if session.mode == "RECEIVE":
        rows = (await conn.execute(select(purchase_order_line.c.qty, purchase_order_line.c.accepted_qty).where(
            purchase_order_line.c.order_id == session.document_id,
            purchase_order_line.c.product_id == product_id))).all()
        if not rows:
            raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
        open_qty = sum(max(r.qty - r.accepted_qty, 0) for r in rows)
        tolerance = (await load_purchase_settings(conn)).tolerance("over_receipt_tolerance")
        limit = int(open_qty * (1 + tolerance))
        if done > limit:
            raise ScanningError("OVER_RECEIPT", "code", ordered=str(scaled_to_decimal(open_qty, p.precision)),
                                received=str(scaled_to_decimal(done - qty, p.precision)),
                                requested=str(scaled_to_decimal(qty, p.precision)), tolerance=f"{tolerance:%}")
        return open_qty
    if session.mode == "PICK":
        reserved = int((await conn.execute(select(func.coalesce(func.sum(sales_order_line.c.reserved_qty), 0)).where(
            sales_order_line.c.order_id == session.document_id, sales_order_line.c.product_id == product_id))
        ).scalar_one())
        if reserved == 0:
            raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
        if done > reserved:
            raise ScanningError("OVER_SHIPMENT", "code", open=str(scaled_to_decimal(reserved - done + qty, p.precision)))
        return reserved
    if session.mode == "COUNT":
        in_scope = (await conn.execute(select(stock_count_line.c.id).where(
            stock_count_line.c.count_id == session.document_id, stock_count_line.c.location_id == session.location_id)
            .limit(1))).first()
        if in_scope is None:
            code = (await conn.execute(select(location.c.code).where(location.c.id == session.location_id))).scalar()
            raise ScanningError("WRONG_LOCATION", "code", location=code)
    return None


async def do_undo_last_scan(db: Database, session_id: int, principal: Principal | None) -> ScanAnswer | None:
    """Take back the last product scan of the session; ``None`` when there is none."""
    _require(principal)
    async with db.write() as conn:
        await _lock_open(conn, session_id)
        last = (await conn.execute(select(scan_record).where(
            scan_record.c.session_id == session_id, scan_record.c.kind == "product", scan_record.c.undone.is_(False))
            .order_by(scan_record.c.seq.desc()).limit(1))).first()
        if last is None:
            return None
        await conn.execute(update(scan_record).where(scan_record.c.id == last.id).values(undone=True))
        await _add_to_tally(conn, session_id, last.product_id, -last.qty)
        answer = ScanAnswer(**json.loads(last.answer))
        answer.message_zh = f"已撤销：{answer.message_zh}"
        answer.message_en = f"Undone: {answer.message_en}"
        return answer


async def session_lines(conn, session_id: int) -> list:
    """What the session holds: (product, location, lot, serial) → quantity, in scan order."""
    return (await conn.execute(
        select(scan_record.c.product_id, scan_record.c.location_id, scan_record.c.lot, scan_record.c.serial,
               scan_record.c.expiry_date, func.sum(scan_record.c.qty).label("qty"), func.min(scan_record.c.seq).label("first"))
        .where(scan_record.c.session_id == session_id, scan_record.c.kind == "product", scan_record.c.undone.is_(False))
        .group_by(scan_record.c.product_id, scan_record.c.location_id, scan_record.c.lot, scan_record.c.serial,
                  scan_record.c.expiry_date)
        .order_by(func.min(scan_record.c.seq)))).all()


async def do_complete_session(db: Database, session_id: int, principal: Principal | None) -> str:
    """Post the session through the document services; returns the posted document's number."""
    _require(principal)
    async with db.read() as conn:
        session = (await conn.execute(select(scan_session).where(scan_session.c.id == session_id))).first()
        if session is None:
            raise ScanningError("NOT_FOUND", "sessionId", what="scan_session")
        if session.status == "completed":
            return session.result_number
        if session.status != "open":
            raise ScanningError("INVALID_STATUS", "sessionId", what="scan_session", status=session.status,
                                action="complete")
        lines = await session_lines(conn, session_id)
    if not lines:
        raise ScanningError("NOTHING_SCANNED", "sessionId")
    key = f"scan-session-{session_id}"
    try:
        number = await _post(db, session, lines, _acting(principal, session.mode), key)
    except DomainError as exc:
        raise ScanningError.from_inventory(exc) from None
    async with db.write() as conn:
        await _lock_open(conn, session_id)
        await conn.execute(update(scan_session).where(scan_session.c.id == session_id).values(
            status="completed", result_number=number, completed_at=utcnow()))
        note_change(conn, f"scan_session:{session_id}", after={"status": "completed", "result": number})
    return number


POSTING_PERMISSIONS = {"RECEIVE": "stock.receive", "PICK": "sales.ship", "TRANSFER": "stock.transfer",
                       "PUTAWAY": "stock.transfer", "COUNT": "stock.count"}


def _acting(principal: Principal | None, mode: str) -> Principal | None:
    """A scanning device posts what it scanned: ``scan.use`` carries the one permission its session's
    mode needs (a scanner token can scan and nothing else — no other door is opened)."""
    if principal is None:
        return None
    from dataclasses import replace

    return replace(principal, permissions=principal.permissions | {POSTING_PERMISSIONS[mode]})


async def _post(db: Database, session, lines, principal, key: str) -> str:
    from server.inventory.counts import CountEntry, do_record_counts
    from server.inventory.services import StockLine, do_transfer_stock
    from server.purchasing import receipts
    from server.sales import shipping

    async with db.read() as conn:
        if session.mode == "RECEIVE":
            order_lines = (await conn.execute(select(purchase_order_line).where(
                purchase_order_line.c.order_id == session.document_id).order_by(purchase_order_line.c.line_no))).all()
        elif session.mode == "PICK":
            order_lines = (await conn.execute(select(sales_order_line).where(
                sales_order_line.c.order_id == session.document_id).order_by(sales_order_line.c.line_no))).all()
    if session.mode == "RECEIVE":
        async with db.read() as conn:
            base_units = dict((await conn.execute(select(product.c.id, product.c.base_unit_id).where(
                product.c.id.in_({ln.product_id for ln in lines})))).all())
        receipt_lines = _split_over_lines(lines, order_lines, lambda ol: ol.qty - ol.accepted_qty)
        receipt_id = await receipts.do_receive_goods(db, receipts.ReceiptInput(order_id=session.document_id, lines=[
            receipts.ReceiptLineInput(received_quantity=str(scaled_to_decimal(qty)), order_line_id=ol.id,
                                      location_id=ln.location_id, unit_id=base_units[ln.product_id],
                                      lot=None if ln.serial else ln.lot,
                                      expiry_date=ln.expiry_date, serials=[ln.serial] if ln.serial else [])
            for ol, ln, qty in receipt_lines]), principal, idempotency_key=key)
        return await _number(db, "goods_receipt", receipt_id)
    if session.mode == "PICK":
        picks = _split_over_lines(lines, order_lines, lambda ol: ol.reserved_qty)
        shipment_id = await shipping.do_ship_goods(db, shipping.ShipmentInput(order_id=session.document_id, lines=[
            shipping.ShipmentLineInput(order_line_id=ol.id, quantity=str(scaled_to_decimal(qty * QTY_SCALE // ol.unit_factor)),
                                       location_id=ln.location_id, lot=ln.lot)
            for ol, ln, qty in picks]), principal, idempotency_key=key)
        return await _number(db, "shipment", shipment_id)
    if session.mode in ("TRANSFER", "PUTAWAY"):
        if session.to_location_id is None:
            raise ScanningError("LOCATION_REQUIRED", "sessionId")
        result = await do_transfer_stock(db, [StockLine(product_id=ln.product_id, quantity=scaled_to_decimal(ln.qty),
                                                        location_id=ln.location_id, to_location_id=session.to_location_id,
                                                        lot_code=ln.lot) for ln in lines],
                                         actor=actor_label(principal), reference=f"SCAN-{session.id}",
                                         idempotency_key=key,
                                         warehouses=principal.warehouse_ids if principal else None)
        return f"OP{result.operation_id}"
    await do_record_counts(db, session.document_id, [
        CountEntry(str(scaled_to_decimal(ln.qty)), location_id=ln.location_id, product_id=ln.product_id, lot=ln.lot)
        for ln in lines], principal)
    return session.document_number


def _split_over_lines(lines, order_lines, open_of):
    """Spread each scanned (product, location, lot) quantity over the document's lines of that
    product, filling each line's open quantity first; what is left goes to the last line."""
    left = {ol.id: open_of(ol) for ol in order_lines}
    out = []
    for ln in lines:
        candidates = [ol for ol in order_lines if ol.product_id == ln.product_id]
        qty = int(ln.qty)
        for i, ol in enumerate(candidates):
            take = qty if i == len(candidates) - 1 else min(qty, max(left[ol.id], 0))
            if take > 0:
                out.append((ol, ln, take))
                left[ol.id] -= take
                qty -= take
            if qty == 0:
                break
    return out


async def _number(db: Database, table_name: str, row_id: int) -> str:
    from server.models import metadata

    table = metadata.tables[table_name]
    async with db.read() as conn:
        return (await conn.execute(select(table.c.number).where(table.c.id == row_id))).scalar_one()
