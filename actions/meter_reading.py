"""The meter reading form: check a reading against the meter's history, submit it."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import submission
from actions.amounts import parse_kwh
from actions.backend import MeterReading
from actions.customer import CustomerFormValidationAction, language, parsed_or_rejected
from actions.dates import format_date

FORM = "meter_reading_form"
METER_TYPE = "electricity"
# A household uses about 8 kWh a day; 60 a day on average since the last reading
# is a typo (an extra digit) far more often than a real consumption.
MAX_KWH_PER_DAY = 60
PROBLEM_RESPONSES = {
    "already_today": "utter_invalid_meter_reading_already_today",
    "lower": "utter_invalid_meter_reading_lower",
    "implausible": "utter_invalid_meter_reading_implausible",
}


class ValidateMeterReadingForm(CustomerFormValidationAction):
    def name(self) -> str:
        return "validate_meter_reading_form"

    def validate_meter_reading(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        customer_number = tracker.get_slot("customer_number")
        if customer_number is None:
            # Only possible if the form asks out of order: get the customer first.
            return {"meter_reading": None, "customer_number": None}
        kwh = parsed_or_rejected(slot_value, parse_kwh, dispatcher, "utter_invalid_meter_reading")
        if kwh is None:
            return {"meter_reading": None}
        today = self._today()
        last = last_reading(self.backend.previous_readings(customer_number), today)
        problem = reading_problem(kwh, last, today)
        if last is None or problem is None:
            return {"meter_reading": kwh}
        dispatcher.utter_message(
            response=PROBLEM_RESPONSES[problem],
            meter_reading=str(kwh),
            previous_reading=str(last.kwh),
            previous_date=format_date(last.date, language(tracker)),
        )
        return {"meter_reading": None}


def last_reading(previous: list[MeterReading], today: date) -> MeterReading | None:
    """The latest reading of the meter up to today, if it has any."""
    readings = [r for r in previous if r.meter_type == METER_TYPE and r.date <= today]
    return max(readings, key=lambda r: r.date, default=None)


def reading_problem(kwh: int, last: MeterReading | None, today: date) -> str | None:
    """Why a reading taken today cannot be right, or None if it can.

    "already_today": the meter was read today already; a second reading the same
    day is a duplicate or a correction, and corrections need a person.
    "lower": below the last reading; meters only count up.
    "implausible": more than MAX_KWH_PER_DAY on average since the last reading.
    A meter without history accepts any reading: there is nothing to compare with.
    """
    if last is None:
        return None
    days = (today - last.date).days
    if days == 0:
        return "already_today"
    if kwh < last.kwh:
        return "lower"
    if kwh - last.kwh > MAX_KWH_PER_DAY * days:
        return "implausible"
    return None


class ActionSubmitMeterReading(submission.SubmitAction):
    form = FORM
    form_slots = ("meter_reading",)
    confirmation = "utter_meter_reading_submitted"

    def name(self) -> str:
        return "action_submit_meter_reading"

    def submit(
        self, customer_number: str, values: dict[str, Any], tracker: Tracker
    ) -> submission.Receipt:
        reading = MeterReading(
            date=self._today(), kwh=int(values["meter_reading"]), meter_type=METER_TYPE
        )
        reference = self.backend.submit_meter_reading(customer_number, reading)
        return submission.Receipt(
            reference,
            shown={"meter_reading": str(reading.kwh)},
            data={
                "meter_reading": reading.kwh,
                "reading_date": reading.date.isoformat(),
                "meter_type": reading.meter_type,
            },
        )
