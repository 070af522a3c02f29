"""Server-side staff sessions.

The cookie carries a random token; the database holds only its SHA-256, so a leaked
database (or backup) cannot be replayed as a login. A session is valid while it is not
expired, not revoked, and its account is active: all three are checked on every
request and WebSocket frame, so a deactivation takes effect immediately.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.accounts.models import Account, StaffSession


def utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; everything we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; never stored
    staff_session: StaffSession


def start_session(session: Session, *, account: Account, ttl_minutes: int) -> NewSession:
    token = secrets.token_urlsafe(32)
    at = now()
    staff_session = StaffSession(
        token_hash=token_hash(token),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=at,
        expires_at=at + timedelta(minutes=ttl_minutes),
    )
    session.add(staff_session)
    session.flush()
    return NewSession(token=token, staff_session=staff_session)


def find_valid_session(
    session: Session, token: str, *, at: datetime | None = None
) -> tuple[StaffSession, Account] | None:
    if not token:
        return None
    at = at or now()
    row = session.execute(
        select(StaffSession, Account)
        .join(Account, Account.id == StaffSession.account_id)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    staff_session, account = row
    if staff_session.revoked_at is not None or not account.active:
        return None
    if utc(staff_session.expires_at) <= at:
        return None
    return staff_session, account


def csrf_matches(staff_session: StaffSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(
        staff_session.csrf_token.encode(), (presented or "").encode()
    )


def revoke_session(session: Session, staff_session: StaffSession) -> None:
    staff_session.revoked_at = now()
    session.flush()


def revoke_all_sessions(session: Session, *, account_id: int) -> int:
    """Ends every live session of an account (deactivation, password change)."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
