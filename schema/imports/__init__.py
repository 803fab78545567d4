"""Imports in the API: products, suppliers and customers from CSV/XLSX (rules in ``server.imports``)."""
