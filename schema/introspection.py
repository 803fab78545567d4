"""Who may look at the schema.

* Default (``JXC_INTROSPECTION=1``): introspection (``__schema``, ``__type``) is for signed-in
  callers; an anonymous one gets ``PERMISSION_DENIED`` and nothing else. ``__typename`` is always
  fine. Anonymous callers get no "Did you mean …?" suggestions either, which would spell the schema
  out field by field.
* ``JXC_INTROSPECTION=0`` (the default with ``JXC_ENV=production``): nobody may introspect — the
  schema is built with graphql-core's ``NoSchemaIntrospectionCustomRule`` (``schema/schema.py``) —
  and suggestions are off for everybody (``StrawberryConfig(disable_field_suggestions=True)`` strips
  them from "Cannot query field" errors; ``NoSuggestions`` from every other message: unknown
  arguments, types, enum values and input fields).

``schema/schema.py`` asks ``extensions_for(rules)`` and ``suggestions_disabled(rules)`` when it
builds a schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, NoSchemaIntrospectionCustomRule, Visitor, visit
from graphql.language.visitor import BREAK
from strawberry.extensions import SchemaExtension

from server.core.errors import render_message

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_MENTIONS = re.compile(r"__(?:schema|type)\b")  # __typename does not match
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class _FindIntrospection(Visitor):
    def __init__(self):
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_args):
        if node.name.value in INTROSPECTION_FIELDS:
            self.found = True
            return BREAK
        return None


def asks_for_introspection(query: str | None, document) -> bool:
    """Whether the operation document selects ``__schema`` or ``__type`` (fragments included)."""
    if not query or not _MENTIONS.search(query) or document is None:
        return False  # the cheap test: nearly no query mentions them at all
    finder = _FindIntrospection()
    visit(document, finder)
    return finder.found


def _principal(execution_context):
    return getattr(execution_context.context, "principal", None)


def _without_suggestions(errors: list[GraphQLError] | None) -> list[GraphQLError] | None:
    """Copies without "Did you mean …?" (the validation cache shares error objects across requests:
    they are not changed in place)."""
    if not errors or not any("Did you mean" in e.message for e in errors):
        return errors
    out = []
    for e in errors:
        if "Did you mean" not in e.message:
            out.append(e)
            continue
        out.append(
            GraphQLError(
                _SUGGESTION.sub("", e.message),
                nodes=e.nodes,
                source=e.source,
                positions=e.positions,
                path=e.path,
                original_error=e.original_error,
                extensions=e.extensions,
            )
        )
    return out


class NoSuggestions(SchemaExtension):
    """Strips "Did you mean …?" from validation and execution errors — for everybody (``always``)
    or for anonymous callers only."""

    always = False

    def _applies(self) -> bool:
        return self.always or _principal(self.execution_context) is None

    def on_operation(self) -> Iterator[None]:
        yield
        # the final result (validation errors and execution errors alike) is set by now
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None) and self._applies():
            result.errors = _without_suggestions(result.errors)


class NoSuggestionsForAnybody(NoSuggestions):
    always = True


class SignedInIntrospection(SchemaExtension):
    """Anonymous introspection is answered with ``PERMISSION_DENIED`` before anything executes."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if _principal(ctx) is None and asks_for_introspection(ctx.query, ctx.graphql_document):
            lang = getattr(ctx.context, "lang", "zh-CN")
            message = render_message("PERMISSION_DENIED", lang, {"permission": "sign-in / 登录"})
            ctx.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(message, extensions={"code": "PERMISSION_DENIED"})]
            )
        yield


def suggestions_disabled(rules) -> bool:
    """Introspection off (the schema refuses it at validation) means suggestions off too."""
    return NoSchemaIntrospectionCustomRule in rules


def extensions_for(rules) -> list:
    """The schema extensions that go with the validation ``rules`` a schema is built with."""
    if suggestions_disabled(rules):
        return [NoSuggestionsForAnybody]
    return [SignedInIntrospection, NoSuggestions]
