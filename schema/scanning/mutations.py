"""Scan session mutations and their payloads: start, scan (one or a batch), undo, complete."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import ScanningError, to_payload_errors
from schema.relay import to_global_id
from schema.scalars import Quantity, quantity_of
from schema.scanning.inputs import ScanItemInput, ScanMode, session_pk
from schema.scanning.types import ScanAnswer
from server.core.audit import audited
from server.scanning import sessions
from server.scanning.errors import ScanningError as DomainScanningError
from server.scanning.errors import ScanningErrorCode


def _answer(a, lang: str) -> ScanAnswer:
    return ScanAnswer(
        ok=a.ok,
        kind=a.kind,
        message=a.message_en if lang.startswith("en") else a.message_zh,
        replayed=a.replayed,
        done=quantity_of(a.done),
        needed=quantity_of(a.needed),
    )


@strawberry.type
class ScanSessionPayload:
    session_id: strawberry.ID | None
    errors: list[ScanningError]


@strawberry.type
class ScanPayload:
    answer: ScanAnswer | None
    errors: list[ScanningError]


@strawberry.type(description="The result of one scan of a batch: its answer, or why it was refused.")
class BatchScanResult:
    scan_id: str
    answer: ScanAnswer | None
    errors: list[ScanningError]


@strawberry.type
class ScanBatchPayload:
    results: list[BatchScanResult]
    errors: list[ScanningError] = strawberry.field(description="About the batch itself (session, size).")


@strawberry.type
class CompletePayload:
    document_number: str | None = strawberry.field(description="The receipt, shipment, transfer or count posted.")
    errors: list[ScanningError]


async def _run(info: Info, action):
    try:
        with audited(info.context.actor, info.field_name):
            return await action(), []
    except DomainScanningError as exc:
        return None, to_payload_errors(exc, ScanningErrorCode, info.context.lang)


@strawberry.type
class ScanningMutation:
    @strawberry.mutation(
        description="Start a scan session: RECEIVE against a PO, PICK against an SO, COUNT against "
        "a stock count (by number), or TRANSFER.",
        extensions=needs("scan.use"),
    )
    async def start_scan_session(
        self,
        info: Info,
        mode: ScanMode,
        document_number: str = "",
        location_code: str = "",
        idempotency_key: str | None = None,
    ) -> ScanSessionPayload:
        pk, errors = await _run(
            info,
            lambda: sessions.do_start_session(
                info.context.db,
                mode.value,
                info.context.principal,
                document_number=document_number,
                location_code=location_code,
                idempotency_key=idempotency_key,
            ),
        )
        return ScanSessionPayload(session_id=None if errors else to_global_id("ScanSession", pk), errors=errors)

    @strawberry.mutation(
        description="One scan. `scanId` (made by the device) is the idempotency key: the same scan "
        "sent again returns the first answer.",
        extensions=needs("scan.use"),
    )
    async def scan(
        self,
        info: Info,
        session_id: strawberry.ID,
        code: str,
        scan_id: str,
        quantity: Quantity | None = None,
        device_time: datetime | None = None,
        gs_substitute: str = "",
        lot: str | None = None,
        expiry_date: date | None = None,
    ) -> ScanPayload:
        answer, errors = await _run(
            info,
            lambda: sessions.do_scan(
                info.context.db,
                session_pk(session_id),
                code,
                scan_id,
                info.context.principal,
                quantity=quantity,
                device_time=device_time,
                gs_substitutes=gs_substitute[:4],
                lot=lot,
                expiry_date=expiry_date,
            ),
        )
        return ScanPayload(answer=None if errors else _answer(answer, info.context.lang), errors=errors)

    @strawberry.mutation(
        description="Several scans in order, in one transaction (a buffered handheld, an offline "
        "queue being replayed); each scanId is applied once and gets its own answer or "
        "error.",
        extensions=needs("scan.use"),
    )
    async def scan_batch(
        self, info: Info, session_id: strawberry.ID, scans: list[ScanItemInput], gs_substitute: str = ""
    ) -> ScanBatchPayload:
        items = [sessions.ScanInput(s.code, s.scan_id, s.quantity, s.device_time, s.lot, s.expiry_date) for s in scans]
        results, errors = await _run(
            info,
            lambda: sessions.do_scan_batch(
                info.context.db, session_pk(session_id), items, info.context.principal, gs_substitutes=gs_substitute[:4]
            ),
        )
        lang = info.context.lang
        return ScanBatchPayload(
            errors=errors,
            results=[
                BatchScanResult(scan_id=item.scan_id, answer=None, errors=to_payload_errors(r, ScanningErrorCode, lang))
                if isinstance(r, DomainScanningError)
                else BatchScanResult(scan_id=item.scan_id, answer=_answer(r, lang), errors=[])
                for item, r in zip(items, results or [])
            ],
        )

    @strawberry.mutation(description="Take back the last product scan of a session.", extensions=needs("scan.use"))
    async def undo_last_scan(self, info: Info, session_id: strawberry.ID) -> ScanPayload:
        answer, errors = await _run(
            info, lambda: sessions.do_undo_last_scan(info.context.db, session_pk(session_id), info.context.principal)
        )
        return ScanPayload(
            answer=None if errors or answer is None else _answer(answer, info.context.lang), errors=errors
        )

    @strawberry.mutation(
        description="Post the session through the document services (receipt, shipment, transfer, "
        "count entries); repeating it posts once.",
        extensions=needs("scan.use"),
    )
    async def complete_scan_session(self, info: Info, session_id: strawberry.ID) -> CompletePayload:
        number, errors = await _run(
            info, lambda: sessions.do_complete_session(info.context.db, session_pk(session_id), info.context.principal)
        )
        return CompletePayload(document_number=number, errors=errors)
