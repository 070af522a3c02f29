"""The bot failed: unreachable, too slow, an action that did nothing, or no answer."""

from __future__ import annotations

from handoff.escalation.decision import Decision, Reason
from handoff.rasa.schemas import RespondResult


def unavailable(error: str) -> Decision:
    return Decision(
        Reason.bot_failure,
        "De assistent was niet bereikbaar of antwoordde niet op tijd.",
        {"error": error},
    )


def internal_error(error: str) -> Decision:
    """The service itself failed on this turn; the customer still gets a person."""
    return Decision(
        Reason.bot_failure,
        "Er ging iets mis in de service bij het verwerken van dit bericht.",
        {"error": error, "internal": True},
    )


def bot_failure(result: RespondResult) -> Decision | None:
    silent = [a.name for a in result.actions if a.custom and a.event_count == 0]
    if silent:
        return Decision(
            Reason.bot_failure,
            f"Een actie van de assistent gaf geen resultaat ({', '.join(silent)}).",
            {"actions": silent},
        )
    if not result.messages:
        return Decision(Reason.bot_failure, "De assistent gaf geen antwoord.", {"messages": 0})
    if all(not (m.text or "").strip() and not m.buttons and not m.image for m in result.messages):
        return Decision(
            Reason.bot_failure,
            "De assistent gaf alleen lege antwoorden.",
            {"messages": len(result.messages)},
        )
    return None
