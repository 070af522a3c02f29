"""Passwords and sessions below the API: hashing, token storage, validity rules."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from handoff.accounts.models import Role
from handoff.accounts.passwords import hash_password, password_problem, verify_password
from handoff.accounts.sessions import (
    csrf_matches,
    find_valid_session,
    now,
    revoke_all_sessions,
    start_session,
)
from handoff.accounts.store import create_account
from handoff.db.session import make_engine, make_sessionmaker, session_scope

PASSWORD = "correct horse battery staple"


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "!")
    assert not verify_password("not-a-hash", PASSWORD)


def test_password_rules() -> None:
    assert password_problem("kort") is not None
    assert password_problem(" " + PASSWORD) is not None
    assert password_problem(PASSWORD) is None


def test_sessions_store_only_token_hash_and_expire(database_url: str) -> None:
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        account = create_account(
            session, email="a@example.nl", display_name="A", password=PASSWORD, role=Role.agent
        )
        new = start_session(session, account=account, ttl_minutes=10)
        assert new.staff_session.token_hash == hashlib.sha256(new.token.encode()).hexdigest()

        assert find_valid_session(session, new.token) is not None
        assert find_valid_session(session, new.token, at=now() + timedelta(minutes=11)) is None
        assert find_valid_session(session, "") is None
        assert find_valid_session(session, new.token + "x") is None
        assert csrf_matches(new.staff_session, new.staff_session.csrf_token)
        assert not csrf_matches(new.staff_session, None)
        assert not csrf_matches(new.staff_session, "")

        assert revoke_all_sessions(session, account_id=account.id) == 1
        session.expire_all()
        assert find_valid_session(session, new.token) is None
    engine.dispose()
