"""Lot/serial traceability and expiring stock in the API."""
