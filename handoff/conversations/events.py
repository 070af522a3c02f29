"""The live events published about a conversation (topic ``conversation:<id>``).

One shape for every subscriber: the customer's socket forwards the public part and
drops internal notes; agents' sockets get it whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.conversations.models import AUTHORS, Message
from handoff.conversations.store import as_utc


def topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


AGENTS_TOPIC = "agents"


def author_name(session: Session, message: Message) -> str | None:
    if message.author != "agent" or message.author_account_id is None:
        return None
    account = session.get(Account, message.author_account_id)
    return account.display_name if account else None


def message_event(message: Message, *, author_name: str | None) -> dict[str, Any]:
    payload = message.payload or {}
    return {
        "type": "message",
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "author": message.author,
        "author_name": author_name,
        "text": message.text,
        "buttons": payload.get("buttons", []),
        "sources": payload.get("sources", []),
        "kind": payload.get("kind"),
        "internal": message.internal,
        "created_at": as_utc(message.created_at).isoformat(),
    }


CUSTOMER_FIELDS = ("id", "author", "author_name", "text", "buttons", "sources", "created_at")


def speaker_kind(event: dict[str, Any]) -> str:
    """Who the customer is told says a message: ``bot``, ``agent``, ``customer`` or
    ``system`` (the service itself).

    The disclosure is stored as a system message (the service guarantees it), but it is
    the assistant presenting itself in the first person, so it is labelled as the bot:
    that label is the point of the disclosure. Every other system text is the service's.
    """
    author = str(event.get("author") or "system")
    if author == "system" and event.get("kind") == "disclosure_shown":
        return "bot"
    return author if author in AUTHORS else "system"


def customer_frame(event: dict[str, Any]) -> dict[str, Any]:
    """The ``message`` frame of the customer protocol (docs/customer-protocol.md), live
    and in a replay alike: the widget labels a message by its ``kind`` only."""
    return {
        "type": "message",
        **{key: event.get(key) for key in CUSTOMER_FIELDS},
        "kind": speaker_kind(event),
    }
