"""What can go wrong when staff act on a conversation, as exceptions the routes map to
HTTP answers: 404 unknown, 403 not yours, 409 wrong state, 503 the bot is away."""

from __future__ import annotations

from handoff.conversations.state import IllegalTransition, Move, State

STATE_NAMES = {
    State.bot: "bij de bot",
    State.waiting: "in de wachtrij",
    State.human: "bij een medewerker",
    State.closed: "gesloten",
}
MOVE_NAMES = {
    Move.escalate: "naar de wachtrij",
    Move.claim: "overnemen",
    Move.requeue: "terugzetten in de wachtrij",
    Move.transfer: "overdragen",
    Move.hand_back: "teruggeven aan de bot",
    Move.close: "sluiten",
}


class AgentActionError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AgentActionError):
    status_code = 404


class NotAllowed(AgentActionError):
    status_code = 403


class Conflict(AgentActionError):
    status_code = 409


class BotUnavailable(AgentActionError):
    status_code = 503


CONVERSATION_NOT_FOUND = "Gesprek niet gevonden"
COLLEAGUE_OWNS_IT = "Dit gesprek is van een collega; alleen die collega kan hier iets mee doen"
TAKEN_BY_COLLEAGUE = "Een collega heeft dit gesprek al overgenomen"
CLAIM_FIRST = "Neem het gesprek eerst over voordat je de klant antwoordt"
BOT_UNREACHABLE = (
    "De bot is nu niet bereikbaar; het gesprek blijft bij jou. Probeer het later opnieuw."
)


def wrong_state(error: IllegalTransition) -> Conflict:
    return Conflict(
        f"Kan dit gesprek niet {MOVE_NAMES[error.move]}: het is {STATE_NAMES[error.state]}"
    )
