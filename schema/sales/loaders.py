"""Sales' DataLoaders: orders, shipments, invoices and their lines."""

from __future__ import annotations

from functools import cached_property

from schema.batching import ById, Children, DomainLoaders, by_id, many
from schema.documents import line_joins
from server.sales.models import (
    sales_invoice,
    sales_invoice_line,
    sales_order,
    sales_order_history,
    sales_order_line,
    shipment,
    shipment_line,
)


class SalesLoaders(DomainLoaders):
    @cached_property
    def sales_order(self) -> ById:
        return by_id(self.db, sales_order)

    @cached_property
    def shipment(self) -> ById:
        return by_id(self.db, shipment)

    @cached_property
    def sales_invoice(self) -> ById:
        return by_id(self.db, sales_invoice)

    @cached_property
    def so_lines(self) -> Children:
        """An order's lines with their products and units (``schema.documents.primed_lines``)."""
        return many(
            self.db, sales_order_line, "order_id", sales_order_line.c.line_no, joins=line_joins(sales_order_line)
        )

    @cached_property
    def so_history(self) -> Children:
        return many(self.db, sales_order_history, "order_id", sales_order_history.c.id)

    @cached_property
    def shipment_lines(self) -> Children:
        return many(self.db, shipment_line, "shipment_id", shipment_line.c.line_no)

    @cached_property
    def invoice_lines(self) -> Children:
        return many(self.db, sales_invoice_line, "invoice_id", sales_invoice_line.c.line_no)
