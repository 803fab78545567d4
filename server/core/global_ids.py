"""Global object IDs (Relay style): ``base64("Type:pk")``.

One definition for every entry point: the GraphQL layer (``schema/relay.py``) and the HTTP routes
(``server/web``) encode and decode IDs here, so an ID accepted by one is accepted by the other, and
an ID of one type never resolves as another.
"""

from __future__ import annotations

import base64
import binascii

MAX_PK = 2**63 - 1  # BIGINT
MAX_ID_LENGTH = 200  # far longer than any ID we hand out; longer input is refused before decoding


def encode(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode(global_id: str | None) -> tuple[str, int] | None:
    """``(type name, primary key)`` of a well-formed global ID, else ``None``.

    Only canonical base64 of ``Type:digits`` is accepted: ASCII digits only (``int()`` would also take
    full-width digits, signs, spaces and underscores), a key within BIGINT and above zero."""
    if not isinstance(global_id, str) or not global_id or len(global_id) > MAX_ID_LENGTH or not global_id.isascii():
        return None
    try:
        raw = base64.b64decode(global_id, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, digits = raw.partition(":")
    if not sep or not type_name or not type_name.isidentifier() or not digits.isdigit() or len(digits) > 19:
        return None
    pk = int(digits)
    if not 0 < pk <= MAX_PK:
        return None
    return type_name, pk


def pk_of(global_id: str | None, type_name: str) -> int | None:
    """The primary key of a global ID that must be of ``type_name``; ``None`` if malformed or of another type."""
    parsed = decode(global_id)
    return parsed[1] if parsed is not None and parsed[0] == type_name else None
