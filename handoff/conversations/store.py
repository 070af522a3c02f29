"""Data access for conversations and their messages: plain keyword-only functions.

Callers own the transaction (they commit); these functions flush so ids exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.conversations.models import Contact, Conversation, Handoff, Message
from handoff.conversations.state import IllegalTransition, Move, Outcome, State, transition

Direction = Literal["in", "out"]
Author = Literal["customer", "bot", "agent", "system"]

# When a close does not say why, the state it closes from does.
DEFAULT_CLOSE_OUTCOME = {
    State.bot: Outcome.resolved_by_bot,
    State.waiting: Outcome.abandoned,
    State.human: Outcome.resolved_by_agent,
}


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; everything stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def get_conversation(session: Session, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def get_contact(session: Session, *, channel: str, external_id_hash: str) -> Contact | None:
    return session.scalar(
        select(Contact).where(
            Contact.channel == channel, Contact.external_id_hash == external_id_hash
        )
    )


def create_contact(session: Session, *, channel: str, external_id_hash: str) -> Contact:
    contact = Contact(channel=channel, external_id_hash=external_id_hash, created_at=now())
    session.add(contact)
    session.flush()
    return contact


def open_conversation_of(session: Session, contact_id: int) -> Conversation | None:
    """The contact's latest conversation that is not closed, if any."""
    return session.scalar(
        select(Conversation)
        .where(Conversation.contact_id == contact_id, Conversation.state != State.closed)
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )


def latest_conversation_of(session: Session, contact_id: int) -> Conversation | None:
    return session.scalars(
        select(Conversation)
        .where(Conversation.contact_id == contact_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()


def create_conversation(
    session: Session,
    *,
    contact: Contact,
    language: str = "nl",
    token_hash: str | None = None,
) -> Conversation:
    at = now()
    conversation = Conversation(
        contact_id=contact.id,
        channel=contact.channel,
        token_hash=token_hash,
        state=State.bot,
        language=language,
        flagged=False,
        created_at=at,
        updated_at=at,
    )
    session.add(conversation)
    session.flush()
    return conversation


def apply_move(
    session: Session,
    *,
    conversation: Conversation,
    move: Move,
    outcome: Outcome | None = None,
) -> None:
    """Moves the conversation through the state table, atomically.

    The UPDATE is conditional on the state the caller saw, so of two concurrent moves
    (two agents claiming at once) exactly one wins; the loser gets ``IllegalTransition``
    for the state the winner left, and nothing changes.
    Leaving ``human`` for the queue or the bot clears the assigned agent; a close keeps
    it (who resolved it) and records the outcome.
    """
    seen = State(conversation.state)
    new_state = transition(seen, move)
    at = now()
    values: dict[str, Any] = {"state": new_state, "updated_at": at}
    if move in (Move.requeue, Move.hand_back):
        values["assigned_agent_id"] = None
    if new_state is State.closed:
        values["closed_at"] = at
        values["outcome"] = outcome or DEFAULT_CLOSE_OUTCOME[seen]
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.state == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(conversation)
        raise IllegalTransition(State(conversation.state), move)
    for key, value in values.items():
        setattr(conversation, key, value)


def append_message(
    session: Session,
    *,
    conversation: Conversation,
    direction: Direction,
    author: Author,
    text: str,
    payload: dict[str, Any] | None = None,
    author_account_id: int | None = None,
    internal: bool = False,
    channel_message_id: str | None = None,
    processing_status: str | None = None,
    delivery_status: str | None = None,
) -> Message:
    at = now()
    message = Message(
        conversation_id=conversation.id,
        direction=direction,
        author=author,
        author_account_id=author_account_id,
        text=text,
        payload=dict(payload or {}),
        channel=conversation.channel,
        channel_message_id=channel_message_id,
        processing_status=processing_status,
        delivery_status=delivery_status,
        internal=internal,
        created_at=at,
    )
    session.add(message)
    conversation.updated_at = at
    if author == "customer":
        conversation.last_customer_message_at = at
    elif author == "agent" and not internal:
        conversation.last_agent_message_at = at
    session.flush()
    return message


def transcript(session: Session, conversation_id: str, *, include_internal: bool) -> list[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id)
    if not include_internal:
        query = query.where(Message.internal.is_(False))
    return list(session.scalars(query.order_by(Message.id)))


def messages_after(
    session: Session,
    conversation_id: str,
    after_id: int | None,
    *,
    include_internal: bool = False,
) -> list[Message]:
    """The replay after a reconnect: messages with an id above the client's cursor."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if after_id is not None:
        query = query.where(Message.id > after_id)
    if not include_internal:
        query = query.where(Message.internal.is_(False))
    return list(session.scalars(query.order_by(Message.id)))


def last_bot_message(session: Session, conversation_id: str) -> Message | None:
    return session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.author == "bot")
        .order_by(Message.id.desc())
        .limit(1)
    )


def current_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's handoff that has not ended yet, if any."""
    return session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None))
        .order_by(Handoff.id.desc())
        .limit(1)
    )


def handoffs_of(session: Session, conversation_id: str) -> Sequence[Handoff]:
    return session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id)
    ).all()
