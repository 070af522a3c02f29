"""The state table, every (state, move) pair."""

from __future__ import annotations

import itertools

import pytest

from handoff.conversations.state import ALLOWED, IllegalTransition, Move, State, transition

EXPECTED = {
    (State.bot, Move.escalate): State.waiting,
    (State.bot, Move.close): State.closed,
    (State.waiting, Move.claim): State.human,
    (State.waiting, Move.transfer): State.human,
    (State.waiting, Move.close): State.closed,
    (State.human, Move.requeue): State.waiting,
    (State.human, Move.transfer): State.human,
    (State.human, Move.hand_back): State.bot,
    (State.human, Move.close): State.closed,
}


@pytest.mark.parametrize(("state", "move"), list(itertools.product(State, Move)))
def test_every_move_from_every_state(state: State, move: Move) -> None:
    if (state, move) in EXPECTED:
        assert transition(state, move) is EXPECTED[(state, move)]
    else:
        with pytest.raises(IllegalTransition) as raised:
            transition(state, move)
        assert raised.value.state is state and raised.value.move is move
        assert f"cannot {move.value} a conversation in state '{state.value}'" in str(raised.value)


def test_table_is_exactly_the_expected_one() -> None:
    assert ALLOWED == EXPECTED


def test_closed_allows_nothing_and_says_so() -> None:
    with pytest.raises(IllegalTransition, match=r"allowed from 'closed': none"):
        transition(State.closed, Move.hand_back)


def test_the_bot_never_gets_a_conversation_except_by_hand_back() -> None:
    into_bot = [key for key, target in ALLOWED.items() if target is State.bot]
    assert into_bot == [(State.human, Move.hand_back)]
