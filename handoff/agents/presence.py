"""Whether an agent can take conversations: the available/away toggle and the console
heartbeat (routing counts an agent as present only while the heartbeat is fresh)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.agents.effects import Effects
from handoff.audit.record import record
from handoff.conversations import store
from handoff.conversations.availability import HEARTBEAT_FRESH
from handoff.conversations.events import AGENTS_TOPIC
from handoff.conversations.models import Conversation
from handoff.conversations.state import State


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


def _open_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Conversation.assigned_agent_id, func.count(Conversation.id))
        .where(Conversation.state == State.human, Conversation.assigned_agent_id.is_not(None))
        .group_by(Conversation.assigned_agent_id)
    ).all()
    return {int(agent_id or 0): int(count) for agent_id, count in rows}


def status_view(account: Account, open_conversations: int) -> dict[str, Any]:
    """An agent's presence and load: what the console's toggle and cap show, and what a
    colleague choosing whom to transfer to needs."""
    fresh = account.last_heartbeat_at is not None and (
        store.as_utc(account.last_heartbeat_at) >= store.now() - HEARTBEAT_FRESH
    )
    return {
        "id": account.id,
        "display_name": account.display_name,
        "role": account.role.value,
        "available": account.available,
        "online": fresh,
        "open_conversations": open_conversations,
        "max_concurrent": account.max_concurrent,
    }


def my_status(session: Session, *, account: Account) -> dict[str, Any]:
    return status_view(account, _open_counts(session).get(account.id, 0))


def colleagues(session: Session, *, account_id: int) -> list[dict[str, Any]]:
    """Active staff other than the asker, online and available first."""
    counts = _open_counts(session)
    accounts = session.scalars(
        select(Account)
        .where(Account.active.is_(True), Account.id != account_id)
        .order_by(Account.display_name)
    )
    views = [status_view(a, counts.get(a.id, 0)) for a in accounts]
    return sorted(views, key=lambda v: (not (v["online"] and v["available"]), v["display_name"]))
