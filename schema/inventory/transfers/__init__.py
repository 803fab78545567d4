"""Transfers between warehouses (调拨在途) in the API."""
