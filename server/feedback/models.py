"""The feedback table: one row per message a user sent, with its assignment and answer."""

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text

from server.core.db_types import IdType, UtcDateTime, metadata

feedback = Table(
    "feedback",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),  # ≤ MESSAGE_MAX characters, checked at the input
    Column("screen", String(200), nullable=False, server_default=""),  # the console route it was sent from
    Column("request_ids", String(400), nullable=False, server_default=""),  # the last request ids, comma separated
    Column("status", String(16), nullable=False, server_default="open"),
    Column("assigned_to", IdType, ForeignKey("app_user.id"), nullable=True),
    Column("answer", Text, nullable=False, server_default=""),  # ≤ ANSWER_MAX characters
    Column("answered_by", String(96), nullable=False, server_default=""),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("created_by", String(96), nullable=False),  # the actor label (user:li, token:erp)
    Column("created_by_user_id", IdType, ForeignKey("app_user.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('problem', 'idea', 'question')", name="kind"),
    CheckConstraint("status IN ('open', 'answered', 'closed')", name="status"),
    Index("ix_feedback_status", "status", "id"),
    Index("ix_feedback_created_by_user_id", "created_by_user_id"),
)
