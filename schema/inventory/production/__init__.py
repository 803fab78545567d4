"""Bills of materials and production orders (生产领料 / 生产入库) in the API."""
