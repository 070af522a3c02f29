"""The supervisor's team: staff accounts, who is online, and one-time password links.

Plain functions over a Session that raise ``TeamError`` with a Dutch message; the caller
commits. A new account gets no password from anyone: the person sets their own through
a one-time link (also how a supervisor resets one). Deactivating ends every session at
once; ``find_valid_session`` refuses inactive accounts as well.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.accounts.models import Account, PasswordReset, Role
from handoff.accounts.passwords import hash_password, password_problem
from handoff.accounts.sessions import now, revoke_all_sessions, token_hash, utc
from handoff.accounts.store import create_account, get_account_by_email, normalise_email
from handoff.audit.record import record
from handoff.conversations.availability import HEARTBEAT_FRESH
from handoff.conversations.models import Conversation
from handoff.conversations.state import State

LINK_INVALID = "Deze link is ongeldig, al gebruikt of verlopen. Vraag je supervisor om een nieuwe."


class TeamError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


# Enough to catch a typo; whether the address works shows when the person logs in.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class MemberCreate(BaseModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    role: Role = Role.agent
    max_concurrent: int = Field(3, ge=1, le=20)


class MemberUpdate(BaseModel):
    email: str | None = Field(None, max_length=254, pattern=EMAIL_PATTERN)
    display_name: str | None = Field(None, min_length=1, max_length=100)
    role: Role | None = None
    max_concurrent: int | None = Field(None, ge=1, le=20)
    active: bool | None = None


@dataclass(frozen=True)
class ResetLink:
    token: str  # for the link only; never stored
    expires_at: datetime


def team(session: Session, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """Every account with what the team page shows: online (a live console), available
    (online with the toggle on) and how many conversations each holds."""
    at = at or now()
    holding: dict[int, list[str]] = {}
    for agent_id, conversation_id in session.execute(
        select(Conversation.assigned_agent_id, Conversation.id)
        .where(Conversation.state == State.human)
        .order_by(Conversation.id)
    ):
        if agent_id is not None:
            holding.setdefault(agent_id, []).append(conversation_id)
    rows = []
    for account in session.scalars(select(Account).order_by(Account.display_name, Account.id)):
        online = (
            account.active
            and account.last_heartbeat_at is not None
            and utc(account.last_heartbeat_at) >= at - HEARTBEAT_FRESH
        )
        rows.append(
            {
                "id": account.id,
                "email": account.email,
                "display_name": account.display_name,
                "role": account.role.value,
                "active": account.active,
                "max_concurrent": account.max_concurrent,
                "online": online,
                "available": bool(online and account.available),
                "holding": len(holding.get(account.id, [])),
                # For "meekijken": the supervisor opens one in the console.
                "conversations": holding.get(account.id, []),
            }
        )
    return rows


def _get(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise TeamError(404, "Account niet gevonden")
    return account


def _email_taken(session: Session, email: str, *, other_than: int | None = None) -> bool:
    found = get_account_by_email(session, email)
    return found is not None and found.id != other_than


def create_member(session: Session, *, data: MemberCreate, by: Account) -> Account:
    if _email_taken(session, data.email):
        raise TeamError(409, "Er is al een account met dit e-mailadres")
    account = create_account(
        session,
        email=data.email,
        display_name=data.display_name,
        # Nobody knows this password: the person sets their own through the link.
        password=secrets.token_urlsafe(32),
        role=data.role,
        max_concurrent=data.max_concurrent,
    )
    record(
        session,
        action="account.create",
        account_id=by.id,
        object_type="account",
        object_id=account.id,
        details={"email": account.email, "role": account.role.value},
    )
    return account


def _active_supervisors(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(Account.id)).where(
                Account.role == Role.supervisor, Account.active.is_(True)
            )
        )
        or 0
    )


def update_member(session: Session, *, account_id: int, data: MemberUpdate, by: Account) -> Account:
    account = _get(session, account_id)
    changes: dict[str, Any] = {}
    if data.email is not None and normalise_email(data.email) != account.email:
        if _email_taken(session, data.email, other_than=account.id):
            raise TeamError(409, "Er is al een account met dit e-mailadres")
        changes["email"] = normalise_email(data.email)
    if data.display_name is not None and data.display_name.strip() != account.display_name:
        if not data.display_name.strip():
            raise TeamError(422, "De naam mag niet leeg zijn")
        changes["display_name"] = data.display_name.strip()
    if data.max_concurrent is not None and data.max_concurrent != account.max_concurrent:
        changes["max_concurrent"] = data.max_concurrent
    if data.role is not None and data.role is not account.role:
        changes["role"] = data.role
    if data.active is not None and data.active != account.active:
        changes["active"] = data.active
    losing_supervisor = (
        account.role is Role.supervisor
        and account.active
        and (changes.get("role") is Role.agent or changes.get("active") is False)
    )
    if losing_supervisor:
        if account.id == by.id:
            raise TeamError(409, "Je kunt je eigen account niet deactiveren of agent maken")
        if _active_supervisors(session) <= 1:
            raise TeamError(409, "Er moet minstens één actieve supervisor blijven")
    if changes.get("active") is False and account.id == by.id:
        raise TeamError(409, "Je kunt je eigen account niet deactiveren")
    for name, value in changes.items():
        setattr(account, name, value)
    ended = 0
    if changes.get("active") is False:
        account.available = False
        ended = revoke_all_sessions(session, account_id=account.id)
    if changes:
        record(
            session,
            action="account.deactivate" if changes.get("active") is False else "account.update",
            account_id=by.id,
            object_type="account",
            object_id=account.id,
            details={
                "changes": {k: str(v) if isinstance(v, Role) else v for k, v in changes.items()},
                "sessions_ended": ended,
            },
        )
    session.flush()
    return account


def deactivate_member(session: Session, *, account_id: int, by: Account) -> Account:
    return update_member(session, account_id=account_id, data=MemberUpdate(active=False), by=by)


def issue_reset_link(
    session: Session, *, account_id: int, by: Account | None, valid_hours: int
) -> ResetLink:
    """A new one-time link for the account; earlier unused links stop working."""
    account = _get(session, account_id)
    if not account.active:
        raise TeamError(409, "Dit account is gedeactiveerd; activeer het eerst")
    at = now()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    expires_at = at + timedelta(hours=valid_hours)
    session.add(
        PasswordReset(
            token_hash=token_hash(token),
            account_id=account.id,
            created_by=by.id if by else None,
            created_at=at,
            expires_at=expires_at,
        )
    )
    record(
        session,
        action="account.reset_link",
        account_id=by.id if by else None,
        object_type="account",
        object_id=account.id,
        details={"expires_at": expires_at.isoformat()},
    )
    session.flush()
    return ResetLink(token=token, expires_at=expires_at)


def _valid_reset(
    session: Session, token: str, at: datetime
) -> tuple[PasswordReset, Account] | None:
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(PasswordReset, Account)
        .join(Account, Account.id == PasswordReset.account_id)
        .where(PasswordReset.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    reset, account = row
    if reset.used_at is not None or utc(reset.expires_at) <= at or not account.active:
        return None
    return reset, account


def reset_account(session: Session, token: str) -> Account | None:
    """Whose link this is, while it can still be used (for the page's greeting)."""
    found = _valid_reset(session, token, now())
    return found[1] if found else None


def set_password_with_link(session: Session, *, token: str, password: str) -> Account:
    """Uses the link once: sets the password, ends every session of the account (a
    reset after a suspected leak must lock the intruder out) and lifts a lockout."""
    at = now()
    found = _valid_reset(session, token, at)
    if found is None:
        raise TeamError(410, LINK_INVALID)
    reset, account = found
    problem = password_problem(password)
    if problem is not None:
        raise TeamError(422, problem)
    # Conditional on still being unused: of two tabs submitting at once, one wins.
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if int(used.rowcount) != 1:  # type: ignore[attr-defined]
        raise TeamError(410, LINK_INVALID)
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    ended = revoke_all_sessions(session, account_id=account.id)
    record(
        session,
        action="account.password_set",
        account_id=account.id,
        object_type="account",
        object_id=account.id,
        details={"sessions_ended": ended},
    )
    session.flush()
    return account
