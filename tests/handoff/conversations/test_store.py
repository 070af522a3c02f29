"""Data access: moves through the state table, atomically; the transcript."""

from __future__ import annotations

import pytest

from handoff.conversations import store
from handoff.conversations.models import Conversation
from handoff.conversations.state import IllegalTransition, Move, Outcome, State
from tests.handoff.customers import database, make_app, start_conversation


def test_apply_move_changes_state_and_records_the_outcome(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        store.apply_move(session, conversation=conversation, move=Move.escalate)
        assert conversation.state is State.waiting
        store.apply_move(session, conversation=conversation, move=Move.close)
    with database(app) as session:
        closed = session.get(Conversation, conversation_id)
        assert closed is not None
        assert closed.state == State.closed and closed.outcome == Outcome.abandoned
        assert closed.closed_at is not None


def test_an_illegal_move_changes_nothing(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        with pytest.raises(IllegalTransition, match="cannot claim a conversation in state 'bot'"):
            store.apply_move(session, conversation=conversation, move=Move.claim)
    with database(app) as session:
        unchanged = session.get(Conversation, conversation_id)
        assert unchanged is not None and unchanged.state == State.bot


def test_of_two_claims_on_one_conversation_exactly_one_wins(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        store.apply_move(session, conversation=conversation, move=Move.escalate)
    # Both agents loaded the conversation while it was waiting.
    with database(app) as first, database(app) as second:
        mine = first.get(Conversation, conversation_id)
        theirs = second.get(Conversation, conversation_id)
        assert mine is not None and theirs is not None
        store.apply_move(first, conversation=mine, move=Move.claim)
        first.commit()
        with pytest.raises(IllegalTransition, match="state 'human'"):
            store.apply_move(second, conversation=theirs, move=Move.claim)


def test_transcript_hides_internal_notes_unless_asked(database_url: str) -> None:
    app = make_app(database_url)
    conversation_id = start_conversation(app)
    with database(app) as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        store.append_message(
            session,
            conversation=conversation,
            direction="out",
            author="agent",
            text="klant is boos",
            internal=True,
        )
        note_id = store.append_message(
            session, conversation=conversation, direction="out", author="agent", text="Hallo!"
        ).id
    with database(app) as session:
        public = store.transcript(session, conversation_id, include_internal=False)
        everything = store.transcript(session, conversation_id, include_internal=True)
        after = store.messages_after(session, conversation_id, note_id - 1)
    assert [m.text for m in public][1:] == ["Hallo!"]
    assert [m.text for m in everything][1:] == ["klant is boos", "Hallo!"]
    assert [m.text for m in after] == ["Hallo!"]
