"""The web console: the built single-page app (``console/dist``, made by ``make console``) served at ``/``.

* ``/`` and every client route (a path without a file extension outside the server's own prefixes,
  e.g. ``/purchasing/orders/123``) answer ``index.html`` — the console's router takes it from there;
* ``/assets/…`` are Vite's hashed files, cached for a year; ``index.html`` is never cached, so a new
  build is picked up at once;
* nothing comes from a CDN: a Content-Security-Policy lets the page load only from this server and
  talk only to it (HTTP and WebSocket).

Without a build (no Node on the machine) ``/`` redirects to GraphiQL at ``/graphql`` as before. The
folder is ``console/dist`` of the source tree, or ``JXC_CONSOLE_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "console" / "dist"
# the server's own paths: never answered with the console's page
# the server's own prefixes; the downloads under /finance/, /imports/, /exports/ and /print/ all end in
# a file name (``.pdf``, ``.xlsx`` …), which no console route does, so /finance/vouchers stays the console's
RESERVED = ("/graphql", "/healthz", "/static/", "/assets/", "/auth/", "/reports/", "/labels/")
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "cache-control": "no-cache",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def console_dir() -> Path | None:
    """The built console, or ``None`` when there is none."""
    folder = Path(os.environ.get("JXC_CONSOLE_DIR") or DEFAULT_DIR)
    return folder if (folder / "index.html").is_file() else None


def is_client_route(path: str) -> bool:
    """A console route: not one of the server's prefixes, and no file extension in the last segment."""
    if any(path == r.rstrip("/") or path.startswith(r) for r in RESERVED):
        return False
    return "." not in path.rsplit("/", 1)[-1]


class ImmutableFiles(StaticFiles):
    """Vite's content-hashed assets: the name changes with the content, so they never go stale."""

    async def get_response(self, path, scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def routes(folder: Path | None = None) -> list[BaseRoute]:
    """``/`` and the client routes (put these last: the catch-all must not shadow any other route)."""
    folder = folder or console_dir()
    if folder is None:

        async def to_graphiql(_request: Request):
            return RedirectResponse("/graphql")

        return [Route("/", to_graphiql)]
    index = folder / "index.html"

    async def page(request: Request) -> Response:
        path = request.url.path
        if not is_client_route(path):
            return JSONResponse({"error": {"code": "NOT_FOUND", "message": "not found"}}, status_code=404)
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    # favicon and other top-level files Vite copies from console/public
    top = [
        Route(f"/{f.name}", _file(f))
        for f in sorted(folder.iterdir())
        if f.is_file() and f.name != "index.html" and not f.name.startswith(".")
    ]
    assets = [Mount("/assets", ImmutableFiles(directory=folder / "assets"), name="console-assets")]
    if not (folder / "assets").is_dir():
        assets = []
    return [*assets, *top, Route("/", page), Route("/{path:path}", page, methods=["GET", "HEAD"])]


# the handheld page (/scan) is an installable web app: its manifest and its service worker are top-level
# files too; the worker must never be cached (browsers then see a new build at once) and is scoped to /
TOP_TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript; charset=utf-8"}
NO_CACHE = {"sw.js", "manifest.webmanifest"}


def _file(path: Path):
    headers = {"cache-control": "no-cache" if path.name in NO_CACHE else "public, max-age=3600"}
    if path.name == "sw.js":
        headers["service-worker-allowed"] = "/"

    async def serve(_request: Request) -> Response:
        return FileResponse(path, media_type=TOP_TYPES.get(path.suffix), headers=headers)

    return serve
