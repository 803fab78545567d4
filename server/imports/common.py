"""What the product and the partner imports share: column specs, the header, the report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from server.core.errors import ErrorDetail
from server.imports.formats import FileProblem, Table, read_table

CHUNK = 500  # ids or codes per ``IN (…)`` lookup
WHOLE_TABLE_AT = 2 * CHUNK  # from this many keys a lookup reads the whole table once instead


@dataclass(frozen=True)
class Column:
    key: str  # the English column name, also the export's header
    zh: str  # the Chinese header label accepted on import
    required: bool = False  # the header must have it
    field: str | None = None  # the domain's field name in its errors (camelCase), when it differs


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as the user sees it in the file (the header is row 1; 0: the file itself)."""

    row: int
    column: str | None
    code: str
    message_zh: str
    message_en: str


@dataclass
class ImportReport:
    kind: str  # products | suppliers | customers
    committed: bool = False  # the file was written (a commit without errors)
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors if e.row > 0})

    def add(self, row: int, column: str | None, detail: ErrorDetail) -> None:
        self.errors.append(RowError(row, column, detail.code, detail.message("zh"), detail.message("en")))


class Sheet:
    """The rows of one import file as ``{column key: stripped text}``, the header checked against
    ``columns`` (English keys or the Chinese labels, in any order; unknown, repeated and missing
    required columns are errors of row 1)."""

    def __init__(self, columns: tuple[Column, ...], report: ImportReport):
        self.columns = columns
        self.report = report
        self.keys: list[str] = []
        self.rows: list[tuple[int, dict[str, str]]] = []
        # domain field name (``salePrice``) -> column key (``sale_price``)
        self._column_of = {c.field or _camel(c.key): c.key for c in columns} | {c.key: c.key for c in columns}

    def load(self, data: bytes, filename: str) -> bool:
        try:
            table = read_table(data, filename)
        except FileProblem as problem:
            params = {"detail": problem.detail} if problem.code != "TOO_MANY_ROWS" else {"max": _max_rows()}
            self.report.add(0, None, ErrorDetail(problem.code, None, params))
            return False
        return self._header(table)

    def _header(self, table: Table) -> bool:
        by_label = {c.key: c.key for c in self.columns} | {c.zh: c.key for c in self.columns}
        keys: list[str] = []
        for label in table.header:
            text = label.strip().lstrip("\ufeff").rstrip("*").strip()
            key = by_label.get(text) or by_label.get(text.lower())
            if key is None:
                self.report.add(1, text, ErrorDetail("UNKNOWN_COLUMN", text, {"column": text}))
            elif key in keys:
                self.report.add(1, key, ErrorDetail("DUPLICATE_COLUMN", key, {"column": key}))
            keys.append(key or "")
        for c in self.columns:
            if c.required and c.key not in keys:
                self.report.add(1, c.key, ErrorDetail("MISSING_COLUMN", c.key, {"column": c.key}))
        if self.report.errors:
            return False
        self.keys = keys
        for number, cells in table.rows:
            values = {key: (cells[i].strip() if i < len(cells) else "") for i, key in enumerate(keys)}
            extra = [c for c in cells[len(keys) :] if c.strip()]
            if extra:
                self.report.add(number, None, ErrorDetail("UNKNOWN_COLUMN", None, {"column": f"#{len(keys) + 1}"}))
            self.rows.append((number, values))
        self.report.rows = len(self.rows)
        return True

    def column_of(self, field_name: str | None) -> str | None:
        """The column a domain error's field names (``salePrice`` → ``sale_price``, ``units.0.factor`` → ``units``)."""
        if field_name is None:
            return None
        head = field_name.split(".", 1)[0]
        return self._column_of.get(field_name) or self._column_of.get(head) or field_name

    def add_domain_errors(self, row: int, details: Iterable[ErrorDetail], column: str | None = None) -> None:
        for d in details:
            self.report.add(row, column or self.column_of(d.field), d)


def open_sheet(kind: str, columns: tuple[Column, ...], data: bytes, filename: str) -> tuple[ImportReport, Sheet | None]:
    """The report of a ``kind`` import and the file's rows; no sheet when the file or its header is
    unreadable (the report says why)."""
    report = ImportReport(kind)
    sheet = Sheet(columns, report)
    return report, sheet if sheet.load(data, filename) else None


def concurrent_change(report: ImportReport) -> None:
    """A commit that a concurrent change made fail at the database (a code taken meanwhile): rolled back."""
    report.committed = False
    detail = "a concurrent change clashed with the file; nothing was written, run the import again"
    report.add(0, None, ErrorDetail("INVALID_VALUE", None, {"detail": detail}))


def cell(values: dict[str, str], key: str) -> str | None:
    """A cell's text; ``None`` when the column is absent or the cell empty (the stored value stays)."""
    text = values.get(key)
    return text if text else None


async def lookup(conn, query, column, keys) -> list:
    """The rows of ``query`` whose ``column`` is one of ``keys``: ``IN (…)`` in chunks for a few keys, one
    pass over the table for many (right after a bulk insert PostgreSQL's statistics are stale and each
    chunk could become a sequential scan — a cost of table × file rows)."""
    keys = sorted(set(keys))
    if not keys:
        return []
    if len(keys) >= WHOLE_TABLE_AT:
        wanted = set(keys)
        key = column.key
        return [r for r in await conn.execute(query) if r._mapping[key] in wanted]
    out: list = []
    for part in chunks(keys):
        out.extend(await conn.execute(query.where(column.in_(part))))
    return out


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _max_rows() -> int:
    from server.imports.formats import MAX_ROWS

    return MAX_ROWS
