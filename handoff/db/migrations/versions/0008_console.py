"""canned_replies for the agent console, with a few defaults to start from

Revision ID: 0008_console
Revises: 0007_analytics
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_console"
down_revision: str | Sequence[str] | None = "0007_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_REPLIES = [
    ("Begroeting", "nl", "Hoi, ik ben je collega van de klantenservice. Ik lees even mee."),
    (
        "Even geduld",
        "nl",
        "Dank je voor je geduld. Ik zoek het voor je uit en kom zo bij je terug.",
    ),
    ("Klantnummer vragen", "nl", "Wil je je klantnummer en postcode met me delen?"),
    (
        "Afsluiten",
        "nl",
        "Fijn dat ik je kon helpen. Heb je nog een vraag, dan kun je hier altijd terecht.",
    ),
    ("Greeting", "en", "Hi, I'm your colleague from customer service. Let me read along."),
    ("One moment", "en", "Thanks for your patience. I'm looking into it and will be right back."),
]


def upgrade() -> None:
    table = op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_canned_replies_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    op.bulk_insert(
        table,
        [{"title": title, "language": lang, "text": text} for title, lang, text in DEFAULT_REPLIES],
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
