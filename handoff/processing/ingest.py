"""Storing what a customer sent, before anything else happens to it.

The row is committed before the channel is acknowledged, and a channel's redelivery of
the same message id returns the stored row instead of a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.conversations import store
from handoff.conversations.models import Conversation, Message


@dataclass(frozen=True)
class Ingested:
    message: Message
    created: bool  # False: a redelivery, the stored row is returned


def find_by_channel_id(
    session: Session, *, channel: str, channel_message_id: str
) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.channel == channel, Message.channel_message_id == channel_message_id
        )
    )


def ingest_customer_message(
    session: Session,
    *,
    conversation: Conversation,
    text: str,
    channel_message_id: str,
    payload: dict[str, Any] | None = None,
) -> Ingested:
    """Stores an inbound customer message (processing pending) and commits."""
    existing = find_by_channel_id(
        session, channel=conversation.channel, channel_message_id=channel_message_id
    )
    if existing is not None:
        return Ingested(existing, created=False)
    try:
        with session.begin_nested():
            message = store.append_message(
                session,
                conversation=conversation,
                direction="in",
                author="customer",
                text=text,
                payload=payload,
                channel_message_id=channel_message_id,
                processing_status="pending",
            )
        session.commit()
    except IntegrityError:
        # The same delivery raced us through another connection or replica.
        session.rollback()
        existing = find_by_channel_id(
            session, channel=conversation.channel, channel_message_id=channel_message_id
        )
        if existing is None:
            raise
        return Ingested(existing, created=False)
    return Ingested(message, created=True)


def customer_messages_since(session: Session, conversation_id: str, since: Any) -> list[Message]:
    """For flood control: the customer's messages in a window, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.author == "customer",
                Message.created_at >= since,
            )
            .order_by(Message.id)
        )
    )
