"""The moving form: when, and to which address (checked against the BAG)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import submission
from actions.addresses import parse_house_number, parse_postcode
from actions.backend import BackendError
from actions.customer import CustomerFormValidationAction, language, parsed_or_rejected
from actions.dates import format_date, parse_date

FORM = "moving_form"
# A move is registered ahead, or shortly after the fact (the meter readings at
# the old address still count); further back or ahead needs a person.
MAX_DAYS_PAST = 30
MAX_DAYS_AHEAD = 365


def move_date_window(today: date) -> tuple[date, date]:
    return today - timedelta(days=MAX_DAYS_PAST), today + timedelta(days=MAX_DAYS_AHEAD)


class ValidateMovingForm(CustomerFormValidationAction):
    def name(self) -> str:
        return "validate_moving_form"

    def validate_move_date(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        today = self._today()
        move_date = parsed_or_rejected(
            slot_value,
            lambda text: parse_date(text, today=today),
            dispatcher,
            "utter_invalid_move_date",
        )
        if move_date is None:
            return {"move_date": None}
        earliest, latest = move_date_window(today)
        if earliest <= move_date <= latest:
            return {"move_date": move_date.isoformat()}
        lang = language(tracker)
        dispatcher.utter_message(
            response="utter_invalid_move_date_too_early"
            if move_date < earliest
            else "utter_invalid_move_date_too_late",
            move_date=format_date(move_date, lang),
            earliest_date=format_date(earliest, lang),
            latest_date=format_date(latest, lang),
        )
        return {"move_date": None}

    def validate_new_postcode(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        postcode = parsed_or_rejected(
            slot_value, parse_postcode, dispatcher, "utter_invalid_new_postcode"
        )
        return {"new_postcode": postcode}

    def validate_new_house_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        house_number = parsed_or_rejected(
            slot_value, parse_house_number, dispatcher, "utter_invalid_new_house_number"
        )
        if house_number is None:
            return {"new_house_number": None}
        postcode = tracker.get_slot("new_postcode")
        if postcode is None:
            return {"new_house_number": None}
        if self.backend.lookup_address(postcode, house_number) is None:
            dispatcher.utter_message(
                response="utter_invalid_new_house_number_unknown_address",
                new_postcode=postcode,
                new_house_number=house_number,
            )
            # Either part may be the typo: ask for both again rather than trap the
            # customer re-typing a house number for a wrong postcode.
            return {"new_house_number": None, "new_postcode": None}
        return {"new_house_number": house_number}


class ActionSubmitMove(submission.SubmitAction):
    form = FORM
    form_slots = ("move_date", "new_postcode", "new_house_number")
    confirmation = "utter_move_submitted"

    def name(self) -> str:
        return "action_submit_move"

    def submit(
        self, customer_number: str, values: dict[str, Any], tracker: Tracker
    ) -> submission.Receipt:
        postcode, house_number = values["new_postcode"], values["new_house_number"]
        # Looked up again: the register may have changed since the form checked it.
        address = self.backend.lookup_address(postcode, house_number)
        if address is None:
            raise BackendError(f"address {postcode} {house_number} no longer found")
        move_date = date.fromisoformat(values["move_date"])
        reference = self.backend.submit_move(customer_number, move_date, address)
        return submission.Receipt(
            reference,
            shown={
                "move_date": format_date(move_date, language(tracker)),
                "new_postcode": address.postcode,
                "new_house_number": address.house_number,
                "new_street": address.street,
                "new_city": address.city,
            },
            data={
                "move_date": values["move_date"],
                "new_postcode": address.postcode,
                "new_house_number": address.house_number,
                "new_street": address.street,
                "new_city": address.city,
            },
        )
