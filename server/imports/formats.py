"""Reading and writing the import files: CSV (UTF-8 with or without BOM, else GB18030 as Chinese
Excel saves it) and XLSX (the first sheet). Every cell is read as text; nothing here knows columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

FORMATS = ("csv", "xlsx")
MAX_ROWS = 100_000  # data rows in one file
_ZIP_MAGIC = b"PK\x03\x04"


class FileProblem(Exception):
    """The file cannot be read as a table: ``code`` is one of the DataImport codes, ``detail`` its text."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the user sees it — the header is row 1, cells)


def file_format(filename: str, data: bytes) -> str:
    name = filename.lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if "." not in name.rsplit("/", 1)[-1]:
        return "csv"
    raise FileProblem("UNSUPPORTED_FORMAT", name.rsplit(".", 1)[-1])


def read_table(data: bytes, filename: str) -> Table:
    """The header row and the data rows of a file; entirely empty rows are left out."""
    fmt = file_format(filename, data)
    raw = _read_xlsx(data) if fmt == "xlsx" else _read_csv(data)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in raw:
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise FileProblem("TOO_MANY_ROWS")
    if header is None:
        raise FileProblem("EMPTY_FILE")
    while header and not header[-1].strip():  # trailing empty header cells (Excel keeps formatted columns)
        header.pop()
    return Table(header, rows)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileProblem("UNREADABLE_FILE", "not UTF-8 or GB18030 text") from exc


def _read_csv(data: bytes):
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:  # pragma: no cover - a broken BOM-prefixed file
        raise FileProblem("UNREADABLE_FILE", "not UTF-8 text") from exc
    if "\x00" in text:
        raise FileProblem("UNREADABLE_FILE", "binary data")
    try:
        yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
    except csv.Error as exc:
        raise FileProblem("UNREADABLE_FILE", str(exc)) from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # Excel numbers: 12 → "12", 12.5 → "12.5" (the shortest exact text)
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, InvalidFileException)
        raise FileProblem("UNREADABLE_FILE", f"not an XLSX workbook ({type(exc).__name__})") from exc
    try:
        if not workbook.worksheets:
            raise FileProblem("EMPTY_FILE")
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def write_table(header: list[str], rows: list[list[str]], fmt: str) -> bytes:
    """A file with ``header`` and ``rows``: CSV as UTF-8 with a BOM (Excel then reads it as UTF-8), XLSX
    with every cell as text (codes and barcodes keep their leading zeros)."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_cols(min_row=1, max_row=sheet.max_row):
            for cell in cells:
                cell.number_format = "@"
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise FileProblem("UNSUPPORTED_FORMAT", fmt)
