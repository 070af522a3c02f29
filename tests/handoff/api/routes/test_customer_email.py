"""Leaving an e-mail address in the widget: stored only with consent, on the right
conversation, and offered only while nobody can answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handoff.conversations import store
from handoff.conversations.state import Move
from tests.handoff.customers import (
    Customer,
    TestClient,
    conversation,
    database,
    make_app,
)
from tests.handoff.fake_rasa import FakeRasa

SMTP = {"smtp_host": "127.0.0.1", "smtp_port": 2525, "smtp_from": "klantenservice@example.nl"}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url, FakeRasa(), **SMTP)) as test_client:
        yield test_client


def headers(customer: Customer) -> dict[str, str]:
    return {
        "X-Contact-Token": customer.tokens["contact_token"],
        "X-Conversation-Token": customer.tokens["conversation_token"],
    }


def escalate(client: TestClient, conversation_id: str) -> None:
    with database(client.app) as session:  # type: ignore[arg-type]
        row = store.get_conversation(session, conversation_id)
        assert row is not None
        store.apply_move(session, conversation=row, move=Move.escalate)


def test_the_address_is_stored_with_the_moment_of_consent(client: TestClient) -> None:
    customer = Customer(client)
    answer = client.post(
        "/api/web/email",
        json={"email": " klant@example.nl ", "consent": True},
        headers=headers(customer),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["email"] == "klant@example.nl"
    row = conversation(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert row.email == "klant@example.nl"
    assert row.email_consent_at is not None


def test_without_consent_nothing_is_stored(client: TestClient) -> None:
    customer = Customer(client)
    answer = client.post(
        "/api/web/email",
        json={"email": "klant@example.nl", "consent": False},
        headers=headers(customer),
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "Consent is needed to store the e-mail address."
    row = conversation(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert row.email is None and row.email_consent_at is None


def test_an_invalid_address_is_refused(client: TestClient) -> None:
    customer = Customer(client)
    answer = client.post(
        "/api/web/email",
        json={"email": "klant at example", "consent": True},
        headers=headers(customer),
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "This is not a valid e-mail address."
    assert conversation(client.app, customer.conversation_id).email is None  # type: ignore[arg-type]


def test_wrong_tokens_cannot_set_anybodys_address(client: TestClient) -> None:
    customer = Customer(client)
    other = Customer(client)
    mixed = {
        "X-Contact-Token": other.tokens["contact_token"],
        "X-Conversation-Token": customer.tokens["conversation_token"],
    }
    answer = client.post(
        "/api/web/email", json={"email": "klant@example.nl", "consent": True}, headers=mixed
    )
    assert answer.status_code == 401
    assert answer.json()["detail"] == "Unknown or expired conversation tokens."
    assert conversation(client.app, customer.conversation_id).email is None  # type: ignore[arg-type]


def test_without_smtp_the_offer_is_off_and_the_address_refused(sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url, FakeRasa())) as client:
        customer = Customer(client)
        escalate(client, customer.conversation_id)
        history = client.get("/api/web/history", headers=headers(customer)).json()
        assert history["state"] == "waiting"
        assert history["email_offer"] is False
        answer = client.post(
            "/api/web/email",
            json={"email": "klant@example.nl", "consent": True},
            headers=headers(customer),
        )
        assert answer.status_code == 409
        assert answer.json()["detail"] == "Answers by e-mail are not available."


def test_waiting_with_nobody_available_offers_e_mail_until_an_address_is_left(
    client: TestClient,
) -> None:
    customer = Customer(client)
    history = client.get("/api/web/history", headers=headers(customer)).json()
    assert history["state"] == "bot" and history["email_offer"] is False

    escalate(client, customer.conversation_id)
    history = client.get("/api/web/history", headers=headers(customer)).json()
    assert history["state"] == "waiting"
    assert history["queue_position"] == 1
    assert history["email_offer"] is True  # no agent has a live console
    assert history["email_left"] is False

    client.post(
        "/api/web/email",
        json={"email": "klant@example.nl", "consent": True},
        headers=headers(customer),
    )
    history = client.get("/api/web/history", headers=headers(customer)).json()
    assert history["email_offer"] is False
    assert history["email_left"] is True

    welcome = customer.connect()
    assert welcome["email_offer"] is False and welcome["email_left"] is True
    customer.close()
