"""Refuse NUL bytes and lone surrogates in any text of a request, before any resolver runs.

PostgreSQL (asyncpg) refuses ``\\x00`` in text and a lone surrogate (``\\ud800``–``\\udfff``) cannot be
encoded as UTF-8 at all, so either would end deep in a resolver as an unexpected exception. One check
covers every entry point: the string literals of the parsed document (arguments, input fields, nested
lists, default values of variables) and the variable values (any depth, keys included). The check runs
in ``on_execute``, after parsing and validation and before execution — also for subscriptions.

``graphql-core`` refuses a raw NUL or a lone surrogate *escape* in a literal itself (a syntax error), so
in practice literals carry them as ``"\\u0000"``; JSON request bodies carry both in variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError, StringValueNode, visit
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from server.core.errors import ApiError

_BAD = re.compile("[\x00\ud800-\udfff]")


def bad_text(value: str) -> bool:
    return _BAD.search(value) is not None


def _refusal(where: str) -> ApiError:
    return ApiError(
        "INVALID_VALUE",
        detail=f"{where}: NUL (\\u0000) and lone surrogates are not allowed in text "
        f"/ 文本中不能含有 NUL 或孤立代理字符",
    )


def _bad_in_value(value, path: str, depth: int = 0) -> str | None:
    """The path of the first bad string inside a variable value (JSON: dicts, lists, scalars)."""
    if depth > 64:  # JSON nesting deeper than any input of ours; the schema refuses it anyway
        return None
    if isinstance(value, str):
        return path if bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and bad_text(key):
                return path
            found = _bad_in_value(item, f"{path}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _bad_in_value(item, f"{path}.{i}", depth + 1)
            if found:
                return found
    return None


class _Strings(Visitor):
    def __init__(self):
        super().__init__()
        self.bad = False

    def enter_string_value(self, node: StringValueNode, *_args):
        if bad_text(node.value):
            self.bad = True
            return Visitor.BREAK
        return None


def bad_text_in_request(document, variables: dict | None) -> str | None:
    """Where the first NUL/lone surrogate of a request is (``"query"`` or ``"$name.path"``), else ``None``."""
    if document is not None:
        strings = _Strings()
        visit(document, strings)
        if strings.bad:
            return "query"
    for name, value in (variables or {}).items():
        found = _bad_in_value(value, f"${name}")
        if found:
            return found
    return None


class TextGuard(SchemaExtension):
    """The request is refused with ``INVALID_VALUE`` (a GraphQL error) and nothing executes."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        where = bad_text_in_request(ctx.graphql_document, ctx.variables)
        if where is not None:
            error = _refusal(where)
            if ctx.operation_type is OperationType.SUBSCRIPTION:
                raise error  # strawberry reports an exception of on_execute as the stream's only result
            # queries and mutations: a result set here means graphql-core is not called at all
            ctx.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])
        yield
