"""Scanning input types, and the decoding of a scan session's ID."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from schema.scalars import Quantity
from server.scanning.errors import ScanningError as DomainScanningError


@strawberry.enum(description="What a scan session does.")
class ScanMode(enum.Enum):
    RECEIVE = "RECEIVE"
    PUTAWAY = "PUTAWAY"
    PICK = "PICK"
    TRANSFER = "TRANSFER"
    COUNT = "COUNT"


@strawberry.input
class ScanItemInput:
    code: str
    scan_id: str
    quantity: Quantity | None = None
    device_time: datetime | None = None
    lot: str | None = strawberry.field(
        default=None, description="A lot typed on the device where the label carries none (GS1 set 82, ≤ 20)."
    )
    expiry_date: date | None = strawberry.field(
        default=None, description="An expiry typed on the device where the label carries none."
    )


def session_pk(global_id) -> int:
    from schema.relay import decode_id

    value = decode_id(global_id, "ScanSession")
    if value is None:
        raise DomainScanningError("NOT_FOUND", "sessionId", what="scan_session")
    return value
