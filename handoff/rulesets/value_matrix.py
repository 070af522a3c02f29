"""The Value Matrix: per intent, who should handle the contact and whether it should
exist at all.

The four quadrants follow Price and Jaffe's Value Matrix ("The Best Service is No
Service"): contact that is valuable to the customer and the organisation goes to a
person (``human``); routine contact the bot handles well is ``automate``; contact
caused by something unclear (a confusing bill) is ``simplify``; contact the
organisation could prevent altogether (telling customers about an outage before they
ask) is ``eliminate``. Only ``human`` changes what the service does: the bot still
answers the other three, and analytics flags ``simplify`` and ``eliminate`` as contact
to make unnecessary.

The matrix lives in the rule set (``RuleSetData.value_matrix``) and is the single source
of truth for human-only topics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from handoff.rulesets.defaults import RuleSetData

Quadrant = Literal["automate", "human", "simplify", "eliminate"]
QUADRANTS: tuple[Quadrant, ...] = get_args(Quadrant)
# An intent the matrix does not name (greetings, yes/no, a new intent not yet placed):
# the bot answers it, as it did before the matrix existed.
UNLISTED: Quadrant = "automate"

# The example assistant's topics (domain.yml). Conversational intents (greet, affirm,
# request_human, out_of_scope, ...) are not contact reasons and stay out of the matrix.
DEFAULT_VALUE_MATRIX: dict[str, Quadrant] = {
    "submit_meter_reading": "automate",
    "change_instalment": "automate",
    "moving_house": "automate",
    # Customers ask what their annual bill means: a clearer bill makes the question go.
    "explain_bill": "simplify",
    # The organisation knows about an outage before its customers call about it.
    "report_outage": "eliminate",
    "complaint": "human",
    "cancel_contract": "human",
    "payment_arrangement": "human",
    "bereavement": "human",
}


def quadrant(data: RuleSetData, intent: str) -> Quadrant:
    """Where the rule set places the intent; ``automate`` when it is not listed."""
    return data.value_matrix.get(intent, UNLISTED)


def human_only_intents(matrix: dict[str, Quadrant]) -> list[str]:
    """The intents a person handles before the bot answers, in the matrix's order."""
    return [intent for intent, placed in matrix.items() if placed == "human"]


def matrix_from_human_only(human_only: list[str]) -> dict[str, Quadrant]:
    """The matrix for a rule set stored before the matrix existed (it only had a list
    of human-only intents): the default matrix, with exactly those intents human."""
    matrix: dict[str, Quadrant] = {
        intent: ("automate" if placed == "human" else placed)
        for intent, placed in DEFAULT_VALUE_MATRIX.items()
    }
    for intent in human_only:
        matrix[intent] = "human"
    return matrix
