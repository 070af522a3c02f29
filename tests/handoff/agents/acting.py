"""Test helper: an agent operation below the API, in a transaction of its own, as the
agent routes run it."""

from __future__ import annotations

from fastapi import FastAPI

from handoff.accounts.models import Account
from handoff.agents import operations
from handoff.agents.effects import Effects
from handoff.db.session import session_scope


def act(app: FastAPI, account_id: int, action: str, **kwargs: object) -> Effects:
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, account_id)
        assert account is not None
        effects: Effects = getattr(operations, action)(session, account=account, **kwargs)
        return effects
