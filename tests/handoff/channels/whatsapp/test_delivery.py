"""Sending through Twilio without ever sending twice: retries on 429/503/refused, the
``unknown`` outcome settled by the status callback or a look-up, no retry of other
4xx, and status callbacks the agent sees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from handoff.conversations.models import Message
from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio, Reply
from tests.handoff.channels.whatsapp.phone import (
    Phone,
    eventually,
    status_callback,
    texting,
    whatsapp_app,
    whatsapp_messages,
)
from tests.handoff.customers import TestClient, database
from tests.handoff.fake_rasa import GREETING, FakeRasa

DISCLOSURE_START = "Hoi! Je chat met de digitale assistent"


def outbound(app: Any) -> list[Message]:
    return [m for m in whatsapp_messages(app) if m.direction == "out"]


def settled(app: Any, count: int) -> list[Message]:
    """Waits until ``count`` outbound messages are neither pending nor unknown."""

    def check() -> list[Message] | None:
        found = outbound(app)
        done = len(found) >= count and all(
            m.delivery_status not in ("pending", "unknown") for m in found
        )
        return found if done else None

    return eventually(check)


def first_message_settled(phone: Phone, text: str) -> list[Message]:
    """The customer's first message sent; the disclosure and the answer once settled."""
    phone.send(text)
    return settled(phone.app, 2)


def test_a_429_waits_for_retry_after_and_sends_once(sqlite_url: str, twilio: FakeTwilio) -> None:
    twilio.script = [Reply(429, retry_after=1, code=20429, message="Too Many Requests")]
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        messages = first_message_settled(phone, "hallo")
    assert [m.delivery_status for m in messages] == ["sent", "sent"]
    assert twilio.bodies_to(phone.address)[0].startswith(DISCLOSURE_START)
    assert twilio.bodies_to(phone.address)[1] == GREETING
    first, second = twilio.creates[0], twilio.creates[1]
    assert (first.answered, second.answered) == (429, 201)
    assert first.form == second.form  # the same message, sent once
    assert second.at - first.at >= 1.0  # Retry-After was honoured
    assert len(twilio.held) == 2


def test_a_503_and_a_refused_connection_are_retried(sqlite_url: str, twilio: FakeTwilio) -> None:
    twilio.script = [Reply(503)]
    app = whatsapp_app(sqlite_url, twilio, FakeRasa(echo=True))
    with texting(app, twilio) as phone:
        first_message_settled(phone, "hallo")
        twilio.stop()  # Twilio unreachable: connection refused
        phone.send("nog iets")
        eventually(
            lambda: any(
                m.delivery_attempts >= 1 and m.delivery_status == "pending" for m in outbound(app)
            )
        )
        twilio.start()  # back on the same port
        messages = settled(app, 3)
    assert [m.delivery_status for m in messages] == ["sent", "sent", "sent"]
    assert twilio.bodies_to(phone.address)[1:] == ["antwoord op: hallo", "antwoord op: nog iets"]
    assert [c.answered for c in twilio.creates][:2] == [503, 201]


def test_a_500_is_unknown_and_the_status_callback_settles_it_without_a_resend(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    twilio.script = [Reply(500, stores=True)]
    # No look-up during this test: only the callback may settle it.
    app = whatsapp_app(sqlite_url, twilio, FakeRasa(), twilio_unknown_settle_seconds=600)
    with texting(app, twilio) as phone:
        phone.send("hallo")
        phone.wait_for_messages(2)
        disclosure = eventually(
            lambda: [m for m in outbound(app) if m.delivery_status == "unknown"]
        )[0]
        assert disclosure.text.startswith(DISCLOSURE_START)
        assert (
            disclosure.delivery_error
            == "Twilio 500; status wordt nagevraagd, niet opnieuw verstuurd"
        )
        held_by_twilio = twilio.sent_to(phone.address)[0]
        answer = status_callback(phone.client, held_by_twilio, "delivered")
        assert answer.status_code == 204
        messages = settled(app, 2)
    assert [m.delivery_status for m in messages] == ["delivered", "sent"]
    assert messages[0].channel_message_id == held_by_twilio["sid"]
    assert len([c for c in twilio.creates if c.form["Body"].startswith(DISCLOSURE_START)]) == 1


def test_a_500_that_never_reached_twilio_is_looked_up_then_sent_again(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    twilio.script = [Reply(500, stores=False)]
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        messages = first_message_settled(phone, "hallo")
    assert [m.delivery_status for m in messages] == ["sent", "sent"]
    disclosure_sends = [c for c in twilio.creates if c.form["Body"].startswith(DISCLOSURE_START)]
    assert [c.answered for c in disclosure_sends] == [500, 201]
    assert len(twilio.bodies_to(phone.address)) == 2  # the customer got each message once


def test_a_timeout_is_unknown_and_a_look_up_finds_it_so_it_is_not_sent_twice(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    twilio.script = [Reply(201, delay=2.0)]  # longer than the 1 s client timeout
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        messages = first_message_settled(phone, "hallo")
    assert [m.delivery_status for m in messages] == ["sent", "sent"]
    assert len(twilio.creates) == 2  # the disclosure once, the answer once
    assert messages[0].channel_message_id == twilio.sent_to(phone.address)[0]["sid"]


def test_another_4xx_fails_at_once_and_the_agent_sees_why(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    twilio.script = [Reply(400, code=21211, message="Invalid 'To' Phone Number")]
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        messages = first_message_settled(phone, "hallo")
        detail = phone.agent().detail()
    assert [m.delivery_status for m in messages] == ["failed", "sent"]
    assert len(twilio.creates) == 2  # never retried
    [disclosure] = [m for m in detail["messages"] if m["kind"] == "disclosure_shown"]
    assert disclosure["delivery_status"] == "failed"
    assert disclosure["delivery_error_code"] == 21211
    assert disclosure["delivery_error"] == "Ongeldig nummer van de klant (Twilio 21211)"


def test_status_callbacks_update_delivery_and_record_twilios_error(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    with texting(whatsapp_app(sqlite_url, twilio, FakeRasa()), twilio) as phone:
        first_message_settled(phone, "hallo")
        disclosure, answer = twilio.sent_to(phone.address)
        client = phone.client
        assert status_callback(client, disclosure, "read").status_code == 204
        assert status_callback(client, disclosure, "delivered").status_code == 204  # late
        assert status_callback(client, answer, "undelivered", error_code=63016).status_code == 204
        forged = status_callback(client, answer, "read", token="x" * 32)
        detail = phone.agent().detail()
    assert forged.status_code == 403
    shown = [
        (m["delivery_status"], m["delivery_error_code"])
        for m in detail["messages"]
        if m["direction"] == "out"
    ]
    assert shown == [("read", None), ("failed", 63016)]
    assert detail["messages"][-1]["delivery_error"] == (
        "Buiten het 24-uursvenster: alleen een goedgekeurde template kan worden verstuurd"
        " (Twilio 63016)"
    )


def test_pending_messages_are_sent_after_a_restart(database_url: str, twilio: FakeTwilio) -> None:
    twilio.stop()  # Twilio unreachable while the first process runs
    app = whatsapp_app(database_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        phone.send("hallo")
        eventually(lambda: len(outbound(app)) >= 2)
    assert all(m.delivery_status == "pending" for m in outbound(app))
    twilio.start()
    app = whatsapp_app(database_url, twilio, FakeRasa())
    with TestClient(app):
        messages = settled(app, 2)
    assert [m.delivery_status for m in messages] == ["sent", "sent"]
    assert twilio.bodies_to(phone.address)[1] == GREETING


def test_a_send_cut_off_by_a_crash_is_looked_up_not_resent(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    """A claim left by a dead process: the request may have reached Twilio."""
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        first_message_settled(phone, "hallo")
    reached = twilio.sent_to(phone.address)[1]
    twilio.creates.clear()
    with database(app) as session:  # as if the answer's send had died mid-flight
        from handoff.conversations.store import now

        answer_id = outbound(app)[1].id
        session.execute(
            update(Message)
            .where(Message.id == answer_id)
            .values(
                delivery_status="pending",
                channel_message_id=None,
                payload={"whatsapp": {"parts": 1}},
                send_claimed_at=now().replace(year=2000),
            )
        )
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with TestClient(app):
        messages = settled(app, 2)
    assert twilio.creates == []
    assert messages[1].delivery_status == "sent"
    assert messages[1].channel_message_id == reached["sid"]


def test_a_long_message_goes_out_in_parts_and_is_delivered_when_all_parts_are(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    long_answer = " ".join(f"zin{n}." for n in range(300))  # about 2300 characters
    rasa = FakeRasa(replies={"greet": [{"text": long_answer}]})
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio) as phone:
        messages = first_message_settled(phone, "hallo")
        parts = twilio.sent_to(phone.address)[1:]
        assert len(parts) == 2
        status_callback(phone.client, parts[0], "delivered")
        halfway = outbound(app)[1].delivery_status
        status_callback(phone.client, parts[1], "delivered")
        done = outbound(app)[1]
    assert all(len(part["body"]) <= 1600 for part in parts)
    assert " ".join(part["body"] for part in parts) == long_answer
    assert messages[1].channel_message_id == parts[0]["sid"]
    assert (halfway, done.delivery_status) == ("sent", "delivered")
