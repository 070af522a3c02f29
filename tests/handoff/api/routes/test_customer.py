"""The web customer protocol end to end: real app, real database, fake Rasa."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.websockets import WebSocketDisconnect

from handoff.conversations import store
from handoff.conversations.models import Conversation
from handoff.conversations.state import Move, State
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.models import RuleSet
from tests.handoff.customers import (
    ORIGIN,
    Customer,
    TestClient,
    conversation,
    database,
    handoffs_of,
    make_app,
    messages_of,
    texts,
    wait_until,
)
from tests.handoff.fake_rasa import GREETING, FakeRasa

DISCLOSURE_START = "Hoi! Je chat met de digitale assistent van Voorbeeld Energie."
HANDOFF_TEXT = "Ik verbind je door met een medewerker."


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(intents={"ik wil een medewerker": ("request_human", 0.95)})


@pytest.fixture
def client(sqlite_url: str, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url, rasa)) as test_client:
        yield test_client


def test_start_returns_tokens_and_stores_the_disclosure_first(client: TestClient) -> None:
    answer = client.post("/api/web/conversations", json={"lang": "nl"})
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["contact_token"]) >= 43 and len(body["conversation_token"]) >= 43
    stored = messages_of(client.app, body["conversation_id"])  # type: ignore[arg-type]
    assert [m.author for m in stored] == ["system"]
    assert stored[0].text.startswith(DISCLOSURE_START)
    assert stored[0].payload["kind"] == "disclosure_shown"
    # Only hashes are stored.
    row = conversation(client.app, body["conversation_id"])  # type: ignore[arg-type]
    assert row.token_hash != body["conversation_token"]


def test_start_in_english_discloses_in_english(client: TestClient) -> None:
    customer = Customer(client, lang="en")
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert stored[0].text.startswith("Hi! You are chatting with the digital assistant")


def test_same_contact_continues_its_open_conversation(client: TestClient) -> None:
    first = client.post("/api/web/conversations", json={}).json()
    again = client.post(
        "/api/web/conversations", json={"contact_token": first["contact_token"]}
    ).json()
    assert again["conversation_id"] == first["conversation_id"]
    assert again["contact_token"] == first["contact_token"]
    # The disclosure is not repeated for the same conversation.
    stored = messages_of(client.app, first["conversation_id"])  # type: ignore[arg-type]
    assert len(stored) == 1


def test_unknown_language_is_refused(client: TestClient) -> None:
    answer = client.post("/api/web/conversations", json={"lang": "de"})
    assert answer.status_code == 422


def test_hello_gets_welcome_and_the_disclosure_first(client: TestClient) -> None:
    customer = Customer(client)
    welcome = customer.connect()
    assert welcome == {
        "type": "welcome",
        "state": "bot",
        "conversation_id": customer.conversation_id,
        "agent_name": None,
        "queue_position": None,
        "expected_wait_minutes": None,
        "email_offer": False,
        "email_left": False,
    }
    disclosure = customer.receive()
    assert disclosure["type"] == "message" and disclosure["author"] == "system"
    assert disclosure["text"].startswith(DISCLOSURE_START)
    # The assistant presents itself: labelled as the bot, not as a service notice.
    assert disclosure["kind"] == "bot"
    customer.close()


def test_message_is_acked_then_answered_by_the_bot(client: TestClient, rasa: FakeRasa) -> None:
    customer = Customer(client)
    customer.connect()
    ack = customer.say("hallo", client_id="c-1")
    assert ack["type"] == "ack" and ack["client_id"] == "c-1"
    [reply] = customer.messages_from("bot")
    assert reply["text"] == GREETING
    assert reply["author_name"] is None and reply["buttons"] == [] and reply["sources"] == []
    assert reply["kind"] == "bot"
    customer.close()
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    inbound = [m for m in stored if m.author == "customer"]
    assert inbound[0].id == ack["message_id"] and inbound[0].processing_status == "done"
    assert inbound[0].nlu is not None and inbound[0].nlu["intent"]["name"] == "greet"
    assert inbound[0].features is not None and inbound[0].features["normalised"] == "hallo"
    assert [c["text"] for c in rasa.calls_to("respond")] == ["hallo"]


def test_resending_the_same_client_id_stores_once(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    first = customer.say("hallo", client_id="same")
    second = customer.say("hallo", client_id="same")
    assert first["message_id"] == second["message_id"]
    customer.close()
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert texts(stored, "customer") == ["hallo"]


def test_request_human_hands_over_with_the_whole_conversation(
    client: TestClient, rasa: FakeRasa
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("hallo")
    customer.messages_from("bot")
    customer.press_person_button("btn-1")
    state = customer.receive_until(lambda f: f["type"] == "state")
    assert state == {
        "type": "state",
        "state": "waiting",
        "agent_name": None,
        "queue_position": 1,
        "expected_wait_minutes": None,  # no handle times to estimate from yet
        "email_offer": False,  # e-mail is not configured in this app
        "email_left": False,
    }
    customer.close()
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    system = texts(stored, "system")
    assert system[1].startswith(HANDOFF_TEXT)
    # Nobody is available in an empty test database (or it is out of hours).
    assert stored[-1].payload["text_key"] in ("nobody_available", "out_of_hours")
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.reason == "explicit_request"
    transcript = [line["text"] for line in handoff.context["transcript"]]
    assert transcript[0].startswith(DISCLOSURE_START)
    assert transcript[1:4] == ["hallo", GREETING, "Ik wil graag een medewerker spreken."]
    assert "reden: De klant klikte op de knop" in handoff.context["summary"]
    assert conversation(client.app, customer.conversation_id).state == State.waiting  # type: ignore[arg-type]
    # The button is its own frame: it never went to Rasa, only the pause did.
    assert [c["text"] for c in rasa.calls_to("parse")] == ["hallo"]
    assert rasa.calls_to("pause") == [{"sender_id": customer.conversation_id}]


def test_typed_request_for_a_person_hands_over_and_the_customer_is_told(
    client: TestClient,
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("ik wil een medewerker")
    handoff_text = customer.receive_until(
        lambda f: f["type"] == "message" and f["author"] == "system"
    )
    assert handoff_text["text"].startswith(HANDOFF_TEXT)
    # The service tells it, not the assistant: the widget shows it without an author.
    assert handoff_text["kind"] == "system" and handoff_text["author_name"] is None
    customer.close()
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.reason == "explicit_request"
    assert handoff.context["turns"][0]["intent"] == "request_human"


def test_while_a_person_owns_the_conversation_nothing_reaches_rasa(
    client: TestClient, rasa: FakeRasa
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.press_person_button("btn")
    customer.receive_until(lambda f: f["type"] == "state")
    calls_before = list(rasa.calls)
    customer.say("hallo? is daar iemand")
    customer.say("/greet")
    app = client.app
    wait_until(
        lambda: all(
            m.processing_status == "done"
            for m in messages_of(app, customer.conversation_id)  # type: ignore[arg-type]
            if m.author == "customer"
        )
    )
    customer.close()
    assert rasa.calls == calls_before
    stored = messages_of(app, customer.conversation_id)  # type: ignore[arg-type]
    assert texts(stored, "bot") == []
    assert texts(stored, "customer")[-2:] == ["hallo? is daar iemand", "/greet"]


def test_replay_sends_only_messages_after_the_cursor(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    ack = customer.say("hallo")
    [reply] = customer.messages_from("bot")
    customer.close()
    customer.seen.clear()
    customer.connect(last_message_id=ack["message_id"])
    replayed = customer.receive()
    assert replayed["id"] == reply["id"] and replayed["text"] == GREETING
    assert replayed["kind"] == "bot"
    customer.close()


def test_history_returns_the_same_messages(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("hallo")
    customer.messages_from("bot")
    customer.close()
    headers = {
        "X-Contact-Token": customer.tokens["contact_token"],
        "X-Conversation-Token": customer.tokens["conversation_token"],
    }
    history = client.get("/api/web/history", headers=headers)
    assert history.status_code == 200
    assert [m["author"] for m in history.json()["messages"]] == ["system", "customer", "bot"]
    assert [m["kind"] for m in history.json()["messages"]] == ["bot", "customer", "bot"]
    assert client.get("/api/web/history").status_code == 401
    wrong = client.get("/api/web/history", headers=headers | {"X-Contact-Token": "nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "Unknown or expired conversation tokens."}


def test_service_lines_keep_their_kind_in_the_replay_after_a_reconnect(
    client: TestClient,
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("hallo")
    customer.messages_from("bot")
    customer.press_person_button("btn-1")
    app = client.app
    # The last service line of the handoff: nobody is available in an empty database.
    last = wait_until(
        lambda: next(
            (
                m
                for m in messages_of(app, customer.conversation_id)  # type: ignore[arg-type]
                if m.payload.get("text_key") in ("nobody_available", "out_of_hours")
            ),
            None,
        )
    )
    customer.receive_until(lambda f: f["type"] == "message" and f["id"] == last.id)
    stored = messages_of(app, customer.conversation_id)  # type: ignore[arg-type]
    live = {f["id"]: f["kind"] for f in customer.seen if f["type"] == "message"}
    assert live[last.id] == "system"
    customer.close()

    customer.seen.clear()
    customer.connect(last_message_id=None)
    replayed = [customer.receive() for _ in stored]
    customer.close()

    kinds = [(f["text"], f["kind"]) for f in replayed]
    assert kinds[0] == (stored[0].text, "bot")  # the disclosure
    assert kinds[1:3] == [("hallo", "customer"), (GREETING, "bot")]
    assert kinds[3] == ("Ik wil graag een medewerker spreken.", "customer")
    # The handoff and what follows (waiting, nobody available) are the service's.
    assert kinds[4][0].startswith(HANDOFF_TEXT)
    assert [kind for _, kind in kinds[4:]] == ["system"] * len(kinds[4:])
    assert {f["id"]: f["kind"] for f in replayed if f["id"] in live} == live


def test_foreign_origin_is_closed_with_4403(client: TestClient) -> None:
    with client.websocket_connect("/ws/web", headers={"origin": "https://evil.example"}) as ws:
        error = ws.receive_json()
        assert error["code"] == "origin_not_allowed"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_wrong_tokens_are_closed_with_4401(client: TestClient) -> None:
    customer = Customer(client)
    with client.websocket_connect("/ws/web", headers={"origin": ORIGIN}) as ws:
        ws.send_json(
            {
                "type": "hello",
                "contact_token": customer.tokens["contact_token"],
                "conversation_token": "guess",
                "last_message_id": None,
            }
        )
        assert ws.receive_json()["code"] == "unauthorized"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message", "client_id": "a", "text": "   "}, "empty_text"),
        ({"type": "message", "client_id": "a", "text": "x" * 4001}, "text_too_long"),
        ({"type": "message", "client_id": "", "text": "hoi"}, "invalid_client_id"),
        ({"type": "message", "client_id": "a", "text": 5}, "invalid_text"),
        ({"type": "shout", "client_id": "a"}, "unknown_frame_type"),
        ("{not json", "malformed_json"),
        ([1, 2], "malformed_frame"),
    ],
    ids=["empty", "oversize", "no-client-id", "text-not-string", "unknown", "bad-json", "array"],
)
def test_bad_input_gets_an_error_and_nothing_is_stored(
    client: TestClient, frame: object, code: str
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.receive()  # the disclosure
    assert customer.ws is not None
    customer.ws.send_text(frame if isinstance(frame, str) else json.dumps(frame))
    error = customer.receive()
    assert error["type"] == "error" and error["code"] == code and error["message"]
    # The socket stays usable after an error.
    assert customer.say("hallo")["type"] == "ack"
    customer.close()
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert texts(stored, "customer") == ["hallo"]


def test_a_flood_is_rate_limited_with_retry_after(sqlite_url: str) -> None:
    rasa = FakeRasa()
    with TestClient(make_app(sqlite_url, rasa, customer_rate_per_minute=3)) as client:
        customer = Customer(client)
        customer.connect()
        for n in range(3):
            assert customer.say(f"bericht {n}")["type"] == "ack"
        refused = customer.say("nog een")
        customer.close()
        stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert refused["code"] == "rate_limited"
    assert 1 <= refused["retry_after"] <= 60
    assert texts(stored, "customer") == ["bericht 0", "bericht 1", "bericht 2"]


def test_a_button_the_bot_offered_goes_to_rasa_as_a_payload(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.replies["greet"] = [
        {
            "text": "Waarmee?",
            "buttons": [{"title": "Meterstand", "payload": "/submit_meter_reading"}],
        }
    ]
    customer = Customer(client)
    customer.connect()
    customer.say("hallo")
    [offer] = customer.messages_from("bot")
    assert offer["buttons"] == [{"title": "Meterstand", "payload": "/submit_meter_reading"}]
    assert customer.ws is not None
    customer.ws.send_json(
        {
            "type": "button",
            "client_id": "b1",
            "payload": "/submit_meter_reading",
            "title": "Meterstand",
        }
    )
    customer.receive_until(lambda f: f["type"] == "ack")
    customer.messages_from("bot")
    customer.ws.send_json(
        {"type": "button", "client_id": "b2", "payload": "/cancel_contract", "title": "x"}
    )
    customer.receive_until(lambda f: f["type"] == "ack")
    customer.messages_from("bot")
    customer.close()
    parses = rasa.calls_to("parse")
    assert parses[1] == {
        "sender_id": customer.conversation_id,
        "text": "/submit_meter_reading",
        "is_payload": True,
    }
    # Not offered: escaped text, never an intent command.
    assert parses[2]["is_payload"] is False and not parses[2]["text"].startswith("/")


def test_typed_slash_commands_are_escaped(client: TestClient, rasa: FakeRasa) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("/greet")
    customer.messages_from("bot")
    customer.close()
    assert rasa.calls_to("parse")[0]["text"] == "greet"
    assert rasa.calls_to("parse")[0]["is_payload"] is False


def test_rasa_down_hands_over_as_bot_failure_and_the_customer_is_told(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.down = True
    customer = Customer(client)
    customer.connect()
    customer.receive()  # the disclosure
    customer.say("mijn meterstand doorgeven")
    told = customer.receive_until(lambda f: f["type"] == "message" and f["author"] == "system")
    assert told["text"].startswith("Sorry, er ging bij mij iets mis.")
    customer.close()
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.reason == "bot_failure"
    assert "mijn meterstand doorgeven" in [t["text"] for t in handoff.context["transcript"]]


def test_bot_failure_keeps_the_bots_messages_and_hands_over(
    client: TestClient, rasa: FakeRasa
) -> None:
    rasa.actions["greet"] = [{"name": "action_submit_move", "custom": True, "event_count": 0}]
    rasa.replies["greet"] = [{"text": "Ik zoek het even op."}]
    customer = Customer(client)
    customer.connect()
    customer.say("hallo")
    [bot] = customer.messages_from("bot")
    assert bot["text"] == "Ik zoek het even op."
    customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
    customer.close()
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.reason == "bot_failure"
    assert handoff.evidence["text"] == (
        "Een actie van de assistent gaf geen resultaat (action_submit_move)."
    )


def test_health_reports_rasa(client: TestClient, rasa: FakeRasa) -> None:
    assert client.get("/health").json() == {"status": "ok", "rasa": "ok"}
    rasa.down = True
    assert client.get("/health").json() == {"status": "ok", "rasa": "unavailable"}


def test_a_closed_conversation_takes_no_more_messages(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    customer.receive()  # the disclosure
    with database(client.app) as session:  # type: ignore[arg-type]
        row = session.get(Conversation, customer.conversation_id)
        assert row is not None
        store.apply_move(session, conversation=row, move=Move.close)
    refused = customer.say("nog een vraag")
    customer.close()
    assert refused["code"] == "conversation_closed"
    assert refused["message"] == "This conversation is closed; start a new one to continue."
    stored = messages_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert texts(stored, "customer") == []
    # Starting again gives the contact a new conversation, with its own disclosure.
    again = client.post(
        "/api/web/conversations", json={"contact_token": customer.tokens["contact_token"]}
    ).json()
    assert again["conversation_id"] != customer.conversation_id
    assert texts(messages_of(client.app, again["conversation_id"]), "system")[0].startswith(  # type: ignore[arg-type]
        DISCLOSURE_START
    )


def test_too_many_new_conversations_from_one_address_get_429(sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url, FakeRasa(), customer_rate_per_minute=2)) as client:
        answers = [client.post("/api/web/conversations", json={}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    assert answers[2].json()["detail"].startswith("Too many new conversations from this address")


def test_a_published_rule_set_applies_from_the_next_turn(client: TestClient) -> None:
    customer = Customer(client)
    customer.connect()
    customer.say("mag ik de baas")
    customer.messages_from("bot")
    with database(client.app) as session:  # type: ignore[arg-type]
        data = DEFAULT_RULESET.model_copy(deep=True)
        data.backstop_phrases["nl"].append("de baas")
        session.query(RuleSet).update({"active": False})
        session.add(RuleSet(version=2, data=data.model_dump(mode="json"), active=True))
    customer.say("mag ik de baas")
    told = customer.receive_until(lambda f: f["type"] == "message" and f["author"] == "system")
    customer.close()
    assert told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.ruleset_version == 2
    assert handoff.evidence["details"] == {"phrases": ["de baas"]}


def test_a_bot_slower_than_the_timeout_is_a_bot_failure(sqlite_url: str) -> None:
    rasa = FakeRasa(respond_delay=2.0)
    with TestClient(make_app(sqlite_url, rasa, rasa_timeout_seconds=0.3)) as client:
        customer = Customer(client)
        customer.connect()
        customer.receive()  # the disclosure
        ack = customer.say("hallo")
        told = customer.receive_until(lambda f: f["type"] == "message")
        customer.close()
        app = client.app
    assert told["author"] == "system" and told["text"].startswith(
        "Sorry, er ging bij mij iets mis."
    )
    [handoff] = handoffs_of(app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.evidence["details"] == {"error": "/respond: no answer within 0.3 s"}
    [kept] = [m for m in messages_of(app, customer.conversation_id) if m.id == ack["message_id"]]  # type: ignore[arg-type]
    assert kept.text == "hallo" and kept.processing_status == "done"


def test_what_the_customer_submitted_in_a_form_reaches_the_agent(
    client: TestClient, rasa: FakeRasa
) -> None:
    submitted = {
        "form": "meter_reading_form",
        "data": {"customer_number": "12345678", "meter_reading": "4567"},
        "reference": "MR-0001",
    }
    rasa.intents["4567"] = ("inform", 0.9)
    rasa.replies["inform"] = [{"text": "Dank je, je meterstand 4567 is doorgegeven."}]
    rasa.events["inform"] = [{"event": "slot", "name": "submitted", "value": submitted}]
    customer = Customer(client)
    customer.connect()
    customer.say("4567")
    customer.messages_from("bot")
    customer.press_person_button("person")
    customer.receive_until(lambda f: f["type"] == "state")
    customer.close()
    [handoff] = handoffs_of(client.app, customer.conversation_id)  # type: ignore[arg-type]
    assert handoff.context["submissions"] == [submitted]
    assert "klantnummer 12345678" in handoff.context["summary"]
    assert "meter_reading_form ingediend (referentie MR-0001)" in handoff.context["summary"]


def test_a_hello_with_a_bad_cursor_is_refused(client: TestClient) -> None:
    customer = Customer(client)
    with client.websocket_connect("/ws/web", headers={"origin": ORIGIN}) as ws:
        ws.send_json(
            {
                "type": "hello",
                "contact_token": customer.tokens["contact_token"],
                "conversation_token": customer.tokens["conversation_token"],
                "last_message_id": "latest",
            }
        )
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert error["code"] == "invalid_hello"
    assert closed.value.code == 4401


def test_an_open_socket_marks_the_customer_as_present(client: TestClient) -> None:
    customer = Customer(client)
    assert conversation(client.app, customer.conversation_id).last_seen_at is None  # type: ignore[arg-type]
    customer.connect()
    customer.receive()  # the disclosure
    wait_until(
        lambda: conversation(client.app, customer.conversation_id).last_seen_at is not None  # type: ignore[arg-type]
    )
    # The next presence tick is a minute away: a later moment can only be the close.
    before = store.now()
    # The test client cancels the handler right after the disconnect (as a server that
    # shuts down does); the moment they left is recorded all the same, before it returns,
    # so "abandoned" counts from then.
    customer.close()
    left = conversation(client.app, customer.conversation_id).last_seen_at  # type: ignore[arg-type]
    assert left is not None and store.as_utc(left) >= before
