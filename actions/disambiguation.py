"""Asking which of two close intents the customer meant."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Never offered: the rewritten intent itself, the ones that mean "not understood", and
# bare answers (a number, yes, no), which mean nothing as a choice.
NOT_OFFERED = frozenset(
    {"disambiguate", "nlu_fallback", "out_of_scope", "inform", "affirm", "deny"}
)
OPTIONS_SLOT = "disambiguation_options"


def candidate_intents(latest_message: dict[str, Any], count: int = 2) -> list[str]:
    """The top `count` intents of the ranking that can be offered, best first."""
    ranking = sorted(
        latest_message.get("intent_ranking") or [],
        key=lambda item: item.get("confidence") or 0.0,
        reverse=True,
    )
    candidates: list[str] = []
    for item in ranking:
        name = item.get("name")
        if name and name not in NOT_OFFERED and name not in candidates:
            candidates.append(name)
    return candidates[:count]


def intent_label(intent: str, domain: DomainDict, tracker: Tracker) -> str:
    """The customer-readable label of `intent` from `utter_intent_label_<intent>`.

    The variation whose conditions all hold (the language slot) wins over the one
    without conditions; an intent without a label shows its name rather than
    dropping a button the customer may need.
    """
    variations = domain.get("responses", {}).get(f"utter_intent_label_{intent}") or []
    default = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation.get("text")
        elif all(
            tracker.get_slot(condition.get("name")) == condition.get("value")
            for condition in conditions
            if condition.get("type", "slot") == "slot"
        ):
            return str(variation.get("text") or intent)
    return str(default or intent)


class ActionDisambiguate(Action):
    def name(self) -> str:
        return "action_disambiguate"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        options = candidate_intents(tracker.latest_message)
        if options:
            dispatcher.utter_message(
                response="utter_ask_disambiguation",
                buttons=[
                    {"title": intent_label(intent, domain, tracker), "payload": f"/{intent}"}
                    for intent in options
                ],
            )
        # With nothing to offer the bot stays silent, which the service reads as a
        # failed turn and hands over: better than a question without answers.
        return [SlotSet(OPTIONS_SLOT, options)]
