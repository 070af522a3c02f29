"""The conversation state machine: which move is allowed from which state.

Pure and tiny on purpose: every state change in the service goes through
``transition``, so "the bot answers while a person owns the conversation" cannot be
introduced by a stray assignment somewhere else.
"""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    bot = "bot"
    waiting = "waiting"
    human = "human"
    closed = "closed"


class Outcome(enum.StrEnum):
    resolved_by_bot = "resolved_by_bot"
    resolved_by_agent = "resolved_by_agent"
    abandoned = "abandoned"
    expired = "expired"


class Move(enum.StrEnum):
    escalate = "escalate"
    claim = "claim"
    requeue = "requeue"
    transfer = "transfer"
    hand_back = "hand_back"
    close = "close"


ALLOWED: dict[tuple[State, Move], State] = {
    (State.bot, Move.escalate): State.waiting,
    (State.bot, Move.close): State.closed,
    (State.waiting, Move.claim): State.human,
    (State.waiting, Move.close): State.closed,
    # A supervisor may hand a waiting conversation straight to a named agent.
    (State.waiting, Move.transfer): State.human,
    (State.human, Move.requeue): State.waiting,
    (State.human, Move.transfer): State.human,
    (State.human, Move.hand_back): State.bot,
    (State.human, Move.close): State.closed,
}


class IllegalTransition(Exception):
    def __init__(self, state: State, move: Move) -> None:
        self.state = State(state)
        self.move = Move(move)
        allowed = sorted(m.value for (s, m) in ALLOWED if s == self.state)
        hint = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"cannot {self.move.value} a conversation in state {self.state.value!r} "
            f"(allowed from {self.state.value!r}: {hint})"
        )


def transition(state: State, move: Move) -> State:
    try:
        return ALLOWED[(State(state), Move(move))]
    except KeyError:
        raise IllegalTransition(state, move) from None
