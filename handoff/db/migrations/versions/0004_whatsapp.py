"""WhatsApp through Twilio: the contact's address and per-message delivery retries

Revision ID: 0004_whatsapp
Revises: 0003_conversation_last_seen
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_whatsapp"
down_revision: str | Sequence[str] | None = "0003_conversation_last_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("delivery_error_code", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("delivery_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("send_claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_messages_delivery_status", ["delivery_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_delivery_status")
        batch_op.drop_column("held")
        batch_op.drop_column("send_claimed_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("delivery_attempts")
        batch_op.drop_column("delivery_error_code")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("address")
