"""The ASGI application: GraphQL (HTTP + WebSocket ``graphql-transport-ws``), our GraphiQL page with
its vendored assets, the downloads (reports, statements, labels) and ``/healthz``."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from server.auth.revocation import follow_revocations
from server.automation.jobs import JobRunner
from server.core.database import Database
from server.core.settings import Settings, load_settings
from server.events.bus import EventTailer
from server.finance.poster import PosterRunner
from server.web import downloads, graphiql, labels
from server.web.guard import bearer_token

log = logging.getLogger("jxc")


class JxcGraphQL(GraphQL):
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
            **kwargs,
        )
        self.app_state = app_state

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
        if request.scope.get("type") == "http":
            await context.sign_in(bearer_token(request.headers.get("authorization")))
        return context

    async def on_ws_connect(self, context):
        """WebSocket clients authenticate in the ``connection_init`` payload: ``{"token": "…"}`` (or
        ``{"Authorization": "Bearer …"}``); a bad token closes the connection with 4403."""
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        params = context.connection_params or {}
        token = params.get("token") or bearer_token(params.get("Authorization") or params.get("authorization"))
        await context.sign_in(token)
        if context.principal is None:
            raise ConnectionRejectionError({"code": "PERMISSION_DENIED"})
        return UNSET


def schema_for(settings: Settings):
    """The schema (introspection for signed-in callers); with ``JXC_INTROSPECTION=0`` a copy that
    refuses introspection to everybody and gives no field suggestions."""
    from schema.schema import schema, schema_without_introspection

    return schema if settings.introspection else schema_without_introspection()


def create_app(settings: Settings | None = None) -> GraphQLFastPath:

    settings = settings or load_settings()

    class State:
        pass

    state = State()
    state.settings = settings
    state.db = Database(settings.database_url)
    state.tailer = EventTailer(state.db)
    state.poster = PosterRunner(state.db)
    state.jobs = JobRunner(state.db) if settings.jobs else None

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
        try:
            await state.db.ping()
        except Exception as exc:  # the health check reports, it does not crash
            log.warning("health check failed: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": state.db.dialect})

    async def root(_request: Request):
        return RedirectResponse("/graphql")

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
            Route("/", root),
            Route("/healthz", healthz),
            *labels.ROUTES,
            *downloads.ROUTES,
            *static,
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
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
    return GraphQLFastPath(app, fast, settings.max_request_bytes)


class GraphQLFastPath:
    """Sends ``/graphql`` straight to the GraphQL app and everything else (``/healthz``, lifespan)
    through Starlette: routing and middleware cost measurable time on every mutation."""

    def __init__(self, app: Starlette, graphql_app, max_request_bytes: int):
        self.app = app
        self.graphql_app = graphql_app
        self.max_request_bytes = max_request_bytes

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
            await self.graphql_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _size_ok(self, scope) -> bool:
        """POST bodies must declare their length, and stay within ``JXC_MAX_REQUEST_BYTES``."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                return value.isdigit() and int(value) <= self.max_request_bytes
        return False
