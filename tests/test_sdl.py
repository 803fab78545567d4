"""The committed SDL (``schema.graphql``) is the served schema; a difference lists what would break
clients. Regenerate it with ``make schema`` after a deliberate schema change."""

from __future__ import annotations

import difflib

import pytest

from schema.sdl import SDL_PATH, client_changes, report, served_sdl


def test_committed_sdl_is_the_served_schema():
    assert SDL_PATH.exists(), "schema.graphql is missing: run `make schema`"
    committed, served = SDL_PATH.read_text(), served_sdl()
    if committed == served:
        return
    diff = list(
        difflib.unified_diff(
            committed.splitlines(), served.splitlines(), "schema.graphql (committed)", "served schema", lineterm="", n=1
        )
    )
    shown = "\n".join(diff[:120]) + (f"\n… {len(diff) - 120} more diff lines" if len(diff) > 120 else "")
    pytest.fail(
        "the served GraphQL schema differs from schema.graphql; if the change is meant, run "
        f"`make schema` and commit the file.\n{report(committed, served)}\n{shown}",
        pytrace=False,
    )


def test_the_report_names_breaking_and_dangerous_changes():
    old = "type Query { a: Int b(x: Int): String }\nenum Color { RED GREEN }\ntype T { c: Color }"
    new = "type Query { b(x: Int, y: Int = 1): String }\nenum Color { RED GREEN BLUE }\ntype T { c: Color }"
    breaking, dangerous = client_changes(old, new)
    assert breaking == ["FIELD_REMOVED: Field Query.a was removed."]
    assert "VALUE_ADDED_TO_ENUM: Enum value Color.BLUE was added." in dangerous
    assert any(d.startswith("OPTIONAL_ARG_ADDED") for d in dangerous)
    text = report(old, new)
    assert "breaking changes (1):" in text and "Query.a was removed" in text
