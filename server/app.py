"""The ASGI application: GraphQL (HTTP + WebSocket ``graphql-transport-ws``), GraphiQL and ``/healthz``."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from server.database import Database
from server.events.bus import EventTailer
from server.settings import Settings, load_settings

log = logging.getLogger("jxc")


class JxcGraphQL(GraphQL):
    def __init__(self, schema, app_state, **kwargs):
        super().__init__(schema, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         max_subscriptions_per_connection=20, **kwargs)
        self.app_state = app_state

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


def bearer_token(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def create_app(settings: Settings | None = None) -> GraphQLFastPath:
    from schema.schema import schema

    settings = settings or load_settings()

    class State:
        pass

    state = State()
    state.settings = settings
    state.db = Database(settings.database_url)
    state.tailer = EventTailer(state.db)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await state.tailer.start()
        try:
            yield
        finally:
            await state.tailer.stop()
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

    graphql_app = JxcGraphQL(schema, state)
    app = Starlette(
        routes=[
            Route("/", root),
            Route("/healthz", healthz),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
        ],
        lifespan=lifespan,
    )
    app.state.jxc = state
    return GraphQLFastPath(app, graphql_app)


class GraphQLFastPath:
    """Sends ``/graphql`` straight to the GraphQL app and everything else (``/healthz``, lifespan)
    through Starlette: routing and middleware cost measurable time on every mutation."""

    def __init__(self, app: Starlette, graphql_app: JxcGraphQL):
        self.app = app
        self.graphql_app = graphql_app

    def __getattr__(self, name):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("path") == "/graphql":
            await self.graphql_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)
