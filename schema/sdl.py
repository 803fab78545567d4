"""The served GraphQL schema as SDL, committed as ``schema.graphql`` at the repository root.

``make schema`` (``python -m schema.sdl``) rewrites the file from the served schema and prints what
changed for clients; ``tests/test_sdl.py`` fails while the two differ, listing the breaking and the
dangerous changes (graphql-core's ``find_breaking_changes`` / ``find_dangerous_changes``), so a
review sees what a schema change would do to clients.
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import build_schema
from graphql.utilities import find_breaking_changes, find_dangerous_changes

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


def served_sdl() -> str:
    from schema.schema import schema

    return schema.as_str() + "\n"


def client_changes(old_sdl: str, new_sdl: str) -> tuple[list[str], list[str]]:
    """The breaking and the dangerous changes from ``old_sdl`` to ``new_sdl``, one line each."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    breaking = sorted(f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new))
    dangerous = sorted(f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new))
    return breaking, dangerous


def report(old_sdl: str, new_sdl: str) -> str:
    breaking, dangerous = client_changes(old_sdl, new_sdl)
    lines = [
        f"breaking changes ({len(breaking)}):",
        *(f"  {b}" for b in breaking),
        f"dangerous changes ({len(dangerous)}):",
        *(f"  {d}" for d in dangerous),
    ]
    if not breaking and not dangerous:
        lines.append("(additions only, or descriptions and order)")
    return "\n".join(lines)


def main() -> int:
    served = served_sdl()
    old = SDL_PATH.read_text() if SDL_PATH.exists() else None
    if old == served:
        print(f"{SDL_PATH.name} is up to date")
        return 0
    if old is not None:
        print(report(old, served))
    SDL_PATH.write_text(served)
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
