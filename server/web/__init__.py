"""Everything that speaks HTTP: the ASGI app (``app.py``), the GraphiQL page and its vendored assets
(``graphiql.py``, ``static/``), the one authentication guard of the non-GraphQL routes
(``guard.py``), parameter validation (``params.py``), and the download routes: reports and financial
statements (``downloads.py``) and barcode labels (``labels.py``).

The domain packages never import Starlette: they return data or bytes, and the routes here turn them
into responses.
"""
