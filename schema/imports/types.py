"""The import report: what a file does (or would do) and every problem of every row."""

from __future__ import annotations

from enum import Enum

import strawberry

from server.imports.common import ImportReport as DomainReport


@strawberry.enum(description="What an import file holds.")
class ImportKind(Enum):
    PRODUCTS = "products"
    SUPPLIERS = "suppliers"
    CUSTOMERS = "customers"
    WAREHOUSES = "warehouses"
    BINS = "bins"
    OPENING = strawberry.enum_value("opening", description="期初: opening stock, open items, account balances")


@strawberry.type(description="One problem of an import file: its row (the header is row 1; 0: the file).")
class ImportRowError:
    row: int
    column: str | None
    code: str
    message: str


@strawberry.type(description="Rows read, to create, to update and unchanged (matched by code), and every error.")
class ImportReport:
    kind: ImportKind
    committed: bool = strawberry.field(description="The file was written: a commit without errors.")
    rows: int
    created: int
    updated: int
    unchanged: int
    rows_with_errors: int
    row_errors: list[ImportRowError] = strawberry.field(description="Every problem of every row, in file order.")

    @classmethod
    def of(cls, r: DomainReport, lang: str) -> ImportReport:
        english = lang.startswith("en")
        return cls(
            kind=ImportKind(r.kind),
            committed=r.committed,
            rows=r.rows,
            created=r.created,
            updated=r.updated,
            unchanged=r.unchanged,
            rows_with_errors=r.rows_with_errors,
            row_errors=[
                ImportRowError(
                    row=e.row, column=e.column, code=e.code, message=e.message_en if english else e.message_zh
                )
                for e in r.errors
            ],
        )
