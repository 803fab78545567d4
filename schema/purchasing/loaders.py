"""Purchasing's DataLoaders: orders, receipts, bills, their lines, and payment allocations."""

from __future__ import annotations

from functools import cached_property

from schema.batching import ById, Children, DomainLoaders, by_id, many
from schema.documents import line_joins
from server.purchasing.models import (
    goods_receipt,
    goods_receipt_line,
    payment_allocation,
    purchase_order,
    purchase_order_history,
    purchase_order_line,
    supplier_bill,
    supplier_bill_line,
)


class PurchasingLoaders(DomainLoaders):
    @cached_property
    def purchase_order(self) -> ById:
        return by_id(self.db, purchase_order)

    @cached_property
    def receipt(self) -> ById:
        return by_id(self.db, goods_receipt)

    @cached_property
    def bill(self) -> ById:
        return by_id(self.db, supplier_bill)

    @cached_property
    def po_lines(self) -> Children:
        """An order's lines with their products and units (``schema.documents.primed_lines``)."""
        return many(
            self.db,
            purchase_order_line,
            "order_id",
            purchase_order_line.c.line_no,
            joins=line_joins(purchase_order_line),
        )

    @cached_property
    def po_history(self) -> Children:
        return many(self.db, purchase_order_history, "order_id", purchase_order_history.c.id)

    @cached_property
    def receipt_lines(self) -> Children:
        return many(self.db, goods_receipt_line, "receipt_id", goods_receipt_line.c.line_no)

    @cached_property
    def bill_lines(self) -> Children:
        return many(self.db, supplier_bill_line, "bill_id", supplier_bill_line.c.line_no)

    @cached_property
    def allocations_by_payment(self) -> Children:
        return many(self.db, payment_allocation, "payment_id", payment_allocation.c.id)
