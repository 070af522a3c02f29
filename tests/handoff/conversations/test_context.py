"""The context packet: the whole conversation, per-turn intents, forms, a summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handoff.conversations.context import build_context_packet
from handoff.conversations.models import Conversation, Message
from handoff.escalation.explicit import button_request

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def message(id: int, author: str, text: str, **fields: Any) -> Message:
    return Message(id=id, author=author, text=text, created_at=AT, internal=False, **fields)


def test_packet_holds_transcript_intents_forms_and_a_summary() -> None:
    conversation = Conversation(id="c1", channel="web", language="nl")
    messages = [
        message(
            1,
            "system",
            "Hoi! Je chat met de digitale assistent.",
            payload={"kind": "disclosure_shown"},
        ),
        message(
            2,
            "customer",
            "ik wil mijn meterstand doorgeven",
            nlu={"intent": {"name": "submit_meter_reading", "confidence": 0.91}},
            payload={"turn": {"slots": {"customer_number": None}}},
        ),
        message(3, "bot", "Wat is je klantnummer?", payload={}),
        message(
            4,
            "customer",
            "12345",
            nlu={"intent": {"name": "inform", "confidence": 0.8}},
            payload={
                "turn": {"slots": {"customer_number": "12345"}},
                "submitted": {
                    "form": "meter_reading_form",
                    "data": {"customer_number": "12345"},
                    "reference": "MR-1",
                },
            },
        ),
        message(5, "bot", "Dank je, je meterstand is doorgegeven.", payload={}),
        message(
            6, "customer", "Ik wil graag een medewerker spreken.", payload={"kind": "request_human"}
        ),
    ]
    packet = build_context_packet(
        conversation=conversation, messages=messages, decision=button_request()
    )
    assert [line["text"] for line in packet["transcript"]] == [m.text for m in messages]
    assert [(t["intent"], t["confidence"]) for t in packet["turns"]] == [
        ("submit_meter_reading", 0.91),
        ("inform", 0.8),
        (None, None),
    ]
    assert packet["slots"] == {"customer_number": "12345"}
    assert packet["submissions"][0]["reference"] == "MR-1"
    assert packet["reason"] == "explicit_request"
    assert packet["summary"] == (
        "Onderwerp: meterstand doorgeven; klantnummer 12345; "
        "meter_reading_form ingediend (referentie MR-1); "
        'bot gaf antwoord "Dank je, je meterstand is doorgegeven."; klant stuurde 3 berichten; '
        "reden: De klant klikte op de knop om een medewerker te spreken."
    )


def test_summary_quotes_the_customer_when_no_topic_is_known() -> None:
    conversation = Conversation(id="c1", channel="web", language="nl")
    packet = build_context_packet(
        conversation=conversation,
        messages=[message(1, "customer", "waarom is mijn rekening zo hoog", payload={})],
        decision=button_request(),
    )
    assert packet["summary"].startswith('Onderwerp: "waarom is mijn rekening zo hoog"')
