"""What an agent reads: a conversation with its whole transcript (internal notes too)
and its handoff, and the agent's own open conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.agents.operations import load_conversation
from handoff.agents.queue import reason_text
from handoff.channels.whatsapp import agent_view as whatsapp_view
from handoff.conversations import store
from handoff.conversations.events import author_name, message_event
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.conversations.state import State


def _iso(moment: datetime | None) -> str | None:
    return store.as_utc(moment).isoformat() if moment is not None else None


def handoff_view(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "reason": handoff.reason,
        "reason_text": reason_text(handoff.reason),
        "evidence": handoff.evidence,
        "context": handoff.context,
        "ruleset_version": handoff.ruleset_version,
        "requested_at": _iso(handoff.requested_at),
        "claimed_at": _iso(handoff.claimed_at),
        "claimed_by": handoff.claimed_by,
        "ended_at": _iso(handoff.ended_at),
        "end_kind": handoff.end_kind,
    }


def conversation_view(session: Session, conversation: Conversation) -> dict[str, Any]:
    agent = (
        session.get(Account, conversation.assigned_agent_id)
        if conversation.assigned_agent_id is not None
        else None
    )
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "language": conversation.language,
        "state": str(conversation.state),
        "outcome": str(conversation.outcome) if conversation.outcome else None,
        "assigned_agent_id": conversation.assigned_agent_id,
        "assigned_agent_name": agent.display_name if agent else None,
        "flagged": conversation.flagged,
        "flag_reason": conversation.flag_reason,
        "email": conversation.email,
        "created_at": _iso(conversation.created_at),
        "last_customer_message_at": _iso(conversation.last_customer_message_at),
        "closed_at": _iso(conversation.closed_at),
    }


def conversation_detail(session: Session, *, conversation_id: str) -> dict[str, Any]:
    conversation = load_conversation(session, conversation_id)
    handoffs = store.handoffs_of(session, conversation.id)
    current = store.current_handoff(session, conversation.id)
    latest = current or (handoffs[-1] if handoffs else None)
    transcript = store.transcript(session, conversation.id, include_internal=True)
    return {
        "conversation": conversation_view(session, conversation)
        | whatsapp_view.conversation_fields(conversation, transcript),
        "handoff": handoff_view(latest) if latest is not None else None,
        "handoffs": [handoff_view(h) for h in handoffs],
        "messages": [
            message_event(m, author_name=author_name(session, m))
            | understood(m)
            | whatsapp_view.message_fields(m)
            for m in transcript
        ],
        "earlier_conversations": earlier_conversations(session, conversation),
    }


def understood(message: Message) -> dict[str, Any]:
    """What the NLU made of a customer turn (turns that went straight to a person were
    never parsed: both None)."""
    intent = ((message.nlu or {}).get("intent") or {}) if message.author == "customer" else {}
    return {"intent": intent.get("name"), "confidence": intent.get("confidence")}


EARLIER_LIMIT = 10


def earlier_conversations(session: Session, conversation: Conversation) -> list[dict[str, Any]]:
    """The same contact's other conversations, newest first, each with its first
    customer words and why it went to a person, so the agent sees the history."""
    others = session.scalars(
        select(Conversation)
        .where(
            Conversation.contact_id == conversation.contact_id,
            Conversation.id != conversation.id,
        )
        .order_by(Conversation.created_at.desc())
        .limit(EARLIER_LIMIT)
    )
    items = []
    for other in others:
        first = session.scalar(
            select(Message.text)
            .where(Message.conversation_id == other.id, Message.author == "customer")
            .order_by(Message.id)
            .limit(1)
        )
        handoffs = store.handoffs_of(session, other.id)
        items.append(
            {
                "id": other.id,
                "channel": other.channel,
                "state": str(other.state),
                "outcome": str(other.outcome) if other.outcome else None,
                "created_at": _iso(other.created_at),
                "closed_at": _iso(other.closed_at),
                "first_customer_text": first,
                "reasons": [h.reason for h in handoffs],
            }
        )
    return items


def my_conversations(session: Session, *, account_id: int) -> list[dict[str, Any]]:
    conversations = session.scalars(
        select(Conversation)
        .where(Conversation.state == State.human, Conversation.assigned_agent_id == account_id)
        .order_by(Conversation.updated_at.desc())
    )
    return [conversation_view(session, c) for c in conversations]
