"""Import errors (导入): the file itself and rows that clash with each other or with the database.

A row's own values are checked by the catalog's and the partners' rules, so their codes reach the
import's callers too (``calls``)."""

from __future__ import annotations

from server.catalog.errors import CATALOG
from server.core.errors import DomainError, error_vocabulary
from server.opening.errors import OPENING
from server.partners.errors import PARTNERS

DATA_IMPORT = error_vocabulary(
    "DataImport",
    {
        "UNREADABLE_FILE": ("无法读取文件：{detail}", "Cannot read the file: {detail}"),
        "UNSUPPORTED_FORMAT": (
            "不支持的文件格式“{detail}”：请使用 .csv 或 .xlsx。",
            "Unsupported file format “{detail}”: use .csv or .xlsx.",
        ),
        "EMPTY_FILE": ("文件中没有表头行。", "The file has no header row."),
        "TOO_MANY_ROWS": ("文件行数过多：最多 {max} 行。", "Too many rows: at most {max}."),
        "UNKNOWN_COLUMN": ("未知的列“{column}”。", "Unknown column “{column}”."),
        "MISSING_COLUMN": ("缺少必需的列“{column}”。", "Missing required column “{column}”."),
        "DUPLICATE_COLUMN": ("列“{column}”出现了两次。", "Column “{column}” appears twice."),
        "DUPLICATE_ROW": (
            "编码“{code}”在第 {row} 行已出现。",
            "Code “{code}” already appears in row {row}.",
        ),
        "UNIT_FACTOR_FIXED": (
            "单位 {unit} 的换算系数不能修改（现为 {factor}）。",
            "The factor of unit {unit} cannot change (it is {factor}).",
        ),
    },
    shared=("DUPLICATE_CODE", "INACTIVE", "TOO_MANY_DECIMALS"),
    calls=(CATALOG, PARTNERS, OPENING),
)

DataImportErrorCode = DATA_IMPORT.codes


class DataImportError(DomainError):
    """A problem of an import file as a whole (its format, its header) or of the caller's rights."""

    vocabulary = DATA_IMPORT
