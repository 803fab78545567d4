"""Supplier and customer master tables (later issues add terms, credit and price lists)."""

from sqlalchemy import Boolean, Column, String, Table

from server.db_types import IdType, UtcDateTime, metadata


def _partner_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", IdType, primary_key=True),
        Column("code", String(32), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("contact_name", String(64), nullable=False, server_default=""),
        Column("phone", String(32), nullable=False, server_default=""),
        Column("email", String(128), nullable=False, server_default=""),
        Column("address", String(300), nullable=False, server_default=""),
        Column("tax_id", String(32), nullable=False, server_default=""),
        Column("active", Boolean, nullable=False, server_default="1"),
        Column("created_at", UtcDateTime, nullable=False),
    )


supplier = _partner_table("supplier")
customer = _partner_table("customer")
