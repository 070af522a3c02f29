"""The web widget: e-mail consent, the customer's live connection, e-mail deliveries

Revision ID: 0006_widget
Revises: 0005_supervisor
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_widget"
down_revision: str | Sequence[str] | None = "0005_supervisor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(
            sa.Column("email_consent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("customer_online_until", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "email_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_email_deliveries_conversation_id", "email_deliveries", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_email_deliveries_conversation_id", table_name="email_deliveries")
    op.drop_table("email_deliveries")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_column("customer_online_until")
        batch_op.drop_column("email_consent_at")
