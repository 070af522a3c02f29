"""The Value Matrix: the single source of truth for human-only topics, and rule sets
stored before it existed still load."""

from __future__ import annotations

from handoff.escalation import explicit
from handoff.escalation.decision import Reason
from handoff.rasa.schemas import Intent, ParseResult
from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData
from handoff.rulesets.store import validation_problems
from handoff.rulesets.value_matrix import quadrant


def parsed(intent: str, confidence: float = 0.9) -> ParseResult:
    return ParseResult(text="x", intent=Intent(name=intent, confidence=confidence))


def with_matrix(**changes: str) -> RuleSetData:
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["value_matrix"].update(changes)
    return RuleSetData.model_validate(data)


def test_the_default_matrix_follows_the_example_assistant() -> None:
    assert quadrant(DEFAULT_RULESET, "submit_meter_reading") == "automate"
    assert quadrant(DEFAULT_RULESET, "explain_bill") == "simplify"
    assert quadrant(DEFAULT_RULESET, "report_outage") == "eliminate"
    assert DEFAULT_RULESET.human_only_intents == [
        "complaint",
        "cancel_contract",
        "payment_arrangement",
        "bereavement",
    ]
    # Not a contact reason: the bot answers it.
    assert quadrant(DEFAULT_RULESET, "greet") == "automate"


def test_a_topic_moved_to_human_hands_over_before_the_bot_answers() -> None:
    rules = with_matrix(moving_house="human")
    decision = explicit.after_parse("ik ga verhuizen", parsed("moving_house"), rules)
    assert decision is not None
    assert decision.reason is Reason.human_only
    assert decision.evidence == "Onderwerp voor een medewerker: moving_house (zekerheid 90%)."


def test_a_topic_moved_away_from_human_is_answered_by_the_bot() -> None:
    rules = with_matrix(complaint="simplify")
    assert explicit.after_parse("ik heb een klacht", parsed("complaint"), rules) is None
    assert "complaint" not in rules.human_only_intents


def test_a_rule_set_stored_before_the_matrix_loads_with_its_human_only_list() -> None:
    old = DEFAULT_RULESET.model_dump(mode="json")
    del old["value_matrix"]
    old["human_only_intents"] = ["complaint", "moving_house"]

    rules = RuleSetData.model_validate(old)

    assert rules.value_matrix["moving_house"] == "human"
    assert rules.value_matrix["complaint"] == "human"
    # Human by default, but the old rule set had chosen otherwise.
    assert rules.value_matrix["bereavement"] == "automate"
    assert rules.value_matrix["explain_bill"] == "simplify"
    assert "human_only_intents" not in rules.model_dump()


def test_a_quadrant_that_does_not_exist_cannot_be_published() -> None:
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["value_matrix"]["complaint"] = "ignore"
    data["value_matrix"]["Bad Name"] = "human"
    problems = validation_problems(data)
    assert any(p.startswith("value_matrix.complaint:") for p in problems)
    assert any(p.startswith("value_matrix.Bad Name") for p in problems)
