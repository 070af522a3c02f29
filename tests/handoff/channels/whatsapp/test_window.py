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
from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio
from tests.handoff.channels.whatsapp.phone import (
    eventually,
    texting,
    whatsapp_app,
    whatsapp_conversations,
    whatsapp_messages,
)
from tests.handoff.customers import database
from tests.handoff.fake_rasa import FakeRasa

TEMPLATE_SID = "HX" + "a" * 32


def all_sent(app: FastAPI) -> bool:
    return all(m.delivery_status == "sent" for m in whatsapp_messages(app) if m.direction == "out")


CSAT_QUESTION = "Hoe tevreden ben je over dit gesprek?"


def test_asking_for_a_person_hands_over_and_the_agents_reply_arrives_over_whatsapp(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    with texting(whatsapp_app(sqlite_url, twilio, FakeRasa()), twilio) as phone:
        agent = phone.hand_over("ik wil een mens")
        sent = agent.reply("Hoi, ik ben Anna.")
        assert sent.status_code == 201
        phone.wait_for_message(exactly="Hoi, ik ben Anna.")
        phone.send("Dank je!")
        detail = eventually(
            lambda: (d := agent.detail())["messages"][-1]["text"] == "Dank je!" and d
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
    with texting(app, twilio) as phone:
        phone.send("ik wil een medewerker")
        # The disclosure, the handoff text and what happens next.
        eventually(lambda: len(phone.messages()) == 3)
        agent = phone.agent()
        agent.claim()
        eventually(lambda: all_sent(app))  # whatever the claim told the customer
        with database(app) as session:  # the customer last wrote 25 hours ago
            session.execute(
                update(Conversation)
                .where(Conversation.id == agent.conversation.id)
                .values(last_customer_message_at=now() - timedelta(hours=25))
            )
        sends_before = len(twilio.creates)
        agent.reply("Sorry voor het wachten.")
        template = eventually(
            lambda: [m for m in twilio.sent_to(phone.address) if m["content_sid"]]
        )[0]
        detail = eventually(
            lambda: (d := agent.detail())["conversation"]["held_messages"] == 1 and d
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
        phone.wait_for_message(exactly="Sorry voor het wachten.")
        after = agent.detail()
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
    with texting(app, twilio) as phone:
        agent = phone.hand_over("ik wil een mens")
        assert agent.close().status_code == 200
        question = phone.wait_for_message(starting=CSAT_QUESTION)
        phone.send("4")
        eventually(lambda: any(m.text == "4" for m in whatsapp_messages(app)))
        with database(app) as session:
            [response] = session.query(CsatResponse).all()
            assert response.score == 4
    assert question == "Hoe tevreden ben je over dit gesprek? Geef een cijfer van 1 tot 5."
    # The digit answered the question: no new conversation, nothing for the bot.
    assert [c.id for c in whatsapp_conversations(app)] == [agent.conversation.id]
