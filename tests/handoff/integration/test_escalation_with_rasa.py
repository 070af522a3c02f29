"""Misunderstanding noticed with the real Rasa server and action server.

Model confidences move with every data edit, so these tests never assert them: they
publish a rule set whose threshold no unintelligible or off-topic turn reaches, and
assert the reason codes, the evidence and what the customer was told.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.store import publish
from tests.handoff.customers import TestClient, database, handoffs_of, messages_of
from tests.handoff.integration.test_service_with_rasa import (
    ASKS_CUSTOMER_NUMBER,
    HANDOFF_TEXT,
    service,
)
from tests.handoff.live.customer import AppCustomer
from tests.handoff.live.rasa import RealRasa

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]

ASK_REPHRASE = "Sorry, dat begreep ik niet helemaal."
NOT_A_NUMBER = "Dat lijkt geen klantnummer."
TRAINING_DATA = "".join(
    (REPO / "bot" / "data" / "nlu" / name).read_text(encoding="utf-8")
    for name in ("nl.yml", "en.yml")
)


def publish_thresholds(client: TestClient, **thresholds: Any) -> int:
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["thresholds"].update(thresholds)
    with database(client.app) as session:  # type: ignore[arg-type]
        return publish(session, data=data, account_id=None)


def test_two_unintelligible_turns_hand_over_as_low_confidence(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client:
        version = publish_thresholds(client, low_confidence=0.97)
        with AppCustomer(client) as customer:
            # The parse was rewritten to the live threshold, so the bot itself asks again.
            assert customer.answer_to("blorp snarf quux")["text"].startswith(ASK_REPHRASE)
            told = customer.answer_to("grmbl wopz kklq vrrt")
    assert told["author"] == "system" and told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "low_confidence"
    assert handoff.ruleset_version == version
    assert "'blorp snarf quux'" in handoff.evidence["text"]
    assert "'grmbl wopz kklq vrrt'" in handoff.evidence["text"]


def test_restating_a_need_the_bot_failed_on_hands_over_as_rephrase(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client:
        # Failed turns alone would need 5 in a row here: the restatements decide, the
        # second of them (the shipped rule set hands over at the first).
        publish_thresholds(client, low_confidence=0.999, low_confidence_turns=5, rephrase_count=2)
        with AppCustomer(client) as customer:
            asked = customer.answer_to("kun je mijn jaarafrekening uitleggen")
            assert asked["text"].startswith(ASK_REPHRASE)
            asked = customer.answer_to("uitleg over mijn jaarafrekening graag")
            assert asked["text"].startswith(ASK_REPHRASE)
            told = customer.answer_to("ik snap mijn jaarafrekening niet, leg het uit")
    assert told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "rephrase"
    assert handoff.evidence["text"].startswith("herformuleerde 2×")
    assert "kun je mijn jaarafrekening uitleggen" in handoff.evidence["text"]


def test_raising_the_threshold_changes_the_next_turn_without_a_restart(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        first = customer.answer_to("kun je mijn jaarafrekening uitleggen")
        assert not first["text"].startswith(ASK_REPHRASE)
        assert first["sources"], "a factual answer carries its source"
        version = publish_thresholds(client, low_confidence=0.999)
        second = customer.answer_to("kun je mijn jaarafrekening uitleggen")
    # Judged with the live threshold, the earlier turn fails too: two failed turns.
    assert second["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "low_confidence"
    assert handoff.ruleset_version == version


def test_a_customer_stuck_in_a_form_reaches_a_person_at_the_second_rejected_answer(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        assert (
            ASKS_CUSTOMER_NUMBER in customer.answer_to("ik wil mijn meterstand doorgeven")["text"]
        )
        # Not customer numbers: the form says so and asks again, twice.
        customer.say("blorp snarf quux")
        customer.message_from("bot", match=lambda f: ASKS_CUSTOMER_NUMBER in f["text"])
        customer.say("grmbl wopz kklq vrrt")
        told = customer.message_from("system")
    assert told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "low_confidence"
    assert handoff.evidence["text"] == (
        "2 antwoorden afgewezen door het formulier: 'blorp snarf quux', 'grmbl wopz kklq vrrt'"
    )


def test_restating_the_need_where_a_form_asks_hands_over_as_rephrase(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        first = customer.answer_to("ik wil mijn meterstand doorgeven")
        assert ASKS_CUSTOMER_NUMBER in first["text"]
        # From now on no parse is sure enough: the restatement is not understood.
        publish_thresholds(client, low_confidence=0.999)
        customer.say("hoe kan ik nou mijn meterstand doorgeven")
        # The form's own answer first, then a person instead of the question again.
        customer.message_from("bot", match=lambda f: f["text"].startswith(NOT_A_NUMBER))
        told = customer.message_from("system")
    assert told["text"].startswith(HANDOFF_TEXT)
    [handoff] = handoffs_of(customer.app, customer.conversation_id)
    assert handoff.reason == "rephrase"
    assert handoff.evidence["text"] == (
        "herformuleerde 1×: 'hoe kan ik nou mijn meterstand doorgeven' "
        "(eerste vraag: 'ik wil mijn meterstand doorgeven')"
    )


def test_every_stored_parse_names_the_nearest_training_example_of_its_intent(
    postgres_url: str, rasa: RealRasa
) -> None:
    with service(postgres_url, rasa) as client, AppCustomer(client) as customer:
        customer.answer_to("kun je mijn jaarafrekening uitleggen")
    [turn] = [
        m for m in messages_of(customer.app, customer.conversation_id) if m.author == "customer"
    ]
    assert turn.nlu is not None
    nearest = turn.nlu["nearest_example"]
    assert nearest["intent"] == turn.nlu["intent"]["name"]
    assert 0 < nearest["similarity"] <= 1
    assert f"- {nearest['text']}\n" in TRAINING_DATA
