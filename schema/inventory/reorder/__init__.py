"""Reorder rules, availability, reorder suggestions and the live ``lowStock`` subscription."""
