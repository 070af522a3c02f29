"""Test helpers: conversations in a given state, built with the core's own functions
(the same path a real escalation takes, minus Rasa)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from handoff.conversations import store
from handoff.conversations.handoffs import open_handoff
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.db.session import session_scope
from handoff.escalation.decision import Decision, Reason
from handoff.rulesets.store import active_ruleset


def bot_conversation(app: FastAPI, *, channel: str = "web", text: str = "Hallo") -> str:
    with session_scope(app.state.sessionmaker) as session:
        contact = store.create_contact(session, channel=channel, external_id_hash=uuid.uuid4().hex)
        conversation = store.create_conversation(session, contact=contact, language="nl")
        store.append_message(
            session,
            conversation=conversation,
            direction="in",
            author="customer",
            text=text,
            processing_status="done",
        )
        return conversation.id


def waiting_conversation(
    app: FastAPI,
    *,
    channel: str = "web",
    text: str = "Ik wil een medewerker spreken",
    reason: Reason = Reason.explicit_request,
) -> str:
    conversation_id = bot_conversation(app, channel=channel, text=text)
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        version, rules = active_ruleset(session)
        open_handoff(
            session,
            conversation=conversation,
            decision=Decision(reason, "klant vroeg om een medewerker"),
            ruleset_version=version,
            rules=rules,
            org_name=app.state.settings.org_name,
        )
    return conversation_id


def stored_conversation(app: FastAPI, conversation_id: str) -> Conversation:
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        session.expunge(conversation)
        return conversation


def stored_messages(app: FastAPI, conversation_id: str) -> list[Message]:
    with session_scope(app.state.sessionmaker) as session:
        messages = store.transcript(session, conversation_id, include_internal=True)
        session.expunge_all()
        return messages


def stored_handoffs(app: FastAPI, conversation_id: str) -> list[Handoff]:
    with session_scope(app.state.sessionmaker) as session:
        handoffs = list(store.handoffs_of(session, conversation_id))
        session.expunge_all()
        return handoffs
