"""The catalog's DataLoaders: units, categories, products, and a product's units and barcodes."""

from __future__ import annotations

from functools import cached_property

from schema.batching import ById, Children, DomainLoaders, by_id, many
from server.catalog.models import barcode, category, product, product_unit, unit


class CatalogLoaders(DomainLoaders):
    @cached_property
    def unit(self) -> ById:
        return by_id(self.db, unit)

    def _units(self) -> ById:
        return self.unit

    @cached_property
    def category(self) -> ById:
        return by_id(self.db, category)

    @cached_property
    def product(self) -> ById:
        return by_id(self.db, product)

    @cached_property
    def product_units(self) -> Children:
        """A product's alternative units, by product id (their units primed into ``unit``)."""
        return many(self.db, product_unit, "product_id", product_unit.c.id, with_row=(unit, "unit_id", self._units))

    @cached_property
    def barcodes(self) -> Children:
        """A product's barcodes, by product id (their pack units primed into ``unit``)."""
        return many(self.db, barcode, "product_id", barcode.c.id, with_row=(unit, "unit_id", self._units))

    @cached_property
    def child_categories(self) -> Children:
        """The sub-categories of a category, by parent id."""
        return many(self.db, category, "parent_id", category.c.code)
