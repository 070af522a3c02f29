"""Twilio's status callbacks: each message's delivery status and error code, for the
agent to see.

Every send carries its outbox id and part in the callback URL (``?m=<id>&p=<part>``), so
a callback also settles a send whose answer never arrived (``unknown``) without a
second send.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handoff.channels.whatsapp import CHANNEL
from handoff.channels.whatsapp.delivery import TWILIO_STATUS, error_text, progressed
from handoff.conversations.models import Message


def _wa(message: Message) -> dict[str, Any]:
    return dict((message.payload or {}).get("whatsapp") or {})


def delivery_event(message: Message) -> dict[str, Any]:
    """The live event agents' consoles get when a message's delivery changes."""
    return {
        "type": "delivery",
        "conversation_id": message.conversation_id,
        "message_id": message.id,
        "delivery_status": message.delivery_status,
        "delivery_error_code": message.delivery_error_code,
        "delivery_error": message.delivery_error,
        "held": message.held,
    }


def _overall(wa: dict[str, Any]) -> str:
    statuses = [wa["statuses"][sid] for sid in wa["sids"]]
    if "failed" in statuses:
        return "failed"
    order = ["sent", "delivered", "read"]
    return min(statuses, key=lambda s: order.index(s) if s in order else 0)


def record_sid(message: Message, *, part: int, sid: str, status: str) -> None:
    """Twilio holds part ``part`` of the message under ``sid``: the row moves on to its
    next part (pending) or, with all parts out, takes their combined status."""
    wa = _wa(message)
    sids: list[str] = list(wa.get("sids") or [])
    statuses: dict[str, str] = dict(wa.get("statuses") or {})
    if sid not in sids:
        sids.append(sid)
    statuses[sid] = progressed(statuses.get(sid), status)
    wa["sids"], wa["statuses"] = sids, statuses
    message.payload = {**(message.payload or {}), "whatsapp": wa}
    if message.channel_message_id is None:
        message.channel_message_id = sids[0]
    message.delivery_attempts = 0
    message.next_attempt_at = None
    message.send_claimed_at = None
    if len(sids) < int(wa.get("parts") or 1):
        message.delivery_status = "pending"
        message.delivery_error = None
        return
    message.delivery_status = _overall(wa)
    if message.delivery_status != "failed":
        message.delivery_error = None
        message.delivery_error_code = None


def apply_callback(
    session: Session,
    *,
    message_id: int,
    part: int,
    sid: str,
    twilio_status: str,
    error_code: int | None,
    error_message: str | None,
) -> dict[str, Any] | None:
    """Applies one status callback; returns the live event, or None when it changes
    nothing (an unknown message, a status already passed)."""
    message = session.get(Message, message_id)
    if message is None or message.channel != CHANNEL or message.direction != "out":
        return None
    status = TWILIO_STATUS.get(twilio_status)
    if status is None:
        return None
    wa = _wa(message)
    sids: list[str] = list(wa.get("sids") or [])
    # A SID we do not know yet: the send whose answer was lost did reach Twilio; it is
    # settled here and never sent again.
    settles = part == len(sids) and message.delivery_status in ("unknown", "pending")
    if sid not in sids and not settles:
        return None
    before = (message.delivery_status, message.delivery_error_code)
    record_sid(message, part=part, sid=sid, status=status)
    if status == "failed":
        message.delivery_status = "failed"
        message.delivery_error_code = error_code
        message.delivery_error = error_text(error_code, error_message or "Niet afgeleverd")
    if (message.delivery_status, message.delivery_error_code) == before:
        return None
    return delivery_event(message)
