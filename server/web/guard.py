"""The one authentication guard of every non-GraphQL route (downloads, labels), and the credentials
of every request: a bearer token, or the browser console's session cookie with its CSRF token.

``Authorization: Bearer <token>`` is authenticated with ``server.auth.services.authenticate``;
permissions are decided by ``server.auth.scope``.

Browser sessions (``server/web/session.py`` signs in): the session token travels in the HttpOnly,
``SameSite=Strict`` cookie ``jxc_session``; every cookie-authenticated request that can change
something (any method but GET/HEAD — so every ``POST /graphql``) must also carry the header
``X-CSRF-Token`` equal to the readable cookie ``jxc_csrf``, which is derived from the session token
(``csrf_token_for``): another site can neither read it nor compute it. A WebSocket signed in by the
cookie sends it as ``csrfToken`` in its ``connection_init`` payload. A bearer token, when present,
is used and the cookie ignored — API clients are unchanged. Errors are typed JSON,
``{"error": {"code": …, "message": …}}``, in the caller's language (``Accept-Language``: ``en`` →
English, otherwise Chinese; no header: ``JXC_LANGUAGE``), with messages from
``server.core.errors.render_message``:

* 401 ``PERMISSION_DENIED`` (sign-in needed) without a token, or with an invalid, expired or
  revoked one;
* 403 ``PERMISSION_DENIED`` naming the permission the caller lacks;
* 400 for a malformed parameter (``INVALID_VALUE``, ``INVALID_ID``, …) and for domain errors,
  404 for objects that do not exist.

Routes are written as ``@guarded(permission)`` functions of ``(request, principal)``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.auth import scope
from server.auth.services import Principal, authenticate
from server.core.errors import DomainError, render_message

SIGN_IN = "sign-in / 登录"
NOT_FOUND_CODES = frozenset({"NOT_FOUND", "UNKNOWN_BARCODE"})


class Text:
    """A message parameter in both languages (e.g. the ``detail`` of ``INVALID_VALUE``)."""

    __slots__ = ("en", "zh")

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return self.en

    def pick(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class WebError(Exception):
    """A request refused with ``status`` and a typed error ``code`` (message from ``render_message``)."""

    def __init__(self, status: int, code: str, **params):
        self.status = status
        self.code = code
        self.params = params
        super().__init__(f"{status} {code}")


def language(request: Request) -> str:
    """``en`` when the caller's first ``Accept-Language`` is English, otherwise Chinese (zh-CN)."""
    header = (request.headers.get("accept-language") or "").strip().lower()
    if not header:
        state = getattr(request.app.state, "jxc", None)
        header = (state.settings.default_language if state is not None else "zh-CN").lower()
    first = header.split(",")[0].split(";")[0].strip()
    return "en" if first.startswith("en") else "zh-CN"


def error_response(
    request: Request, status: int, code: str, params: dict | None = None, message: str | None = None
) -> JSONResponse:
    lang = language(request)
    params = {k: v.pick(lang) if isinstance(v, Text) else v for k, v in (params or {}).items()}
    if code == "CSRF_REFUSED":
        message = csrf_error_body(lang)["message"]
    body = {"error": {"code": code, "message": message or render_message(code, lang, params)}}
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


SESSION_COOKIE = "jxc_session"
CSRF_COOKIE = "jxc_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
CSRF_REFUSED = {
    "zh-CN": "缺少或错误的 CSRF 令牌（浏览器会话的请求须带 X-CSRF-Token 请求头）。",
    "en": "Missing or wrong CSRF token (requests of a browser session need the X-CSRF-Token header).",
}


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a browser session: derived from the (secret, HttpOnly) session token, so the
    server keeps no state for it and no other site can know it."""
    return hashlib.sha256(b"jxc-csrf\x00" + session_token.encode()).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token_for(session_token), str(presented))


def session_cookie(cookies: Mapping[str, str]) -> str | None:
    return cookies.get(SESSION_COOKIE) or None


def request_token(request, method: str | None = None) -> str | None:
    """The token a request (or WebSocket) is signed in with: the bearer token; else the session
    cookie — for methods other than GET/HEAD only with the matching ``X-CSRF-Token`` header."""
    token = bearer_token(request.headers.get("authorization"))
    if token:
        return token
    cookie = session_cookie(request.cookies)
    if cookie is None:
        return None
    method = method or getattr(request, "method", "GET")
    if method in SAFE_METHODS or csrf_matches(cookie, request.headers.get(CSRF_HEADER)):
        return cookie
    return None


def csrf_refused(request) -> bool:
    """A cookie-authenticated request that may change something and lacks the right CSRF token (no
    bearer token; a session cookie; not GET/HEAD; ``X-CSRF-Token`` missing or wrong)."""
    if bearer_token(request.headers.get("authorization")) or request.method in SAFE_METHODS:
        return False
    cookie = session_cookie(request.cookies)
    return cookie is not None and not csrf_matches(cookie, request.headers.get(CSRF_HEADER))


def csrf_error_body(lang: str) -> dict:
    return {"code": "CSRF_REFUSED", "message": CSRF_REFUSED["en" if lang.startswith("en") else "zh-CN"]}


async def authorize(request: Request, permissions: Iterable[str]) -> Principal:
    """The signed-in caller, holding every one of ``permissions``; else ``WebError`` 401 / 403.
    Downloads opened from the console are GET links: the session cookie signs them in."""
    if csrf_refused(request):
        raise WebError(403, "CSRF_REFUSED")
    principal = await authenticate(request.app.state.jxc.db, request_token(request))
    if principal is None:
        raise WebError(401, "PERMISSION_DENIED", permission=SIGN_IN)
    for permission in permissions:
        if not scope.can(principal, permission):
            raise WebError(403, "PERMISSION_DENIED", permission=permission)
    return principal


Endpoint = Callable[[Request, Principal], Awaitable[Response]]


def guarded(permission: str | Callable[[Request], Iterable[str]]):
    """A route for signed-in callers holding ``permission`` (or the permissions a function of the
    request names). Typed errors: ``WebError`` as raised, ``DomainError`` → 400 (404 for missing
    objects), ``ValueError`` → 400 ``INVALID_VALUE``. Anything else is a bug and stays a 500."""

    def decorate(endpoint: Endpoint):
        @functools.wraps(endpoint)
        async def route(request: Request) -> Response:
            try:
                needed = [permission] if isinstance(permission, str) else list(permission(request))
                principal = await authorize(request, needed)
                return await endpoint(request, principal)
            except WebError as exc:
                return error_response(request, exc.status, exc.code, exc.params)
            except DomainError as exc:
                d = exc.details[0]
                status = 404 if d.code in NOT_FOUND_CODES else 403 if d.code == "PERMISSION_DENIED" else 400
                return error_response(request, status, d.code, message=d.message(language(request)))
            except ValueError as exc:  # a domain check on a value the route let through
                return error_response(request, 400, "INVALID_VALUE", {"detail": str(exc)})

        return route

    return decorate
