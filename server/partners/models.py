"""Supplier and customer master tables: suppliers carry payment terms and bank details, customers
credit control and invoice data; both have any number of contacts/addresses (``partner_address``)."""

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table
from sqlalchemy.schema import SchemaItem

from server.core.db_types import IdType, UtcDateTime, metadata


def _partner_table(name: str, *extra: SchemaItem) -> Table:  # columns and constraints
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
customer = _partner_table(
    "customer",
    Column("credit_rating", String(1), nullable=False, server_default="B"),  # A/B/C/D; D needs credit approval
    Column("credit_limit_fen", BigInteger, nullable=True),  # NULL: no limit checked; 0: no credit at all
    Column("payment_terms_days", Integer, nullable=False, server_default="0"),
    Column("invoice_title", String(200), nullable=False, server_default=""),  # 发票抬头
    Column("invoice_type", String(8), nullable=False, server_default="normal"),  # special 专票 | normal 普票
    Column("discount_bp", Integer, nullable=False, server_default="0"),  # default discount, 1/10000
    Column("salesperson_user_id", IdType, ForeignKey("app_user.id"), nullable=True),
    CheckConstraint("credit_rating IN ('A', 'B', 'C', 'D')", name="credit_rating"),
)

partner_address = Table(
    "partner_address",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("partner_kind", String(8), nullable=False),  # supplier | customer
    Column("partner_id", IdType, nullable=False),
    Column("kind", String(8), nullable=False),  # ship_to | bill_to | office
    Column("contact_name", String(64), nullable=False, server_default=""),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("address", String(300), nullable=False),
    Column("is_default", Boolean, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
)
Index("ix_partner_address_partner", partner_address.c.partner_kind, partner_address.c.partner_id)
