"""Supplier and customer master tables (suppliers also carry payment terms and bank details)."""

from sqlalchemy import Boolean, Column, Integer, String, Table

from server.db_types import IdType, UtcDateTime, metadata


def _partner_table(name: str, *extra: Column) -> Table:
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
        *extra,
    )


supplier = _partner_table(
    "supplier",
    Column("payment_terms_days", Integer, nullable=False, server_default="0"),
    Column("currency", String(3), nullable=False, server_default="CNY"),
    Column("bank_name", String(100), nullable=False, server_default=""),
    Column("bank_account", String(64), nullable=False, server_default=""),
)
customer = _partner_table("customer")
