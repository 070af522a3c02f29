"""WhatsApp against the real Rasa and action server (PostgreSQL): the bot's answer,
a person on request with the agent's reply over WhatsApp, and 50 customers at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI

from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio
from tests.handoff.channels.whatsapp.phone import (
    Phone,
    eventually,
    received,
    texting,
    whatsapp_app,
    whatsapp_conversations,
    whatsapp_messages,
)
from tests.handoff.customers import TestClient, handoffs_of
from tests.handoff.live.rasa import RealRasa

pytestmark = pytest.mark.integration

DISCLOSURE_START = "Hoi! Je chat met de digitale assistent van Voorbeeld Energie."
GREETING_START = "Hallo! Ik ben de digitale assistent"


def with_rasa(postgres_url: str, twilio: FakeTwilio, rasa: RealRasa, **overrides: Any) -> FastAPI:
    return whatsapp_app(
        postgres_url,
        twilio,
        rasa_url=rasa.url,
        gateway_secret=rasa.secret,
        rasa_timeout_seconds=20.0,
        **overrides,
    )


def test_a_whatsapp_message_gets_the_bots_answer(
    postgres_url: str, twilio: FakeTwilio, rasa: RealRasa
) -> None:
    app = with_rasa(postgres_url, twilio, rasa)
    with texting(app, twilio) as phone:
        assert phone.send("hallo").status_code == 200
        bodies = phone.wait_for_messages(2)
    assert bodies[0].startswith(DISCLOSURE_START)
    assert bodies[1].startswith(GREETING_START)
    [conversation] = whatsapp_conversations(app)
    assert [m.delivery_status for m in whatsapp_messages(app) if m.direction == "out"] == [
        "sent",
        "sent",
    ]
    assert conversation.state == "bot"


def test_ik_wil_een_mens_hands_over_and_the_agents_reply_arrives_over_whatsapp(
    postgres_url: str, twilio: FakeTwilio, rasa: RealRasa
) -> None:
    app = with_rasa(postgres_url, twilio, rasa)
    with texting(app, twilio) as phone:
        phone.send("hallo")
        phone.wait_for_messages(2)
        agent = phone.hand_over("ik wil een mens")
        answer = agent.reply("Hoi, ik help je verder.")
        assert answer.status_code == 201
        phone.wait_for_message(exactly="Hoi, ik help je verder.")
    [handoff] = handoffs_of(app, agent.conversation.id)
    assert handoff.reason == "explicit_request"
    transcript = [line["text"] for line in handoff.context["transcript"]]
    assert "ik wil een mens" in transcript


def test_fifty_customers_at_once_are_all_answered_and_nothing_is_lost(
    postgres_url: str, twilio: FakeTwilio, rasa: RealRasa
) -> None:
    app = with_rasa(postgres_url, twilio, rasa)
    with TestClient(app) as client:
        phones = [Phone(client, f"+316{10000000 + n}", twilio) for n in range(50)]
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda phone: phone.send("hallo"), phones))
        assert [a.status_code for a in answers] == [200] * 50
        eventually(lambda: all(received(twilio, p, 2) for p in phones), timeout=180)
    for phone in phones:
        bodies = phone.messages()
        assert len(bodies) == 2, bodies
        assert bodies[0].startswith(DISCLOSURE_START)
        assert bodies[1].startswith(GREETING_START)
    customer = [m for m in whatsapp_messages(app) if m.author == "customer"]
    assert len(customer) == 50
    assert {m.processing_status for m in customer} == {"done"}
    assert len(whatsapp_conversations(app)) == 50
