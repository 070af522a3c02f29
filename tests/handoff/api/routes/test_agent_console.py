"""What the agent console reads besides the core agent API: the page itself, the
agent's own status, colleagues to transfer to, and in a conversation's detail the NLU
per customer turn and the customer's earlier conversations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from handoff.accounts.models import Role
from handoff.conversations import store
from handoff.conversations.state import Move, Outcome
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import (
    TestClient,
    assert_json_error,
    create_staff,
    login,
    login_agent,
)
from tests.handoff.agents.waiting import waiting_conversation
from tests.handoff.customers import make_app


@pytest.fixture
def app(sqlite_url: str) -> FastAPI:
    return make_app(sqlite_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def test_the_console_sends_a_browser_without_a_session_to_the_login_page(
    client: TestClient,
) -> None:
    response = client.get("/console", params={"c": "abc"}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console"


def test_the_console_page_loads_its_scripts_from_files_only(
    app: FastAPI, client: TestClient
) -> None:
    login_agent(client, app, name="Anna <b>de Vries</b>")

    response = client.get("/console")

    assert response.status_code == 200
    assert '<script type="module" src="/static/console/agent/main.js"></script>' in response.text
    assert "Anna &lt;b&gt;de Vries&lt;/b&gt;" in response.text
    assert "<script>" not in response.text and " on" + "click=" not in response.text
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]


def test_my_status_shows_availability_and_the_cap(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app, max_concurrent=1)
    conversation_id = waiting_conversation(app)
    claimed = client.post(
        f"/api/agent/conversations/{conversation_id}/claim", headers=agent.headers
    )
    assert claimed.status_code == 200
    client.post("/api/agent/availability", headers=agent.headers, json={"available": True})

    status = client.get("/api/agent/status").json()

    assert status["available"] is True and status["online"] is True
    assert (status["open_conversations"], status["max_concurrent"]) == (1, 1)
    second = waiting_conversation(app)
    refused = client.post(f"/api/agent/conversations/{second}/claim", headers=agent.headers)
    assert_json_error(
        refused, 409, "Je hebt al het maximum van 1 open gesprek; sluit of draag er eerst een over"
    )


def test_colleagues_lists_other_active_staff_available_first(
    app: FastAPI, client: TestClient
) -> None:
    create_staff(app, "bram@example.nl", name="Bram")
    create_staff(app, "cor@example.nl", name="Cor", role=Role.supervisor)
    other = TestClient(app)
    cor = login(other, "cor@example.nl")
    other.post("/api/agent/availability", headers=cor.headers, json={"available": True})
    login_agent(client, app)

    colleagues = client.get("/api/agent/colleagues").json()["colleagues"]

    assert [(c["display_name"], c["available"]) for c in colleagues] == [
        ("Cor", True),
        ("Bram", False),
    ]
    assert colleagues[0]["role"] == "supervisor" and colleagues[0]["online"] is True


def test_detail_shows_intent_per_customer_turn_and_earlier_conversations(
    app: FastAPI, client: TestClient
) -> None:
    with session_scope(app.state.sessionmaker) as session:
        contact = store.create_contact(session, channel="web", external_id_hash=uuid.uuid4().hex)
        earlier = store.create_conversation(session, contact=contact)
        store.append_message(
            session,
            conversation=earlier,
            direction="in",
            author="customer",
            text="mijn meterstand is 12345",
            processing_status="done",
        )
        store.apply_move(
            session, conversation=earlier, move=Move.close, outcome=Outcome.resolved_by_bot
        )
        current = store.create_conversation(session, contact=contact)
        turn = store.append_message(
            session,
            conversation=current,
            direction="in",
            author="customer",
            text="hallo",
            processing_status="done",
        )
        turn.nlu = {"intent": {"name": "greet", "confidence": 0.93}}
        store.append_message(
            session, conversation=current, direction="out", author="bot", text="Hallo!"
        )
        earlier_id, current_id = earlier.id, current.id
    login_agent(client, app)

    body = client.get(f"/api/agent/conversations/{current_id}").json()

    customer_turn, bot_turn = body["messages"]
    assert (customer_turn["intent"], customer_turn["confidence"]) == ("greet", 0.93)
    assert (bot_turn["intent"], bot_turn["confidence"]) == (None, None)
    [previous] = body["earlier_conversations"]
    assert previous["id"] == earlier_id
    assert previous["first_customer_text"] == "mijn meterstand is 12345"
    assert previous["outcome"] == "resolved_by_bot"
