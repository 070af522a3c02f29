"""Administrative commands.

    python -m handoff.cli migrate
    python -m handoff.cli create-supervisor --email ... --name ...
    python -m handoff.cli demo-history [--days 42 --per-day 120 | --remove]

The password is read from a prompt (twice) or, when stdin is not a terminal, from its
first line; there is no default and no command-line flag for it, so it never lands in
shell history or a process listing.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from handoff.accounts.models import Role
from handoff.accounts.passwords import password_problem
from handoff.accounts.store import create_account, get_account_by_email, normalise_email
from handoff.audit.record import record
from handoff.core.config import get_settings
from handoff.db.migrate import upgrade
from handoff.db.session import make_engine, make_sessionmaker, session_scope


class CommandError(Exception):
    pass


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Wachtwoord: ")
        if getpass.getpass("Nogmaals: ") != first:
            raise CommandError("De wachtwoorden komen niet overeen")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def create_supervisor(database_url: str, *, email: str, name: str, password: str) -> int:
    if "@" not in email or not name.strip():
        raise CommandError("Geef een geldig e-mailadres en een naam")
    if problem := password_problem(password):
        raise CommandError(problem)
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            if get_account_by_email(session, email) is not None:
                raise CommandError(f"Er bestaat al een account voor {normalise_email(email)}")
            account = create_account(
                session, email=email, display_name=name, password=password, role=Role.supervisor
            )
            record(
                session,
                action="account.create",
                object_type="account",
                object_id=account.id,
                details={"role": Role.supervisor.value, "via": "cli"},
            )
            return account.id
    except IntegrityError as exc:
        raise CommandError(f"Er bestaat al een account voor {normalise_email(email)}") from exc
    finally:
        engine.dispose()


def demo_history(database_url: str, args: argparse.Namespace) -> str:
    from handoff.demo.history import Options, generate, remove

    if args.days < 1 or args.per_day < 1:
        raise CommandError("--days en --per-day moeten minstens 1 zijn")
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            if args.remove:
                return f"{remove(session)} gegenereerde demo-gesprekken verwijderd"
            count = generate(session, Options(days=args.days, per_day=args.per_day, seed=args.seed))
            return f"{count} demo-gesprekken gegenereerd (gemarkeerd als gegenereerd)"
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date")
    supervisor = commands.add_parser("create-supervisor", help="create a supervisor account")
    supervisor.add_argument("--email", required=True)
    supervisor.add_argument("--name", required=True)
    demo = commands.add_parser(
        "demo-history", help="write (or --remove) a generated demo history for the console"
    )
    demo.add_argument("--days", type=int, default=42)
    demo.add_argument("--per-day", type=int, default=120)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--remove", action="store_true", help="delete every generated row")
    args = parser.parse_args(argv)

    database_url = get_settings().database_url
    try:
        if args.command == "migrate":
            upgrade(database_url)
            print("Database bijgewerkt")
        elif args.command == "demo-history":
            print(demo_history(database_url, args))
        else:
            account_id = create_supervisor(
                database_url, email=args.email, name=args.name, password=read_password()
            )
            print(f"Supervisor aangemaakt (account {account_id})")
    except CommandError as exc:
        print(f"Fout: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
