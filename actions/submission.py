"""What every submit action returns: the `submitted` slot and a fresh form."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date
from typing import Any

from rasa_sdk import Action
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dates
from actions.backend import Backend, get_backend

logger = logging.getLogger(__name__)

SUBMITTED_SLOT = "submitted"


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


class SubmitAction(Action, ABC):
    """An action that hands a completed form to the backend.

    Backend and clock are parameters for tests; rasa-sdk passes none.
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
