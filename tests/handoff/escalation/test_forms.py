"""A form turning the customer's answers down, answer after answer."""

from __future__ import annotations

from handoff.escalation.decision import Reason
from handoff.escalation.forms import FormTurn, form_rejections, rejects


def asked(text: str) -> FormTurn:
    """The turn that started the form (no form was active when it arrived)."""
    return FormTurn(text, form_answer=False, rejected=False)


def answer(text: str, rejected: bool) -> FormTurn:
    return FormTurn(text, form_answer=True, rejected=rejected)


def test_a_rejection_is_an_utter_invalid_answer() -> None:
    assert rejects(["utter_invalid_customer_number", "utter_ask_customer_number"])
    assert rejects(["utter_invalid_meter_reading_lower"])
    assert not rejects(["utter_ask_customer_number", None])


def test_two_rejected_answers_since_the_form_began_hand_over() -> None:
    turns = [
        asked("ik wil een meterstand doorgeven"),
        answer("weet ik niet", rejected=True),
        answer("hoe bedoel je", rejected=True),
    ]
    decision = form_rejections(turns, required=2)
    assert decision is not None and decision.reason is Reason.low_confidence
    assert decision.evidence == (
        "2 antwoorden afgewezen door het formulier: 'weet ik niet', 'hoe bedoel je'"
    )
    assert decision.details["verdicts"] == ["form_rejected", "form_rejected"]


def test_rejections_need_not_be_in_a_row() -> None:
    # A digression the bot answered between two rejections does not reset the count:
    # the form asks the same question again afterwards.
    turns = [
        asked("meterstand doorgeven"),
        answer("neemt de meterkast stroom waar", rejected=True),
        answer("is er een storing", rejected=False),
        answer("is er in de meterkast stroom", rejected=True),
    ]
    assert form_rejections(turns, required=2) is not None


def test_one_typo_is_not_enough() -> None:
    turns = [asked("meterstand doorgeven"), answer("1234", rejected=True), answer("12345", False)]
    assert form_rejections(turns, required=2) is None


def test_rejections_of_an_earlier_form_do_not_count() -> None:
    turns = [
        asked("meterstand doorgeven"),
        answer("weet ik niet", rejected=True),
        asked("ik ga verhuizen"),  # a new need, outside the form
        answer("morgen", rejected=True),
    ]
    assert form_rejections(turns, required=2) is None


def test_the_count_is_configurable() -> None:
    turns = [asked("meterstand"), answer("x", True), answer("y", True)]
    assert form_rejections(turns, required=3) is None
    assert form_rejections([*turns, answer("z", True)], required=3) is not None
