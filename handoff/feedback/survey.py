"""The satisfaction question after a conversation closes, and the customer's answer.

When an agent closes a conversation, or the bot resolves it (the customer took leave:
``processing/resolution.py``), the service asks the rule set's
``csat_question`` text with five buttons (1–5). The answer arrives in a closed
conversation, in any channel: ``record_csat_reply`` is the one entry point the channels
call before they refuse a message to a closed conversation. It accepts a button payload
``csat:<n>`` or a message that is only the digit, and stores both the customer's message
(nothing a customer sends is lost) and the score.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations import store
from handoff.conversations.models import Conversation, Message
from handoff.conversations.state import State
from handoff.feedback.models import CsatResponse
from handoff.processing.outbox import enqueue_outbound
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import system_text

SCORES = range(1, 6)
PAYLOAD_PREFIX = "csat:"
_DIGIT_ONLY = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")


def csat_buttons() -> list[dict[str, str]]:
    return [{"title": str(n), "payload": f"{PAYLOAD_PREFIX}{n}"} for n in SCORES]


def response_of(session: Session, conversation_id: str) -> CsatResponse | None:
    return session.scalar(
        select(CsatResponse).where(CsatResponse.conversation_id == conversation_id)
    )


def ask_csat(session: Session, conversation: Conversation, *, org_name: str) -> Message | None:
    """Asks once per conversation; returns the question to dispatch after the commit, or
    None when it was asked before."""
    if response_of(session, conversation.id) is not None:
        return None
    version, rules = active_ruleset(session)
    at = store.now()
    question = enqueue_outbound(
        session,
        conversation=conversation,
        author="system",
        text=system_text(rules, "csat_question", conversation.language, org_name=org_name, at=at),
        payload={
            "kind": "csat_question",
            "text_key": "csat_question",
            "ruleset_version": version,
            "buttons": csat_buttons(),
        },
    )
    session.add(
        CsatResponse(
            conversation_id=conversation.id,
            channel=conversation.channel,
            question_message_id=question.id,
            asked_at=at,
            generated=False,
        )
    )
    session.flush()
    return question


def score_of(text: str, payload: dict[str, Any] | None) -> int | None:
    """The score in a button payload ``csat:<n>`` or a message that is just the digit."""
    button = (payload or {}).get("payload")
    if isinstance(button, str) and button.startswith(PAYLOAD_PREFIX):
        value = button.removeprefix(PAYLOAD_PREFIX)
        return int(value) if value.isdigit() and int(value) in SCORES else None
    found = _DIGIT_ONLY.match(text)
    return int(found.group(1)) if found else None


def record_csat_reply(
    session: Session,
    *,
    conversation: Conversation,
    text: str,
    payload: dict[str, Any] | None,
    channel_message_id: str,
) -> Message | None:
    """Stores a customer's answer to the satisfaction question of a closed conversation
    and returns the stored message; None (nothing stored) when the conversation is not
    closed, was not asked, was answered already, or this is not a score. The caller
    commits."""
    if conversation.state != State.closed:
        return None
    response = response_of(session, conversation.id)
    score = score_of(text, payload)
    if response is None or response.score is not None or score is None:
        return None
    message = store.append_message(
        session,
        conversation=conversation,
        direction="in",
        author="customer",
        text=text,
        payload={**(payload or {}), "kind": "csat_answer", "score": score},
        channel_message_id=channel_message_id,
        processing_status="done",  # an answer to the survey, not a turn for the bot
    )
    response.score = score
    response.answered_at = message.created_at
    response.answer_message_id = message.id
    session.flush()
    return message
