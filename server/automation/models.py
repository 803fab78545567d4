"""Scheduled jobs (with their lease and last result), the automation log and stored demand forecasts (the
monthly stock snapshots the jobs refresh are the reports' table: server/reports/models.py)."""

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Integer, String, Table, Text

from server.core.db_types import IdType, UtcDateTime, metadata

job = Table(
    "job",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("interval_seconds", Integer, nullable=False),
    Column("next_run_at", UtcDateTime, nullable=False),
    # a run is owned by whoever set the lease (a conditional UPDATE): one run at a time across processes;
    # a crashed run's lease expires and the job runs again
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("cursor", BigInteger, nullable=False, server_default="0"),  # last journal event looked at
    Column("last_started_at", UtcDateTime, nullable=True),
    Column("last_finished_at", UtcDateTime, nullable=True),
    Column("last_status", String(8), nullable=False, server_default=""),  # ok | error
    Column("last_result", Text, nullable=False, server_default=""),
    Column("runs", Integer, nullable=False, server_default="0"),
)

automation_log = Table(
    "automation_log",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("automation", String(40), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("trigger", String(40), nullable=False),  # schedule | stock.low | manual
    Column("summary", Text, nullable=False),  # JSON: what it did
)

demand_forecast = Table(
    "demand_forecast",
    metadata,
    Column("product_id", IdType, ForeignKey("product.id"), primary_key=True, autoincrement=False),
    Column("warehouse_id", IdType, ForeignKey("warehouse.id"), primary_key=True, autoincrement=False),
    Column("method", String(32), nullable=False),
    Column("mape", String(16), nullable=False, server_default=""),  # percent as a decimal string; "" = n/a
    Column("next_week", String(24), nullable=False),  # base units, decimal string
    Column("safety_stock", String(24), nullable=False),
    Column("reorder_point", String(24), nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
)
