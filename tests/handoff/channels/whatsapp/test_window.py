"""A person's reply over WhatsApp, inside the 24-hour window and after it: the
re-engagement template, the held message, and its release when the customer answers."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update

from handoff.conversations.models import Conversation
from handoff.conversations.store import now
from handoff.feedback.models import CsatResponse
from tests.handoff.accounts.staff import login_agent
from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio
from tests.handoff.channels.whatsapp.phone import (
    Phone,
    eventually,
    whatsapp_app,
    whatsapp_conversations,
    whatsapp_messages,
)
from tests.handoff.customers import TestClient, database
from tests.handoff.fake_rasa import FakeRasa

TEMPLATE_SID = "HX" + "a" * 32


def all_sent(app: FastAPI) -> bool:
    return all(m.delivery_status == "sent" for m in whatsapp_messages(app) if m.direction == "out")


HANDOFF_TEXT = "Ik verbind je door met een medewerker."
CSAT_QUESTION = "Hoe tevreden ben je over dit gesprek?"


def test_asking_for_a_person_hands_over_and_the_agents_reply_arrives_over_whatsapp(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with TestClient(app) as client:
        phone = Phone(client)
        phone.send("ik wil een mens")
        eventually(lambda: any(b.startswith(HANDOFF_TEXT) for b in twilio.bodies_to(phone.address)))
        [conversation] = whatsapp_conversations(app)
        agent = login_agent(client, app)
        base = f"/api/agent/conversations/{conversation.id}"
        assert client.post(f"{base}/claim", headers=agent.headers).status_code == 200
        sent = client.post(
            f"{base}/messages", json={"text": "Hoi, ik ben Anna."}, headers=agent.headers
        )
        assert sent.status_code == 201
        eventually(lambda: "Hoi, ik ben Anna." in twilio.bodies_to(phone.address))
        phone.send("Dank je!")
        detail = eventually(
            lambda: (
                (d := client.get(base, headers=agent.headers).json())["messages"][-1]["text"]
                == "Dank je!"
                and d
            )
        )
    [reply] = [m for m in detail["messages"] if m["author"] == "agent"]
    assert reply["delivery_status"] == "sent"
    assert detail["conversation"]["window_closes_at"] is not None
    assert detail["conversation"]["held_messages"] == 0


def test_a_reply_after_24_hours_sends_the_template_and_holds_the_message_until_the_customer_answers(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(
        sqlite_url,
        twilio,
        FakeRasa(),
        twilio_template_content_sid=TEMPLATE_SID,
        twilio_template_variables={"1": "{org_name}"},
    )
    with TestClient(app) as client:
        phone = Phone(client)
        phone.send("ik wil een medewerker")
        # The disclosure, the handoff text and what happens next.
        eventually(lambda: len(twilio.bodies_to(phone.address)) == 3)
        [conversation] = whatsapp_conversations(app)
        agent = login_agent(client, app)
        base = f"/api/agent/conversations/{conversation.id}"
        client.post(f"{base}/claim", headers=agent.headers)
        eventually(lambda: all_sent(app))  # whatever the claim told the customer
        with database(app) as session:  # the customer last wrote 25 hours ago
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id)
                .values(last_customer_message_at=now() - timedelta(hours=25))
            )
        sends_before = len(twilio.creates)
        client.post(
            f"{base}/messages", json={"text": "Sorry voor het wachten."}, headers=agent.headers
        )
        template = eventually(
            lambda: [m for m in twilio.sent_to(phone.address) if m["content_sid"]]
        )[0]
        detail = eventually(
            lambda: (
                (d := client.get(base, headers=agent.headers).json())["conversation"][
                    "held_messages"
                ]
                == 1
                and d
            )
        )
        assert "Sorry voor het wachten." not in twilio.bodies_to(phone.address)
        assert [c.form.get("ContentSid") for c in twilio.creates[sends_before:]] == [TEMPLATE_SID]
        assert json.loads(twilio.creates[-1].form["ContentVariables"]) == {"1": "Voorbeeld Energie"}
        [held] = [m for m in detail["messages"] if m["author"] == "agent"]
        assert held["held"] is True and held["delivery_status"] == "pending"
        assert held["delivery_error"] == (
            "Wacht tot de klant antwoordt: het 24-uursvenster van WhatsApp is gesloten"
        )
        closes = detail["conversation"]["window_closes_at"]
        assert closes < now().isoformat()
        # The customer answers the template: the window opens, the message goes.
        phone.send("Ja, ik ben er")
        eventually(lambda: "Sorry voor het wachten." in twilio.bodies_to(phone.address))
        after = client.get(base, headers=agent.headers).json()
    assert template["content_sid"] == TEMPLATE_SID
    [released] = [m for m in after["messages"] if m["author"] == "agent"]
    assert released["held"] is False
    assert after["conversation"]["held_messages"] == 0
    assert after["conversation"]["window_closes_at"] > now().isoformat()
    # One template for the closed window, however many messages were held.
    assert len([m for m in twilio.sent_to(phone.address) if m["content_sid"]]) == 1


def test_after_an_agent_closes_the_customer_answers_the_satisfaction_question_with_a_digit(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with TestClient(app) as client:
        phone = Phone(client)
        phone.send("ik wil een mens")
        eventually(lambda: any(b.startswith(HANDOFF_TEXT) for b in twilio.bodies_to(phone.address)))
        [conversation] = whatsapp_conversations(app)
        agent = login_agent(client, app)
        base = f"/api/agent/conversations/{conversation.id}"
        assert client.post(f"{base}/claim", headers=agent.headers).status_code == 200
        assert client.post(f"{base}/close", headers=agent.headers).status_code == 200
        question = eventually(
            lambda: next(
                (b for b in twilio.bodies_to(phone.address) if b.startswith(CSAT_QUESTION)), None
            )
        )
        phone.send("4")
        eventually(lambda: any(m.text == "4" for m in whatsapp_messages(app)))
        with database(app) as session:
            [response] = session.query(CsatResponse).all()
            assert response.score == 4
    assert question == "Hoe tevreden ben je over dit gesprek? Geef een cijfer van 1 tot 5."
    # The digit answered the question: no new conversation, nothing for the bot.
    assert [c.id for c in whatsapp_conversations(app)] == [conversation.id]
