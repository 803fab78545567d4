"""The error policy of the API: what a client sees of an error, and what the logs keep.

``ErrorPolicy`` (an extension) gives request errors their code and a bilingual message, a value refused
by a scalar ``INVALID_VALUE``, and masks anything else as ``INTERNAL_ERROR`` with the request id;
``JxcSchema.process_errors`` logs an unexpected exception once, with a shortened query.
"""

from __future__ import annotations

import logging
import re

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from server.core.errors import ApiError, DomainError, render_message

log = logging.getLogger("jxc.graphql")

QUERY_LOG_CHARS = 500  # an unexpected error logs this much of its query; refused requests log no query
_SECRET_LITERAL = re.compile(r'((?:password|token|secret)\w*\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)


def _cause(error: GraphQLError):
    """The exception under a GraphQL error (graphql-core wraps a refused variable twice), or ``None``."""
    cause = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause


def _refused_value(error: GraphQLError) -> bool:
    """A literal or variable a scalar refused (a float for a Quantity, "1e3", a date out of range)."""
    return (
        error.path is None
        and isinstance(_cause(error), (ValueError, TypeError))
        and not isinstance(_cause(error), GraphQLError)
    )


def is_unexpected(error: GraphQLError) -> bool:
    """An exception of our code (a bug): masked as INTERNAL_ERROR and logged at ERROR. Everything else —
    parse and validation errors, refused scalars and variables, ApiError and domain error codes — is the
    client's."""
    original = error.original_error
    if original is None or isinstance(original, (ApiError, DomainError, GraphQLError)):
        return False
    return not _refused_value(error)


def loggable_query(query: str | None) -> str:
    """One line, string values of password/token arguments blanked, at most ``QUERY_LOG_CHARS``."""
    text = _SECRET_LITERAL.sub(r'\1"***"', " ".join((query or "").split()))
    return text if len(text) <= QUERY_LOG_CHARS else text[:QUERY_LOG_CHARS] + f"… ({len(text)} chars)"


class JxcSchema(strawberry.Schema):
    """``process_errors`` is strawberry's one logging hook; it sees every error once, before ErrorPolicy
    masks it. strawberry's default logs each error at ERROR with its traceback and the whole source
    (one 300 KB anonymous request wrote 4.7 MB). Here an unexpected exception is logged once at ERROR —
    request id, operation, the query shortened, the traceback — and a refused request (permission,
    validation, bad value) is one DEBUG line without query or traceback."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        ctx = getattr(execution_context, "context", None)
        request_id = getattr(ctx, "request_id", "-")
        operation = None
        if execution_context is not None:
            try:
                operation = execution_context.operation_name
            except Exception:
                operation = None
        for error in errors:
            if is_unexpected(error):
                original = error.original_error
                log.error(
                    "unexpected error, request %s, operation %s, path %s: %s: %s; query: %s",
                    request_id,
                    operation or "-",
                    ".".join(map(str, error.path or [])) or "-",
                    type(original).__name__,
                    str(original)[:200],
                    loggable_query(getattr(execution_context, "query", None)),
                    exc_info=original,
                )
            elif log.isEnabledFor(logging.DEBUG):
                original = error.original_error
                code = getattr(original, "code", None) or (error.extensions or {}).get("code") or "REFUSED"
                log.debug(
                    "refused, request %s, operation %s: %s %s", request_id, operation or "-", code, error.message[:160]
                )


class ErrorPolicy(SchemaExtension):
    """Request errors (ApiError) keep their code and get a bilingual message; a value refused by a scalar
    or a variable type gets ``INVALID_VALUE``; any other exception is masked as ``INTERNAL_ERROR`` with the
    request id (``JxcSchema.process_errors`` has logged it). Parse and validation errors pass unchanged."""

    def on_operation(self):
        self._streamed = False
        yield
        if not self._streamed:  # subscription results were handled one by one below
            self._rewrite(self.execution_context.result)

    def on_stream_result(self, result):
        """Each subscription event's result, before it reaches the client."""
        self._streamed = True
        self._rewrite(result)
        yield None

    def _rewrite(self, result) -> None:
        if not result or not getattr(result, "errors", None):
            return
        ctx = self.execution_context.context
        lang = getattr(ctx, "lang", "zh-CN")
        request_id = getattr(ctx, "request_id", "-")
        result.errors = [self._convert(e, lang, request_id) for e in result.errors]

    @staticmethod
    def _convert(error: GraphQLError, lang: str, request_id: str) -> GraphQLError:
        original = error.original_error
        if original is None:
            return error  # parse and validation errors are the client's
        if isinstance(original, ApiError):
            return GraphQLError(
                render_message(original.code, lang, original.params),
                nodes=error.nodes,
                path=error.path,
                extensions={"code": original.code},
            )
        if isinstance(original, DomainError):  # a query has no payload: the domain's code as a GraphQL error
            detail = original.details[0]
            extensions = {"code": detail.code, **({"field": detail.field} if detail.field else {})}
            return GraphQLError(detail.message(lang), nodes=error.nodes, path=error.path, extensions=extensions)
        if not is_unexpected(error):
            if (error.extensions or {}).get("code") or not _refused_value(error):
                return error
            # a variable or literal refused by a scalar (a float for a Quantity, "1e3", a date out of range)
            return GraphQLError(
                render_message("INVALID_VALUE", lang, {"detail": error.message}),
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INVALID_VALUE"},
            )
        return GraphQLError(
            render_message("INTERNAL_ERROR", lang, {"request_id": request_id}),
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )
