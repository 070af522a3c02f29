"""A customer message is stored once, however often the channel delivers it."""

from __future__ import annotations

from handoff.conversations.models import Conversation
from handoff.processing.ingest import ingest_customer_message
from tests.handoff.customers import database, make_app, messages_of, start_conversation


def test_same_channel_message_id_twice_is_one_row(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        first = ingest_customer_message(
            session, conversation=conversation, text="hallo", channel_message_id="wamid.1"
        )
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        again = ingest_customer_message(
            session, conversation=conversation, text="hallo", channel_message_id="wamid.1"
        )
    assert first.created and not again.created
    assert again.message.id == first.message.id
    customer = [m for m in messages_of(app, conversation_id) if m.author == "customer"]
    assert [(m.text, m.processing_status) for m in customer] == [("hallo", "pending")]


def test_a_stored_message_survives_without_any_processing(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        ingest_customer_message(
            session, conversation=conversation, text="eerste", channel_message_id="a"
        )
    # A brand-new engine (another process) sees it: it was committed before the ack.
    fresh = make_app(database_url)
    assert [m.text for m in messages_of(fresh, conversation_id) if m.author == "customer"] == [
        "eerste"
    ]
