"""The one authentication guard of every non-GraphQL route (downloads, labels).

``Authorization: Bearer <token>`` is authenticated with ``server.auth.services.authenticate``;
permissions are decided by ``server.auth.scope``. Errors are typed JSON,
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
from collections.abc import Awaitable, Callable, Iterable

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
    body = {"error": {"code": code, "message": message or render_message(code, lang, params)}}
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


async def authorize(request: Request, permissions: Iterable[str]) -> Principal:
    """The signed-in caller, holding every one of ``permissions``; else ``WebError`` 401 / 403."""
    principal = await authenticate(request.app.state.jxc.db, bearer_token(request.headers.get("authorization")))
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
                status = 404 if d.code in NOT_FOUND_CODES else 400
                return error_response(request, status, d.code, message=d.message(language(request)))
            except ValueError as exc:  # a domain check on a value the route let through
                return error_response(request, 400, "INVALID_VALUE", {"detail": str(exc)})

        return route

    return decorate
