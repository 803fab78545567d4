"""In-process GraphQL client over HTTP (httpx + ASGI transport) with the app's lifespan running."""

from __future__ import annotations

import contextlib
import dataclasses

import httpx

from server.core.settings import load_settings
from server.web.app import create_app


class GqlClient:
    """Calls as an API token with the admin role unless ``token=`` says otherwise (None: anonymous)."""

    def __init__(self, http: httpx.AsyncClient, app, token: str | None = None):
        self.http = http
        self.app = app
        self.token = token

    @property
    def db(self):
        return self.app.state.jxc.db

    async def post(
        self, query: str, variables: dict | None = None, *, lang: str | None = None, token: str | bool | None = True
    ) -> dict:
        headers = {"accept-language": lang} if lang else {}
        token = self.token if token is True else token
        if token:
            headers["authorization"] = f"Bearer {token}"
        resp = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert resp.status_code in (200, 400), resp.text
        return resp.json()

    async def upload(
        self,
        query: str,
        variables: dict,
        files: dict[str, tuple[str, bytes]],
        *,
        lang: str | None = None,
        token: str | bool | None = True,
    ) -> httpx.Response:
        """A GraphQL multipart request: ``files`` maps a variable name to (filename, content)."""
        import json

        headers = {"accept-language": lang} if lang else {}
        token = self.token if token is True else token
        if token:
            headers["authorization"] = f"Bearer {token}"
        names = list(files)
        form = {
            "operations": json.dumps({"query": query, "variables": {**variables, **dict.fromkeys(names)}}),
            "map": json.dumps({str(i): [f"variables.{n}"] for i, n in enumerate(names)}),
        }
        parts = {str(i): files[n] for i, n in enumerate(names)}
        return await self.http.post("/graphql", data=form, files=parts, headers=headers)

    async def execute(
        self, query: str, variables: dict | None = None, *, lang: str | None = None, token: str | bool | None = True
    ) -> dict:
        """Run an operation that must not produce GraphQL errors; returns ``data``."""
        body = await self.post(query, variables, lang=lang, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]


def app_settings(db_url: str, **overrides):
    return dataclasses.replace(load_settings(env_file=None), database_url=db_url, **overrides)


@contextlib.asynccontextmanager
async def gql_client(db_url: str, *, with_token: bool = True, **overrides):
    app = create_app(app_settings(db_url, **overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            client = GqlClient(http, app)
            if with_token:
                client.token = await admin_token(client.db)
            yield client


async def admin_token(db, role: str = "admin") -> str:
    """An API token with ``role`` (tokens avoid argon2's deliberate slowness in every test)."""
    from server.auth.services import do_create_api_token

    return (await do_create_api_token(db, name=f"test-{role}", role_code=role))[1]
