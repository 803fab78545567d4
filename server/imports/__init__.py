"""导入导出: products, suppliers and customers from and to CSV and XLSX (docs/import.md)."""
