"""Bot failure from a respond result or an unreachable Rasa."""

from __future__ import annotations

from typing import Any

from handoff.escalation.decision import Reason
from handoff.escalation.failure import bot_failure, unavailable
from handoff.rasa.schemas import RespondResult


def result(**fields: Any) -> RespondResult:
    base: dict[str, Any] = {
        "messages": [{"text": "Je meterstand is doorgegeven."}],
        "actions": [{"name": "action_submit_meter_reading", "custom": True, "event_count": 2}],
    }
    return RespondResult.model_validate(base | fields)


def test_a_normal_answer_is_no_failure() -> None:
    assert bot_failure(result()) is None


def test_custom_action_without_events_is_a_failure() -> None:
    decision = bot_failure(
        result(actions=[{"name": "action_submit_move", "custom": True, "event_count": 0}])
    )
    assert decision is not None and decision.reason is Reason.bot_failure
    assert (
        decision.evidence == "Een actie van de assistent gaf geen resultaat (action_submit_move)."
    )


def test_a_plain_action_without_events_is_fine() -> None:
    assert bot_failure(result(actions=[{"name": "action_listen", "event_count": 0}])) is None


def test_no_messages_is_a_failure() -> None:
    decision = bot_failure(result(messages=[]))
    assert decision is not None and decision.evidence == "De assistent gaf geen antwoord."


def test_only_empty_texts_is_a_failure() -> None:
    decision = bot_failure(result(messages=[{"text": "  "}, {"text": None}]))
    assert decision is not None and decision.evidence == "De assistent gaf alleen lege antwoorden."


def test_buttons_without_text_are_an_answer() -> None:
    buttons = [{"title": "Ja", "payload": "/affirm"}]
    assert bot_failure(result(messages=[{"text": "", "buttons": buttons}])) is None


def test_unreachable_rasa_is_a_failure_with_the_error_kept() -> None:
    decision = unavailable("/respond: no answer within 2 s")
    assert decision.reason is Reason.bot_failure
    assert decision.details == {"error": "/respond: no answer within 2 s"}
