"""Standard Webhooks signatures (https://www.standardwebhooks.com/, the spec's "symmetric" scheme).

* The secret is ``whsec_`` + Base64 of 24 to 64 random bytes; the bytes are the HMAC key.
* Each request carries ``webhook-id`` (the message id, the same on every retry), ``webhook-timestamp``
  (Unix seconds of this attempt) and ``webhook-signature``: ``v1,<Base64 of HMAC-SHA256(key,
  "<id>.<timestamp>.<body>")>``, several of them separated by spaces while a rotated secret is still in
  its grace period (the receiver accepts the request if any one verifies).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64
TOLERANCE = 300  # seconds: what a receiver should accept between the timestamp and its clock


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes | None:
    """The HMAC key of a well-formed secret, else ``None``."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES else None


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` entry of the header."""
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(k, message_id, timestamp, body) for k in keys)


def verify(
    secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE
) -> bool:
    """What a receiver does (used by the tests and offered as the reference in docs/integrations.md):
    the timestamp is recent and one of the signatures is ours, compared in constant time."""
    key = secret_key(secret)
    lower = {k.lower(): v for k, v in headers.items()}
    message_id, stamp, header = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if key is None or not message_id or not stamp or not header or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    expected = sign(key, message_id, int(stamp), body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split(" "))
