"""Satisfaction after a conversation: one question, a score from 1 to 5."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from handoff.db.base import Base


class CsatResponse(Base):
    """One per conversation: asked when it was closed, answered (or not) by the customer."""

    __tablename__ = "csat_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    question_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[int | None] = mapped_column(Integer)  # 1..5; None: not answered (yet)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    # Rows of the demo history (python -m handoff.cli demo-history), removable as a whole.
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
