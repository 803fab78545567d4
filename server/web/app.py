"""The ASGI application: GraphQL (HTTP + WebSocket ``graphql-transport-ws``), our GraphiQL page with
its vendored assets, the downloads (reports, statements, labels), ``/healthz``, the browser
sign-in (``/auth/session``, ``session.py``) and the web console at ``/`` (``console.py``)."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from server.auth.revocation import follow_revocations
from server.automation.jobs import JobRunner
from server.core.database import Database
from server.core.settings import Settings, load_settings
from server.core.version import jxc_version
from server.events.bus import EventTailer
from server.finance.poster import PosterRunner
from server.maintenance.scheduled import register_maintenance_jobs
from server.web import console, downloads, graphiql, labels, logs, metrics, printing, session
from server.web.guard import bearer_token, csrf_error_body, csrf_matches, csrf_refused, request_token, session_cookie

log = logging.getLogger("jxc")


class CountedTransportWS(BaseGraphQLTransportWSHandler):
    """strawberry's ``graphql-transport-ws`` handler, counting the operations it runs
    (``jxc_websocket_operations_open``)."""

    async def run_operation(self, operation) -> None:
        kind = metrics.operation_type(operation.query, operation.operation_name)
        view = cast("JxcGraphQL", self.view)
        counts = view.app_state.metrics.open_operations
        counts[kind] += 1
        try:
            await super().run_operation(operation)
        finally:
            counts[kind] -= 1


class JxcGraphQL(GraphQL):
    graphql_transport_ws_handler_class = CountedTransportWS

    def __init__(self, schema, app_state, **kwargs):
        settings = app_state.settings
        # strawberry checks a WebSocket's Origin against allowed_origins (a CORS middleware does not
        # cover the socket): the same origins as JXC_CORS_ORIGINS; same-origin and no-Origin clients
        # are always let in
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=20,
            allowed_origins=tuple(settings.cors_origins),
            graphql_ide="graphiql" if settings.graphiql else None,
            # imports upload files (GraphQL multipart); a cookie-signed request still needs its CSRF
            # token (GraphQLFastPath), so a cross-site form cannot post one
            multipart_uploads_enabled=True,
            **kwargs,
        )
        self.app_state = app_state

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        """strawberry's, timed and counted by operation type and error code (``/metrics``)."""
        started = time.perf_counter()
        codes: list[str] = []
        kind, name = metrics.operation_of(request_data.query, request_data.operation_name)
        logs.operation.set(name)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            codes = [(e.extensions or {}).get("code") or "UNSPECIFIED" for e in result.errors or ()]
            return result
        finally:
            self.app_state.metrics.observe(kind, time.perf_counter() - started, codes)

    async def render_graphql_ide(self, request):
        """Our page, with assets from /static/graphiql (strawberry's loads them from a CDN)."""
        return HTMLResponse(graphiql.PAGE)

    async def get_context(self, request, response):
        from schema.context import Context, language

        state = self.app_state
        context = Context(
            db=state.db,
            settings=state.settings,
            tailer=state.tailer,
            lang=language(request.headers.get("accept-language"), state.settings.default_language),
            request=request,
            response=response,
        )
        logs.request_id.set(context.request_id)  # in the JSON log lines of this request
        if request.scope.get("type") == "http":
            # the console keeps the last ids and attaches them to feedback (用户反馈); a WebSocket has no headers
            response.headers["x-request-id"] = context.request_id
            # the bearer token, or the session cookie with its CSRF token (a POST without it was
            # refused by GraphQLFastPath; a GET query without it runs anonymous)
            await context.sign_in(request_token(request, method="POST"))
        return context

    async def on_ws_connect(self, context):
        """WebSocket clients authenticate in the ``connection_init`` payload: ``{"token": "…"}`` (or
        ``{"Authorization": "Bearer …"}``); the console's socket is signed in by its session cookie
        and sends the session's ``{"csrfToken": "…"}``. A bad token closes the connection with 4403."""
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        params = context.connection_params or {}
        if not isinstance(params, dict):
            params = {}
        token = params.get("token") or bearer_token(params.get("Authorization") or params.get("authorization"))
        if not token:
            cookie = session_cookie(getattr(context.request, "cookies", {}) or {})
            if cookie is not None and csrf_matches(cookie, params.get("csrfToken")):
                token = cookie
        await context.sign_in(token if isinstance(token, str) else None)
        if context.principal is None:
            raise ConnectionRejectionError({"code": "PERMISSION_DENIED"})
        return UNSET


def schema_for(settings: Settings):
    """The schema (introspection for signed-in callers); with ``JXC_INTROSPECTION=0`` a copy that
    refuses introspection to everybody and gives no field suggestions."""
    from schema.schema import schema, schema_without_introspection

    return schema if settings.introspection else schema_without_introspection()


class AppState:
    """What the routes share: ``request.app.state.jxc``."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.tailer = EventTailer(self.db)
        self.poster = PosterRunner(self.db)
        if settings.jobs:
            register_maintenance_jobs(settings)  # the backup job, when JXC_BACKUP_INTERVAL_HOURS is set
        self.jobs = JobRunner(self.db) if settings.jobs else None
        self.metrics = metrics.ProcessMetrics()


def create_app(settings: Settings | None = None) -> GraphQLFastPath:
    settings = settings or load_settings()
    state = AppState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        unfollow_revocations = follow_revocations(state.tailer)
        await state.tailer.start()
        await state.poster.start()
        if state.jobs:
            await state.jobs.start()
        try:
            yield
        finally:
            if state.jobs:
                await state.jobs.stop()
            await state.poster.stop()
            await state.tailer.stop()
            unfollow_revocations()
            await state.db.dispose()

    async def healthz(_request: Request):
        """The database reachable, with this jxc's version and the schema revision it is at."""
        try:
            revision = await metrics.schema_revision(state.db)
        except Exception as exc:  # the health check reports, it does not crash
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse(
            {"status": "ok", "database": state.db.dialect, "version": jxc_version(), "revision": revision}
        )

    async def metrics_page(request: Request):
        """Prometheus text format, for ``Authorization: Bearer $JXC_METRICS_TOKEN`` only (off without it)."""
        if not settings.metrics_token:
            return PlainTextResponse("Not Found", status_code=404)
        if not metrics.token_ok(settings.metrics_token, request.headers.get("authorization")):
            return PlainTextResponse(
                "a valid metrics token is needed / 需要有效的监控令牌",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            revision = await metrics.schema_revision(state.db)
            shared = await metrics.database_lines(state.db)
            up = 1
        except Exception:  # the figures of this process are still worth having
            log.exception("metrics: the database figures could not be read")
            revision, shared, up = None, [], 0
        lines = [
            "# HELP jxc_database_up Whether this process could read the database for this scrape.",
            "# TYPE jxc_database_up gauge",
            f"jxc_database_up {up}",
            *metrics.build_info(state.db.dialect, revision),
            *state.metrics.lines(),
            *metrics.pool_lines(state.db),
            *shared,
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4; charset=utf-8")

    graphql_app = JxcGraphQL(schema_for(settings), state)
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_credentials=False,
                allow_headers=["authorization", "content-type", "accept-language"],
            )
        )
    static = [Mount("/static", StaticFiles(directory=graphiql.STATIC_DIR), name="static")] if settings.graphiql else []
    app = Starlette(
        middleware=middleware,
        routes=[
            Route("/healthz", healthz),
            Route("/metrics", metrics_page),
            *session.ROUTES,
            *labels.ROUTES,
            *downloads.ROUTES,
            *printing.ROUTES,
            *static,
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *console.routes(),  # last: its client routes catch what no other route takes
        ],
        lifespan=lifespan,
    )
    app.state.jxc = state
    fast = (
        CORSMiddleware(
            graphql_app,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "accept-language"],
        )
        if settings.cors_origins
        else graphql_app
    )
    return GraphQLFastPath(app, fast, settings.max_request_bytes, settings.max_upload_bytes)


class GraphQLFastPath:
    """Sends ``/graphql`` straight to the GraphQL app and everything else (``/healthz``, lifespan)
    through Starlette: routing and middleware cost measurable time on every mutation."""

    def __init__(self, app: Starlette, graphql_app, max_request_bytes: int, max_upload_bytes: int):
        self.app = app
        self.graphql_app = graphql_app
        self.max_request_bytes = max_request_bytes
        self.max_upload_bytes = max_upload_bytes

    def __getattr__(self, name):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("path") == "/graphql":
            if scope["type"] == "http" and scope.get("method") == "POST" and not self._size_ok(scope):
                await JSONResponse(
                    {
                        "errors": [
                            {"message": "request too large / 请求过大", "extensions": {"code": "REQUEST_TOO_LARGE"}}
                        ]
                    },
                    status_code=413,
                )(scope, receive, send)
                return
            if scope["type"] == "http" and self._csrf_refused(scope):
                request = Request(scope)
                lang = "en" if (request.headers.get("accept-language") or "").lower().startswith("en") else "zh-CN"
                err = csrf_error_body(lang)
                body = {"errors": [{"message": err["message"], "extensions": {"code": err["code"]}}]}
                await JSONResponse(body, status_code=403)(scope, receive, send)
                return
            await self.graphql_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    def _csrf_refused(scope) -> bool:
        """A cookie-signed request without its CSRF token (bearer requests skip the cookie parsing)."""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                return False
            if name == b"cookie" and b"jxc_session=" in value:
                return csrf_refused(Request(scope))
        return False

    def _size_ok(self, scope) -> bool:
        """POST bodies must declare their length, and stay within ``JXC_MAX_REQUEST_BYTES``."""
        headers = dict(scope.get("headers", ()))
        limit = self.max_request_bytes
        if headers.get(b"content-type", b"").startswith(b"multipart/form-data"):
            limit = self.max_upload_bytes  # an import file (JXC_MAX_UPLOAD_BYTES)
        value = headers.get(b"content-length", b"")
        return value.isdigit() and int(value) <= limit
