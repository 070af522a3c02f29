"""The moment a person takes over is part of the transcript: claim and transfer store a
system message with the agent's name, in the customer's language, for the outbox."""

from __future__ import annotations

from fastapi import FastAPI

from handoff.conversations import store
from handoff.conversations.models import Message
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import create_staff
from tests.handoff.agents.acting import act
from tests.handoff.agents.waiting import waiting_conversation


def last_message(app: FastAPI, conversation_id: str) -> Message:
    with session_scope(app.state.sessionmaker) as session:
        message = store.transcript(session, conversation_id, include_internal=True)[-1]
        session.expunge(message)
        return message


def set_language(app: FastAPI, conversation_id: str, language: str) -> None:
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        conversation.language = language


def test_claim_tells_the_customer_who_they_are_talking_to(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    sanne = create_staff(app, "sanne@example.nl", name="Sanne")

    effects = act(app, sanne, "claim", conversation_id=conversation_id)

    joined = last_message(app, conversation_id)
    assert joined.author == "system" and not joined.internal
    assert joined.text == "Je praat nu met Sanne, medewerker klantenservice."
    assert joined.payload == {"kind": "agent_joined", "agent_name": "Sanne"}
    assert joined.delivery_status == "pending"
    assert effects.message_ids == [joined.id]  # delivered after the commit


def test_an_english_conversation_hears_it_in_english(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    set_language(app, conversation_id, "en")
    sanne = create_staff(app, "sanne@example.nl", name="Sanne")

    act(app, sanne, "claim", conversation_id=conversation_id)

    assert last_message(app, conversation_id).text == (
        "You are now talking to Sanne, customer service team member."
    )


def test_a_transfer_announces_the_new_agent(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    sanne = create_staff(app, "sanne@example.nl", name="Sanne")
    bram = create_staff(app, "bram@example.nl", name="Bram")
    act(app, sanne, "claim", conversation_id=conversation_id)

    effects = act(app, sanne, "transfer", conversation_id=conversation_id, to_account_id=bram)

    joined = last_message(app, conversation_id)
    assert joined.text == "Je praat nu met Bram, medewerker klantenservice."
    assert effects.message_ids == [joined.id]
