"""Staff login, sessions and CSRF, end to end through the real app and database."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from handoff.accounts.models import Account, Role, StaffSession
from handoff.api.deps import SESSION_COOKIE, CurrentSupervisor
from handoff.audit.models import AuditEntry
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import (
    PASSWORD,
    TestClient,
    assert_json_error,
    create_staff,
    get_account,
    login,
    login_agent,
)
from tests.handoff.customers import make_app

INVALID = "E-mailadres of wachtwoord onjuist"
NOT_LOGGED_IN = "Niet ingelogd of sessie verlopen"


@pytest.fixture
def app(sqlite_url: str) -> FastAPI:
    return make_app(sqlite_url, login_max_failures=3, login_lockout_minutes=15)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def audit_actions(app: FastAPI) -> list[tuple[str, int | None, dict[str, object]]]:
    with session_scope(app.state.sessionmaker) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.account_id, e.details) for e in entries]


def staff_sessions(app: FastAPI) -> list[StaffSession]:
    with session_scope(app.state.sessionmaker) as session:
        rows = list(session.scalars(select(StaffSession).order_by(StaffSession.id)))
        session.expunge_all()
        return rows


def test_login_sets_strict_httponly_cookie_and_returns_account(
    app: FastAPI, client: TestClient
) -> None:
    account_id = create_staff(app, "Anna@Example.nl", name="Anna de Vries")

    response = client.post(
        "/api/auth/login", json={"email": " anna@example.NL", "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == {
        "id": account_id,
        "email": "anna@example.nl",
        "display_name": "Anna de Vries",
        "role": "agent",
    }
    assert len(body["csrf_token"]) >= 32
    cookie_header = response.headers["set-cookie"]
    assert "HttpOnly" in cookie_header
    assert "SameSite=strict" in cookie_header
    assert "Secure" not in cookie_header
    token = client.cookies[SESSION_COOKIE]
    [stored] = staff_sessions(app)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.csrf_token)
    assert audit_actions(app) == [("login.success", account_id, {})]


def test_login_cookie_is_secure_when_configured(sqlite_url: str) -> None:
    app = make_app(sqlite_url, cookie_secure=True)
    with TestClient(app, base_url="https://testserver") as client:
        create_staff(app, "anna@example.nl")
        response = client.post(
            "/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
        )
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


def test_login_wrong_password_and_unknown_email_look_the_same(
    app: FastAPI, client: TestClient
) -> None:
    account_id = create_staff(app, "anna@example.nl")

    wrong = client.post("/api/auth/login", json={"email": "anna@example.nl", "password": "x"})
    unknown = client.post("/api/auth/login", json={"email": "bob@example.nl", "password": "x"})

    assert_json_error(wrong, 401, INVALID)
    assert_json_error(unknown, 401, INVALID)
    assert SESSION_COOKIE not in client.cookies
    assert staff_sessions(app) == []
    assert audit_actions(app) == [
        ("login.failure", account_id, {"reason": "wrong_password", "failures": 1}),
        ("login.failure", None, {"reason": "unknown_email", "email": "bob@example.nl"}),
    ]


def test_login_malformed_body_is_rejected(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"email": "anna@example.nl"})
    assert response.status_code == 422


def test_login_lockout_after_repeated_failures(app: FastAPI, client: TestClient) -> None:
    account_id = create_staff(app, "anna@example.nl")
    for _ in range(2):
        response = client.post(
            "/api/auth/login", json={"email": "anna@example.nl", "password": "wrong"}
        )
        assert_json_error(response, 401, INVALID)

    third = client.post("/api/auth/login", json={"email": "anna@example.nl", "password": "wrong"})
    # Even the right password is refused while the lockout lasts.
    right = client.post("/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD})

    for response in (third, right):
        assert_json_error(
            response,
            429,
            "Te veel mislukte inlogpogingen. Dit account is tijdelijk geblokkeerd; "
            "probeer het over 15 minuten opnieuw.",
        )
        assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    assert staff_sessions(app) == []
    locked_until = get_account(app, account_id).locked_until
    assert locked_until is not None
    actions = [action for action, _, _ in audit_actions(app)]
    assert actions == ["login.failure"] * 3 + ["login.lockout", "login.blocked"]


def test_login_lockout_looks_the_same_for_unknown_email(app: FastAPI, client: TestClient) -> None:
    create_staff(app, "anna@example.nl")
    answers = {}
    for email in ("anna@example.nl", "nobody@example.nl"):
        answers[email] = [
            client.post("/api/auth/login", json={"email": email, "password": "wrong"})
            for _ in range(4)
        ]

    for email, responses in answers.items():
        assert [r.status_code for r in responses] == [401, 401, 429, 429], email
        assert responses[2].json() == responses[3].json()
    assert answers["anna@example.nl"][3].json() == answers["nobody@example.nl"][3].json()


def test_login_works_again_after_lockout_expires(app: FastAPI, client: TestClient) -> None:
    account_id = create_staff(app, "anna@example.nl")
    for _ in range(3):
        client.post("/api/auth/login", json={"email": "anna@example.nl", "password": "wrong"})
    with session_scope(app.state.sessionmaker) as session:
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )

    logged_in = login(client, "anna@example.nl")

    assert logged_in.account_id == account_id
    account = get_account(app, account_id)
    assert account.failed_logins == 0
    assert account.locked_until is None


def test_login_success_resets_failure_count(app: FastAPI, client: TestClient) -> None:
    account_id = create_staff(app, "anna@example.nl")
    for _ in range(2):
        client.post("/api/auth/login", json={"email": "anna@example.nl", "password": "wrong"})
    login(client, "anna@example.nl")
    assert get_account(app, account_id).failed_logins == 0


def test_login_deactivated_account_is_refused(app: FastAPI, client: TestClient) -> None:
    account_id = create_staff(app, "anna@example.nl")
    deactivate(app, account_id)

    response = client.post(
        "/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
    )

    assert_json_error(response, 401, INVALID)
    assert staff_sessions(app) == []


def test_me_returns_account_and_csrf_token(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)

    response = client.get("/api/auth/me")

    assert response.status_code == 200
    assert response.json()["account"]["id"] == agent.account_id
    assert response.json()["csrf_token"] == agent.csrf_token


def test_me_unauthenticated(client: TestClient) -> None:
    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)


def test_me_with_forged_cookie(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "forged")
    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)


def test_logout_revokes_the_session(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)
    token = client.cookies[SESSION_COOKIE]

    response = client.post("/api/auth/logout", headers=agent.headers)

    assert response.status_code == 204
    [stored] = staff_sessions(app)
    assert stored.revoked_at is not None
    # The old cookie is dead even if a copy of it survives somewhere.
    client.cookies.set(SESSION_COOKIE, token)
    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)
    assert audit_actions(app)[-1] == ("logout", agent.account_id, {})


def test_logout_without_csrf_token_changes_nothing(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)

    missing = client.post("/api/auth/logout")
    wrong = client.post("/api/auth/logout", headers={"X-CSRF-Token": "not-the-token"})

    for response in (missing, wrong):
        assert_json_error(response, 403, "CSRF-token ontbreekt of klopt niet")
    [stored] = staff_sessions(app)
    assert stored.revoked_at is None
    assert client.get("/api/auth/me").status_code == 200


def test_session_expires(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)
    with session_scope(app.state.sessionmaker) as session:
        session.execute(
            update(StaffSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)


def test_session_lifetime_follows_settings(sqlite_url: str) -> None:
    app = make_app(sqlite_url, session_ttl_minutes=30)
    with TestClient(app) as client:
        login_agent(client, app)
    [stored] = staff_sessions(app)
    lifetime = _utc(stored.expires_at) - _utc(stored.created_at)
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)


def test_revoked_session_stops_working(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)
    with session_scope(app.state.sessionmaker) as session:
        session.execute(update(StaffSession).values(revoked_at=datetime.now(UTC)))

    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)


def test_deactivated_account_sessions_stop_working_immediately(
    app: FastAPI, client: TestClient
) -> None:
    agent = login_agent(client, app)
    deactivate(app, agent.account_id)

    assert_json_error(client.get("/api/auth/me"), 401, NOT_LOGGED_IN)


def test_two_logins_are_independent_sessions(app: FastAPI, client: TestClient) -> None:
    create_staff(app, "anna@example.nl")
    # A second browser on the same running app (its lifespan already runs via ``client``).
    other = TestClient(app)
    first = login(client, "anna@example.nl")
    second = login(other, "anna@example.nl")
    assert first.csrf_token != second.csrf_token
    client.post("/api/auth/logout", headers=first.headers)
    assert other.get("/api/auth/me").status_code == 200


def deactivate(app: FastAPI, account_id: int) -> None:
    with session_scope(app.state.sessionmaker) as session:
        session.execute(update(Account).where(Account.id == account_id).values(active=False))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_current_supervisor_admits_supervisors_only(app: FastAPI, client: TestClient) -> None:
    # Supervisor routes come with their own issue; a tiny route on the real app checks
    # the dependency they will use.
    @app.get("/test/supervisor-only")
    def supervisor_only(staff: CurrentSupervisor) -> dict[str, int]:
        return {"id": staff.account.id}

    create_staff(app, "sara@example.nl", role=Role.supervisor)
    agent = TestClient(app)
    login_agent(agent, app)

    assert_json_error(agent.get("/test/supervisor-only"), 403, "Alleen voor supervisors")
    assert_json_error(
        TestClient(app).get("/test/supervisor-only"), 401, "Niet ingelogd of sessie verlopen"
    )
    supervisor = login(client, "sara@example.nl")
    answer = client.get("/test/supervisor-only")
    assert answer.status_code == 200 and answer.json() == {"id": supervisor.account_id}


def test_login_burst_cannot_test_more_passwords_than_allowed(database_url: str) -> None:
    app = make_app(database_url, login_max_failures=3)
    with TestClient(app):
        create_staff(app, "anna@example.nl")
        browsers = [TestClient(app) for _ in range(8)]
        start = threading.Barrier(len(browsers))
        answers: list[int] = []

        def guess(browser: TestClient) -> None:
            start.wait()
            response = browser.post(
                "/api/auth/login", json={"email": "anna@example.nl", "password": "guess"}
            )
            answers.append(response.status_code)

        threads = [threading.Thread(target=guess, args=(b,)) for b in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(answers) == [401, 401] + [429] * 6
        failures = [a for a, _, d in audit_actions(app) if a == "login.failure"]
        assert len(failures) == 3  # passwords actually verified
