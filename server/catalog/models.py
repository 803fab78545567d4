"""Catalog tables: units of measure, categories, products, alternative units and barcodes."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from server.core.db_types import IdType, UtcDateTime, metadata

unit = Table(
    "unit",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("name_en", String(64), nullable=False, server_default=""),
    Column("precision", Integer, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    CheckConstraint("precision >= 0 AND precision <= 6", name="precision_range"),
)

category = Table(
    "category",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("parent_id", IdType, ForeignKey("category.id"), nullable=True, index=True),
    Column("active", Boolean, nullable=False, server_default="1"),
)

product = Table(
    "product",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("spec", String(200), nullable=False, server_default=""),
    Column("category_id", IdType, ForeignKey("category.id"), nullable=True, index=True),
    Column("base_unit_id", IdType, ForeignKey("unit.id"), nullable=False),
    Column("sale_price_fen", BigInteger, nullable=False, server_default="0"),
    Column("purchase_price_fen", BigInteger, nullable=False, server_default="0"),
    Column("vat_rate_bp", Integer, nullable=False, server_default="1300"),
    Column("reorder_point", BigInteger, nullable=False, server_default="0"),
    Column("reorder_qty", BigInteger, nullable=False, server_default="0"),
    Column("tracking", String(8), nullable=False, server_default="none"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("tracking IN ('none', 'lot', 'serial')", name="tracking"),
    CheckConstraint("sale_price_fen >= 0 AND purchase_price_fen >= 0", name="prices"),
    CheckConstraint("reorder_point >= 0 AND reorder_qty >= 0", name="reorder"),
    CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate"),
)

product_unit = Table(
    "product_unit",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    Column("unit_id", IdType, ForeignKey("unit.id"), nullable=False),
    # base units per one of this unit, scaled by numbers.QTY_SCALE (box of 12 = 12_000_000)
    Column("factor", BigInteger, nullable=False),
    UniqueConstraint("product_id", "unit_id"),
    CheckConstraint("factor > 0", name="factor_positive"),
)

barcode = Table(
    "barcode",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False, index=True),
    # NULL means the product's base unit
    Column("unit_id", IdType, ForeignKey("unit.id"), nullable=True),
    Column("kind", String(16), nullable=False),
    CheckConstraint("kind IN ('gtin', 'internal')", name="kind"),
)
