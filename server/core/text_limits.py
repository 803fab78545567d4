"""Length limits of stored strings, read from the columns themselves (one place for every limit).

A ``String(n)`` column is checked at the input, before anything is written: SQLite does not enforce
``varchar`` lengths, PostgreSQL does — so a value that slips through is silently stored on one and
an unexpected ``DataError`` (``INTERNAL_ERROR``) on the other. Actions check user input with
``check_length`` (or ``length_problem`` when they collect every problem of a request first) and get
the domain's typed ``INVALID_VALUE`` with ``detail="≤ n chars"``. Strings the system derives itself
(actor labels, memos that concatenate a document number and a reason) are cut to fit with ``fit``.
"""

from __future__ import annotations

from sqlalchemy import Column

from server.core.errors import DomainError, ErrorCollector, ErrorDetail


def max_length(column: Column | int) -> int | None:
    """The column's ``String(n)`` length (``None`` for unbounded text); an int is taken as is."""
    if isinstance(column, int):
        return column
    return getattr(column.type, "length", None)


def string_length(column: Column | int) -> int:
    """The length of a column that is known to be a ``String(n)`` (an int is taken as is)."""
    limit = max_length(column)
    if limit is None:
        raise TypeError(f"{column} has no length limit")
    return limit


def length_problem(value: str | None, column: Column | int, field: str) -> ErrorDetail | None:
    """``INVALID_VALUE`` for ``field`` when ``value`` is longer than the column allows, else ``None``."""
    limit = max_length(column)
    if value is None or limit is None or len(value) <= limit:
        return None
    return ErrorDetail("INVALID_VALUE", field, {"detail": f"≤ {limit} chars"})


def collect_length(collector: ErrorCollector, value: str | None, column: Column | int, field: str) -> bool:
    """Add the problem to ``collector`` (an ``ErrorCollector``) instead of raising, so a request gets
    every problem at once; ``True`` when the value fits."""
    problem = length_problem(value, column, field)
    if problem is not None:
        collector.add(problem.code, problem.field, **problem.params)
    return problem is None


def check_length(value: str | None, column: Column | int, error_cls: type[DomainError], field: str) -> str | None:
    """Raise ``error_cls("INVALID_VALUE", field, detail="≤ n chars")`` when ``value`` does not fit."""
    problem = length_problem(value, column, field)
    if problem is not None:
        raise error_cls(problem.code, field, **problem.params)
    return value


def fit(value: str | None, column: Column | int) -> str:
    """A derived string cut to the column's length (never for user input: check that instead)."""
    value = value or ""
    limit = max_length(column)
    return value if limit is None or len(value) <= limit else value[:limit]
