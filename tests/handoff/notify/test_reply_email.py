"""An agent's reply reaches a customer who left an e-mail address and closed the chat:
over real SMTP to a local sink, with the transcript, and every attempt recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from handoff.accounts.models import Account
from handoff.agents import operations
from handoff.conversations import store
from handoff.db.session import session_scope
from handoff.notify.delivery import email_reply, schedule_reply_emails
from handoff.notify.models import EmailDelivery
from tests.bot.servers import free_port
from tests.handoff.accounts.staff import create_staff
from tests.handoff.agents.waiting import waiting_conversation
from tests.handoff.customers import make_app
from tests.handoff.notify.sink import SmtpSink, body_of, smtp_sink_fixture  # noqa: F401

REPLY = "Je meterstand is verwerkt; je nieuwe termijnbedrag is 112 euro."


def smtp_settings(port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "Voorbeeld Energie <klantenservice@example.nl>",
        "smtp_starttls": False,
        "smtp_timeout_seconds": 5.0,
    }


@pytest.fixture
def app(sqlite_url: str, smtp_sink: SmtpSink) -> Iterator[FastAPI]:
    app = make_app(sqlite_url, **smtp_settings(smtp_sink.port))
    yield app
    app.state.engine.dispose()


def leave_email(app: FastAPI, conversation_id: str, *, online: bool = False) -> None:
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        conversation.email = "klant@example.nl"
        conversation.email_consent_at = store.now()
        if online:
            conversation.customer_online_until = store.now() + timedelta(minutes=2)


def agent_replies(app: FastAPI, conversation_id: str, text: str = REPLY) -> int:
    anna = create_staff(app, "anna@example.nl", name="Anna")
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, anna)
        assert account is not None
        operations.claim(session, conversation_id=conversation_id, account=account)
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, anna)
        assert account is not None
        effects = operations.send_message(
            session, conversation_id=conversation_id, account=account, text=text, internal=False
        )
    message_id: int = effects.result["message_id"]
    return message_id


def deliveries(app: FastAPI) -> list[EmailDelivery]:
    with session_scope(app.state.sessionmaker) as session:
        found = list(session.scalars(select(EmailDelivery).order_by(EmailDelivery.id)))
        session.expunge_all()
        return found


async def test_reply_and_transcript_reach_a_customer_who_left(
    app: FastAPI, smtp_sink: SmtpSink
) -> None:
    conversation_id = waiting_conversation(app, text="Mijn <b>termijnbedrag</b> klopt niet")
    leave_email(app, conversation_id)
    message_id = agent_replies(app, conversation_id)

    delivery_id = await email_reply(app, message_id)

    [mail] = smtp_sink.received
    assert mail["To"] == "klant@example.nl"
    assert mail["Subject"] == "Antwoord op je vraag aan Voorbeeld Energie"
    assert mail.get_content_type() == "text/plain"
    body = body_of(mail)
    assert f"Anna van Voorbeeld Energie heeft je vraag beantwoord:\n\n{REPLY}" in body
    # The transcript: the customer's words as they typed them, the handoff, the agent.
    assert "Jij:\nMijn <b>termijnbedrag</b> klopt niet" in body
    assert "Je praat nu met Anna, medewerker klantenservice." in body
    assert f"Anna:\n{REPLY}" in body
    [delivery] = deliveries(app)
    assert delivery.id == delivery_id
    assert (delivery.status, delivery.recipient, delivery.error) == (
        "sent",
        "klant@example.nl",
        None,
    )
    assert delivery.message_id == message_id


async def test_a_shutdown_lets_the_e_mail_in_flight_finish(
    app: FastAPI, smtp_sink: SmtpSink
) -> None:
    conversation_id = waiting_conversation(app)
    leave_email(app, conversation_id)
    message_id = agent_replies(app, conversation_id)
    smtp_sink.delay = 1.0
    async with app.router.lifespan_context(app):
        schedule_reply_emails(app, [message_id])  # as the agent's reply route does
    # The service stopped while the mail server was still taking the message.
    assert [m["To"] for m in smtp_sink.received] == ["klant@example.nl"]
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.error) == ("sent", None)


async def test_no_e_mail_while_the_customer_has_the_chat_open(
    app: FastAPI, smtp_sink: SmtpSink
) -> None:
    conversation_id = waiting_conversation(app)
    leave_email(app, conversation_id, online=True)
    message_id = agent_replies(app, conversation_id)

    assert await email_reply(app, message_id) is None
    assert smtp_sink.received == []
    assert deliveries(app) == []


async def test_no_e_mail_without_an_address(app: FastAPI, smtp_sink: SmtpSink) -> None:
    conversation_id = waiting_conversation(app)
    message_id = agent_replies(app, conversation_id)

    assert await email_reply(app, message_id) is None
    assert smtp_sink.received == []


async def test_a_failed_send_is_recorded_with_its_error(sqlite_url: str) -> None:
    app = make_app(sqlite_url, **smtp_settings(free_port()))  # nothing listens there
    try:
        conversation_id = waiting_conversation(app)
        leave_email(app, conversation_id)
        message_id = agent_replies(app, conversation_id)

        await email_reply(app, message_id)

        [delivery] = deliveries(app)
        assert delivery.status == "failed"
        assert delivery.error is not None and "ConnectionRefusedError" in delivery.error
        assert delivery.sent_at is None
    finally:
        app.state.engine.dispose()
