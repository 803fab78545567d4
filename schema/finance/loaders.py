"""Finance's DataLoaders: the lines of vouchers."""

from __future__ import annotations

from functools import cached_property

from schema.batching import Children, DomainLoaders, many
from server.finance.models import voucher_line


class FinanceLoaders(DomainLoaders):
    @cached_property
    def voucher_lines(self) -> Children:
        return many(self.db, voucher_line, "voucher_id", voucher_line.c.line_no)
