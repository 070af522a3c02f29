"""A session on a fresh migrated database, for the tests that write a hand-built or
generated history and read it back (analytics, replay, the demo history). Each of their
folders registers the fixture in its conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from handoff.db.session import make_engine, make_sessionmaker, session_scope


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = make_engine(sqlite_url)
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            yield db
    finally:
        engine.dispose()
