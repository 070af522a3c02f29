"""The signed messaging webhook: what is stored, what the bot answers over WhatsApp,
and what is refused."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from handoff.conversations.state import State
from tests.handoff.accounts.staff import login_agent
from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio, new_sid
from tests.handoff.channels.whatsapp.phone import (
    BUSINESS,
    Phone,
    contacts,
    eventually,
    received,
    sign,
    texting,
    whatsapp_app,
    whatsapp_conversations,
    whatsapp_messages,
)
from tests.handoff.customers import TestClient, handoffs_of, messages_of
from tests.handoff.fake_rasa import GREETING, FakeRasa

DISCLOSURE_START = "Hoi! Je chat met de digitale assistent van Voorbeeld Energie."
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def test_a_message_is_answered_by_the_bot_over_whatsapp_after_the_disclosure(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    rasa = FakeRasa()
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio) as phone:
        answer = phone.send("hallo")
        assert answer.status_code == 200
        assert answer.text == EMPTY_TWIML
        bodies = phone.wait_for_messages(2)
    assert bodies[0].startswith(DISCLOSURE_START)
    assert bodies[1] == GREETING
    assert all(m["from"] == BUSINESS for m in twilio.sent_to(phone.address))
    [conversation] = whatsapp_conversations(app)
    # Rasa knows the conversation by its opaque id, never by the number.
    assert [body["sender_id"] for body in rasa.calls_to("parse")] == [conversation.id]
    assert phone.number.lstrip("+") not in conversation.id
    log = messages_of(app, conversation.id)
    assert [(m.author, m.text[:20]) for m in log] == [
        ("system", DISCLOSURE_START[:20]),
        ("customer", "hallo"),
        ("bot", GREETING[:20]),
    ]
    assert [m.delivery_status for m in log if m.direction == "out"] == ["sent", "sent"]
    # The Twilio SID of each sent message is kept on its row.
    sids = [m["sid"] for m in twilio.sent_to(phone.address)]
    assert [m.channel_message_id for m in log if m.direction == "out"] == sids


def test_the_contact_is_known_by_a_hash_of_the_number_and_keeps_its_conversation(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        phone.send("hallo")
        phone.send("nog een vraag")
        phone.wait_for_messages(3)
    [contact] = contacts(app)
    assert phone.number not in contact.external_id_hash
    assert contact.address == phone.address
    [conversation] = whatsapp_conversations(app)
    disclosures = [
        m for m in messages_of(app, conversation.id) if m.text.startswith(DISCLOSURE_START)
    ]
    assert len(disclosures) == 1


@pytest.mark.parametrize("signature", [None, "forged", "signed-for-another-url", "other-token"])
def test_a_request_without_twilios_signature_is_refused_and_nothing_stored(
    sqlite_url: str, twilio: FakeTwilio, signature: str | None
) -> None:
    rasa = FakeRasa()
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio) as phone:
        params = phone.params("hallo")
        header = {
            None: None,
            "forged": "bm90IGEgc2lnbmF0dXJl",
            "signed-for-another-url": sign("https://evil.example/api/whatsapp/inbound", params),
            "other-token": sign(
                "https://handoff.example.nl/api/whatsapp/inbound", params, "x" * 32
            ),
        }[signature]
        answer = phone.post(params, signature=header)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Invalid or missing X-Twilio-Signature"}
    assert whatsapp_messages(app) == []
    assert contacts(app) == []
    assert rasa.calls == []
    assert twilio.creates == []


def test_a_signed_request_that_is_tampered_with_is_refused(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        params = phone.params("hallo")
        signature = sign("https://handoff.example.nl/api/whatsapp/inbound", params)
        answer = phone.post(params | {"Body": "iets anders"}, signature=signature)
    assert answer.status_code == 403
    assert whatsapp_messages(app) == []


def test_the_channel_is_off_without_twilio_credentials(sqlite_url: str, twilio: FakeTwilio) -> None:
    with texting(whatsapp_app(sqlite_url, twilio, twilio_auth_token=None), twilio) as phone:
        answer = phone.send("hallo")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "WhatsApp is not configured"}


def test_a_signed_message_that_is_not_whatsapp_is_a_400_and_nothing_stored(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        answer = phone.post(phone.params("hallo") | {"From": "+31612345678"})
    assert answer.status_code == 400
    assert answer.json() == {"detail": "From is not a WhatsApp address"}
    assert whatsapp_messages(app) == []


def test_the_same_message_sid_three_times_at_once_is_one_turn(
    database_url: str, twilio: FakeTwilio
) -> None:
    rasa = FakeRasa(echo=True)
    app = whatsapp_app(database_url, twilio, rasa)
    with texting(app, twilio) as phone:
        params = phone.params("hallo", sid=new_sid())
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda _: phone.post(params), range(3)))
        phone.wait_for_messages(2)
        # A redelivery later, after the turn, is acknowledged and ignored too.
        assert phone.post(params).status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 200]
    customer = [m for m in whatsapp_messages(app) if m.author == "customer"]
    assert [m.text for m in customer] == ["hallo"]
    assert len(rasa.calls_to("respond")) == 1
    assert twilio.bodies_to(phone.address)[1:] == ["antwoord op: hallo"]
    assert len(whatsapp_conversations(app)) == 1


def test_a_numbered_reply_chooses_the_offered_button(sqlite_url: str, twilio: FakeTwilio) -> None:
    rasa = FakeRasa(
        intents={"factuur": ("ask_bill", 0.9)},
        replies={
            "ask_bill": [
                {
                    "text": "Waar gaat het over?",
                    "buttons": [
                        {"title": "Jaarafrekening", "payload": "/annual_bill"},
                        {"title": "Termijnbedrag", "payload": "/instalment"},
                    ],
                    "sources": [{"title": "Facturen", "url": "/help/facturen"}],
                }
            ]
        },
    )
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio) as phone:
        phone.send("factuur")
        phone.wait_for_messages(2)
        phone.send("2")
        eventually(lambda: len(rasa.calls_to("respond")) >= 2)
    assert twilio.bodies_to(phone.address)[1] == (
        "Waar gaat het over?\n\n1. Jaarafrekening\n2. Termijnbedrag\nAntwoord met een nummer."
        "\n\nMeer informatie: https://handoff.example.nl/help/facturen"
    )
    second = rasa.calls_to("parse")[1]
    assert (second["text"], second["is_payload"]) == ("/instalment", True)
    chosen = [m for m in whatsapp_messages(app) if m.author == "customer"][1]
    assert chosen.text == "Termijnbedrag"
    assert chosen.payload["typed"] == "2"


def test_an_image_is_shown_to_the_agent_and_the_bot_offers_a_person(
    sqlite_url: str, twilio: FakeTwilio
) -> None:
    rasa = FakeRasa()
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio) as phone:
        client = phone.client
        url = twilio.add_media()
        phone.send("mijn meter", media=[(url, "image/png")])
        bodies = phone.wait_for_messages(2)
        assert bodies[1] == (
            "Foto's, documenten, spraakberichten en locaties kan ik helaas niet lezen. Een "
            "medewerker kan dat wel en ziet wat je stuurde. Je kunt je vraag ook typen."
            "\n\n1. Een medewerker spreken\nAntwoord met een nummer."
        )
        assert rasa.calls == []  # the bot never got the picture as text
        phone.send("1")
        [conversation] = whatsapp_conversations(app)
        eventually(lambda: handoffs_of(app, conversation.id))
        # Not logged in: no media.
        anonymous = client.get(f"/api/agent/whatsapp/media/{conversation.id}/0")
        assert anonymous.status_code == 401
        agent = login_agent(client, app)
        detail = client.get(f"/api/agent/conversations/{conversation.id}").json()
        [picture] = [m for m in detail["messages"] if m["media"]]
        assert picture["text"] == "mijn meter\n[Afbeelding]"
        assert picture["kind"] == "media"
        [item] = picture["media"]
        assert item["content_type"] == "image/png"
        shown = client.get(item["url"], headers=agent.headers)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.content == twilio.media[url.removeprefix(twilio.url)][0]
    [handoff] = handoffs_of(app, conversation.id)
    assert handoff.reason == "explicit_request"
    assert detail["conversation"]["state"] == State.waiting


def test_a_location_is_stored_for_the_agent(sqlite_url: str, twilio: FakeTwilio) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        phone.send("", location=(52.0907, 5.1214))
        phone.wait_for_messages(2)
        detail = phone.agent().detail()
    [where] = [m for m in detail["messages"] if m["location"]]
    assert where["text"] == "[Locatie: 52.0907, 5.1214]"
    assert where["location"]["latitude"] == 52.0907


def test_media_outside_twilio_is_never_fetched(sqlite_url: str, twilio: FakeTwilio) -> None:
    app = whatsapp_app(sqlite_url, twilio, FakeRasa())
    with texting(app, twilio) as phone:
        phone.send("kijk", media=[("http://169.254.169.254/latest/meta-data", "image/png")])
        agent = phone.agent()
        message_id = next(m.id for m in whatsapp_messages(app) if m.author == "customer")
        answer = agent.get(f"/api/agent/whatsapp/media/{message_id}/0")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Deze bijlage staat niet bij Twilio"}
    assert agent.conversation.channel == "whatsapp"


def test_the_number_never_reaches_the_logs(
    sqlite_url: str, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from tests.handoff.channels.whatsapp.fake_twilio import Reply

    twilio.script = [Reply(429, retry_after=0), Reply(500, stores=True)]
    rasa = FakeRasa()
    app = whatsapp_app(sqlite_url, twilio, rasa)
    with texting(app, twilio, number="+31687654321") as phone:
        phone.send("hallo")
        phone.wait_for_messages(2)
        phone.send("ik wil een medewerker")
        phone.wait_for_messages(4)
        eventually(
            lambda: all(
                m.delivery_status == "sent" for m in whatsapp_messages(app) if m.direction == "out"
            )
        )
    # The whole path logged: storing, the 429 and the 500 attempts, the look-up.
    assert "whatsapp message" in caplog.text and "gave http_error 429" in caplog.text
    assert "found at Twilio, not sent again" in caplog.text
    assert "87654321" not in caplog.text
    assert "31687654321" not in caplog.text


def test_fifty_customers_at_once_each_get_their_own_answer(
    database_url: str, twilio: FakeTwilio
) -> None:
    app = whatsapp_app(database_url, twilio, FakeRasa(echo=True))
    with TestClient(app) as client:
        phones = [Phone(client, f"+316{20000000 + n}", twilio) for n in range(50)]
        with ThreadPoolExecutor(50) as pool:
            answers = list(
                pool.map(lambda n: phones[n].send(f"vraag van klant {n}"), range(len(phones)))
            )
        eventually(lambda: all(received(twilio, phone, 2) for phone in phones), timeout=120)
    assert [a.status_code for a in answers] == [200] * 50
    for n, phone in enumerate(phones):
        bodies = phone.messages()
        assert bodies[0].startswith(DISCLOSURE_START)
        assert bodies[1:] == [f"antwoord op: vraag van klant {n}"]
    customer = [m for m in whatsapp_messages(app) if m.author == "customer"]
    assert len(customer) == 50
    assert {m.processing_status for m in customer} == {"done"}
