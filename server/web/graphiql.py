"""Our GraphiQL page: every asset comes from this server (``/static/graphiql/…``, vendored in
``server/web/static/graphiql``), so the page works offline and behind firewalls. Subscriptions go
over ``graphql-transport-ws`` through GraphiQL's own fetcher (``GraphiQL.createFetcher`` with a
``subscriptionUrl``). Switched off with ``JXC_GRAPHIQL=0`` (and by ``JXC_ENV=production``)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
ASSETS = "/static/graphiql"

PAGE = f"""<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>jxc GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
    <style>body {{ margin: 0; height: 100vh; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">正在加载 GraphiQL… / Loading GraphiQL…</div>
    <script src="{ASSETS}/react.production.min.js" charset="utf-8"></script>
    <script src="{ASSETS}/react-dom.production.min.js" charset="utf-8"></script>
    <script src="{ASSETS}/graphiql.min.js" charset="utf-8"></script>
    <script src="{ASSETS}/jxc-graphiql.js" charset="utf-8"></script>
  </body>
</html>
"""
