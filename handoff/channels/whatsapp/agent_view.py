"""What the agent console shows about WhatsApp delivery: per message its delivery
status, Twilio's error code, whether it is held for the 24-hour window, and what the
customer sent that is not text (media through the agents' proxy, locations)."""

from __future__ import annotations

from typing import Any

from handoff.channels.whatsapp import CHANNEL, window
from handoff.conversations.models import Conversation, Message
from handoff.conversations.store import as_utc


def media_url(message_id: int, index: int) -> str:
    return f"/api/agent/whatsapp/media/{message_id}/{index}"


def message_fields(message: Message) -> dict[str, Any]:
    payload = message.payload or {}
    return {
        "delivery_status": message.delivery_status,
        "delivery_error": message.delivery_error,
        "delivery_error_code": message.delivery_error_code,
        "held": bool(message.held),
        "media": [
            {"content_type": item.get("content_type"), "url": media_url(message.id, index)}
            for index, item in enumerate(payload.get("media") or [])
        ],
        "location": payload.get("location"),
    }


def conversation_fields(conversation: Conversation, messages: list[Message]) -> dict[str, Any]:
    if conversation.channel != CHANNEL:
        return {"window_closes_at": None, "held_messages": 0}
    last = conversation.last_customer_message_at
    closes = window.closes_at(as_utc(last) if last is not None else None)
    return {
        "window_closes_at": closes.isoformat() if closes is not None else None,
        "held_messages": sum(1 for m in messages if m.held),
    }
