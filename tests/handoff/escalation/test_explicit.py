"""The explicit request: intent, phrase backstop and button; human-only topics."""

from __future__ import annotations

import pytest

from handoff.escalation import explicit
from handoff.escalation.decision import Reason
from handoff.escalation.text import normalise
from handoff.rasa.schemas import Intent, ParseResult
from handoff.rulesets.defaults import DEFAULT_RULESET

RULES = DEFAULT_RULESET


def parsed(intent: str, confidence: float) -> ParseResult:
    return ParseResult(text="x", intent=Intent(name=intent, confidence=confidence))


def test_request_human_intent_hands_over_with_its_confidence() -> None:
    decision = explicit.after_parse("kan dat?", parsed("request_human", 0.93), RULES)
    assert decision is not None
    assert decision.reason is Reason.explicit_request
    assert decision.evidence == (
        "De klant vroeg om een medewerker (herkend als request_human, zekerheid 93%)."
    )


def test_request_human_below_the_threshold_does_not_count_by_itself() -> None:
    assert explicit.after_parse("kan dat?", parsed("request_human", 0.2), RULES) is None


@pytest.mark.parametrize(
    "text",
    [
        "ik wil een medewerker",
        "Mag ik een MEDEWERKER???",
        "gewoon een echt persoon aub",
        "een mens graag",
        "I want a human",
        "can I talk to a real person",
        "agent!",
        "Médewerker",
    ],
)
def test_backstop_hands_over_whatever_the_model_thinks(text: str) -> None:
    decision = explicit.after_parse(text, parsed("explain_bill", 0.99), RULES)
    assert decision is not None and decision.reason is Reason.explicit_request
    assert decision.evidence.startswith("De klant vroeg om een medewerker (schreef '")


def test_backstop_works_without_any_parse() -> None:
    decision = explicit.explicit_request("medewerker", None, RULES)
    assert decision is not None and decision.details == {"phrases": ["medewerker"]}


@pytest.mark.parametrize(
    "text", ["de politieagent stond voor de deur", "medewerkers van het jaar", "menselijk"]
)
def test_backstop_matches_whole_words_only(text: str) -> None:
    assert explicit.backstop_hits(text, RULES) == []


def test_button_is_an_explicit_request() -> None:
    decision = explicit.button_request()
    assert decision.reason is Reason.explicit_request
    assert decision.evidence == "De klant klikte op de knop om een medewerker te spreken."


@pytest.mark.parametrize(
    "intent", ["complaint", "cancel_contract", "payment_arrangement", "bereavement"]
)
def test_human_only_topics_hand_over_before_the_bot_answers(intent: str) -> None:
    decision = explicit.after_parse("…", parsed(intent, 0.9), RULES)
    assert decision is not None and decision.reason is Reason.human_only
    assert intent in decision.evidence


def test_an_ordinary_question_stays_with_the_bot() -> None:
    assert explicit.after_parse("wat kost stroom", parsed("explain_bill", 0.9), RULES) is None


def test_normalise_drops_case_accents_and_punctuation() -> None:
    assert normalise("  Wáár is MIJN factuur?!  ") == "waar is mijn factuur"
