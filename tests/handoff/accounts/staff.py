"""Test helpers that read like the staff domain: create and log in staff, check an
error answer. (The app itself comes from ``tests.handoff.customers.make_app``.)"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from handoff.accounts.models import Account, Role
from handoff.accounts.store import create_account
from handoff.api.deps import CSRF_HEADER
from handoff.db.session import session_scope

with warnings.catch_warnings():
    # starlette 1.10 asks for httpx2, which requirements.lock does not pin (yet); the
    # httpx it falls back to works the same for the test client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketDenialResponse

__all__ = ["TestClient", "WebSocketDenialResponse"]

PASSWORD = "correct horse battery staple"
ORIGIN = "http://127.0.0.1:8000"


def create_staff(
    app: FastAPI,
    email: str,
    *,
    role: Role = Role.agent,
    name: str | None = None,
    password: str = PASSWORD,
    max_concurrent: int = 3,
) -> int:
    with session_scope(app.state.sessionmaker) as session:
        account = create_account(
            session,
            email=email,
            display_name=name or email.split("@")[0].title(),
            password=password,
            role=role,
            max_concurrent=max_concurrent,
        )
        return account.id


def get_account(app: FastAPI, account_id: int) -> Account:
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, account_id)
        assert account is not None
        session.expunge(account)
        return account


@dataclass
class LoggedIn:
    account_id: int
    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {CSRF_HEADER: self.csrf_token}


def login(client: TestClient, email: str, password: str = PASSWORD) -> LoggedIn:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return LoggedIn(account_id=body["account"]["id"], csrf_token=body["csrf_token"])


def login_agent(
    client: TestClient, app: FastAPI, email: str = "anna@example.nl", **account: Any
) -> LoggedIn:
    create_staff(app, email, **account)
    return login(client, email)


def login_supervisor(client: TestClient, app: FastAPI, email: str = "sara@example.nl") -> LoggedIn:
    create_staff(app, email, role=Role.supervisor)
    return login(client, email)


def assert_json_error(response: httpx.Response, status_code: int, message: str) -> None:
    assert response.status_code == status_code, response.text
    assert response.json()["detail"] == message
