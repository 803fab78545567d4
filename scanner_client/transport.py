"""One GraphQL request to the server, telling apart what the sender must treat differently:

- ``Offline``: no answer. ``delivered`` is ``False`` when the request cannot have reached the server
  (the connection was never made: refused, no route, connect timeout) and ``True`` when it may have
  (it was sent, then the answer did not come): a scan is safe to resend either way (its ``scanId``),
  an undo is not.
- ``SignedOut``: the token is refused (revoked, expired, lacks ``scan.use``): nothing is set aside,
  the queue waits for ``jxc-scan login``.
- ``ServerError``: the server answered with an error for the request itself (``INTERNAL_ERROR``, a
  value refused, an HTTP error): the operation is set aside for review."""

from __future__ import annotations

import http.client
import json
import ssl
from urllib.parse import urlsplit


class Offline(Exception):
    def __init__(self, reason: str, *, delivered: bool):
        super().__init__(reason)
        self.delivered = delivered


class SignedOut(Exception):
    pass


class ServerError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def post(server: str, token: str, lang: str, query: str, variables: dict, timeout: float) -> dict:
    url = urlsplit(server.rstrip("/") + "/graphql")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ServerError("INVALID_VALUE", f"server URL: {server}")
    cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    conn = cls(url.hostname, url.port, timeout=timeout)
    body = json.dumps({"query": query, "variables": variables}).encode()
    try:
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:  # nothing was sent
            raise Offline(str(exc) or type(exc).__name__, delivered=False) from None
        try:
            conn.request(
                "POST",
                url.path,
                body=body,
                headers={
                    "content-type": "application/json",
                    "authorization": f"Bearer {token}",
                    "accept-language": lang,
                },
            )
            resp = conn.getresponse()
            raw = resp.read()
        except (TimeoutError, OSError, http.client.HTTPException) as exc:  # it may have arrived
            raise Offline(str(exc) or type(exc).__name__, delivered=True) from None
    finally:
        conn.close()
    if resp.status in (401, 403):
        raise SignedOut(f"HTTP {resp.status}")
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        if resp.status in (502, 503, 504):  # a proxy or a server starting or stopping: try again later
            raise Offline(f"HTTP {resp.status}", delivered=True)
        raise ServerError(f"HTTP_{resp.status}", raw[:200].decode(errors="replace"))
    errors = data.get("errors") or []
    if errors:
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        code = (first.get("extensions") or {}).get("code") or "ERROR"
        if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") and not data.get("data"):
            # every operation the client sends needs only scan.use: a refusal here is about the token
            raise SignedOut(first.get("message") or code)
        raise ServerError(code, first.get("message") or code)
    if resp.status >= 400 or not isinstance(data.get("data"), dict):
        raise ServerError(f"HTTP_{resp.status}", str(data)[:200])
    return data["data"]
