"""The customer a form is about: the shared first step of every form."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import dates
from actions.backend import Backend, get_backend

# Eight digits, optionally grouped as people copy them from a letter ("1000 2345").
_CUSTOMER_NUMBER = re.compile(r"(?<![\d.-])(?<!\d[ .-])(\d(?:[ .-]?\d){7})(?![ .-]?\d)")


def parse_customer_number(text: str) -> str | None:
    """The 8-digit customer number in `text`, without separators; None if not one."""
    found = {re.sub(r"\D", "", match) for match in _CUSTOMER_NUMBER.findall(text)}
    return found.pop() if len(found) == 1 else None


def language(tracker: Tracker) -> str:
    return "en" if tracker.get_slot("language") == "en" else "nl"


class CustomerFormValidationAction(FormValidationAction):
    """A form that starts with `customer_number`, checked against the backend.

    The backend and the clock are parameters so that tests can pass their own;
    rasa-sdk instantiates actions without arguments, which gives the real ones.
    """

    def __init__(
        self, backend: Backend | None = None, today: Callable[[], date] | None = None
    ) -> None:
        self._backend = backend
        self._today = today or dates.today

    @property
    def backend(self) -> Backend:
        return self._backend if self._backend is not None else get_backend()

    @abstractmethod
    def name(self) -> str: ...

    def validate_customer_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        customer_number = parse_customer_number(str(slot_value or ""))
        if customer_number is None:
            dispatcher.utter_message(response="utter_invalid_customer_number")
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
