"""Shared fixtures: a clean, migrated database per test, on SQLite and on PostgreSQL.

Each test gets its own database copied from a migrated template (a file copy for SQLite,
``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so tests never share state and the
migrations themselves are what builds the schema.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from handoff.db.migrate import upgrade
from tests.handoff.customers import close_connected

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://root@127.0.0.1:5432/postgres")


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{dbname}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.encode())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Before the fixtures stop their apps: a failed test's open sockets would hang them."""
    close_connected()
    yield


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"handoff_tmpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    upgrade(_pg_url(name))
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "handoff.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _open_connections(dbname: str) -> list[str]:
    """What each connection still open to the database last did, to tell whose it is."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, backend_start, query FROM pg_stat_activity WHERE datname = %s",
            (dbname,),
        ).fetchall()
    return [f"{state} since {start:%H:%M:%S.%f}: {query}" for state, start, query in rows]


# Tests that left a connection open to their PostgreSQL database, with what it last did;
# listed at the end of the run (pytest_terminal_summary).
_left_open: list[str] = []


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, pg_template: str) -> Iterator[str]:
    name = f"handoff_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    # A connection still open here was returned to a pool after the app disposed its
    # engine: a thread still finishing at shutdown (found so far: socket tasks, e-mails,
    # a drain's lease release; all fixed). Dropping the database cuts it; its
    # ResourceWarning when collected later is ignored in pytest.ini because it would fail
    # whichever test runs then. The test is named at the end of the run instead.
    deadline = time.monotonic() + 5.0
    while (left := _open_connections(name)) and time.monotonic() < deadline:
        time.sleep(0.05)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _left_open.extend(f"{request.node.nodeid}: {connection}" for connection in left)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _left_open:
        terminalreporter.section("PostgreSQL connections left open by a test")
        for line in _left_open:
            terminalreporter.line(line)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """For storage, worker and migration tests that must hold on both databases."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


# The real Rasa + action server (one per session, started on first use) and the service
# as a real process: shared by the integration, channel and browser tests.
from tests.handoff.live.rasa import rasa, real_rasa  # noqa: E402, F401
from tests.handoff.live.service import service_process  # noqa: E402, F401
