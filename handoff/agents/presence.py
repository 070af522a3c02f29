"""Whether an agent can take conversations: the available/away toggle and the console
heartbeat (routing counts an agent as present only while the heartbeat is fresh)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.agents.effects import Effects
from handoff.audit.record import record
from handoff.conversations import store
from handoff.conversations.events import AGENTS_TOPIC


def set_available(session: Session, *, account: Account, available: bool) -> Effects:
    account.available = available
    account.last_heartbeat_at = store.now()
    record(
        session,
        action="agent.availability",
        account_id=account.id,
        details={"available": available},
    )
    session.flush()
    effects = Effects(result={"available": available})
    effects.publish(
        AGENTS_TOPIC,
        {
            "type": "presence",
            "agent_id": account.id,
            "agent_name": account.display_name,
            "available": available,
        },
    )
    return effects


def heartbeat(session: Session, *, account_id: int) -> None:
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(last_heartbeat_at=store.now())
        .execution_options(synchronize_session=False)
    )
