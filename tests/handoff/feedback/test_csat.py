"""The satisfaction question: asked when an agent closes or the bot resolves the
conversation, answered with a button or a digit in the web widget, stored once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from handoff.audit.models import AuditEntry
from handoff.conversations.models import Conversation, Message
from handoff.feedback.models import CsatResponse
from tests.handoff.accounts.staff import login_agent
from tests.handoff.customers import Customer, TestClient, make_app, rows
from tests.handoff.fake_rasa import FakeRasa

QUESTION = "Hoe tevreden ben je over dit gesprek? Geef een cijfer van 1 tot 5."


GOODBYE = "Fijne dag nog! Heb je later nog een vraag, dan kun je hier altijd terecht."


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    rasa = FakeRasa(
        intents={
            "ik wil een medewerker": ("request_human", 0.95),
            "dank je, doei": ("goodbye", 0.95),
        },
        replies={"goodbye": [{"text": GOODBYE, "response": "utter_goodbye"}]},
    )
    with TestClient(make_app(sqlite_url, rasa)) as test_client:
        yield test_client


def _closed_by_an_agent(client: TestClient) -> Customer:
    customer = Customer(client)
    customer.connect()
    customer.say("ik wil een medewerker")
    customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
    agent = login_agent(client, client.app)  # type: ignore[arg-type]
    base = f"/api/agent/conversations/{customer.conversation_id}"
    assert client.post(f"{base}/claim", headers=agent.headers).status_code == 200
    assert client.post(f"{base}/close", headers=agent.headers).status_code == 200
    return customer


def _response(client: TestClient, conversation_id: str) -> CsatResponse:
    [found] = rows(
        client.app,  # type: ignore[arg-type]
        select(CsatResponse).where(CsatResponse.conversation_id == conversation_id),
    )
    return found


def test_closing_asks_the_question_with_five_buttons(client: TestClient) -> None:
    customer = _closed_by_an_agent(client)
    asked = customer.receive_until(
        lambda f: f["type"] == "message" and f["author"] == "system" and f["text"] == QUESTION
    )
    assert [b["payload"] for b in asked["buttons"]] == [f"csat:{n}" for n in range(1, 6)]
    assert [b["title"] for b in asked["buttons"]] == ["1", "2", "3", "4", "5"]
    response = _response(client, customer.conversation_id)
    assert response.score is None and response.question_message_id == asked["id"]
    customer.close()


def test_a_button_answer_is_stored_once(client: TestClient) -> None:
    customer = _closed_by_an_agent(client)
    customer.receive_until(lambda f: f["type"] == "message" and f["text"] == QUESTION)
    assert customer.ws is not None
    customer.ws.send_json({"type": "button", "client_id": "c1", "payload": "csat:4", "title": "4"})
    ack = customer.receive_until(lambda f: f["type"] in ("ack", "error"))
    assert ack["type"] == "ack"
    response = _response(client, customer.conversation_id)
    assert response.score == 4 and response.answer_message_id == ack["message_id"]
    [stored] = rows(client.app, select(Message).where(Message.id == ack["message_id"]))  # type: ignore[arg-type]
    assert (stored.author, stored.text, stored.payload["score"]) == ("customer", "4", 4)

    # A second answer is refused as any message to a closed conversation; the first stays.
    error = customer.say("5")
    assert error["type"] == "error" and error["code"] == "conversation_closed"
    assert _response(client, customer.conversation_id).score == 4
    customer.close()


def test_a_typed_digit_is_an_answer_and_other_text_is_refused(client: TestClient) -> None:
    customer = _closed_by_an_agent(client)
    customer.receive_until(lambda f: f["type"] == "message" and f["text"] == QUESTION)
    refused = customer.say("heel goed")
    assert refused["type"] == "error" and refused["code"] == "conversation_closed"
    assert _response(client, customer.conversation_id).score is None
    assert customer.say(" 2 ")["type"] == "ack"
    assert _response(client, customer.conversation_id).score == 2
    [conversation] = rows(
        client.app,  # type: ignore[arg-type]
        select(Conversation).where(Conversation.id == customer.conversation_id),
    )
    assert conversation.state == "closed"
    customer.close()


def test_a_goodbye_resolves_the_conversation_and_asks_the_question(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("dank je, doei")
    farewell = customer.receive_until(lambda f: f["type"] == "message" and f["author"] == "bot")
    assert farewell["text"] == GOODBYE
    asked = customer.receive_until(lambda f: f["type"] == "message" and f["text"] == QUESTION)
    assert asked["author"] == "system" and len(asked["buttons"]) == 5
    state = customer.receive_until(lambda f: f["type"] == "state")
    assert state["state"] == "closed"
    [closed] = rows(
        client.app,  # type: ignore[arg-type]
        select(Conversation).where(Conversation.id == customer.conversation_id),
    )
    assert (closed.state, closed.outcome) == ("closed", "resolved_by_bot")
    [entry] = rows(
        client.app,  # type: ignore[arg-type]
        select(AuditEntry).where(AuditEntry.object_id == customer.conversation_id),
    )
    assert entry.action == "conversation.resolved_by_bot"

    ack = customer.say("5")
    assert ack["type"] == "ack"
    assert _response(client, customer.conversation_id).score == 5
    # Anything else now belongs in a new conversation (the widget starts one).
    error = customer.say("nog een vraag")
    assert error["type"] == "error" and error["code"] == "conversation_closed"
    customer.close()
