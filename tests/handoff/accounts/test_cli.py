"""The administrative CLI: the first supervisor and migrations, run as a real process
where stdin and the environment matter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from handoff.accounts.models import Account, Role
from handoff.accounts.passwords import verify_password
from handoff.audit.models import AuditEntry
from handoff.cli import CommandError, create_supervisor
from handoff.db.session import make_engine, make_sessionmaker, session_scope

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery staple"


def run_cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env |= {"HANDOFF_DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "handoff.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def accounts(database_url: str) -> list[Account]:
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        rows = list(session.scalars(select(Account)))
        session.expunge_all()
    engine.dispose()
    return rows


def test_create_supervisor_reads_password_from_stdin(sqlite_url: str) -> None:
    result = run_cli(
        sqlite_url,
        "create-supervisor",
        "--email",
        "Sara@Example.nl",
        "--name",
        "Sara",
        stdin=PASSWORD + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert "Supervisor aangemaakt" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    [account] = accounts(sqlite_url)
    assert account.email == "sara@example.nl" and account.role is Role.supervisor
    assert account.password_hash.startswith("$argon2id$")
    assert verify_password(account.password_hash, PASSWORD)


def test_create_supervisor_without_password_fails(sqlite_url: str) -> None:
    result = run_cli(
        sqlite_url, "create-supervisor", "--email", "sara@example.nl", "--name", "Sara", stdin=""
    )

    assert result.returncode == 1
    assert "minstens 12 tekens" in result.stderr
    assert accounts(sqlite_url) == []


def test_create_supervisor_has_no_password_flag(sqlite_url: str) -> None:
    result = run_cli(
        sqlite_url,
        "create-supervisor",
        "--email",
        "sara@example.nl",
        "--name",
        "Sara",
        "--password",
        PASSWORD,
    )
    assert result.returncode == 2
    assert accounts(sqlite_url) == []


def test_create_supervisor_twice_is_refused(sqlite_url: str) -> None:
    create_supervisor(sqlite_url, email="sara@example.nl", name="Sara", password=PASSWORD)

    with pytest.raises(CommandError, match="Er bestaat al een account voor sara@example.nl"):
        create_supervisor(sqlite_url, email="SARA@example.nl", name="Sara", password=PASSWORD)
    assert len(accounts(sqlite_url)) == 1


def test_create_supervisor_is_audited(database_url: str) -> None:
    account_id = create_supervisor(
        database_url, email="sara@example.nl", name="Sara", password=PASSWORD
    )

    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        [entry] = session.scalars(select(AuditEntry))
        assert entry.action == "account.create" and entry.object_id == str(account_id)
    engine.dispose()


@pytest.mark.parametrize(
    ("email", "name", "password"),
    [("no-at-sign", "Sara", PASSWORD), ("sara@example.nl", " ", PASSWORD)],
)
def test_create_supervisor_rejects_bad_input(
    sqlite_url: str, email: str, name: str, password: str
) -> None:
    with pytest.raises(CommandError):
        create_supervisor(sqlite_url, email=email, name=name, password=password)
    assert accounts(sqlite_url) == []


def test_migrate_builds_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    result = run_cli(url, "migrate")

    assert result.returncode == 0, result.stderr
    assert accounts(url) == []  # the tables exist
