"""Scan sessions (扫码作业): the handheld workflow as another door to the same rules.

``do_start_session`` opens a session on a document (a PO to receive, an SO to pick, a count) or
none (a transfer). Each ``do_scan`` resolves the code (``resolve_barcode``): a bin label sets the
current location (for a transfer: the first bin is the source, a later one the destination), a
product adds its quantity — the scanned unit's pack quantity × the quantity typed or encoded (AI
30/37), one per serial — to the session, after checking it against the document (wrong product,
over-receipt, more than reserved, expired lot, serial scanned twice, bin outside the count). The
answer says what the document needs now ("PO2026-000001 · 螺丝 M6: 7 / 12"; a line ordered in boxes
shows boxes and pieces: "2 / 5 箱（24 / 60 个）").

What completion would refuse is refused at the scan: a bin outside the document's warehouse or
frozen by a count, a transfer's destination equal to its source, a pick, put-away or transfer of
more than the bin holds (counting the session's earlier scans), a serial that is not in the bin, a
serial received before and still in stock, a lot with another expiry date, a serial on a product
tracked by lot. The stock those checks need is read once per batch (``_Batch.load_stock``). When
completion still refuses (the stock moved meanwhile), the error names the scans it concerns.

``scan_id`` is the idempotency key: the same scan sent again (a retry, a replay after reconnecting)
returns the first answer and changes nothing. ``do_complete_session`` posts everything through the
document services — the receipt, the shipment, the transfer, the count entries — with the session
as idempotency key, so a repeated completion posts once, and concurrent completions all answer with
the one document.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, null, or_, select, union_all, update

from server.auth import scope
from server.auth.services import Principal
from server.catalog.models import product, unit
from server.core import clock
from server.core.audit import note_change
from server.core.clock import utcnow
from server.core.database import Database
from server.core.errors import DomainError, ErrorDetail, render_message
from server.core.idempotency import claim_key, keys_owned_by, store_result
from server.core.numbers import QTY_SCALE, NumberError, parse_decimal, scaled_to_decimal
from server.core.sql import dialect_insert
from server.documents.actions import actor_label
from server.events.journal import append_events
from server.events.types import SCAN_RECORDED as SCAN_RECORDED  # the name, re-exported
from server.events.types import ScanRecorded
from server.inventory.models import frozen_location, location, lot, stock_count, stock_count_line, stock_level
from server.purchasing.models import goods_receipt, purchase_order, purchase_order_line
from server.purchasing.settings import load_purchase_settings
from server.sales.models import sales_order, sales_order_line, shipment
from server.scanning.barcodes import Lookups, Resolution, clean_code, resolve_barcode
from server.scanning.errors import ScanningError
from server.scanning.labels import check_gs1_text
from server.scanning.models import scan_record, scan_session, scan_tally

MODES = ("RECEIVE", "PUTAWAY", "PICK", "TRANSFER", "COUNT")  # PUTAWAY: a transfer from the receiving area
DOCUMENTS = {
    "RECEIVE": ("PO", purchase_order, ("approved", "partially_received", "received")),
    "PICK": ("SO", sales_order, ("approved", "partially_shipped")),
    "COUNT": ("SC", stock_count, ("open",)),
}


def _require(principal, permission: str = "scan.use") -> None:
    scope.require(principal, permission, ScanningError)


async def do_start_session(
    db: Database,
    mode: str,
    principal: Principal | None,
    *,
    document_number: str = "",
    location_code: str = "",
    idempotency_key: str | None = None,
) -> int:
    """Open a scan session. With ``idempotency_key`` a retry (a handheld that never saw the answer)
    gets the session the first request opened instead of a second, empty one."""
    _require(principal)
    if mode not in MODES:
        raise ScanningError("INVALID_VALUE", "mode", detail=" | ".join(MODES))
    async with db.write() as conn:
        if idempotency_key is not None:
            request = {"mode": mode, "document": document_number.strip(), "location": location_code.strip()}
            stored = await claim_key(conn, idempotency_key, "scan.session.start", request, ScanningError)
            if stored is not None:
                return int(stored["id"])
        doc_id = doc_warehouse = None
        if mode in DOCUMENTS:
            prefix, table, statuses = DOCUMENTS[mode]
            doc = (
                await conn.execute(
                    select(table.c.id, table.c.status, table.c.warehouse_id).where(
                        table.c.number == document_number.strip()
                    )
                )
            ).first()
            if doc is None or not document_number.strip().startswith(prefix):
                raise ScanningError("NOT_FOUND", "document", what="scan_session")
            if doc.status not in statuses:
                raise ScanningError("INVALID_STATUS", "document", what="scan_session", status=doc.status, action="scan")
            scope.require_warehouse(principal, doc.warehouse_id, ScanningError, "document")
            doc_id, doc_warehouse = doc.id, doc.warehouse_id
        loc_id = None
        if location_code:
            loc = (
                await conn.execute(
                    select(location.c.id, location.c.warehouse_id).where(location.c.code == location_code.strip())
                )
            ).first()
            if loc is None:
                raise ScanningError("UNKNOWN_BARCODE", "location", code=location_code)
            scope.require_warehouse(principal, loc.warehouse_id, ScanningError, "location")
            if mode in ("RECEIVE", "PICK") and loc.warehouse_id != doc_warehouse:
                raise ScanningError("WRONG_LOCATION", "location", location=location_code.strip())
            if mode != "COUNT":
                await _refuse_frozen(conn, loc.id, location_code.strip(), "location")
            loc_id = loc.id
        session_id = (
            await conn.execute(
                scan_session.insert()
                .values(
                    mode=mode,
                    status="open",
                    document_id=doc_id,
                    document_number=document_number.strip(),
                    location_id=loc_id,
                    actor=actor_label(principal),
                    created_at=utcnow(),
                )
                .returning(scan_session.c.id)
            )
        ).scalar_one()
        note_change(conn, f"scan_session:{session_id}", after={"mode": mode, "document": document_number})
        if idempotency_key is not None:
            await store_result(conn, idempotency_key, {"id": session_id})
    return session_id


async def _refuse_frozen(conn, location_id: int, code: str, field: str = "code") -> None:
    """A bin frozen by a stock count takes no moves until the count is closed."""
    count = (
        await conn.execute(
            select(stock_count.c.number)
            .join(frozen_location, frozen_location.c.count_id == stock_count.c.id)
            .where(frozen_location.c.location_id == location_id)
        )
    ).scalar()
    if count is not None:
        raise ScanningError("LOCATION_FROZEN", field, location=code, count=count)


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
    pack_factor: int | None = None  # scaled base units of the unit the line is ordered in (a box of 12: 12 000 000)
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
        return (
            await conn.execute(select(location.c.warehouse_id).where(location.c.id == session.location_id))
        ).scalar()
    return None


async def _add_to_tally(conn, session_id: int, product_id: int, qty: int) -> None:
    stmt = dialect_insert(conn, scan_tally).values(session_id=session_id, product_id=product_id, qty=qty)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["session_id", "product_id"], set_={"qty": scan_tally.c.qty + stmt.excluded.qty}
        )
    )


@dataclass
class ScanInput:
    code: str
    scan_id: str
    quantity: str | None = None
    device_time: datetime | None = None
    lot: str | None = None  # typed by hand where the label carries none (a plain EAN on a lot product)
    expiry_date: date | None = None


def _with_typed(r: Resolution, sc: ScanInput, field: str) -> Resolution:
    """A lot and expiry typed on the device fill what the label lacks; they never override a label:
    a label that carries another lot or expiry is refused, so a typo cannot relabel stock."""
    if sc.lot is None and sc.expiry_date is None:
        return r
    if r.kind != "product":
        raise ScanningError("INVALID_VALUE", f"{field}lot", detail="a lot or expiry goes with a product's code")
    typed_lot = check_gs1_text(sc.lot, f"{field}lot")
    if typed_lot is not None:
        if r.lot is not None and r.lot != typed_lot:
            raise ScanningError("INVALID_VALUE", f"{field}lot", detail=f"the label says lot {r.lot}, not {typed_lot}")
        r.lot = typed_lot
    if sc.expiry_date is not None:
        if r.expiry_date is not None and r.expiry_date != sc.expiry_date:
            raise ScanningError(
                "INVALID_VALUE",
                f"{field}expiryDate",
                detail=f"the label says expiry {r.expiry_date.isoformat()}, not {sc.expiry_date.isoformat()}",
            )
        r.expiry_date = sc.expiry_date
    return r


async def do_scan(
    db: Database,
    session_id: int,
    code: str,
    scan_id: str,
    principal: Principal | None,
    *,
    quantity: str | None = None,
    device_time: datetime | None = None,
    gs_substitutes: str = "",
    lot: str | None = None,
    expiry_date: date | None = None,
) -> ScanAnswer:
    """Apply one scan (see the module docstring); a repeated ``scan_id`` returns the first answer."""
    [result] = await do_scan_batch(
        db,
        session_id,
        [ScanInput(code, scan_id, quantity, device_time, lot, expiry_date)],
        principal,
        gs_substitutes=gs_substitutes,
    )
    if isinstance(result, DomainError):
        raise result
    return result


async def do_scan_batch(
    db: Database, session_id: int, scans: list[ScanInput], principal: Principal | None, *, gs_substitutes: str = ""
) -> list[ScanAnswer | ScanningError]:
    """Apply scans in order, in one transaction: each gets its answer or its own typed error (a
    refused scan changes nothing; the others still apply). A handheld that buffered scans, or a
    client replaying its offline queue, sends them together: the session lock, the lookups and the
    writes are then paid once per batch instead of once per scan. ``do_scan`` is a batch of one."""
    _require(principal)
    if not scans or len(scans) > MAX_BATCH:
        raise ScanningError("INVALID_VALUE", "scans", detail=f"1–{MAX_BATCH} scans")
    for i, sc in enumerate(scans):
        if not sc.scan_id or len(sc.scan_id) > 128:
            raise ScanningError(
                "INVALID_VALUE", f"scans.{i}.scanId" if len(scans) > 1 else "scanId", detail="1–128 chars"
            )
    async with db.write() as conn:
        ids = sorted({sc.scan_id for sc in scans})
        earlier = {r.scan_id: r for r in await conn.execute(select(scan_record).where(scan_record.c.scan_id.in_(ids)))}
        lookups = Lookups(conn)
        await lookups.prefetch([clean_code(sc.code, gs_substitutes) for sc in scans if sc.scan_id not in earlier])
        resolved: dict[int, Resolution | ScanningError] = {}
        for i, sc in enumerate(scans):  # what each code is, before taking the session lock
            if sc.scan_id not in earlier:
                try:
                    found = await resolve_barcode(conn, sc.code, gs_substitutes=gs_substitutes, lookups=lookups)
                    resolved[i] = _with_typed(found, sc, f"scans.{i}." if len(scans) > 1 else "")
                except ScanningError as exc:
                    resolved[i] = exc
        if all(sc.scan_id in earlier for sc in scans):  # only resends: answered even after completion
            return [_replay(earlier[sc.scan_id], sc, session_id) for sc in scans]
        batch = _Batch(conn, await _lock_open(conn, session_id, principal), principal)
        # a resend that raced its first request: that one committed while we waited for the lock
        missing = [i for i in ids if i not in earlier]
        earlier.update(
            {r.scan_id: r for r in await conn.execute(select(scan_record).where(scan_record.c.scan_id.in_(missing)))}
        )
        good = [r for r in resolved.values() if isinstance(r, Resolution)]
        await batch.load_serials([r for r in good if r.serial])
        await batch.load_stock(good)
        results: list[ScanAnswer | ScanningError] = []
        for i, sc in enumerate(scans):
            first = earlier.get(sc.scan_id) or batch.seen.get(sc.scan_id)
            if first is not None:  # a retry, a replay, or the same scan twice in one batch
                results.append(_replay(first, sc, session_id))
                continue
            try:
                r = resolved[i]
                if isinstance(r, ScanningError):
                    raise r
                results.append(await batch.apply(sc, r))
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
        self.products: dict[int, Any] = {}  # product → its row (name, tracking, unit)
        self.needs: dict[int, Any] = {}  # RECEIVE: (lines, tolerance); PICK: reserved
        self.packs: dict[int, tuple[int, str, str]] = {}  # product → (factor, unit 中文, unit English) of its lines
        self.serials: dict[int, set[str]] = {}  # per product: serials scanned (not undone) in the session
        self.has_products: bool | None = None
        self.session_changed = False
        # (product, bin, lot code or "") → what the bin holds / what the session took from it so far
        self.stock: dict[tuple[int, int, str], int] = {}
        self.taken: dict[tuple[int, int, str], int] = {}
        self.in_stock: dict[tuple[int, str], str] = {}  # RECEIVE: (product, serial) → the bin holding it
        self.expiries: dict[tuple[int, str], date] = {}  # RECEIVE: (product, lot code) → its expiry date
        self.bin_codes: dict[int, str] = {}
        self.doc_warehouse: int | None = None

    async def load_serials(self, resolutions) -> None:
        """The serials of this batch that the session already holds, in one statement per 1,000."""
        wanted = sorted({r.serial for r in resolutions})
        for pid in {r.product_id for r in resolutions}:
            self.serials.setdefault(pid, set())
        for i in range(0, len(wanted), 1000):
            for pid, serial in await self.conn.execute(
                select(scan_record.c.product_id, scan_record.c.serial).where(
                    scan_record.c.session_id == self.session.id,
                    scan_record.c.undone.is_(False),
                    scan_record.c.serial.in_(wanted[i : i + 1000]),
                )
            ):
                self.serials.setdefault(pid, set()).add(serial)

    async def load_stock(self, resolutions) -> None:
        """What the checks of this batch's product scans need, in one statement per batch: receiving,
        the lots and serials they name (their expiry dates, the bin of a serial still in stock, and
        the expiry dates the session's earlier scans gave them); picking and moving, the stock of
        their products in the session's bin and the bins the batch scans, with what the session's
        earlier scans took from those bins."""
        products = [r for r in resolutions if r.kind == "product"]
        mode = self.session.mode
        if not products or mode == "COUNT":
            return
        pids = sorted({r.product_id for r in products})
        codes = sorted({c for r in products for c in (r.serial, r.lot) if c})
        rec = scan_record.c
        stock_code = func.coalesce(rec.serial, rec.lot)
        mine = (
            rec.session_id == self.session.id,
            rec.kind == "product",
            rec.undone.is_(False),
            rec.product_id.in_(pids),
        )
        if mode == "RECEIVE":
            if not codes:
                return
            lots: Any = (
                select(
                    literal("l").label("src"),
                    lot.c.product_id,
                    lot.c.code,
                    lot.c.expiry_date,
                    location.c.code.label("bin"),
                )
                .outerjoin(stock_level, (stock_level.c.lot_key == lot.c.id) & (stock_level.c.qty > 0))
                .outerjoin(location, location.c.id == stock_level.c.location_id)
                .where(lot.c.product_id.in_(pids), lot.c.code.in_(codes))
            )
            dated = codes  # the expiry dates the session's earlier scans gave these lots
            if dated:
                lots = union_all(
                    lots,
                    select(literal("r"), rec.product_id, stock_code, rec.expiry_date, null()).where(
                        *mine,
                        rec.expiry_date.is_not(None),
                        or_(rec.serial.in_(dated), rec.serial.is_(None) & rec.lot.in_(dated)),
                    ),
                )
            for r in await self.conn.execute(lots):
                if r.expiry_date is not None:
                    self.expiries.setdefault((r.product_id, r.code), r.expiry_date)
                if r.src == "l" and r.bin is not None:
                    self.in_stock[(r.product_id, r.code)] = r.bin
            return
        bins = sorted({self.location_id} | {r.location_id for r in resolutions if r.kind == "location"} - {None})
        if not bins:
            return
        levels = (
            select(
                literal("s").label("src"),
                stock_level.c.product_id,
                stock_level.c.location_id,
                func.coalesce(lot.c.code, "").label("code"),
                stock_level.c.qty,
            )
            .outerjoin(lot, lot.c.id == stock_level.c.lot_id)
            .where(
                stock_level.c.product_id.in_(pids),
                stock_level.c.location_id.in_(bins),
                or_(stock_level.c.lot_key == 0, lot.c.code.in_(codes)),
            )
        )
        taken = (
            select(literal("t"), rec.product_id, rec.location_id, func.coalesce(rec.lot, ""), func.sum(rec.qty))
            .where(*mine, rec.serial.is_(None), rec.location_id.in_(bins))  # serials: SERIAL_ALREADY_SCANNED
            .group_by(rec.product_id, rec.location_id, rec.lot)
        )
        for r in await self.conn.execute(union_all(levels, taken)):
            key = (r.product_id, r.location_id, r.code)
            target = self.stock if r.src == "s" else self.taken
            target[key] = target.get(key, 0) + int(r.qty)

    async def _bin_code(self, location_id: int) -> str:
        if location_id not in self.bin_codes:
            self.bin_codes[location_id] = (
                await self.conn.execute(select(location.c.code).where(location.c.id == location_id))
            ).scalar_one()
        return self.bin_codes[location_id]

    async def apply(self, sc: ScanInput, r) -> ScanAnswer:
        base = dict(
            session_id=self.session.id,
            scan_id=sc.scan_id,
            code=sc.code[:300],
            device_time=sc.device_time,
            created_at=utcnow(),
            seq=self.scans + 1,
        )
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
            raise ScanningError(
                "WRONG_PRODUCT", "code", product=sc.code, document=self.session.document_number or self.session.mode
            )
        record["answer"] = answer.to_json()
        self.records.append(record)
        self.seen[sc.scan_id] = _Seen(self.session.id, sc.code[:300], record["answer"])
        self.scans += 1
        self.events.append(
            ScanRecorded(
                session_id=self.session.id,
                scan_id=sc.scan_id,
                message_zh=answer.message_zh,
                message_en=answer.message_en,
            )
        )
        return answer

    async def write(self) -> None:
        if not self.records:
            return
        await self.conn.execute(
            scan_record.insert(),
            [
                {
                    "location_id": None,
                    "product_id": None,
                    "qty": 0,
                    "lot": None,
                    "serial": None,
                    "expiry_date": None,
                    **r,
                }
                for r in self.records
            ],
        )
        for product_id, qty in sorted(self.added.items()):
            await _add_to_tally(self.conn, self.session.id, product_id, qty)
        await self.conn.execute(
            update(scan_session)
            .where(scan_session.c.id == self.session.id)
            .values(scans=self.scans, location_id=self.location_id, to_location_id=self.to_location_id)
        )
        await append_events(self.conn, self.events)

    async def _location(self, location_id: int) -> ScanAnswer:
        conn, session = self.conn, self.session
        code, warehouse_id, frozen_by = (
            await conn.execute(
                select(location.c.code, location.c.warehouse_id, stock_count.c.number)
                .outerjoin(frozen_location, frozen_location.c.location_id == location.c.id)
                .outerjoin(stock_count, stock_count.c.id == frozen_location.c.count_id)
                .where(location.c.id == location_id)
            )
        ).one()
        self.bin_codes[location_id] = code
        if not scope.in_scope(self.principal, warehouse_id):  # another warehouse's bin: refused at the scan
            raise ScanningError("PERMISSION_DENIED", "code", permission=f"warehouse {warehouse_id}")
        if session.mode in ("RECEIVE", "PICK"):  # the receipt / shipment posts into the document's warehouse
            if self.doc_warehouse is None:
                self.doc_warehouse = await _session_warehouse(conn, session)
            if warehouse_id != self.doc_warehouse:
                raise ScanningError("WRONG_LOCATION", "code", location=code)
        if session.mode != "COUNT" and frozen_by is not None:
            raise ScanningError("LOCATION_FROZEN", "code", location=code, count=frozen_by)
        if session.mode == "COUNT":
            inside = (
                await conn.execute(select(stock_count.c.warehouse_id).where(stock_count.c.id == session.document_id))
            ).scalar_one() == (
                await conn.execute(select(location.c.warehouse_id).where(location.c.id == location_id))
            ).scalar_one()
            if not inside:
                raise ScanningError("WRONG_LOCATION", "code", location=code)
        if session.mode in ("TRANSFER", "PUTAWAY") and self.location_id is not None and await self._has_products():
            if location_id == self.location_id:
                raise ScanningError("SAME_LOCATION", "code")
            self.to_location_id = location_id  # after the goods: where they go
            return ScanAnswer(session.id, True, "location", f"目的库位 {code}", f"To bin {code}")
        self.location_id = location_id
        return ScanAnswer(session.id, True, "location", f"库位 {code}", f"Bin {code}")

    async def _has_products(self) -> bool:
        if self.has_products is None:
            self.has_products = (
                await self.conn.execute(
                    select(scan_record.c.id)
                    .where(
                        scan_record.c.session_id == self.session.id,
                        scan_record.c.kind == "product",
                        scan_record.c.undone.is_(False),
                    )
                    .limit(1)
                )
            ).first() is not None
        return self.has_products

    async def _product(self, r, quantity: str | None):
        conn, session = self.conn, self.session
        if r.product_id not in self.products:
            self.products[r.product_id] = (
                await conn.execute(
                    select(
                        product.c.name,
                        product.c.tracking,
                        unit.c.precision,
                        unit.c.name.label("unit_name"),
                        unit.c.name_en.label("unit_name_en"),
                    )
                    .join(unit, unit.c.id == product.c.base_unit_id)
                    .where(product.c.id == r.product_id)
                )
            ).one()
            self.tallies[r.product_id] = int(
                (
                    await conn.execute(
                        select(scan_tally.c.qty).where(
                            scan_tally.c.session_id == session.id, scan_tally.c.product_id == r.product_id
                        )
                    )
                ).scalar()
                or 0
            )
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
            typed = Decimal(r.count or 1)
        qty = int(typed * (r.pack_quantity or QTY_SCALE))
        if qty <= 0 or qty % (QTY_SCALE // 10**p.precision):  # finer than the unit allows
            raise ScanningError("TOO_MANY_DECIMALS", "quantity", precision=p.precision)
        lot_code, serial = r.lot, r.serial  # a serial product keeps the lot (10) beside its serial (21)
        if p.tracking == "serial":
            if not serial:
                raise ScanningError("LOT_REQUIRED", "code")
            qty = QTY_SCALE
            if serial in self.serials[r.product_id]:
                raise ScanningError("SERIAL_ALREADY_SCANNED", "code", serial=serial)
            stock_lot = serial  # the serial is the stock's lot
        elif p.tracking == "lot":
            if serial:  # the receipt would refuse it ("not lot tracked"): refused here, said plainly
                raise ScanningError("SERIAL_NOT_TRACKED", "code", product=p.name, serial=serial)
            if not lot_code:
                raise ScanningError("LOT_REQUIRED", "code")
            stock_lot = lot_code
        else:  # the product's stock has no lots: a lot or serial on its label is not kept
            lot_code = serial = stock_lot = None
        if session.mode == "RECEIVE" and stock_lot is not None and r.expiry_date is None:
            r.expiry_date = self.expiries.get((r.product_id, stock_lot))  # a lot has one expiry date
        if r.expiry_date is not None and r.expiry_date < clock.today() and session.mode in ("RECEIVE", "PICK"):
            raise ScanningError("EXPIRED_LOT", "code", lot=r.lot or "", expiry=r.expiry_date.isoformat())
        shown = lambda v: str(scaled_to_decimal(v, p.precision))  # noqa: E731
        if session.mode == "RECEIVE" and stock_lot is not None:
            self._check_receipt_lot(r.product_id, p, stock_lot, r.expiry_date)
        bin_key = (r.product_id, self.location_id, stock_lot or "")
        if session.mode in ("PICK", "TRANSFER", "PUTAWAY"):  # from a bin: it must hold the goods
            on_hand, taken = self.stock.get(bin_key, 0), self.taken.get(bin_key, 0)
            if taken + qty > on_hand:
                where = await self._bin_code(self.location_id)
                if p.tracking == "serial":
                    raise ScanningError("SERIAL_NOT_IN_BIN", "code", serial=serial, location=where)
                raise ScanningError(
                    "NOT_IN_BIN",
                    "code",
                    location=where,
                    product=p.name,
                    lot=f" ({stock_lot})" if stock_lot else "",
                    on_hand=shown(on_hand),
                    scanned=shown(taken),
                    requested=shown(qty),
                )
        done = self.tallies[r.product_id] + qty
        needed = await self._needed(r.product_id, p, done, qty)
        pack = self.packs.get(r.product_id)
        prefix = f"{session.document_number} · " if session.document_number else ""
        if needed is not None and pack is not None:  # ordered in boxes: boxes, then pieces
            factor, unit_zh, unit_en = pack
            tail_zh = (
                f"{_in_packs(done, factor, unit_zh, p.unit_name, shown)} / "
                f"{_in_packs(needed, factor, unit_zh, p.unit_name, shown)}（{shown(done)} / {shown(needed)} "
                f"{p.unit_name}）"
            )
            tail_en = (
                f"{_in_packs(done, factor, unit_en, p.unit_name_en, shown)} / "
                f"{_in_packs(needed, factor, unit_en, p.unit_name_en, shown)} ({shown(done)} / {shown(needed)} "
                f"{p.unit_name_en})"
            )
        else:
            tail_zh = tail_en = f"{shown(done)} / {shown(needed)}" if needed is not None else shown(done)
        answer = ScanAnswer(
            session.id,
            True,
            "product",
            f"{prefix}{p.name}: {tail_zh}",
            f"{prefix}{p.name}: {tail_en}",
            product_id=r.product_id,
            quantity=qty,
            done=done,
            needed=needed,
            pack_factor=pack[0] if pack is not None else None,
        )
        if session.mode in ("PICK", "TRANSFER", "PUTAWAY"):
            self.taken[bin_key] = self.taken.get(bin_key, 0) + qty
        if session.mode == "RECEIVE" and stock_lot is not None and r.expiry_date is not None:
            self.expiries.setdefault((r.product_id, stock_lot), r.expiry_date)
        return answer, dict(
            product_id=r.product_id,
            location_id=self.location_id,
            qty=qty,
            lot=lot_code,
            serial=serial,
            expiry_date=r.expiry_date,
        )

    def _check_receipt_lot(self, product_id: int, p, stock_lot: str, expiry) -> None:
        """A serial still in stock cannot come in again; a lot has one expiry date (the stock's lot
        table, or what the session's scans gave it)."""
        if p.tracking == "serial" and (where := self.in_stock.get((product_id, stock_lot))) is not None:
            raise ScanningError("SERIAL_ALREADY_IN_STOCK", "code", serial=stock_lot, location=where)
        known = self.expiries.get((product_id, stock_lot))
        if expiry is not None and known is not None and known != expiry:
            raise ScanningError(
                "LOT_EXPIRY_MISMATCH", "code", lot=stock_lot, known=known.isoformat(), expiry=expiry.isoformat()
            )

    async def _needed(self, product_id: int, p, done: int, qty: int) -> int | None:
        """What the document allows for ``product_id`` (read once per batch), checked against ``done``."""
        conn, session, doc = self.conn, self.session, self.session.document_number
        if product_id not in self.needs:
            if session.mode == "RECEIVE":
                pol = purchase_order_line.c
                rows = (
                    await conn.execute(
                        select(pol.qty, pol.accepted_qty, pol.unit_factor, unit.c.name, unit.c.name_en)
                        .join(unit, unit.c.id == pol.unit_id)
                        .where(pol.order_id == session.document_id, pol.product_id == product_id)
                    )
                ).all()
                tolerance = (await load_purchase_settings(conn)).tolerance("over_receipt_tolerance")
                self.needs[product_id] = (rows, tolerance)
            elif session.mode == "PICK":
                sol = sales_order_line.c
                rows = (
                    await conn.execute(
                        select(sol.reserved_qty, sol.unit_factor, unit.c.name, unit.c.name_en)
                        .join(unit, unit.c.id == sol.unit_id)
                        .where(sol.order_id == session.document_id, sol.product_id == product_id)
                    )
                ).all()
                self.needs[product_id] = sum(int(r.reserved_qty) for r in rows)
            if (
                session.mode in ("RECEIVE", "PICK")
                and rows
                and len({r.unit_factor for r in rows}) == 1
                and rows[0].unit_factor != QTY_SCALE
            ):  # every line of the product ordered in one pack unit
                self.packs[product_id] = (int(rows[0].unit_factor), rows[0].name, rows[0].name_en)
        if session.mode == "RECEIVE":
            rows, tolerance = self.needs[product_id]
            if not rows:
                raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
            open_qty = sum(max(r.qty - r.accepted_qty, 0) for r in rows)
            if done > int(open_qty * (1 + tolerance)):
                raise ScanningError(
                    "OVER_RECEIPT",
                    "code",
                    ordered=str(scaled_to_decimal(open_qty, p.precision)),
                    received=str(scaled_to_decimal(done - qty, p.precision)),
                    requested=str(scaled_to_decimal(qty, p.precision)),
                    tolerance=f"{tolerance:%}",
                )
            return open_qty
        if session.mode == "PICK":
            reserved = self.needs[product_id]
            if reserved == 0:
                raise ScanningError("WRONG_PRODUCT", "code", product=p.name, document=doc)
            if done > reserved:
                raise ScanningError(
                    "OVER_SHIPMENT", "code", open=str(scaled_to_decimal(reserved - done + qty, p.precision))
                )
            return reserved
        if session.mode == "COUNT":
            in_scope = (
                await conn.execute(
                    select(stock_count_line.c.id)
                    .where(
                        stock_count_line.c.count_id == session.document_id,
                        stock_count_line.c.location_id == self.location_id,
                    )
                    .limit(1)
                )
            ).first()
            if in_scope is None:
                code = (await conn.execute(select(location.c.code).where(location.c.id == self.location_id))).scalar()
                raise ScanningError("WRONG_LOCATION", "code", location=code)
        return None


def _in_packs(qty: int, factor: int, pack_unit: str, base_unit: str, shown) -> str:
    """``qty`` (scaled base units) in whole packs, and the pieces left over: "2 箱", "2 箱 + 1 个"."""
    packs, rest = divmod(qty, factor)
    text = f"{packs} {pack_unit}" if packs or not rest else ""
    return f"{text} + {shown(rest)} {base_unit}".lstrip(" +") if rest else text


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
        last = (
            await conn.execute(
                select(scan_record)
                .where(
                    scan_record.c.session_id == session_id,
                    scan_record.c.kind == "product",
                    scan_record.c.undone.is_(False),
                )
                .order_by(scan_record.c.seq.desc())
                .limit(1)
            )
        ).first()
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
    return (
        await conn.execute(
            select(
                scan_record.c.product_id,
                scan_record.c.location_id,
                scan_record.c.lot,
                scan_record.c.serial,
                scan_record.c.expiry_date,
                func.sum(scan_record.c.qty).label("qty"),
                func.min(scan_record.c.seq).label("first"),
            )
            .where(
                scan_record.c.session_id == session_id, scan_record.c.kind == "product", scan_record.c.undone.is_(False)
            )
            .group_by(
                scan_record.c.product_id,
                scan_record.c.location_id,
                scan_record.c.lot,
                scan_record.c.serial,
                scan_record.c.expiry_date,
            )
            .order_by(func.min(scan_record.c.seq))
        )
    ).all()


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
            raise ScanningError(
                "INVALID_STATUS", "sessionId", what="scan_session", status=session.status, action="complete"
            )
        lines = await session_lines(conn, session_id)
    if not lines:
        raise ScanningError("NOTHING_SCANNED", "sessionId")
    key = f"scan-session-{session_id}"
    sources: list = []  # the session line behind each line the document service is given
    try:
        # the session's own key, whoever completes it: a retry by a supervisor, or a completion that
        # raced this one, finds the first posting
        with keys_owned_by(""):
            number = await _post(db, session, lines, _acting(principal, session.mode), key, sources)
    except DomainError as exc:
        raise await _refusal(db, session, exc, sources) from None
    async with db.write() as conn:
        row = (
            await conn.execute(
                select(scan_session.c.status, scan_session.c.result_number)
                .where(scan_session.c.id == session_id)
                .with_for_update()
            )
        ).one()
        if row.status == "completed":  # a concurrent completion got here first, with the same posting
            return row.result_number
        if row.status != "open":
            raise ScanningError(
                "INVALID_STATUS", "sessionId", what="scan_session", status=row.status, action="complete"
            )
        await conn.execute(
            update(scan_session)
            .where(scan_session.c.id == session_id)
            .values(status="completed", result_number=number, completed_at=utcnow())
        )
        note_change(conn, f"scan_session:{session_id}", after={"status": "completed", "result": number})
    return number


LINE_FIELD = re.compile(r"^(?:lines|entries)\.(\d+)(?:\.|$)")


async def _refusal(db: Database, session, exc: DomainError, sources: list) -> ScanningError:
    """A document service's refusal of the completion, told by the scans it concerns (the scan ids and
    their place in the session) instead of the line numbers of a document the worker never saw."""
    details = []
    for d in exc.details:
        m = LINE_FIELD.match(d.field or "")
        if m is None or int(m.group(1)) >= len(sources):
            details.append(d)
            continue
        ln = sources[int(m.group(1))]
        async with db.read() as conn:
            scans = await _scans_of(conn, session.id, ln)
            name = (await conn.execute(select(product.c.name).where(product.c.id == ln.product_id))).scalar_one()
            bin_code = (await conn.execute(select(location.c.code).where(location.c.id == ln.location_id))).scalar()
        if d.code == "INSUFFICIENT_STOCK":
            details.append(
                ErrorDetail(
                    "STOCK_MOVED",
                    "scans",
                    dict(
                        scans=scans,
                        product=name + (f" ({ln.serial or ln.lot})" if ln.serial or ln.lot else ""),
                        location=bin_code,
                        available=d.params.get("available", ""),
                        requested=d.params.get("requested", ""),
                    ),
                )
            )
        elif d.code == "SERIAL_IN_STOCK":
            details.append(
                ErrorDetail(
                    "SERIAL_RECEIVED_MEANWHILE",
                    "scans",
                    dict(scans=scans, serial=d.params.get("serial", ln.serial or "")),
                )
            )
        else:
            details.append(
                ErrorDetail(
                    "SCANS_REFUSED",
                    "scans",
                    dict(
                        scans=scans,
                        cause=d.code,
                        reason=render_message(d.code, "zh-CN", d.params),
                        reason_en=render_message(d.code, "en", d.params),
                    ),
                )
            )
    err = ScanningError(details[0].code, details[0].field, **details[0].params)
    err.details = list(details)
    return err


async def _scans_of(conn, session_id: int, ln) -> str:
    """The scans behind one session line: "#3 dev1-0003, #5 dev1-0005" (the first five, then a count)."""
    rec = scan_record.c

    def same(col, value):
        return col.is_(None) if value is None else col == value

    rows = (
        await conn.execute(
            select(rec.seq, rec.scan_id)
            .where(
                rec.session_id == session_id,
                rec.kind == "product",
                rec.undone.is_(False),
                rec.product_id == ln.product_id,
                rec.location_id == ln.location_id,
                same(rec.lot, ln.lot),
                same(rec.serial, ln.serial),
                same(rec.expiry_date, ln.expiry_date),
            )
            .order_by(rec.seq)
        )
    ).all()
    text = ", ".join(f"#{r.seq} {r.scan_id}" for r in rows[:5])
    return text + (f" (+{len(rows) - 5})" if len(rows) > 5 else "")


POSTING_PERMISSIONS = {
    "RECEIVE": "stock.receive",
    "PICK": "sales.ship",
    "TRANSFER": "stock.transfer",
    "PUTAWAY": "stock.transfer",
    "COUNT": "stock.count",
}


def _acting(principal: Principal | None, mode: str) -> Principal | None:
    """A scanning device posts what it scanned: ``scan.use`` carries the one permission its session's
    mode needs (a scanner token can scan and nothing else — no other door is opened)."""
    return scope.granting(principal, POSTING_PERMISSIONS[mode])


async def _post(db: Database, session, lines, principal, key: str, sources: list) -> str:
    """Post through the document service of the session's mode; ``sources`` gets the session line
    behind each line of the request, so a refusal can name its scans."""
    from server.inventory.counts import CountEntry, do_record_counts
    from server.inventory.services import StockLine, do_transfer_stock
    from server.purchasing import receipts
    from server.sales import shipping

    async with db.read() as conn:
        if session.mode == "RECEIVE":
            order_lines = (
                await conn.execute(
                    select(purchase_order_line)
                    .where(purchase_order_line.c.order_id == session.document_id)
                    .order_by(purchase_order_line.c.line_no)
                )
            ).all()
        elif session.mode == "PICK":
            order_lines = (
                await conn.execute(
                    select(sales_order_line)
                    .where(sales_order_line.c.order_id == session.document_id)
                    .order_by(sales_order_line.c.line_no)
                )
            ).all()
    if session.mode == "RECEIVE":
        async with db.read() as conn:
            base_units = dict(
                (
                    await conn.execute(
                        select(product.c.id, product.c.base_unit_id).where(
                            product.c.id.in_({ln.product_id for ln in lines})
                        )
                    )
                ).all()
            )
        receipt_lines = _split_over_lines(lines, order_lines, lambda ol: ol.qty - ol.accepted_qty)
        sources.extend(ln for _, ln, _ in receipt_lines)
        receipt_id = await receipts.do_receive_goods(
            db,
            receipts.ReceiptInput(
                order_id=session.document_id,
                lines=[
                    receipts.ReceiptLineInput(
                        received_quantity=str(scaled_to_decimal(qty)),
                        order_line_id=ol.id,
                        location_id=ln.location_id,
                        unit_id=base_units[ln.product_id],
                        lot=ln.lot,  # with a serial: the unit's production lot (kept as its batch)
                        expiry_date=ln.expiry_date,
                        serials=[ln.serial] if ln.serial else [],
                    )
                    for ol, ln, qty in receipt_lines
                ],
            ),
            principal,
            idempotency_key=key,
        )
        return await _number(db, goods_receipt, receipt_id)
    if session.mode == "PICK":
        picks = _split_over_lines(lines, order_lines, lambda ol: ol.reserved_qty)
        sources.extend(ln for _, ln, _ in picks)
        shipment_id = await shipping.do_ship_goods(
            db,
            shipping.ShipmentInput(
                order_id=session.document_id,
                lines=[
                    shipping.ShipmentLineInput(
                        order_line_id=ol.id,
                        quantity=str(scaled_to_decimal(qty * QTY_SCALE // ol.unit_factor)),
                        location_id=ln.location_id,
                        lot=ln.serial or ln.lot,
                    )
                    for ol, ln, qty in picks
                ],
            ),
            principal,
            idempotency_key=key,
        )
        return await _number(db, shipment, shipment_id)
    if session.mode in ("TRANSFER", "PUTAWAY"):
        if session.to_location_id is None:
            raise ScanningError("LOCATION_REQUIRED", "sessionId")
        sources.extend(lines)
        result = await do_transfer_stock(
            db,
            [
                StockLine(
                    product_id=ln.product_id,
                    quantity=scaled_to_decimal(ln.qty),
                    location_id=ln.location_id,
                    to_location_id=session.to_location_id,
                    lot_code=ln.serial or ln.lot,
                )
                for ln in lines
            ],
            principal=principal,
            reference=f"SCAN-{session.id}",
            idempotency_key=key,
        )
        return f"OP{result.operation_id}"
    sources.extend(lines)
    await do_record_counts(
        db,
        session.document_id,
        [
            CountEntry(
                str(scaled_to_decimal(ln.qty)),
                location_id=ln.location_id,
                product_id=ln.product_id,
                lot=ln.serial or ln.lot,
            )
            for ln in lines
        ],
        principal,
        idempotency_key=key,
    )
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


async def _number(db: Database, table, row_id: int) -> str:
    async with db.read() as conn:
        return (await conn.execute(select(table.c.number).where(table.c.id == row_id))).scalar_one()
