"""The instalment form: a new monthly amount within the contract's bounds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import submission
from actions.amounts import format_euros, parse_euros
from actions.backend import BackendError
from actions.customer import CustomerFormValidationAction, language

FORM = "instalment_form"


class ValidateInstalmentForm(CustomerFormValidationAction):
    def name(self) -> str:
        return "validate_instalment_form"

    def validate_new_instalment(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        customer_number = tracker.get_slot("customer_number")
        contract = self.backend.instalment_bounds(customer_number) if customer_number else None
        if contract is None:
            # Only possible if the form asks out of order: get the customer first.
            return {"new_instalment": None, "customer_number": None}
        amount = parse_euros(str(slot_value or ""))
        if amount is None or amount <= 0:
            dispatcher.utter_message(response="utter_invalid_new_instalment")
            return {"new_instalment": None}
        lang = language(tracker)
        if amount == contract.monthly_instalment:
            dispatcher.utter_message(
                response="utter_invalid_new_instalment_unchanged",
                current_instalment=format_euros(contract.monthly_instalment, lang),
            )
            return {"new_instalment": None}
        if not (contract.min_monthly_instalment <= amount <= contract.max_monthly_instalment):
            dispatcher.utter_message(
                response="utter_invalid_new_instalment_out_of_bounds",
                new_instalment=format_euros(amount, lang),
                min_instalment=format_euros(contract.min_monthly_instalment, lang),
                max_instalment=format_euros(contract.max_monthly_instalment, lang),
            )
            return {"new_instalment": None}
        # A float, because slots travel as JSON; cents survive the round trip.
        return {"new_instalment": float(amount)}


class ActionSubmitInstalment(submission.SubmitAction):
    form = FORM
    form_slots = ("new_instalment",)
    confirmation = "utter_instalment_submitted"

    def name(self) -> str:
        return "action_submit_instalment"

    def submit(
        self, customer_number: str, values: dict[str, Any], tracker: Tracker
    ) -> submission.Receipt:
        amount = _euros(values["new_instalment"])
        contract = self.backend.instalment_bounds(customer_number)
        if amount is None or contract is None:
            raise BackendError(f"no contract or amount for {customer_number}")
        reference = self.backend.change_instalment(customer_number, amount)
        return submission.Receipt(
            reference,
            shown={"new_instalment": format_euros(amount, language(tracker))},
            data={
                "new_instalment": float(amount),
                "previous_instalment": float(contract.monthly_instalment),
            },
        )


def _euros(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
