"""Printing errors (单据打印): only the common codes (a document that does not exist, a permission or
warehouse the caller lacks, a paper that is not offered)."""

from __future__ import annotations

from server.core.errors import DomainError, error_vocabulary

PRINTING = error_vocabulary("Printing", {})

PrintingErrorCode = PRINTING.codes


class PrintingError(DomainError):
    """A document that cannot be printed for this caller."""

    vocabulary = PRINTING
