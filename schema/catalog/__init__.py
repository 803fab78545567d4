"""The catalog API package: units, categories, products with their units and barcodes."""
