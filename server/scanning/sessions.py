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
from datetime import datetime

from sqlalchemy import func, select, update

from server.auth import scope
from server.audit import note_change
from server.auth.services import Principal
from server.catalog.models import product, unit
from server.database import Database
from server.clock import utcnow
from server.doc_kit import actor_label
from server.idempotency import keys_owned_by
from server.errors import DomainError
from server.scanning.errors import ScanningError
from server.events.journal import append_events
from server.events.types import SCAN_RECORDED as SCAN_RECORDED  # the name, re-exported
from server.events.types import ScanRecorded
from server.inventory.models import location, stock_count, stock_count_line
from server.numbers import QTY_SCALE, NumberError, parse_decimal, scaled_to_decimal
from server.purchasing.models import purchase_order, purchase_order_line
from server.purchasing.settings import load_purchase_settings
from server.sales.models import sales_order, sales_order_line
from server.scanning.barcodes import Lookups, clean_code, resolve_barcode
from server.scanning.models import scan_record, scan_session, scan_tally
from server.sql import dialect_insert
from server import clock

MODES = ("RECEIVE", "PUTAWAY", "PICK", "TRANSFER", "COUNT")  # PUTAWAY: a transfer from the receiving area
DOCUMENTS = {"RECEIVE": ("PO", purchase_order, ("approved", "partially_received", "received")),
             "PICK": ("SO", sales_order, ("approved", "partially_shipped")),
             "COUNT": ("SC", stock_count, ("open",))}


def _require(principal, permission: str = "scan.use") -> None:
    scope.require(principal, permission, ScanningError)


async def do_start_session(db: Database, mode: str, principal: Principal | None, *, document_number: str = "",
                           location_code: str = "") -> int:
    _require(principal)
    if mode not in MODES:
        raise ScanningError("INVALID_VALUE", "mode", detail=" | ".join(MODES))
    async with db.write() as conn:
        doc_id = None
        if mode in DOCUMENTS:
            prefix, table, statuses = DOCUMENTS[mode]
            doc = (await conn.execute(select(table.c.id, table.c.status, table.c.warehouse_id).where(
                table.c.number == document_number.strip()))).first()
            if doc is None or not document_number.strip().startswith(prefix):
                raise ScanningError("NOT_FOUND", "document", what="scan_session")
            if doc.status not in statuses:
                raise ScanningError("INVALID_STATUS", "document", what="scan_session", status=doc.status, action="scan")
            scope.require_warehouse(principal, doc.warehouse_id, ScanningError, "document")
            doc_id = doc.id
        loc_id = None
        if location_code:
            loc = (await conn.execute(select(location.c.id, location.c.warehouse_id).where(
                location.c.code == location_code.strip()))).first()
            if loc is None:
                raise ScanningError("UNKNOWN_BARCODE", "location", code=location_code)
            scope.require_warehouse(principal, loc.warehouse_id, ScanningError, "location")
            loc_id = loc.id
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


async def _lock_open(conn, session_id: int, principal: Principal | None = None):
    """The open session, locked; one of another warehouse than the caller's is refused."""
    row = (await conn.execute(select(scan_session).where(scan_session.c.id == session_id).with_for_update())).first()
    if row is None:
        raise ScanningError("NOT_FOUND", "sessionId", what="scan_session")
    if row.status != "open":
        raise ScanningError("INVALID_STATUS", "sessionId", what="scan_session", status=row.status, action="scan")
    if scope.warehouses(principal) is not None:
        scope.require_warehouse(principal, await _session_warehouse(conn, row), ScanningError, "sessionId")
    return row


async def _session_warehouse(conn, session) -> int | None:
    """The warehouse a session works in: its document's, else its bin's (``None``: not known yet)."""
    if session.mode in DOCUMENTS and session.document_id is not None:
        table = DOCUMENTS[session.mode][1]
        return (await conn.execute(select(table.c.warehouse_id).where(table.c.id == session.document_id))).scalar()
    if session.location_id is not None:
        return (await conn.execute(select(location.c.warehouse_id).where(location.c.id == session.location_id))).scalar()
    return None


async def _add_to_tally(conn, session_id: int, product_id: int, qty: int) -> None:
    stmt = dialect_insert(conn, scan_tally).values(session_id=session_id, product_id=product_id, qty=qty)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["session_id", "product_id"],
                                                  set_={"qty": scan_tally.c.qty + stmt.excluded.qty}))


@dataclass
class ScanInput:
    code: str
    scan_id: str
    quantity: str | None = None
    device_time: datetime | None = None


async def do_scan(db: Database, session_id: int, code: str, scan_id: str, principal: Principal | None, *,
                  quantity: str | None = None, device_time: datetime | None = None,
                  gs_substitutes: str = "") -> ScanAnswer:
    """Apply one scan (see the module docstring); a repeated ``scan_id`` returns the first answer."""
    [result] = await do_scan_batch(db, session_id, [ScanInput(code, scan_id, quantity, device_time)], principal,
                                   gs_substitutes=gs_substitutes)
    if isinstance(result, DomainError):
        raise result
    return result


async def do_scan_batch(db: Database, session_id: int, scans: list[ScanInput], principal: Principal | None, *,
                        gs_substitutes: str = "") -> list[ScanAnswer | ScanningError]:
    """Apply scans in order, in one transaction: each gets its answer or its own typed error (a
    refused scan changes nothing; the others still apply). A handheld that buffered scans, or a
    client replaying its offline queue, sends them together: the session lock, the lookups and the
    writes are then paid once per batch instead of once per scan. ``do_scan`` is a batch of one."""
    _require(principal)
    if not scans or len(scans) > MAX_BATCH:
        raise ScanningError("INVALID_VALUE", "scans", detail=f"1–{MAX_BATCH} scans")
    for i, sc in enumerate(scans):
        if not sc.scan_id or len(sc.scan_id) > 128:
            raise ScanningError("INVALID_VALUE", f"scans.{i}.scanId" if len(scans) > 1 else "scanId",
                                detail="1–128 chars")
    async with db.write() as conn:
        ids = sorted({sc.scan_id for sc in scans})
        earlier = {r.scan_id: r for r in await conn.execute(select(scan_record).where(scan_record.c.scan_id.in_(ids)))}
        lookups = Lookups(conn)
        await lookups.prefetch([clean_code(sc.code, gs_substitutes) for sc in scans if sc.scan_id not in earlier])
        resolved: dict[int, object] = {}
        for i, sc in enumerate(scans):  # what each code is, before taking the session lock
            if sc.scan_id not in earlier:
                try:
                    resolved[i] = await resolve_barcode(conn, sc.code, gs_substitutes=gs_substitutes, lookups=lookups)
                except ScanningError as exc:
                    resolved[i] = exc
        if all(sc.scan_id in earlier for sc in scans):  # only resends: answered even after completion
            return [_replay(earlier[sc.scan_id], sc, session_id) for sc in scans]
        batch = _Batch(conn, await _lock_open(conn, session_id, principal), principal)
        # a resend that raced its first request: that one committed while we waited for the lock
        missing = [i for i in ids if i not in earlier]
        earlier.update({r.scan_id: r for r in await conn.execute(
            select(scan_record).where(scan_record.c.scan_id.in_(missing)))})
        await batch.load_serials([r for r in resolved.values() if not isinstance(r, ScanningError) and r.serial])
        results: list[ScanAnswer | ScanningError] = []
        for i, sc in enumerate(scans):
            first = earlier.get(sc.scan_id) or batch.seen.get(sc.scan_id)
            if first is not None:  # a retry, a replay, or the same scan twice in one batch
                results.append(_replay(first, sc, session_id))
                continue
            try:
                if isinstance(resolved[i], ScanningError):
                    raise resolved[i]
                results.append(await batch.apply(sc, resolved[i]))
            except ScanningError as exc:
                results.append(exc)
        await batch.write()
    return results


MAX_BATCH = 500


def _replay(first, sc: ScanInput, session_id: int) -> ScanAnswer | ScanningError:
    """The stored answer of a scan id used before; the same id with another code or session is refused."""
    if first.session_id != session_id or first.code != sc.code[:300]:
        return ScanningError("IDEMPOTENCY_KEY_REUSED", "scanId")
    return ScanAnswer(**json.loads(first.answer), replayed=True)


class _Batch:
    """One transaction's scans on one session: the session's state, the tallies and what every scan
    of a product looks up (the product, the document's lines, the settings, the serials already
    scanned) are read once; records, tallies, the session row and the events are written once, at
    the end, so a refused scan never leaves anything behind."""

    def __init__(self, conn, session, principal: Principal | None = None):
        self.conn, self.session, self.principal = conn, session, principal
        self.location_id, self.to_location_id = session.location_id, session.to_location_id
        self.scans = session.scans
        self.records: list[dict] = []
        self.events: list[ScanRecorded] = []
        self.seen: dict[str, object] = {}
        self.tallies: dict[int, int] = {}
        self.added: dict[int, int] = {}
        self.products: dict[int, object] = {}
        self.needs: dict[int, object] = {}
        self.serials: dict[int, set[str]] = {}  # per product: serials scanned (not undone) in the session
        self.has_products: bool | None = None
        self.session_changed = False

    async def load_serials(self, resolutions) -> None:
        """The serials of this batch that the session already holds, in one statement per 1,000."""
        wanted = sorted({r.serial for r in resolutions})
        for pid in {r.product_id for r in resolutions}:
            self.serials.setdefault(pid, set())
        for i in range(0, len(wanted), 1000):
            for pid, serial in await self.conn.execute(select(scan_record.c.product_id, scan_record.c.serial).where(
                    scan_record.c.session_id == self.session.id, scan_record.c.undone.is_(False),
                    scan_record.c.serial.in_(wanted[i:i + 1000]))):
                self.serials.setdefault(pid, set()).add(serial)

    async def apply(self, sc: ScanInput, r) -> ScanAnswer:
        base = dict(session_id=self.session.id, scan_id=sc.scan_id, code=sc.code[:300], device_time=sc.device_time,
                    created_at=utcnow(), seq=self.scans + 1)
        if r.kind == "location":
            answer = await self._location(r.location_id)
            record = dict(kind="location", location_id=r.location_id, **base)
        elif r.kind == "product":
            answer, values = await self._product(r, sc.quantity)
            record = dict(kind="product", **values, **base)
            self.added[r.product_id] = self.added.get(r.product_id, 0) + values["qty"]
            self.tallies[r.product_id] += values["qty"]
            if values["serial"]:
                self.serials[r.product_id].add(values["serial"])
            self.has_products = True
        else:
            raise ScanningError("WRONG_PRODUCT", "code", product=sc.code,
                                document=self.session.document_number or self.session.mode)
        record["answer"] = answer.to_json()
        self.records.append(record)
        self.seen[sc.scan_id] = _Seen(self.session.id, sc.code[:300], record["answer"])
        self.scans += 1
        self.events.append(ScanRecorded(session_id=self.session.id, scan_id=sc.scan_id, message_zh=answer.message_zh,
                                        message_en=answer.message_en))
        return answer

    async def write(self) -> None:
        if not self.records:
            return
        await self.conn.execute(scan_record.insert(), [
            {"location_id": None, "product_id": None, "qty": 0, "lot": None, "serial": None, "expiry_date": None, **r}
            for r in self.records])
        for product_id, qty in sorted(self.added.items()):
            await _add_to_tally(self.conn, self.session.id, product_id, qty)
        await self.conn.execute(update(scan_session).where(scan_session.c.id == self.session.id).values(
            scans=self.scans, location_id=self.location_id, to_location_id=self.to_location_id))
        await append_events(self.conn, self.events)

    async def _location(self, location_id: int) -> ScanAnswer:
        conn, session = self.conn, self.session
        code, warehouse_id = (await conn.execute(select(location.c.code, location.c.warehouse_id).where(
            location.c.id == location_id))).one()
        if not scope.in_scope(self.principal, warehouse_id):  # another warehouse's bin: refused at the scan
            raise ScanningError("PERMISSION_DENIED", "code", permission=f"warehouse {warehouse_id}")
        if session.mode == "COUNT":
            inside = (await conn.execute(select(stock_count.c.warehouse_id).where(
                stock_count.c.id == session.document_id))).scalar_one() == (await conn.execute(
                    select(location.c.warehouse_id).where(location.c.id == location_id))).scalar_one()
            if not inside:
                raise ScanningError("WRONG_LOCATION", "code", location=code)
        if session.mode in ("TRANSFER", "PUTAWAY") and self.location_id is not None and await self._has_products():
            self.to_location_id = location_id  # after the goods: where they go
            return ScanAnswer(session.id, True, "location", f"目的库位 {code}", f"To bin {code}")
        self.location_id = location_id
        return ScanAnswer(session.id, True, "location", f"库位 {code}", f"Bin {code}")

    async def _has_products(self) -> bool:
        if self.has_products is None:
            self.has_products = (await self.conn.execute(select(scan_record.c.id).where(
                scan_record.c.session_id == self.session.id, scan_record.c.kind == "product",
                scan_record.c.undone.is_(False)).limit(1))).first() is not None
        return self.has_products

    async def _product(self, r, quantity: str | None):
        conn, session = self.conn, self.session
        if r.product_id not in self.products:
            self.products[r.product_id] = (await conn.execute(
                select(product.c.name, product.c.tracking, unit.c.precision)
                .join(unit, unit.c.id == product.c.base_unit_id).where(product.c.id == r.product_id))).one()
            self.tallies[r.product_id] = int((await conn.execute(select(scan_tally.c.qty).where(
                scan_tally.c.session_id == session.id, scan_tally.c.product_id == r.product_id))).scalar() or 0)
            self.serials.setdefault(r.product_id, set())
        p = self.products[r.product_id]
        if self.location_id is None:
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
        if qty <= 0 or qty % (QTY_SCALE // 10 ** p.precision):  # finer than the unit allows
            raise ScanningError("TOO_MANY_DECIMALS", "quantity", precision=p.precision)
        if p.tracking == "serial":
            if not r.serial:
                raise ScanningError("LOT_REQUIRED", "code")
            qty = QTY_SCALE
            if r.serial in self.serials[r.product_id]:
                raise ScanningError("SERIAL_ALREADY_SCANNED", "code", serial=r.serial)
        elif p.tracking == "lot" and not r.lot:
            raise ScanningError("LOT_REQUIRED", "code")
        if r.expiry_date is not None and r.expiry_date < clock.today() and session.mode in ("RECEIVE", "PICK"):
            raise ScanningError("EXPIRED_LOT", "code", lot=r.lot or "", expiry=r.expiry_date.isoformat())
        done = self.tallies[r.product_id] + qty
        needed = await self._needed(r.product_id, p, done, qty)
        shown = lambda v: str(scaled_to_decimal(v, p.precision))  # noqa: E731
        prefix = f"{session.document_number} · " if session.document_number else ""
        tail = f"{shown(done)} / {shown(needed)}" if needed is not None else shown(done)
        answer = ScanAnswer(session.id, True, "product", f"{prefix}{p.name}: {tail}", f"{prefix}{p.name}: {tail}",
                            product_id=r.product_id, quantity=qty, done=done, needed=needed)
        return answer, dict(product_id=r.product_id, location_id=self.location_id, qty=qty, lot=r.serial or r.lot,
                            serial=r.serial, expiry_date=r.expiry_date)

    async def _needed(self, product_id: int, p, done: int, qty: int) -> int | None:
        """What the document allows for ``product_id`` (read once per batch), checked against ``done``."""
        conn, session, doc = self.conn, self.session, self.session.document_number
        if product_id not in self.needs:
            if session.mode == "RECEIVE":
                rows = (await conn.execute(select(purchase_order_line.c.qty, purchase_order_line.c.accepted_qty).where(
                    purchase_order_line.c.order_id == session.document_id,
                    purchase_order_line.c.product_id == product_id))).all()
                tolerance = (await load_purchase_settings(conn)).tolerance("over_receipt_tolerance")
                self.needs[product_id] = (rows, tolerance)
            elif session.mode == "PICK":
                self.needs[product_id] = int((await conn.execute(
                    select(func.coalesce(func.sum(sales_order_line.c.reserved_qty), 0)).where(
                        sales_order_line.c.order_id == session.document_id,
                        sales_order_line.c.product_id == product_id))).scalar_one())
        if session.mode == "RECEIVE":
            rows, tolerance = self.needs[product_id]
            if not rows:
                raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
            open_qty = sum(max(r.qty - r.accepted_qty, 0) for r in rows)
            if done > int(open_qty * (1 + tolerance)):
                raise ScanningError("OVER_RECEIPT", "code", ordered=str(scaled_to_decimal(open_qty, p.precision)),
                                    received=str(scaled_to_decimal(done - qty, p.precision)),
                                    requested=str(scaled_to_decimal(qty, p.precision)), tolerance=f"{tolerance:%}")
            return open_qty
        if session.mode == "PICK":
            reserved = self.needs[product_id]
            if reserved == 0:
                raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
            if done > reserved:
                raise ScanningError("OVER_SHIPMENT", "code",
                                    open=str(scaled_to_decimal(reserved - done + qty, p.precision)))
            return reserved
        if session.mode == "COUNT":
            in_scope = (await conn.execute(select(stock_count_line.c.id).where(
                stock_count_line.c.count_id == session.document_id,
                stock_count_line.c.location_id == self.location_id).limit(1))).first()
            if in_scope is None:
                code = (await conn.execute(select(location.c.code).where(location.c.id == self.location_id))).scalar()
                raise ScanningError("WRONG_LOCATION", "code", location=code)
        return None


@dataclass
class _Seen:
    session_id: int
    code: str
    answer: str


async def do_undo_last_scan(db: Database, session_id: int, principal: Principal | None) -> ScanAnswer | None:
    """Take back the last product scan of the session; ``None`` when there is none."""
    _require(principal)
    async with db.write() as conn:
        await _lock_open(conn, session_id, principal)
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
        if scope.warehouses(principal) is not None:
            scope.require_warehouse(principal, await _session_warehouse(conn, session), ScanningError, "sessionId")
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
        # the session's own key, whoever completes it: a retry by a supervisor finds the first posting
        with keys_owned_by(""):
            number = await _post(db, session, lines, _acting(principal, session.mode), key)
    except DomainError as exc:
        raise ScanningError.from_inventory(exc) from None
    async with db.write() as conn:
        await _lock_open(conn, session_id, principal)
        await conn.execute(update(scan_session).where(scan_session.c.id == session_id).values(
            status="completed", result_number=number, completed_at=utcnow()))
        note_change(conn, f"scan_session:{session_id}", after={"status": "completed", "result": number})
    return number


POSTING_PERMISSIONS = {"RECEIVE": "stock.receive", "PICK": "sales.ship", "TRANSFER": "stock.transfer",
                       "PUTAWAY": "stock.transfer", "COUNT": "stock.count"}


def _acting(principal: Principal | None, mode: str) -> Principal | None:
    """A scanning device posts what it scanned: ``scan.use`` carries the one permission its session's
    mode needs (a scanner token can scan and nothing else — no other door is opened)."""
    return scope.granting(principal, POSTING_PERMISSIONS[mode])


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
                                         principal=principal, reference=f"SCAN-{session.id}",
                                         idempotency_key=key)
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
