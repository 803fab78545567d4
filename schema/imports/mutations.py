"""``importData``: a CSV or XLSX file by GraphQL multipart upload, as a dry run or a commit."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.errors import DataImportError, run_action
from schema.imports.types import ImportKind, ImportReport
from server.imports.errors import DataImportErrorCode
from server.imports.opening import import_opening
from server.imports.partners import import_partners
from server.imports.products import import_products
from server.imports.warehouses import import_warehouses


@strawberry.type
class ImportPayload:
    report: ImportReport | None
    errors: list[DataImportError]


@strawberry.type
class ImportsMutation:
    @strawberry.mutation(
        description=(
            "导入: check a products, suppliers, customers, warehouses or bins file (.csv UTF-8/GB18030 or .xlsx) and, with "
            "commit, write all of it or nothing. Rows are matched by their codes: the same file twice "
            "changes nothing. OPENING posts opening balances (docs/opening.md) as one entry, once per file. "
            "Upload it as GraphQL multipart (the `file` variable)."
        ),
        extensions=needs("catalog.edit", "partner.edit", "warehouse.edit", "finance.admin"),
    )
    async def import_data(self, info: Info, kind: ImportKind, file: Upload, commit: bool = False) -> ImportPayload:
        data = await file.read()  # type: ignore[attr-defined]
        filename = getattr(file, "filename", None) or "upload.csv"
        db, principal = info.context.db, info.context.principal

        async def action():
            if kind is ImportKind.PRODUCTS:
                return await import_products(db, data, filename, principal, commit=commit)
            if kind is ImportKind.OPENING:
                return await import_opening(db, data, filename, principal, commit=commit)
            if kind in (ImportKind.WAREHOUSES, ImportKind.BINS):
                return await import_warehouses(db, kind.value, data, filename, principal, commit=commit)
            return await import_partners(db, kind.value[:-1], data, filename, principal, commit=commit)

        report, errors = await run_action(info, DataImportErrorCode, action)
        return ImportPayload(
            report=None if report is None else ImportReport.of(report, info.context.lang), errors=errors
        )
