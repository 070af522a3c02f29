"""`action_disambiguate`: two buttons, labelled from the domain in the customer's language."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.disambiguation import ActionDisambiguate

ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]
DOMAIN: dict[str, Any] = {
    "responses": {
        "utter_intent_label_change_instalment": [
            {"text": "Change my monthly instalment", "condition": ENGLISH},
            {"text": "Mijn termijnbedrag aanpassen"},
        ],
        "utter_intent_label_explain_bill": [
            {"text": "Uitleg over mijn jaarafrekening"},
            {"text": "Explain my bill", "condition": ENGLISH},
        ],
        "utter_intent_label_submit_meter_reading": [{"text": "Meterstand doorgeven"}],
        "utter_ask_disambiguation": [{"text": "Bedoel je een van deze?"}],
    }
}


def disambiguation_turn(ranking: list[tuple[str, float]], language: str = "nl") -> Tracker:
    latest = {
        "text": "mijn termijnbedrag klopt niet met de rekening",
        "intent": {"name": "disambiguate", "confidence": 1.0},
        "intent_ranking": [{"name": name, "confidence": conf} for name, conf in ranking],
        "entities": [],
    }
    events = [{"event": "user", "text": latest["text"], "parse_data": latest}]
    slots = {"language": language, "disambiguation_options": None}
    return Tracker("conversation-1", slots, latest, events, False, None, {}, "action_listen")


RANKING = [
    ("disambiguate", 1.0),
    ("change_instalment", 0.46),
    ("nlu_fallback", 0.45),
    ("explain_bill", 0.41),
    ("out_of_scope", 0.08),
    ("submit_meter_reading", 0.05),
]


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        ("nl", ["Mijn termijnbedrag aanpassen", "Uitleg over mijn jaarafrekening"]),
        ("en", ["Change my monthly instalment", "Explain my bill"]),
    ],
)
async def test_top_two_real_intents_are_offered_with_their_labels(
    language: str, titles: list[str]
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionDisambiguate().run(
        dispatcher, disambiguation_turn(RANKING, language), DOMAIN
    )

    assert events == [SlotSet("disambiguation_options", ["change_instalment", "explain_bill"])]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_disambiguation"]
    assert dispatcher.messages[0]["buttons"] == [
        {"title": titles[0], "payload": "/change_instalment"},
        {"title": titles[1], "payload": "/explain_bill"},
    ]


async def test_label_without_english_variation_falls_back_to_dutch() -> None:
    dispatcher = CollectingDispatcher()
    ranking = [("submit_meter_reading", 0.5), ("explain_bill", 0.45)]

    await ActionDisambiguate().run(dispatcher, disambiguation_turn(ranking, "en"), DOMAIN)

    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "Meterstand doorgeven",
        "Explain my bill",
    ]


async def test_intent_without_a_label_is_still_offered_by_name() -> None:
    dispatcher = CollectingDispatcher()
    ranking = [("explain_bill", 0.5), ("report_outage", 0.45)]

    events = await ActionDisambiguate().run(dispatcher, disambiguation_turn(ranking), DOMAIN)

    assert events == [SlotSet("disambiguation_options", ["explain_bill", "report_outage"])]
    assert dispatcher.messages[0]["buttons"][1] == {
        "title": "report_outage",
        "payload": "/report_outage",
    }


async def test_nothing_to_offer_says_nothing_but_returns_an_event() -> None:
    dispatcher = CollectingDispatcher()
    ranking = [("disambiguate", 1.0), ("nlu_fallback", 0.4), ("out_of_scope", 0.3)]

    events = await ActionDisambiguate().run(dispatcher, disambiguation_turn(ranking), DOMAIN)

    assert events == [SlotSet("disambiguation_options", [])]
    assert dispatcher.messages == []
