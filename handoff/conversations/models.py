"""Contacts, conversations, their messages and handoffs: the service's durable log.

The chain follows Chatwoot: a contact in a channel → conversations → messages, where
system texts, disclosure events and agents' internal notes are messages too, so one
ordered log (``Message.id``) is the transcript and the replay cursor.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from handoff.conversations.state import Outcome, State
from handoff.db.base import Base

# Literal values kept as plain strings in the database; the names document them.
CHANNELS = ("web", "whatsapp")
DIRECTIONS = ("in", "out")
AUTHORS = ("customer", "bot", "agent", "system")
PROCESSING_STATUSES = ("pending", "processing", "done", "failed")
DELIVERY_STATUSES = ("pending", "sent", "delivered", "read", "failed", "unknown")
END_KINDS = ("handback", "closed", "transferred", "requeued", "abandoned", "expired")


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class Contact(Base):
    """A customer as one channel knows them; only a hash of their identifier is kept
    (the WhatsApp number, or the web contact token)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id_hash: Mapped[str] = mapped_column(String(64))
    # WhatsApp only: the address replies go to ("whatsapp:+31…"). Never logged.
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_state", "state"),)

    # Opaque, also Rasa's sender_id: never a phone number or anything guessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_conversation_id)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the web conversation token; WhatsApp conversations have none.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[State] = mapped_column(
        Enum(State, native_enum=False, length=16), default=State.bot
    )
    outcome: Mapped[Outcome | None] = mapped_column(Enum(Outcome, native_enum=False, length=32))
    assigned_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(2), default="nl")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))  # left by the customer, with consent
    email_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # While the web socket is open it is kept in the future; cleared when it closes.
    customer_online_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_customer_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Refreshed while the customer's web socket is open: tells a customer who waits
    # quietly from one who left (abandoned).
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_agent_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The processing lease: one worker (in any replica) runs this conversation's turns.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A channel that delivers the same message twice gets the stored row back.
        UniqueConstraint("channel", "channel_message_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_processing_status", "processing_status"),
        Index("ix_messages_delivery_status", "delivery_status"),
    )

    # Autoincrement: the order of the log and the customer's replay cursor.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # DIRECTIONS
    author: Mapped[str] = mapped_column(String(10))  # AUTHORS
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    # Buttons, sources, the system text key, events ({"kind": "disclosure_shown"}),
    # button clicks and form submissions.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    nlu: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the parse result
    features: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # per-turn features
    channel: Mapped[str] = mapped_column(String(16))
    channel_message_id: Mapped[str | None] = mapped_column(String(200))
    processing_status: Mapped[str | None] = mapped_column(String(12))  # inbound only
    delivery_status: Mapped[str | None] = mapped_column(String(12))  # outbound only
    delivery_error: Mapped[str | None] = mapped_column(Text)
    # Channel delivery with retries (WhatsApp): the provider's error code (Twilio's
    # 63016, …), attempts so far, when to try or look up again, the in-flight claim,
    # and whether it is held until the customer reopens the 24-hour window.
    delivery_error_code: Mapped[int | None] = mapped_column(Integer)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # never shown to customers
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))  # escalation.decision.Reason
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"text", "details"}
    ruleset_version: Mapped[int] = mapped_column(Integer)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the context packet
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    end_kind: Mapped[str | None] = mapped_column(String(16))  # END_KINDS
