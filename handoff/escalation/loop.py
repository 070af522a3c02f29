"""The bot repeating itself: the same answer to different customer turns, in a row.

A form asking again after an invalid answer repeats itself by design and is left out;
only the caller knows which answers those were (a ``utter_ask_*`` or ``utter_invalid_*``
response while a form was active). The same answer to the same words is not a loop
either: the customer asked the same thing, and the other signals judge that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handoff.escalation.confidence import BOT_FALLBACK_RESPONSES
from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quote, quotes
from handoff.escalation.text import normalise

DEFAULT_REPEATS = 2


@dataclass(frozen=True)
class BotTurn:
    """The bot's answer to one customer turn: its messages' texts joined."""

    customer_text: str
    answer: str
    expected: bool = False  # may repeat by design (a form re-ask, small talk)


def form_reask(response: str | None, active_form: str | None) -> bool:
    """The caller's usual test: a form's question or complaint while the form is active."""
    return bool(
        active_form
        and response
        and (response.startswith("utter_ask_") or response.startswith("utter_invalid_"))
    )


# Answers that repeat by design and tell nothing about a loop: polite answers to polite
# turns ("hallo", then "hoi"), and the bot's fallbacks, which the low-confidence count
# judges as failed turns (a loop check here would pre-empt that count).
EXPECTED_REPEAT_RESPONSES = BOT_FALLBACK_RESPONSES | frozenset(
    {
        "utter_greet",
        "utter_goodbye",
        "utter_you_are_welcome",
        "utter_bot_challenge",
        "utter_how_can_i_help",
    }
)


def expected_repeat(response: str | None, active_form: str | None) -> bool:
    """An answer that may repeat without being a loop: a form re-ask, small talk, or the
    fallback asking to rephrase."""
    return form_reask(response, active_form) or response in EXPECTED_REPEAT_RESPONSES


def bot_loop(turns: Sequence[BotTurn], repeats: int = DEFAULT_REPEATS) -> Decision | None:
    """``bot_loop`` when the latest answers, in a row, are one answer given to ``repeats``
    different customer turns."""
    if not turns or turns[-1].expected:
        return None
    answer = normalise(turns[-1].answer)
    if not answer:
        return None  # an empty answer is a bot failure, judged elsewhere
    run: list[BotTurn] = []
    for turn in reversed(turns):
        if turn.expected or normalise(turn.answer) != answer:
            break
        run.append(turn)
    run.reverse()
    asked = list(dict.fromkeys(normalise(t.customer_text) for t in run))
    if len(asked) < repeats:
        return None
    customer_texts = list({normalise(t.customer_text): t.customer_text for t in run}.values())
    return Decision(
        Reason.bot_loop,
        f"De assistent gaf {len(run)}× achter elkaar hetzelfde antwoord "
        f"({quote(turns[-1].answer)}) op: {quotes(customer_texts)}",
        {"answer": turns[-1].answer, "customer_turns": [t.customer_text for t in run]},
    )
