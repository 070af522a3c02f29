"""The customer a form is about: the shared first step of every form."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.dependencies import UsesBackendAndClock

T = TypeVar("T")

# Eight digits, optionally grouped as people copy them from a letter ("1000 2345").
_CUSTOMER_NUMBER = re.compile(r"(?<![\d.-])(?<!\d[ .-])(\d(?:[ .-]?\d){7})(?![ .-]?\d)")


def parse_customer_number(text: str) -> str | None:
    """The 8-digit customer number in `text`, without separators; None if not one."""
    found = {re.sub(r"\D", "", match) for match in _CUSTOMER_NUMBER.findall(text)}
    return found.pop() if len(found) == 1 else None


def parsed_or_rejected(
    slot_value: Any,
    parse: Callable[[str], T | None],
    dispatcher: CollectingDispatcher,
    invalid_response: str,
) -> T | None:
    """`slot_value` as `parse` reads it; if it cannot, None, and the customer is told
    with `invalid_response`."""
    parsed = parse(str(slot_value or ""))
    if parsed is None:
        dispatcher.utter_message(response=invalid_response)
    return parsed


def language(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "nl"


class CustomerFormValidationAction(UsesBackendAndClock, FormValidationAction):
    """A form that starts with `customer_number`, checked against the backend."""

    @abstractmethod
    def name(self) -> str: ...

    def validate_customer_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        customer_number = parsed_or_rejected(
            slot_value, parse_customer_number, dispatcher, "utter_invalid_customer_number"
        )
        if customer_number is None:
            return {"customer_number": None}
        if self.backend.find_customer(customer_number) is None:
            dispatcher.utter_message(
                response="utter_invalid_customer_number_unknown",
                customer_number=customer_number,
            )
            return {"customer_number": None}
        return {"customer_number": customer_number}

    async def next_requested_slot(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> EventType | None:
        # Always name the next slot, as Rasa's form would pick it: the service counts
        # an action without events as failed, and a form activated with nothing to
        # validate would otherwise return none. Without the form in the domain, a
        # `None` here would end the form, so Rasa decides then.
        required = self.domain_slots(domain)
        if not required:
            return None
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet(REQUESTED_SLOT, next(missing, None))
