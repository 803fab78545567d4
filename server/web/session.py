"""Browser sessions for the web console: sign in to a cookie, sign out.

* ``POST /auth/session`` with JSON ``{"username": …, "password": …}`` signs in through
  ``server.auth.services.do_login`` — the same session, throttle per address and per-account lock as
  the ``login`` mutation — and sets two cookies: ``jxc_session`` (the session token; HttpOnly,
  ``SameSite=Strict``, ``Path=/``, ``Secure`` over HTTPS and in production) and ``jxc_csrf`` (the
  session's CSRF token, readable by the console's script, which sends it back as ``X-CSRF-Token``;
  ``server/web/guard.py`` checks it). The token itself never reaches the page's script.
  Answers ``{"ok": true, "expiresAt": …, "csrfToken": …}``, or ``{"ok": false, "errors": [{"field",
  "code", "message"}]}`` (401 ``INVALID_CREDENTIALS``, 429 ``TOO_MANY_ATTEMPTS``) in the caller's
  language, like the API's payload errors.
* ``DELETE /auth/session`` (or ``POST /auth/logout``), with the CSRF header, ends the session
  (``do_logout``: audited, every server process forgets it, its subscriptions end) and clears both
  cookies. Without a session it only clears the cookies.

Both refuse a cross-site ``Origin`` (403), and sign-in takes only ``application/json`` (a cross-site
form cannot send it without a preflight).
"""

from __future__ import annotations

import json
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.auth.errors import AuthError
from server.auth.services import authenticate, do_login, do_logout
from server.core.clock import utcnow
from server.web.guard import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    csrf_error_body,
    csrf_refused,
    csrf_token_for,
    language,
    session_cookie,
)

MAX_FIELD = 256


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.jxc.settings.environment == "production"


def same_origin(request: Request) -> bool:
    """No ``Origin`` header (not a cross-site browser request), this server's own origin, or one of
    ``JXC_CORS_ORIGINS``."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == own or origin in request.app.state.jxc.settings.cors_origins


def _refused(request: Request, status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "errors": [{"field": field, "code": code, "message": message}]}, status)


def _cross_site(request: Request) -> JSONResponse:
    zh, en = "不接受来自其他站点的请求。", "Requests from another site are refused."
    return _refused(request, 403, "CROSS_SITE_REFUSED", en if language(request) == "en" else zh)


def _set_cookies(response: JSONResponse, request: Request, token: str, expires: datetime) -> None:
    max_age = max(0, int((expires - utcnow()).total_seconds()))
    secure = _secure(request)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(token),
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )


def _clear_cookies(response: JSONResponse, request: Request) -> None:
    secure = _secure(request)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=False, samesite="strict", secure=secure)


async def sign_in(request: Request) -> JSONResponse:
    lang = language(request)
    if not same_origin(request):
        return _cross_site(request)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        zh, en = "请求须为 application/json。", "The request must be application/json."
        return _refused(request, 415, "INVALID_VALUE", en if lang == "en" else zh)
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip():
        zh, en = "请输入用户名和密码。", "Enter a username and a password."
        return _refused(request, 400, "INVALID_VALUE", en if lang == "en" else zh, "username")
    if len(username) > MAX_FIELD or len(password) > MAX_FIELD or "\x00" in username + password:
        zh, en = (
            "用户名或密码过长或含有不允许的字符。",
            "The username or password is too long or has a forbidden character.",
        )
        return _refused(request, 400, "INVALID_VALUE", en if lang == "en" else zh, "username")
    client = request.client.host if request.client and request.client.host else ""
    try:
        token, expires = await do_login(request.app.state.jxc.db, username, password, client=client)
    except AuthError as exc:
        d = exc.details[0]
        status = 429 if d.code == "TOO_MANY_ATTEMPTS" else 401
        return _refused(request, status, d.code, d.message(lang), d.field)
    response = JSONResponse({"ok": True, "expiresAt": expires.isoformat(), "csrfToken": csrf_token_for(token)})
    _set_cookies(response, request, token, expires)
    return response


async def sign_out(request: Request) -> JSONResponse:
    if not same_origin(request):
        return _cross_site(request)
    if csrf_refused(request):
        err = csrf_error_body(language(request))
        return _refused(request, 403, err["code"], err["message"])
    token = session_cookie(request.cookies)
    db = request.app.state.jxc.db
    principal = await authenticate(db, token) if token else None
    if token and principal is not None and principal.kind == "user":
        await do_logout(db, token, principal=principal)
    response = JSONResponse({"ok": True})
    _clear_cookies(response, request)
    return response


ROUTES = [
    Route("/auth/session", sign_in, methods=["POST"]),
    Route("/auth/session", sign_out, methods=["DELETE"]),
    Route("/auth/logout", sign_out, methods=["POST"]),
]
