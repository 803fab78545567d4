"""Scanning input types, and the decoding of a scan session's ID."""

from __future__ import annotations

import enum
from datetime import datetime

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


def session_pk(global_id) -> int:
    from schema.relay import decode_id

    value = decode_id(global_id, "ScanSession")
    if value is None:
        raise DomainScanningError("NOT_FOUND", "sessionId", what="scan_session")
    return value
