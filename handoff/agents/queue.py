"""The queue as agents see it: waiting conversations, oldest request first, each with
the reason in plain Dutch and the summary from its context packet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations import store
from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.state import State

REASON_TEXTS = {
    "explicit_request": "vroeg om een medewerker",
    "human_only": "onderwerp voor een medewerker",
    "low_confidence": "bot begreep het niet",
    "rephrase": "klant herformuleerde",
    "frustration": "klant gefrustreerd",
    "bot_loop": "bot herhaalde zich",
    "bot_failure": "storing bij de bot",
}


def reason_text(reason: str) -> str:
    return REASON_TEXTS.get(reason, reason)


def _iso(moment: datetime | None) -> str | None:
    return store.as_utc(moment).isoformat() if moment is not None else None


def queue_item(conversation: Conversation, handoff: Handoff | None) -> dict[str, Any]:
    context = handoff.context if handoff is not None else {}
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "language": conversation.language,
        "reason": handoff.reason if handoff else None,
        "reason_text": reason_text(handoff.reason) if handoff else None,
        "waiting_since": _iso(handoff.requested_at if handoff else conversation.updated_at),
        "summary": (context or {}).get("summary"),
        "flagged": conversation.flagged,
        "flag_reason": conversation.flag_reason,
    }


def waiting_conversations(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Conversation, Handoff)
        .outerjoin(
            Handoff,
            (Handoff.conversation_id == Conversation.id) & Handoff.ended_at.is_(None),
        )
        .where(Conversation.state == State.waiting)
        .order_by(Handoff.requested_at, Conversation.created_at)
    ).all()
    items = []
    for position, (conversation, handoff) in enumerate(rows, start=1):
        items.append(queue_item(conversation, handoff) | {"queue_position": position})
    return items
