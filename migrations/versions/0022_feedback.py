"""user feedback (用户反馈): problems, ideas and questions sent from a console screen, assigned and
answered by administrators (issue #21)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("screen", sa.String(length=200), server_default="", nullable=False),
        sa.Column("request_ids", sa.String(length=400), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("assigned_to", ID, nullable=True),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_by", sa.String(length=96), server_default="", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_by_user_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('problem', 'idea', 'question')", name=op.f("ck_feedback_kind")),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name=op.f("ck_feedback_status")),
        sa.ForeignKeyConstraint(["assigned_to"], ["app_user.id"], name=op.f("fk_feedback_assigned_to_app_user")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["app_user.id"], name=op.f("fk_feedback_created_by_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index("ix_feedback_status", "feedback", ["status", "id"], unique=False)
    op.create_index("ix_feedback_created_by_user_id", "feedback", ["created_by_user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_created_by_user_id", table_name="feedback")
    op.drop_index("ix_feedback_status", table_name="feedback")
    op.drop_table("feedback")
