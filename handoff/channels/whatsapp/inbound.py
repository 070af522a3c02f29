"""What a customer sends on WhatsApp, from Twilio's signed webhook into the durable log.

The number is the contact's identity (hashed for matching, kept once as the address
replies go to) and never Rasa's sender id: turns run under the opaque conversation id.
The message is stored, deduplicated on Twilio's ``MessageSid``, before Twilio is
answered; the turn worker does the rest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.channels.whatsapp import CHANNEL, formatting
from handoff.channels.whatsapp.unreadable import REQUEST_HUMAN_PAYLOAD
from handoff.conversations import store
from handoff.conversations.models import Contact, Conversation, Message
from handoff.conversations.state import State
from handoff.feedback.survey import record_csat_reply
from handoff.processing.ingest import find_by_channel_id, ingest_customer_message
from handoff.processing.outbox import enqueue_outbound
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import system_text

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_ADDRESS = re.compile(r"^whatsapp:\+[1-9]\d{6,15}$")
MAX_MEDIA = 10


MEDIA_LABELS = {
    "image": "Afbeelding",
    "audio": "Spraakbericht",
    "video": "Video",
    "application": "Document",
    "text": "Document",
}


class InvalidInbound(ValueError):
    """Signed by Twilio but not a WhatsApp message we can store."""


class Media(BaseModel):
    content_type: str
    url: str


class Location(BaseModel):
    latitude: float
    longitude: float
    address: str | None = None
    label: str | None = None


class InboundMessage(BaseModel):
    message_sid: str
    address: str = Field(repr=False)  # the customer's number: never in a repr or log
    body: str = ""
    media: list[Media] = Field(default_factory=list)
    location: Location | None = None
    button_payload: str | None = None
    button_text: str | None = None


def parse(params: dict[str, str]) -> InboundMessage:
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or ""
    if not _SID.match(sid):
        raise InvalidInbound("MessageSid is missing or malformed")
    address = params.get("From", "")
    if not _ADDRESS.match(address):
        raise InvalidInbound("From is not a WhatsApp address")
    try:
        count = min(int(params.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        raise InvalidInbound("NumMedia is not a number") from None
    media = [
        Media(
            content_type=params.get(f"MediaContentType{i}") or "application/octet-stream",
            url=params[f"MediaUrl{i}"],
        )
        for i in range(count)
        if params.get(f"MediaUrl{i}")
    ]
    location = None
    if params.get("Latitude") and params.get("Longitude"):
        try:
            location = Location(
                latitude=float(params["Latitude"]),
                longitude=float(params["Longitude"]),
                address=params.get("Address") or None,
                label=params.get("Label") or None,
            )
        except ValueError:
            raise InvalidInbound("Latitude/Longitude are not numbers") from None
    return InboundMessage(
        message_sid=sid,
        address=address,
        body=params.get("Body", ""),
        media=media,
        location=location,
        button_payload=params.get("ButtonPayload") or None,
        button_text=params.get("ButtonText") or None,
    )


def address_hash(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def _media_label(content_type: str) -> str:
    return MEDIA_LABELS.get(content_type.split("/", 1)[0], "Bijlage")


def transcript_text(message: InboundMessage) -> str:
    """What the transcript shows: the text, and a line for what the bot cannot read."""
    lines = [message.body] if message.body.strip() else []
    for item in message.media:
        lines.append(f"[{_media_label(item.content_type)}]")
    if message.location is not None:
        where = message.location.label or message.location.address
        point = f"{message.location.latitude}, {message.location.longitude}"
        lines.append(f"[Locatie: {where} ({point})]" if where else f"[Locatie: {point}]")
    return "\n".join(lines)


@dataclass
class Stored:
    message_id: int
    conversation_id: str
    created: bool
    dispatch_ids: list[int] = field(default_factory=list)
    released: int = 0


def _contact(session: Session, address: str) -> Contact:
    hashed = address_hash(address)
    contact = store.get_contact(session, channel=CHANNEL, external_id_hash=hashed)
    if contact is None:
        contact = store.create_contact(session, channel=CHANNEL, external_id_hash=hashed)
    # Locked until the commit: two first messages from one number at once must not open
    # two conversations (PostgreSQL; SQLite serialises writers anyway).
    locked = session.get(Contact, contact.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    if locked.address != address:
        locked.address = address
    return locked


def _conversation(
    session: Session, contact: Contact, org_name: str
) -> tuple[Conversation, list[int]]:
    conversation = store.open_conversation_of(session, contact.id)
    if conversation is not None:
        return conversation, []
    conversation = store.create_conversation(session, contact=contact, language="nl")
    version, rules = active_ruleset(session)
    disclosure = enqueue_outbound(
        session,
        conversation=conversation,
        author="system",
        text=system_text(rules, "disclosure", "nl", org_name=org_name, at=store.now()),
        payload={"kind": "disclosure_shown", "text_key": "disclosure", "ruleset_version": version},
    )
    return conversation, [disclosure.id]


def _content(
    session: Session, conversation: Conversation, message: InboundMessage
) -> tuple[str, dict[str, Any] | None]:
    text = transcript_text(message)
    if message.media or message.location is not None:
        payload: dict[str, Any] = {"kind": "media" if message.media else "location"}
        if message.media:
            payload["media"] = [m.model_dump() for m in message.media]
        if message.location is not None:
            payload["location"] = message.location.model_dump()
        return text, payload
    if message.button_payload:
        return message.button_text or text, {
            "kind": "button",
            "payload": message.button_payload,
            "title": message.button_text or "",
        }
    if conversation.state == State.bot:
        last_bot = store.last_bot_message(session, conversation.id)
        buttons = (last_bot.payload or {}).get("buttons") or [] if last_bot else []
        choice = formatting.chosen(message.body, buttons)
        if choice is not None:
            if choice.payload == REQUEST_HUMAN_PAYLOAD:
                return choice.title or text, {"kind": "request_human", "typed": message.body}
            return choice.title or text, {
                "kind": "button",
                "payload": choice.payload,
                "title": choice.title,
                "typed": message.body,
            }
    return text, None


def release_held(session: Session, contact_id: int) -> int:
    """The customer wrote: the window is open again, held messages may go."""
    conversation_ids = select(Conversation.id).where(Conversation.contact_id == contact_id)
    result = session.execute(
        update(Message)
        .where(Message.held.is_(True), Message.conversation_id.in_(conversation_ids))
        .values(held=False, next_attempt_at=None, delivery_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _csat_answer(session: Session, contact: Contact, message: InboundMessage) -> Message | None:
    """A digit right after a closed conversation asked how it went answers that question;
    anything else starts a new conversation."""
    if store.open_conversation_of(session, contact.id) is not None:
        return None
    latest = store.latest_conversation_of(session, contact.id)
    if latest is None or message.media or message.location is not None:
        return None
    return record_csat_reply(
        session,
        conversation=latest,
        text=message.body,
        payload=None,
        channel_message_id=message.message_sid,
    )


def store_inbound(session: Session, message: InboundMessage, *, org_name: str) -> Stored:
    """Stores the message (and, for a new conversation, the disclosure before it) and
    commits. A redelivery returns the stored row and changes nothing."""
    existing = find_by_channel_id(session, channel=CHANNEL, channel_message_id=message.message_sid)
    if existing is not None:
        return Stored(existing.id, existing.conversation_id, created=False)
    contact = _contact(session, message.address)
    answer = _csat_answer(session, contact, message)
    if answer is not None:
        return Stored(answer.id, answer.conversation_id, created=True)
    conversation, dispatch_ids = _conversation(session, contact, org_name)
    text, payload = _content(session, conversation, message)
    released = release_held(session, contact.id)
    ingested = ingest_customer_message(
        session,
        conversation=conversation,
        text=text,
        channel_message_id=message.message_sid,
        payload=payload,
    )
    if not ingested.created:
        return Stored(ingested.message.id, ingested.message.conversation_id, created=False)
    return Stored(ingested.message.id, conversation.id, True, dispatch_ids, released)
