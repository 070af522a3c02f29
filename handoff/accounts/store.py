"""Data access for staff accounts: plain keyword-only functions; callers commit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.accounts.models import Account, Role
from handoff.accounts.passwords import hash_password


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_account_by_email(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == normalise_email(email)))


def create_account(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role,
    max_concurrent: int = 3,
) -> Account:
    account = Account(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
        active=True,
        available=False,
        max_concurrent=max_concurrent,
        failed_logins=0,
    )
    session.add(account)
    session.flush()
    return account
