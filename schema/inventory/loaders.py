"""Inventory's DataLoaders: warehouses, locations, lots, the ledger, and the lines of transfers,
counts and production orders (the sub-areas in ``schema/inventory/*/`` use these too)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from schema.batching import ById, Children, Counts, DomainLoaders, Pages, Reader, by_id, child_counts, child_pages, many
from server.inventory.models import (
    location,
    lot,
    production_order_line,
    stock_count_line,
    stock_move,
    stock_operation,
    transfer_order_line,
    warehouse,
)


class InventoryLoaders(DomainLoaders):
    def __init__(self, db: Reader):
        super().__init__(db)
        #: the moves a mutation of this request just posted, by operation: its payload needs no read-back
        self.posted_moves: dict[int, list[Any]] = {}
        self._move_pages: Pages | None = None
        self._move_counts: Counts | None = None

    @cached_property
    def warehouse(self) -> ById:
        return by_id(self.db, warehouse)

    @cached_property
    def location(self) -> ById:
        return by_id(self.db, location)

    @cached_property
    def lot(self) -> ById:
        return by_id(self.db, lot)

    @cached_property
    def operation(self) -> ById:
        return by_id(self.db, stock_operation)

    @cached_property
    def move(self) -> ById:
        return by_id(self.db, stock_move)

    @cached_property
    def location_pages(self) -> Pages:
        """Pages of a warehouse's locations by code, keyed ``(warehouse_id, offset, limit)``."""
        return child_pages(self.db, location, "warehouse_id", location.c.code)

    @cached_property
    def location_counts(self) -> Counts:
        return child_counts(self.db, location, "warehouse_id")

    def move_pages(self, where) -> Pages:
        """Pages of an operation's moves by line, keyed ``(operation_id, offset, limit)``. ``where`` (the
        caller's warehouses) is the same for the whole request: the first call's is kept."""
        if self._move_pages is None:
            self._move_pages = child_pages(self.db, stock_move, "operation_id", stock_move.c.line_no, where)
        return self._move_pages

    def move_counts(self, where) -> Counts:
        if self._move_counts is None:
            self._move_counts = child_counts(self.db, stock_move, "operation_id", where)
        return self._move_counts

    @cached_property
    def transfer_lines(self) -> Children:
        return many(self.db, transfer_order_line, "transfer_id", transfer_order_line.c.line_no)

    @cached_property
    def count_lines(self) -> Children:
        return many(self.db, stock_count_line, "count_id", stock_count_line.c.id)

    @cached_property
    def production_lines(self) -> Children:
        return many(self.db, production_order_line, "order_id", production_order_line.c.id)
