"""A supervisor watching a conversation takes it over: from the queue (a claim) or from
a colleague (a transfer to themselves, so the colleague's console is told). A
conversation the bot still holds is not taken from it here: the supervisor waits until
it reaches the queue, where the customer has been told a person is coming."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.agents import operations
from handoff.agents.effects import Effects
from handoff.agents.errors import Conflict
from handoff.conversations.state import State

STILL_WITH_BOT = "De assistent voert dit gesprek nog; overnemen kan zodra het in de wachtrij staat"
ALREADY_YOURS = "Je hebt dit gesprek al"
CLOSED = "Dit gesprek is gesloten"


def take_over(session: Session, *, conversation_id: str, supervisor: Account) -> Effects:
    conversation = operations.load_conversation(session, conversation_id)
    if conversation.state == State.bot:
        raise Conflict(STILL_WITH_BOT)
    if conversation.state == State.closed:
        raise Conflict(CLOSED)
    if conversation.state == State.waiting:
        return operations.claim(session, conversation_id=conversation_id, account=supervisor)
    if conversation.assigned_agent_id == supervisor.id:
        raise Conflict(ALREADY_YOURS)
    return operations.transfer(
        session, conversation_id=conversation_id, account=supervisor, to_account_id=supervisor.id
    )
