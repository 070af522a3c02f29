"""A conversation the bot resolved: the customer took leave and the bot said goodbye.

Closing it there, with the outcome ``resolved_by_bot``, is what makes "contained by the
bot" a fact rather than a guess from silence, and it is the moment to ask the
satisfaction question, as after an agent closes. A later message starts a new
conversation (the widget and WhatsApp both do that); an answer to the question is
recorded in the closed one (``feedback.survey.record_csat_reply``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from handoff.audit.record import record
from handoff.conversations import store
from handoff.conversations.models import Conversation
from handoff.conversations.state import Move, Outcome
from handoff.feedback.survey import ask_csat
from handoff.rasa.schemas import BotMessage

# The assistant's farewell (bot/data/rules.yml: on "goodbye", also when it ends a form).
GOODBYE_RESPONSES = frozenset({"utter_goodbye"})


def says_goodbye(messages: Sequence[BotMessage]) -> bool:
    """The bot's answer to this turn takes leave of the customer."""
    return any(m.response in GOODBYE_RESPONSES for m in messages)


def close_resolved(session: Session, conversation: Conversation, *, org_name: str) -> list[int]:
    """Closes a conversation the bot holds as resolved by the bot and asks how it went;
    the ids of the messages to dispatch (the question). Raises ``IllegalTransition`` when
    the conversation left state ``bot`` meanwhile."""
    store.apply_move(
        session, conversation=conversation, move=Move.close, outcome=Outcome.resolved_by_bot
    )
    record(
        session,
        action=f"conversation.{Outcome.resolved_by_bot.value}",
        object_type="conversation",
        object_id=conversation.id,
    )
    question = ask_csat(session, conversation, org_name=org_name)
    return [question.id] if question is not None else []
