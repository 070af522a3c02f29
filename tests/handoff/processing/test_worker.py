"""The turn worker: in order per conversation, one at a time, and nothing left behind
by a crash or a restart."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi import FastAPI

import handoff.processing.turn as turn
from handoff.conversations.models import Conversation
from handoff.conversations.store import now
from tests.handoff.customers import (
    Customer,
    TestClient,
    database,
    handoffs_of,
    make_app,
    messages_of,
    start_conversation,
    store_pending,
    texts,
    wait_until,
)
from tests.handoff.fake_rasa import FakeRasa


def set_lease(app: FastAPI, conversation_id: str, owner: str, *, seconds: float) -> None:
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.lease_owner = owner
        conversation.lease_expires_at = now() + timedelta(seconds=seconds)


def all_done(app: FastAPI, conversation_id: str) -> bool:
    customer = [m for m in messages_of(app, conversation_id) if m.author == "customer"]
    return bool(customer) and all(m.processing_status == "done" for m in customer)


def test_pending_messages_are_processed_in_order(database_url: str) -> None:
    rasa = FakeRasa(echo=True)
    app = make_app(database_url, rasa)
    conversation_id = start_conversation(app)
    for text in ("een", "twee", "drie"):
        store_pending(app, conversation_id, text)
    with TestClient(app):
        wait_until(lambda: all_done(app, conversation_id))
    assert [c["text"] for c in rasa.calls_to("respond")] == ["een", "twee", "drie"]
    bot = texts(messages_of(app, conversation_id), "bot")
    assert bot == ["antwoord op: een", "antwoord op: twee", "antwoord op: drie"]


def test_two_messages_at_once_are_handled_one_after_the_other(database_url: str) -> None:
    rasa = FakeRasa(echo=True, respond_delay=0.2)
    app = make_app(database_url, rasa)
    with TestClient(app) as client:
        customer = Customer(client)
        customer.connect()
        assert customer.ws is not None
        customer.ws.send_json({"type": "message", "client_id": "1", "text": "eerste"})
        customer.ws.send_json({"type": "message", "client_id": "2", "text": "tweede"})
        answers = customer.messages_from("bot", count=2)
        customer.close()
    assert [a["text"] for a in answers] == ["antwoord op: eerste", "antwoord op: tweede"]
    assert rasa.max_in_flight == 1
    stored = messages_of(app, customer.conversation_id)
    assert [(m.author, m.text) for m in stored[1:]] == [
        ("customer", "eerste"),
        ("customer", "tweede"),
        ("bot", "antwoord op: eerste"),
        ("bot", "antwoord op: tweede"),
    ] or [(m.author, m.text) for m in stored[1:]] == [
        ("customer", "eerste"),
        ("bot", "antwoord op: eerste"),
        ("customer", "tweede"),
        ("bot", "antwoord op: tweede"),
    ]


def test_message_acknowledged_before_a_crash_is_processed_after_restart(
    database_url: str,
) -> None:
    rasa = FakeRasa(echo=True)
    crashed = make_app(database_url, rasa)
    conversation_id = start_conversation(crashed)
    # One stored and acknowledged, never touched; one the crashed worker had started,
    # whose lease has run out since.
    # Two different needs: a restatement of the first would rightly go to a person.
    store_pending(
        crashed, conversation_id, "vraag over mijn factuur", processing_status="processing"
    )
    store_pending(crashed, conversation_id, "ik ga verhuizen")
    set_lease(crashed, conversation_id, "dead-process", seconds=-1)

    restarted = make_app(database_url, rasa)
    with TestClient(restarted):
        wait_until(lambda: all_done(restarted, conversation_id))
    assert texts(messages_of(restarted, conversation_id), "bot") == [
        "antwoord op: vraag over mijn factuur",
        "antwoord op: ik ga verhuizen",
    ]


def test_a_live_lease_of_another_replica_is_respected(database_url: str) -> None:
    rasa = FakeRasa(echo=True)
    app = make_app(database_url, rasa)
    conversation_id = start_conversation(app)
    store_pending(app, conversation_id, "van de andere replica")
    set_lease(app, conversation_id, "other-replica", seconds=60)
    with TestClient(app):
        time.sleep(0.5)
        assert rasa.calls_to("respond") == []
        set_lease(app, conversation_id, "other-replica", seconds=-1)
        wait_until(lambda: all_done(app, conversation_id))
    assert [c["text"] for c in rasa.calls_to("respond")] == ["van de andere replica"]


def test_a_turn_that_crashes_in_the_service_becomes_a_handoff(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa = FakeRasa()
    app = make_app(database_url, rasa)
    conversation_id = start_conversation(app)
    store_pending(app, conversation_id, "hallo")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug in the service")

    monkeypatch.setattr(turn, "_respond", broken)
    with TestClient(app):
        wait_until(lambda: all_done(app, conversation_id) or failed(app, conversation_id))
        told = wait_until(
            lambda: [
                m
                for m in messages_of(app, conversation_id)
                if m.author == "system" and m.payload.get("text_key") == "bot_failure"
            ]
        )
    assert told[0].text.startswith("Sorry, er ging bij mij iets mis.")
    [handoff] = handoffs_of(app, conversation_id)
    assert handoff.reason == "bot_failure"
    assert handoff.evidence == {
        "text": "Er ging iets mis in de service bij het verwerken van dit bericht.",
        "details": {"error": "RuntimeError: bug in the service", "internal": True},
    }


def failed(app: FastAPI, conversation_id: str) -> bool:
    return any(
        m.processing_status == "failed"
        for m in messages_of(app, conversation_id)
        if m.author == "customer"
    )
