"""The service with the real Rasa and action server (PostgreSQL everywhere): the
guarantees that need no model, against the real gateway."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import psycopg
import pytest

from handoff.conversations.state import State
from tests.handoff.accounts.staff import LoggedIn, login_agent
from tests.handoff.customers import (
    TestClient,
    conversation,
    handoffs_of,
    make_app,
    messages_of,
    texts,
    wait_until,
)
from tests.handoff.live.customer import AppCustomer, LiveCustomer
from tests.handoff.live.rasa import RealRasa
from tests.handoff.live.service import ServiceProcess, service_env

pytestmark = pytest.mark.integration

DISCLOSURE = "Hoi! Je chat met de digitale assistent van Voorbeeld Energie."
HANDOFF_TEXT = "Ik verbind je door met een medewerker."
BOT_FAILURE_TEXT = "Sorry, er ging bij mij iets mis."
GREETING_START = "Hallo! Ik ben de digitale assistent"
ASKS_CUSTOMER_NUMBER = "Wat is je klantnummer?"


def service(postgres_url: str, rasa: RealRasa, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {
        "rasa_url": rasa.url,
        "gateway_secret": rasa.secret,
        "rasa_timeout_seconds": 20.0,
    }
    return TestClient(make_app(postgres_url, **(values | overrides)))


def user_events(rasa: RealRasa, sender_id: str) -> list[str]:
    with psycopg.connect(rasa.tracker_dsn) as conn:
        rows = conn.execute(
            "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id",
            (sender_id,),
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


def backdate_tracker(rasa: RealRasa, sender_id: str, seconds: float) -> None:
    """Moves the whole tracker into the past, so Rasa's next turn would start a new
    session (and silently lift ConversationPaused) if it ever got one."""
    with psycopg.connect(rasa.tracker_dsn) as conn:
        rows = conn.execute(
            "SELECT id, data FROM events WHERE sender_id = %s", (sender_id,)
        ).fetchall()
        for event_id, data in rows:
            event = json.loads(data)
            event["timestamp"] = event["timestamp"] - seconds
            conn.execute(
                "UPDATE events SET timestamp = %s, data = %s WHERE id = %s",
                (event["timestamp"], json.dumps(event), event_id),
            )


def person_button_in_the_meter_form(customer: AppCustomer) -> None:
    """The customer starts a meter reading; once the bot asks for the customer number,
    the customer presses the person button."""
    assert ASKS_CUSTOMER_NUMBER in customer.answer_to("ik wil mijn meterstand doorgeven")["text"]
    customer.ask_for_a_person()


def claim(client: TestClient, conversation_id: str) -> LoggedIn:
    """An agent logs in and claims through the agent API, as the console does."""
    agent = login_agent(client, client.app)  # type: ignore[arg-type]
    answer = client.post(f"/api/agent/conversations/{conversation_id}/claim", headers=agent.headers)
    assert answer.status_code == 200, answer.text
    return agent


def test_asking_for_a_person_in_words_hands_over_with_the_whole_conversation(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        assert customer.answer_to("hallo")["text"].startswith(GREETING_START)
        told = customer.answer_to("ik wil een medewerker")
    assert told["author"] == "system" and told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "explicit_request"
    transcript = [line["text"] for line in handoff.context["transcript"]]
    assert transcript[0].startswith(DISCLOSURE)
    assert transcript[1] == "hallo" and transcript[2].startswith(GREETING_START)
    assert transcript[3] == "ik wil een medewerker"
    assert handoff.context["turns"][0]["intent"] == "greet"
    # The bot never answered the request itself.
    assert user_events(rasa, customer.conversation_id) == ["hallo"]


def test_the_person_button_hands_over_with_the_whole_conversation(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        person_button_in_the_meter_form(customer)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "explicit_request"
    transcript = [line["text"] for line in handoff.context["transcript"]]
    assert transcript[1] == "ik wil mijn meterstand doorgeven"
    assert ASKS_CUSTOMER_NUMBER in transcript[2]
    assert transcript[3] == "Ik wil graag een medewerker spreken."
    assert handoff.context["summary"].startswith("Onderwerp: meterstand doorgeven")
    assert conversation(customer.app, customer.conversation_id).state == State.waiting


def test_rasa_unreachable_mid_conversation_is_a_bot_failure_and_nothing_is_lost(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        customer.answer_to("hallo")
        rasa.rasa_proxy.cut()
        ack = customer.say("kun je mijn rekening uitleggen")
        told = customer.message_from("bot", "system")
    assert told["text"].startswith(BOT_FAILURE_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "bot_failure"
    stored = messages_of(customer.app, customer.conversation_id)
    kept = [m for m in stored if m.id == ack["message_id"]]
    assert kept[0].text == "kun je mijn rekening uitleggen"
    assert kept[0].processing_status == "done"
    assert "kun je mijn rekening uitleggen" in [t["text"] for t in handoff.context["transcript"]]


def test_an_action_slower_than_the_timeout_is_a_bot_failure(
    postgres_url: str, rasa: RealRasa
) -> None:
    with (
        service(postgres_url, rasa, rasa_timeout_seconds=4.0) as client,
        AppCustomer(client) as customer,
    ):
        assert (
            ASKS_CUSTOMER_NUMBER in customer.answer_to("ik wil mijn meterstand doorgeven")["text"]
        )
        # The form's validation action now answers after the service stopped waiting.
        rasa.action_proxy.delay = 8.0
        told = customer.answer_to("12345678")
    assert told["text"].startswith(BOT_FAILURE_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "bot_failure"
    assert "no answer within 4 s" in handoff.evidence["details"]["error"]
    assert "12345678" in texts(messages_of(customer.app, customer.conversation_id), "customer")


def test_two_messages_at_once_are_answered_in_order(postgres_url: str, rasa: RealRasa) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        customer.send({"type": "message", "client_id": "1", "text": "hallo"})
        customer.send(
            {"type": "message", "client_id": "2", "text": "kun je mijn rekening uitleggen"}
        )
        first, second = customer.messages_from("bot", count=2)
    assert first["text"].startswith(GREETING_START)
    assert second["text"].startswith("Je jaarafrekening vergelijkt")
    assert user_events(rasa, customer.conversation_id) == [
        "hallo",
        "kun je mijn rekening uitleggen",
    ]


def test_after_hand_back_the_bot_answers_without_disclosure_or_stale_form(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        person_button_in_the_meter_form(customer)
        agent = claim(client, customer.conversation_id)
        handed_back = client.post(
            f"/api/agent/conversations/{customer.conversation_id}/handback", headers=agent.headers
        )
        assert handed_back.status_code == 200, handed_back.text
        assert handed_back.json()["cleared_form"] == "meter_reading_form"
        customer.say("hallo")
        answer = customer.messages_from("bot")[0]
    assert answer["text"].startswith(GREETING_START)
    assert ASKS_CUSTOMER_NUMBER not in answer["text"]
    stored = messages_of(customer.app, customer.conversation_id)
    disclosures = [m for m in stored if m.payload.get("kind") == "disclosure_shown"]
    assert len(disclosures) == 1 and stored[0].id == disclosures[0].id


def test_while_a_person_owns_the_conversation_no_turn_reaches_rasa_even_after_expiry(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        customer.answer_to("hallo")
        customer.ask_for_a_person()
        claim(client, customer.conversation_id)
        # Rasa's 60-minute session expiry would lift its pause on the next message.
        backdate_tracker(rasa, customer.conversation_id, seconds=2 * 3600)
        ack = customer.say("hallo? ik wacht nog steeds")
        wait_until(
            lambda: [
                m
                for m in messages_of(customer.app, customer.conversation_id)
                if m.id == ack["message_id"] and m.processing_status == "done"
            ]
        )
        time.sleep(1.0)  # room for a (wrong) late bot answer to show up
    stored = messages_of(customer.app, customer.conversation_id)
    assert [m.text for m in stored if m.author == "bot"] == [
        m.text for m in stored if m.author == "bot" and m.id < ack["message_id"]
    ]
    assert user_events(rasa, customer.conversation_id) == ["hallo"]
    assert not [
        f
        for f in customer.seen
        if f["type"] == "message" and f["author"] == "bot" and f["id"] > ack["message_id"]
    ]


# --- a real crash: the service process is killed between the ack and the turn ---


def test_a_message_acknowledged_before_a_crash_is_answered_after_restart(
    postgres_url: str, rasa: RealRasa, service_process: ServiceProcess
) -> None:
    service_process.env = service_env(rasa, service_process.url, HANDOFF_WORKER_LEASE_SECONDS="3")
    service_process.start()
    customer = LiveCustomer(service_process)
    assert customer.seen[0]["type"] == "welcome"
    rasa.rasa_proxy.stall()  # the turn starts and hangs inside Rasa's parse
    ack = customer.say("hallo")
    customer.close()
    conversation_id = customer.conversation_id

    probe = make_app(postgres_url)
    wait_until(
        lambda: [
            m
            for m in messages_of(probe, conversation_id)
            if m.id == ack["message_id"] and m.processing_status == "processing"
        ]
    )
    service_process.current.send_signal(signal.SIGKILL)
    service_process.current.wait(timeout=10)
    rasa.rasa_proxy.flow()

    service_process.start()  # the same database; the dead process's lease runs out after 3 s
    answered = wait_until(
        lambda: [m for m in messages_of(probe, conversation_id) if m.author == "bot"],
        timeout=60,
    )
    assert answered[0].text.startswith(GREETING_START)
    customer_rows = [m for m in messages_of(probe, conversation_id) if m.author == "customer"]
    assert [(m.text, m.processing_status) for m in customer_rows] == [("hallo", "done")]


def test_a_complaint_goes_to_a_person_before_the_bot_answers(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        told = customer.answer_to("ik wil een klacht indienen")
    assert told["author"] == "system" and told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "human_only"
    assert handoff.context["turns"][0]["intent"] == "complaint"
    # Rasa parsed the turn but never ran it: no user event, no bot answer.
    assert user_events(rasa, customer.conversation_id) == []
    assert texts(messages_of(customer.app, customer.conversation_id), "bot") == []


def test_a_goodbye_to_the_real_bot_resolves_the_conversation_and_asks_how_it_went(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        farewell = customer.answer_to("doei")
        assert farewell["author"] == "bot" and farewell["text"].startswith("Fijne dag nog!")
        asked = customer.message_from("system")
        assert asked["text"].startswith("Hoe tevreden ben je over dit gesprek?")
        assert [b["payload"] for b in asked["buttons"]] == [f"csat:{n}" for n in range(1, 6)]
        assert customer.say("4")["type"] == "ack"
    closed = conversation(customer.app, customer.conversation_id)
    assert (closed.state, closed.outcome) == (State.closed, "resolved_by_bot")
    assert texts(messages_of(customer.app, customer.conversation_id))[-1] == "4"
