"""Checking a login attempt, with lockout after repeated failures.

An unknown e-mail address and a wrong password look the same from outside (same
answer, same time spent hashing); only the audit log tells them apart.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.accounts.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from handoff.accounts.sessions import now, utc
from handoff.accounts.store import get_account_by_email, normalise_email
from handoff.audit.models import AuditEntry
from handoff.audit.record import record

UNKNOWN_EMAIL = "login_email"


class Outcome(enum.Enum):
    ok = "ok"
    invalid = "invalid"
    locked = "locked"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    account: Account | None = None
    locked_until: datetime | None = None


def attempt_login(
    session: Session,
    *,
    email: str,
    password: str,
    max_failures: int,
    lockout_minutes: int,
    at: datetime | None = None,
) -> Attempt:
    """Checks the credentials, counts the attempt and writes the audit entries. The
    attempt's place in the failure count is committed here, before the password is
    checked; the caller commits the rest whatever the outcome."""
    at = at or now()
    account = get_account_by_email(session, email)
    if account is None:
        burn_verification_time(password)
        return _unknown_email(
            session, email, at=at, max_failures=max_failures, lockout_minutes=lockout_minutes
        )

    if account.locked_until is not None and utc(account.locked_until) > at:
        # Checked before the password, so guessing on during a lockout learns nothing.
        record(session, action="login.blocked", account_id=account.id)
        return Attempt(Outcome.locked, account, utc(account.locked_until))

    if not account.active:
        burn_verification_time(password)
        record(
            session, action="login.failure", account_id=account.id, details={"reason": "inactive"}
        )
        return Attempt(Outcome.invalid, account)

    attempt_number = _reserve_attempt(session, account, at)
    if attempt_number > max_failures:
        # Parallel guesses used up the allowance while this one waited: it is not
        # verified at all, so a burst cannot test more than ``max_failures`` passwords.
        until = utc(account.locked_until) if account.locked_until else at
        record(session, action="login.blocked", account_id=account.id)
        return Attempt(Outcome.locked, account, max(until, at + timedelta(seconds=1)))

    if not verify_password(account.password_hash, password):
        record(
            session,
            action="login.failure",
            account_id=account.id,
            details={"reason": "wrong_password", "failures": attempt_number},
        )
        if attempt_number >= max_failures:
            account.locked_until = at + timedelta(minutes=lockout_minutes)
            record(
                session,
                action="login.lockout",
                account_id=account.id,
                details={"until": account.locked_until.isoformat()},
            )
            return Attempt(Outcome.locked, account, account.locked_until)
        return Attempt(Outcome.invalid, account)

    account.failed_logins = 0
    account.locked_until = None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    record(session, action="login.success", account_id=account.id)
    return Attempt(Outcome.ok, account)


def _reserve_attempt(session: Session, account: Account, at: datetime) -> int:
    """Counts this attempt before the password is checked, atomically and committed,
    and returns its number since the last success or lockout."""
    # A fresh transaction that starts by writing: SQLite then waits for its write lock
    # (busy timeout) instead of failing to upgrade a read transaction that is now stale.
    session.commit()
    if account.locked_until is not None and utc(account.locked_until) <= at:
        # The lockout is over: counting starts afresh.
        session.execute(
            update(Account)
            .where(Account.id == account.id, Account.locked_until.is_not(None))
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
    number = session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(failed_logins=Account.failed_logins + 1)
        .returning(Account.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.commit()
    session.refresh(account)
    return int(number)


def _unknown_email(
    session: Session, email: str, *, at: datetime, max_failures: int, lockout_minutes: int
) -> Attempt:
    """An address without an account locks exactly like one with an account (N
    failures, then a lockout), so the 429 does not reveal which addresses exist. The
    counting lives in the audit log, keyed by a hash of the address."""
    key = hashlib.sha256(normalise_email(email).encode()).hexdigest()
    by_key = (AuditEntry.object_type == UNKNOWN_EMAIL, AuditEntry.object_id == key)
    last_lockout = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "login.lockout", *by_key)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if last_lockout is not None:
        until = datetime.fromisoformat(last_lockout.details["until"])
        if until > at:
            record(session, action="login.blocked", object_type=UNKNOWN_EMAIL, object_id=key)
            return Attempt(Outcome.locked, None, until)
    failures = session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "login.failure",
            *by_key,
            AuditEntry.id > (last_lockout.id if last_lockout is not None else 0),
        )
    )
    record(
        session,
        action="login.failure",
        object_type=UNKNOWN_EMAIL,
        object_id=key,
        details={"reason": "unknown_email", "email": normalise_email(email)[:254]},
    )
    if (failures or 0) + 1 >= max_failures:
        until = at + timedelta(minutes=lockout_minutes)
        record(
            session,
            action="login.lockout",
            object_type=UNKNOWN_EMAIL,
            object_id=key,
            details={"until": until.isoformat()},
        )
        return Attempt(Outcome.locked, None, until)
    return Attempt(Outcome.invalid)
