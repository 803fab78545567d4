"""Report tables: the monthly stock snapshots (``stock_snapshot``, built by server/reports/snapshots.py,
refreshed by the ``stock_snapshot`` job)."""

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Table

from server.core.db_types import IdType, metadata

stock_snapshot = Table(
    "stock_snapshot",
    metadata,
    # quantity and value per product and location at the end of a completed month (server time), so that
    # "stock as of a date" reads one snapshot and the moves after it instead of the whole ledger
    Column("month_end", Date, primary_key=True),
    Column("product_id", IdType, ForeignKey("product.id"), primary_key=True, autoincrement=False),
    Column("location_id", IdType, ForeignKey("location.id"), primary_key=True, autoincrement=False),
    Column("qty", BigInteger, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
)
