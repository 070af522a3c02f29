"""The agent API end to end: real app, real database, a fake Rasa at the network edge,
and a real customer on the widget's socket where what the customer sees matters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, RouteContext, iter_route_contexts
from sqlalchemy import select

from handoff.accounts.models import Role
from handoff.audit.models import AuditEntry
from handoff.conversations.state import Outcome, State
from handoff.conversations.store import now
from handoff.db.session import session_scope
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.texts import system_text
from tests.handoff.accounts.staff import (
    ORIGIN,
    LoggedIn,
    TestClient,
    WebSocketDenialResponse,
    assert_json_error,
    create_staff,
    get_account,
    login,
    login_agent,
    login_supervisor,
)
from tests.handoff.agents.waiting import (
    bot_conversation,
    stored_conversation,
    stored_handoffs,
    stored_messages,
    waiting_conversation,
)
from tests.handoff.customers import Customer, make_app, wait_until
from tests.handoff.fake_rasa import FakeRasa

NOT_LOGGED_IN = "Niet ingelogd of sessie verlopen"
TAKEN = "Een collega heeft dit gesprek al overgenomen"
NOT_YOURS = "Dit gesprek is van een collega; alleen die collega kan hier iets mee doen"


def default_text(key: str) -> str:
    return system_text(DEFAULT_RULESET, key, "nl", org_name="Voorbeeld Energie", at=now())


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def app(sqlite_url: str, rasa: FakeRasa) -> FastAPI:
    return make_app(sqlite_url, rasa)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def second_browser(app: FastAPI) -> TestClient:
    """Another staff member's browser on the already running app."""
    return TestClient(app)


def claim(client: TestClient, staff: LoggedIn, conversation_id: str) -> Any:
    return client.post(f"/api/agent/conversations/{conversation_id}/claim", headers=staff.headers)


@pytest.fixture
def escalated_customer(client: TestClient) -> Iterator[Callable[[], Customer]]:
    """Makes web customers who pressed "a person, please" and now wait in the queue;
    their sockets close before the app stops."""
    customers: list[Customer] = []

    def make() -> Customer:
        customer = Customer(client)
        customers.append(customer)
        customer.connect()
        customer.press_person_button("help-1")
        customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
        return customer

    yield make
    for customer in customers:
        customer.close()


def audit_actions(app: FastAPI) -> list[tuple[str, int | None, str | None]]:
    with session_scope(app.state.sessionmaker) as session:
        return [
            (e.action, e.account_id, e.object_id)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if not e.action.startswith("login")
        ]


# --- every agent route and socket is behind a login ---

SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "messages": {"text": "Hallo"},
    "transfer": {"to_account_id": None},
    "availability": {"available": True},
}


def agent_routes(app: FastAPI) -> list[RouteContext]:
    # Included routers are resolved lazily; their routes show only through contexts.
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and (context.path or "").startswith("/api/agent")
    ]


def agent_sockets(app: FastAPI) -> list[RouteContext]:
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIWebSocketRoute)
        and (context.path or "").startswith("/ws/agent")
    ]


def call(client: TestClient, route: RouteContext, conversation_id: str, **kwargs: Any) -> Any:
    assert route.path is not None and route.methods
    path = route.path.replace("{conversation_id}", conversation_id)
    method = sorted(route.methods)[0]
    body = SAMPLE_BODIES.get(path.rsplit("/", 1)[-1])
    return client.request(method, path, json=body if method != "GET" else None, **kwargs)


def test_agent_routes_all_require_login(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    routes = agent_routes(app)
    # A guard against enumerating nothing: the routes we know are among them.
    assert {"/api/agent/queue", "/api/agent/conversations/{conversation_id}/claim"} <= {
        r.path for r in routes
    }
    for route in routes:
        assert_json_error(call(client, route, conversation_id), 401, NOT_LOGGED_IN)
    assert stored_conversation(app, conversation_id).state == State.waiting


def test_agent_sockets_all_require_login(app: FastAPI, client: TestClient) -> None:
    sockets = agent_sockets(app)
    assert [s.path for s in sockets] == ["/ws/agent"]
    for socket in sockets:
        with (
            pytest.raises(WebSocketDenialResponse) as denied,
            client.websocket_connect(socket.path or "", headers={"origin": ORIGIN}),
        ):
            pass
        assert denied.value.status_code == 401
        assert denied.value.json() == {"detail": NOT_LOGGED_IN}


def test_agent_socket_refuses_foreign_origin(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        client.websocket_connect("/ws/agent", headers={"origin": "https://evil.example"}),
    ):
        pass
    assert denied.value.status_code == 403


def test_agent_unsafe_routes_reject_missing_csrf_token(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    unsafe = [r for r in agent_routes(app) if not (r.methods or set()) <= {"GET", "HEAD"}]
    assert len(unsafe) >= 6
    for route in unsafe:
        assert_json_error(
            call(client, route, conversation_id), 403, "CSRF-token ontbreekt of klopt niet"
        )
    assert stored_conversation(app, conversation_id).state == State.waiting
    assert get_account(app, agent.account_id).available is False
    assert audit_actions(app) == []


# --- the queue ---


def test_queue_lists_waiting_conversations_with_reason_and_summary(
    app: FastAPI, client: TestClient
) -> None:
    first = waiting_conversation(app, text="Ik wil een medewerker spreken")
    bot_conversation(app)  # not waiting: not in the queue
    second = waiting_conversation(app, channel="whatsapp", text="mijn meter is stuk")
    login_agent(client, app)

    response = client.get("/api/agent/queue")

    assert response.status_code == 200
    items = response.json()["conversations"]
    assert [i["conversation_id"] for i in items] == [first, second]
    assert [i["queue_position"] for i in items] == [1, 2]
    assert items[0]["channel"] == "web" and items[1]["channel"] == "whatsapp"
    assert items[0]["reason"] == "explicit_request"
    assert items[0]["reason_text"] == "vroeg om een medewerker"
    assert items[0]["waiting_since"]
    assert "Ik wil een medewerker spreken" in items[0]["summary"]


def test_queue_change_reaches_agent_socket(
    app: FastAPI, client: TestClient, escalated_customer: Callable[[], Customer]
) -> None:
    login_agent(client, app)
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["queue"] == []
        customer = escalated_customer()

        added = ws.receive_json()

    assert added["type"] == "queue" and added["event"] == "added"
    assert added["conversation_id"] == customer.conversation_id
    assert added["reason"] == "explicit_request"


# --- claiming ---


def test_claim_conversation(
    app: FastAPI, client: TestClient, escalated_customer: Callable[[], Customer]
) -> None:
    customer = escalated_customer()
    agent = login_agent(client, app, name="Anna de Vries")

    response = claim(client, agent, customer.conversation_id)

    assert response.status_code == 200
    assert response.json() == {"conversation_id": customer.conversation_id, "state": "human"}
    stored = stored_conversation(app, customer.conversation_id)
    assert stored.state == State.human and stored.assigned_agent_id == agent.account_id
    [handoff] = stored_handoffs(app, customer.conversation_id)
    assert handoff.claimed_by == agent.account_id and handoff.claimed_at is not None
    frame = customer.receive_until(lambda f: f["type"] == "state")
    assert frame["state"] == "human" and frame["agent_name"] == "Anna de Vries"
    assert audit_actions(app) == [
        ("conversation.claim", agent.account_id, customer.conversation_id)
    ]
    assert client.get("/api/agent/queue").json()["conversations"] == []


def test_claim_conversation_taken_by_colleague(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    anna = login_agent(client, app)
    other = second_browser(app)
    bob = login_agent(other, app, email="bob@example.nl")
    assert claim(client, anna, conversation_id).status_code == 200

    response = claim(other, bob, conversation_id)

    assert_json_error(response, 409, TAKEN)
    assert stored_conversation(app, conversation_id).assigned_agent_id == anna.account_id


def test_claim_unknown_conversation(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)
    assert_json_error(claim(client, agent, "nope"), 404, "Gesprek niet gevonden")


def test_claim_conversation_still_with_the_bot(app: FastAPI, client: TestClient) -> None:
    conversation_id = bot_conversation(app)
    agent = login_agent(client, app)

    response = claim(client, agent, conversation_id)

    assert_json_error(response, 409, "Kan dit gesprek niet overnemen: het is bij de bot")
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.bot and stored.assigned_agent_id is None


def test_claim_respects_max_concurrent(app: FastAPI, client: TestClient) -> None:
    first, second = waiting_conversation(app), waiting_conversation(app)
    agent = login_agent(client, app, max_concurrent=1)
    assert claim(client, agent, first).status_code == 200

    response = claim(client, agent, second)

    assert_json_error(
        response,
        409,
        "Je hebt al het maximum van 1 open gesprek; sluit of draag er eerst een over",
    )
    assert stored_conversation(app, second).state == State.waiting


def race(attempt: Any) -> list[Any]:
    """Runs ``attempt(0)`` and ``attempt(1)`` in two threads released at the same moment."""
    start = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def run(i: int) -> None:
        start.wait()
        answers[i] = attempt(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_claim_concurrently_exactly_one_wins(database_url: str, rasa: FakeRasa) -> None:
    # PostgreSQL is the production case; SQLite must not answer the race with a 500.
    app = make_app(database_url, rasa)
    with TestClient(app) as client:
        conversations = [waiting_conversation(app) for _ in range(5)]
        browsers = [second_browser(app) for _ in range(2)]
        agents = [
            login_agent(browser, app, email=f"agent{i}@example.nl", max_concurrent=10)
            for i, browser in enumerate(browsers)
        ]
        for conversation_id in conversations:
            answers = race(
                lambda i, conversation_id=conversation_id: claim(
                    browsers[i], agents[i], conversation_id
                )
            )

            assert sorted(a.status_code for a in answers) == [200, 409]
            winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
            loser = answers[1 - winner]
            assert_json_error(loser, 409, TAKEN)
            stored = stored_conversation(app, conversation_id)
            assert stored.state == State.human
            assert stored.assigned_agent_id == agents[winner].account_id
        assert client.get("/api/agent/queue").status_code == 401  # no login in this browser


# --- talking to the customer ---


@pytest.fixture
def claimed_customer(
    app: FastAPI, client: TestClient, escalated_customer: Callable[[], Customer]
) -> Callable[..., tuple[Customer, LoggedIn]]:
    """A waiting web customer claimed by a freshly logged-in agent."""

    def make(**agent: Any) -> tuple[Customer, LoggedIn]:
        customer = escalated_customer()
        staff = login_agent(client, app, **agent)
        assert claim(client, staff, customer.conversation_id).status_code == 200
        customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "human")
        return customer, staff

    return make


def send(client: TestClient, staff: LoggedIn, conversation_id: str, **body: Any) -> Any:
    return client.post(
        f"/api/agent/conversations/{conversation_id}/messages", headers=staff.headers, json=body
    )


def test_send_message_reaches_customer(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, agent = claimed_customer(name="Anna")

    response = send(client, agent, customer.conversation_id, text="Hoi, ik help je verder")

    assert response.status_code == 201
    [frame] = customer.messages_from("agent")
    assert frame["text"] == "Hoi, ik help je verder" and frame["author_name"] == "Anna"
    assert frame["kind"] == "agent"
    stored = stored_messages(app, customer.conversation_id)[-1]
    assert stored.author == "agent" and stored.author_account_id == agent.account_id
    assert stored.internal is False and stored.delivery_status == "sent"


def test_the_customer_is_told_who_speaks_live_and_after_a_reconnect(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, agent = claimed_customer(name="Anna")
    send(client, agent, customer.conversation_id, text="Hoi, ik help je verder")
    [reply] = customer.messages_from("agent")
    path = f"/api/agent/conversations/{customer.conversation_id}/close"
    assert client.post(path, headers=agent.headers).status_code == 200
    question = customer.receive_until(lambda f: f["type"] == "message" and f["buttons"] != [])
    live = {f["text"]: f for f in customer.seen if f["type"] == "message"}

    assert (reply["kind"], reply["author_name"]) == ("agent", "Anna")
    joined = live["Je praat nu met Anna, medewerker klantenservice."]
    # The service announces the person; neither the assistant nor Anna says it.
    assert (joined["author"], joined["kind"], joined["author_name"]) == ("system", "system", None)
    assert question["text"] == default_text("csat_question")
    assert (question["kind"], question["author_name"]) == ("system", None)

    # A reconnect replays every line with the same speaker.
    customer.close()
    customer.seen.clear()
    customer.connect(last_message_id=None)
    shown = [m for m in stored_messages(app, customer.conversation_id) if not m.internal]
    replayed = {f["id"]: f for f in (customer.receive() for _ in shown)}
    for frame in live.values():
        assert (replayed[frame["id"]]["kind"], replayed[frame["id"]]["author_name"]) == (
            frame["kind"],
            frame["author_name"],
        )


def test_internal_note_never_reaches_customer(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, agent = claimed_customer()

    note = send(client, agent, customer.conversation_id, text="klant is boos", internal=True)
    send(client, agent, customer.conversation_id, text="Ik kijk even mee")

    assert note.status_code == 201 and note.json()["internal"] is True
    # The next agent message the customer sees is the public one, not the note.
    [frame] = customer.messages_from("agent")
    assert frame["text"] == "Ik kijk even mee"
    history = client.get(
        "/api/web/history",
        headers={
            "X-Contact-Token": customer.tokens["contact_token"],
            "X-Conversation-Token": customer.tokens["conversation_token"],
        },
    ).json()
    assert "klant is boos" not in [m["text"] for m in history["messages"]]
    detail = client.get(f"/api/agent/conversations/{customer.conversation_id}").json()
    notes = [m for m in detail["messages"] if m["internal"]]
    assert [n["text"] for n in notes] == ["klant is boos"]
    stored = [m for m in stored_messages(app, customer.conversation_id) if m.internal]
    assert stored[0].delivery_status is None


def test_send_message_before_claim(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    before = len(stored_messages(app, conversation_id))

    response = send(client, agent, conversation_id, text="Hallo")

    assert_json_error(response, 409, "Neem het gesprek eerst over voordat je de klant antwoordt")
    assert len(stored_messages(app, conversation_id)) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Het bericht is leeg"), ("x" * 4001, "Het bericht is langer dan 4000 tekens")],
)
def test_send_bad_message_is_refused(
    app: FastAPI, client: TestClient, text: str, message: str
) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    claim(client, agent, conversation_id)
    before = len(stored_messages(app, conversation_id))

    assert_json_error(send(client, agent, conversation_id, text=text), 422, message)
    assert len(stored_messages(app, conversation_id)) == before


def test_conversation_detail_has_transcript_and_handoff(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app, text="mijn factuur klopt niet")
    login_agent(client, app)

    response = client.get(f"/api/agent/conversations/{conversation_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["conversation"]["state"] == "waiting"
    assert body["handoff"]["reason"] == "explicit_request"
    assert body["handoff"]["evidence"]["text"] == "klant vroeg om een medewerker"
    assert body["handoff"]["context"]["transcript"][0]["text"] == "mijn factuur klopt niet"
    assert [m["author"] for m in body["messages"]][0] == "customer"


def test_conversation_detail_unknown(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)
    assert_json_error(client.get("/api/agent/conversations/nope"), 404, "Gesprek niet gevonden")


# --- a colleague's conversation ---


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("messages", {"text": "Hallo"}),
        ("messages", {"text": "notitie", "internal": True}),
        ("handback", None),
        ("close", None),
        ("transfer", {"to_account_id": None}),
    ],
)
def test_agent_cannot_act_on_colleagues_conversation(
    app: FastAPI, client: TestClient, rasa: FakeRasa, action: str, body: Any
) -> None:
    conversation_id = waiting_conversation(app)
    anna = login_agent(client, app)
    claim(client, anna, conversation_id)
    other = second_browser(app)
    bob = login_agent(other, app, email="bob@example.nl")
    before = len(stored_messages(app, conversation_id))

    response = other.post(
        f"/api/agent/conversations/{conversation_id}/{action}", headers=bob.headers, json=body
    )

    assert_json_error(response, 403, NOT_YOURS)
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.human and stored.assigned_agent_id == anna.account_id
    assert len(stored_messages(app, conversation_id)) == before
    assert rasa.calls_to("handback") == []


def test_supervisor_may_step_into_an_agents_conversation(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    anna = login_agent(client, app)
    claim(client, anna, conversation_id)
    other = second_browser(app)
    sara = login_supervisor(other, app)

    response = other.post(
        f"/api/agent/conversations/{conversation_id}/transfer",
        headers=sara.headers,
        json={"to_account_id": sara.account_id},
    )

    assert response.status_code == 200
    assert stored_conversation(app, conversation_id).assigned_agent_id == sara.account_id


# --- hand-back, close, transfer ---


def test_handback_returns_conversation_to_bot(
    app: FastAPI,
    client: TestClient,
    rasa: FakeRasa,
    claimed_customer: Callable[..., tuple[Customer, LoggedIn]],
) -> None:
    customer, agent = claimed_customer()
    customer.say("Mijn meterstand is 12345")
    send(client, agent, customer.conversation_id, text="Dank je, verwerkt")
    customer.messages_from("agent")

    response = client.post(
        f"/api/agent/conversations/{customer.conversation_id}/handback", headers=agent.headers
    )

    assert response.status_code == 200
    assert response.json()["state"] == "bot"
    stored = stored_conversation(app, customer.conversation_id)
    assert stored.state == State.bot and stored.assigned_agent_id is None
    [handoff] = stored_handoffs(app, customer.conversation_id)
    assert handoff.end_kind == "handback" and handoff.ended_by == agent.account_id
    [call_body] = rasa.calls_to("handback")
    assert call_body["sender_id"] == customer.conversation_id
    # Everything Rasa has not seen: the request that handed over, then the human phase.
    phase = [(t["author"], t["text"]) for t in call_body["human_phase"]]
    assert phase == [
        ("customer", "Ik wil graag een medewerker spreken."),
        ("customer", "Mijn meterstand is 12345"),
        ("agent", "Dank je, verwerkt"),
    ]
    [system] = customer.messages_from("system")
    assert system["text"] == default_text("handback")
    state = customer.receive_until(lambda f: f["type"] == "state")
    assert state["state"] == "bot"
    assert ("conversation.handback", agent.account_id, customer.conversation_id) in audit_actions(
        app
    )


def test_handback_sends_rasa_only_what_it_has_not_seen(
    app: FastAPI, client: TestClient, rasa: FakeRasa
) -> None:
    rasa.intents["ik wil een medewerker"] = ("request_human", 0.97)
    customer = Customer(client)
    try:
        customer.connect()
        customer.say("hallo")
        customer.messages_from("bot")
        customer.say("ik wil een medewerker")
        customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
        agent = login_agent(client, app)
        claim(client, agent, customer.conversation_id)

        response = client.post(
            f"/api/agent/conversations/{customer.conversation_id}/handback", headers=agent.headers
        )
    finally:
        customer.close()

    assert response.status_code == 200
    [call_body] = rasa.calls_to("handback")
    # "hallo" and the bot's answer are in Rasa's tracker already; the request was only
    # parsed, never responded to.
    assert [(t["author"], t["text"]) for t in call_body["human_phase"]] == [
        ("customer", "ik wil een medewerker")
    ]


def test_handback_with_rasa_unreachable_changes_nothing(
    app: FastAPI, client: TestClient, rasa: FakeRasa
) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    claim(client, agent, conversation_id)
    before = len(stored_messages(app, conversation_id))
    rasa.down = True

    response = client.post(
        f"/api/agent/conversations/{conversation_id}/handback", headers=agent.headers
    )

    assert_json_error(
        response,
        503,
        "De bot is nu niet bereikbaar; het gesprek blijft bij jou. Probeer het later opnieuw.",
    )
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.human and stored.assigned_agent_id == agent.account_id
    assert len(stored_messages(app, conversation_id)) == before
    assert stored_handoffs(app, conversation_id)[0].ended_at is None


def test_handback_of_waiting_conversation_is_a_conflict(
    app: FastAPI, client: TestClient, rasa: FakeRasa
) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)

    response = client.post(
        f"/api/agent/conversations/{conversation_id}/handback", headers=agent.headers
    )

    assert_json_error(
        response, 409, "Kan dit gesprek niet teruggeven aan de bot: het is in de wachtrij"
    )
    assert rasa.calls_to("handback") == []


def test_close_conversation(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, agent = claimed_customer()

    response = client.post(
        f"/api/agent/conversations/{customer.conversation_id}/close", headers=agent.headers
    )

    assert response.status_code == 200
    stored = stored_conversation(app, customer.conversation_id)
    assert stored.state == State.closed and stored.outcome == Outcome.resolved_by_agent
    assert stored.closed_at is not None
    [handoff] = stored_handoffs(app, customer.conversation_id)
    assert handoff.end_kind == "closed"
    frame = customer.receive_until(lambda f: f["type"] == "state")
    assert frame["state"] == "closed"
    assert ("conversation.close", agent.account_id, customer.conversation_id) in audit_actions(app)


def test_close_twice_is_a_conflict(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    claim(client, agent, conversation_id)
    path = f"/api/agent/conversations/{conversation_id}/close"
    assert client.post(path, headers=agent.headers).status_code == 200

    response = client.post(path, headers=agent.headers)

    assert_json_error(response, 409, "Kan dit gesprek niet sluiten: het is gesloten")


def test_transfer_to_colleague(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, anna = claimed_customer()
    bob_id = create_staff(app, "bob@example.nl", name="Bob")

    response = client.post(
        f"/api/agent/conversations/{customer.conversation_id}/transfer",
        headers=anna.headers,
        json={"to_account_id": bob_id},
    )

    assert response.status_code == 200
    stored = stored_conversation(app, customer.conversation_id)
    assert stored.state == State.human and stored.assigned_agent_id == bob_id
    first, second = stored_handoffs(app, customer.conversation_id)
    assert first.end_kind == "transferred" and first.claimed_by == anna.account_id
    assert second.ended_at is None and second.claimed_by == bob_id
    assert second.requested_at == first.requested_at
    frame = customer.receive_until(lambda f: f["type"] == "state")
    assert frame["state"] == "human" and frame["agent_name"] == "Bob"
    # Anna no longer owns it: she may not write to it.
    assert_json_error(send(client, anna, customer.conversation_id, text="x"), 403, NOT_YOURS)


def test_transfer_back_to_queue(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, anna = claimed_customer()

    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()  # hello
        response = client.post(
            f"/api/agent/conversations/{customer.conversation_id}/transfer",
            headers=anna.headers,
            json={"to_account_id": None},
        )
        added = ws.receive_json()

    assert response.status_code == 200
    assert added["type"] == "queue" and added["event"] == "added"
    assert added["conversation_id"] == customer.conversation_id
    stored = stored_conversation(app, customer.conversation_id)
    assert stored.state == State.waiting and stored.assigned_agent_id is None
    queue = client.get("/api/agent/queue").json()["conversations"]
    assert [q["conversation_id"] for q in queue] == [customer.conversation_id]
    frame = customer.receive_until(lambda f: f["type"] == "state")
    assert frame["state"] == "waiting"


def test_transfer_to_unknown_colleague(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    claim(client, agent, conversation_id)

    response = client.post(
        f"/api/agent/conversations/{conversation_id}/transfer",
        headers=agent.headers,
        json={"to_account_id": 999},
    )

    assert_json_error(response, 404, "Collega niet gevonden of niet actief")
    assert stored_conversation(app, conversation_id).assigned_agent_id == agent.account_id


def test_agent_cannot_assign_waiting_conversation(app: FastAPI, client: TestClient) -> None:
    conversation_id = waiting_conversation(app)
    agent = login_agent(client, app)
    bob_id = create_staff(app, "bob@example.nl")

    response = client.post(
        f"/api/agent/conversations/{conversation_id}/transfer",
        headers=agent.headers,
        json={"to_account_id": bob_id},
    )

    assert_json_error(
        response, 403, "Alleen een supervisor kan een wachtend gesprek aan iemand toewijzen"
    )
    assert stored_conversation(app, conversation_id).state == State.waiting


# --- presence ---


def test_availability_toggle(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)

    on = client.post("/api/agent/availability", headers=agent.headers, json={"available": True})
    assert on.status_code == 200 and on.json() == {"available": True}
    account = get_account(app, agent.account_id)
    assert account.available is True and account.last_heartbeat_at is not None

    off = client.post("/api/agent/availability", headers=agent.headers, json={"available": False})
    assert off.status_code == 200
    assert get_account(app, agent.account_id).available is False


def test_heartbeat_marks_console_alive(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)
    assert get_account(app, agent.account_id).last_heartbeat_at is None

    response = client.post("/api/agent/heartbeat", headers=agent.headers)

    assert response.status_code == 204
    assert get_account(app, agent.account_id).last_heartbeat_at is not None


# --- the agent socket ---


def test_agent_socket_forwards_subscribed_conversation_events(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, agent = claimed_customer()
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        hello = ws.receive_json()
        assert hello["account"]["id"] == agent.account_id
        ws.send_json({"type": "subscribe", "conversation_id": customer.conversation_id})
        assert ws.receive_json() == {
            "type": "subscribed",
            "conversation_id": customer.conversation_id,
        }
        assert customer.ws is not None
        customer.ws.send_json({"type": "typing", "on": True})

        frame = ws.receive_json()

    assert frame == {
        "conversation_id": customer.conversation_id,
        "type": "typing",
        "author": "customer",
        "on": True,
    }
    assert get_account(app, agent.account_id).last_heartbeat_at is not None


def test_agent_socket_sends_each_customer_message_once(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, _agent = claimed_customer()
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()
        ws.send_json({"type": "subscribe", "conversation_id": customer.conversation_id})
        ws.receive_json()
        ack = customer.say("Zijn jullie er nog?")
        frames = [ws.receive_json()]
        while frames[-1].get("id") != ack["message_id"]:
            frames.append(ws.receive_json())
        # Published after both copies of the message: a duplicate would come before it.
        assert customer.ws is not None
        customer.ws.send_json({"type": "typing", "on": False})
        while frames[-1]["type"] != "typing":
            frames.append(ws.receive_json())

    copies = [f for f in frames if f["type"] == "message" and f["id"] == ack["message_id"]]
    assert len(copies) == 1 and copies[0]["text"] == "Zijn jullie er nog?"


def test_agent_typing_reaches_customer(
    app: FastAPI, client: TestClient, claimed_customer: Callable[..., tuple[Customer, LoggedIn]]
) -> None:
    customer, _agent = claimed_customer()
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()
        ws.send_json({"type": "typing", "conversation_id": customer.conversation_id, "on": True})
        frame = customer.receive_until(lambda f: f["type"] == "typing")
    assert frame == {"type": "typing", "author": "agent", "name": "Anna", "on": True}


def test_agent_typing_in_colleagues_conversation_is_refused(
    app: FastAPI, client: TestClient
) -> None:
    conversation_id = waiting_conversation(app)
    anna = login_agent(client, app)
    claim(client, anna, conversation_id)
    other = second_browser(app)
    login_agent(other, app, email="bob@example.nl")
    with other.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()
        ws.send_json({"type": "typing", "conversation_id": conversation_id, "on": True})
        frame = ws.receive_json()
    assert frame == {"type": "error", "code": "not_allowed", "message": NOT_YOURS}


def test_agent_socket_bad_frames_get_clear_errors(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "malformed_json"
        ws.send_json({"type": "subscribe", "conversation_id": "nope"})
        assert ws.receive_json() == {
            "type": "error",
            "code": "not_found",
            "message": "Gesprek niet gevonden",
        }
        ws.send_json({"type": "dance"})
        assert ws.receive_json()["code"] == "unknown_frame_type"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_agent_socket_ends_when_session_is_revoked(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        ws.receive_json()
        # Logging out in another tab revokes this session.
        client.post("/api/auth/logout", headers=agent.headers)
        ws.send_json({"type": "ping"})
        frame = ws.receive_json()
        assert frame["code"] == "session_ended"
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 4401


def test_supervisor_logs_in_to_the_agent_socket_too(app: FastAPI, client: TestClient) -> None:
    login_supervisor(client, app)
    with client.websocket_connect("/ws/agent", headers={"origin": ORIGIN}) as ws:
        assert ws.receive_json()["account"]["role"] == Role.supervisor.value


def test_login_helper_roundtrip(app: FastAPI, client: TestClient) -> None:
    create_staff(app, "carla@example.nl")
    assert login(client, "carla@example.nl").csrf_token
    wait_until(lambda: True)
