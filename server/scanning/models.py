"""Scan sessions (the handheld workflow) and every scan they received."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from server.core.db_types import IdType, UtcDateTime, metadata

scan_session = Table(
    "scan_session",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("mode", String(10), nullable=False),  # RECEIVE | PICK | TRANSFER | COUNT
    Column("status", String(10), nullable=False),  # open | completed | cancelled
    Column("document_id", IdType, nullable=True),  # the PO, SO or count the session works on
    Column("document_number", String(20), nullable=False, server_default=""),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=True),  # the bin scanned last
    Column("to_location_id", IdType, ForeignKey("location.id"), nullable=True),  # transfer destination
    Column("result_number", String(20), nullable=False, server_default=""),  # the receipt, shipment… posted
    Column("scans", Integer, nullable=False, server_default="0"),  # records so far: the next scan's seq
    Column("actor", String(96), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime, nullable=True),
)

scan_record = Table(
    "scan_record",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("session_id", IdType, ForeignKey("scan_session.id"), nullable=False, index=True),
    Column("scan_id", String(128), nullable=False),  # the client's id: a repeated scan is applied once
    Column("code", String(300), nullable=False),
    Column("kind", String(10), nullable=False),  # product | location
    Column("product_id", IdType, ForeignKey("product.id"), nullable=True),
    Column("location_id", IdType, ForeignKey("location.id"), nullable=True),
    Column("qty", BigInteger, nullable=False, server_default="0"),  # scaled base units
    Column("lot", String(64), nullable=True),
    Column("serial", String(64), nullable=True),
    Column("expiry_date", Date, nullable=True),
    Column("undone", Boolean, nullable=False, server_default="0"),
    Column("answer", Text, nullable=False),  # JSON: what the worker was told
    Column("device_time", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seq", Integer, nullable=False),
    UniqueConstraint("scan_id"),
)
Index("ix_scan_record_session_serial", scan_record.c.session_id, scan_record.c.serial)

scan_tally = Table(
    "scan_tally",
    metadata,
    # what a session holds per product (not undone), kept with each scan: no re-summing per scan
    Column("session_id", IdType, ForeignKey("scan_session.id"), nullable=False),
    Column("product_id", IdType, ForeignKey("product.id"), nullable=False),
    Column("qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("session_id", "product_id"),
)
