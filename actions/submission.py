"""What every submit action returns: the `submitted` slot and a fresh form."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendError
from actions.dependencies import UsesBackendAndClock

logger = logging.getLogger(__name__)

SUBMITTED_SLOT = "submitted"
CUSTOMER_SLOT = "customer_number"


def submitted(form: str, data: dict[str, Any], reference: str, reset: list[str]) -> list[EventType]:
    """`submitted` for the service to store with the turn, then the form's slots
    cleared so the next request starts empty; the customer number stays, since the
    same customer rarely changes within a conversation."""
    events: list[EventType] = [
        SlotSet(SUBMITTED_SLOT, {"form": form, "data": data, "reference": reference})
    ]
    events.extend(SlotSet(slot, None) for slot in reset)
    return events


def failed(
    dispatcher: CollectingDispatcher, action: str, error: Exception | None = None
) -> list[EventType]:
    """The apology, and an event anyway: the service reads "no events" as a crash,
    while this action did run and told the customer so."""
    if error is None:
        logger.warning("%s ran without a completed form", action)
    else:
        logger.warning("%s: the backend failed: %s", action, error)
    dispatcher.utter_message(response="utter_submit_failed")
    return [SlotSet(SUBMITTED_SLOT, None)]


@dataclass(frozen=True)
class Receipt:
    """What the backend accepted: its reference, the values the confirmation shows
    besides the reference, and the data (without the customer number) for the service."""

    reference: str
    shown: dict[str, Any]
    data: dict[str, Any]


class SubmitAction(UsesBackendAndClock, Action, ABC):
    """An action that hands a completed form to the backend and confirms it.

    Subclasses name the form, its slots and the confirmation, and do the backend
    calls in `submit`; checking the slots, apologising for a failed backend and
    resetting the form are the same for every form.
    """

    form: ClassVar[str]
    # Required besides the customer number, and cleared once submitted.
    form_slots: ClassVar[tuple[str, ...]]
    confirmation: ClassVar[str]

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def submit(self, customer_number: str, values: dict[str, Any], tracker: Tracker) -> Receipt:
        """Hand the form's `values` to the backend; raises `BackendError` if it cannot."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        customer_number = tracker.get_slot(CUSTOMER_SLOT)
        values = {slot: tracker.get_slot(slot) for slot in self.form_slots}
        if customer_number is None or any(value is None for value in values.values()):
            return failed(dispatcher, self.name())
        try:
            receipt = self.submit(customer_number, values, tracker)
        except BackendError as error:
            return failed(dispatcher, self.name(), error)
        dispatcher.utter_message(
            response=self.confirmation, reference=receipt.reference, **receipt.shown
        )
        return submitted(
            self.form,
            {CUSTOMER_SLOT: customer_number, **receipt.data},
            receipt.reference,
            reset=list(self.form_slots),
        )
