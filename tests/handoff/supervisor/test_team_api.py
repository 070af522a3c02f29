"""The supervisor's team API and pages end to end: every supervisor route refuses
agents, accounts made and edited, one-time password links, deactivation that ends
sessions, presence counts, and taking over a conversation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from sqlalchemy import select, update

from handoff.accounts.models import Account, PasswordReset, Role
from handoff.api.deps import get_current_supervisor
from handoff.api.pages import get_page_supervisor
from handoff.audit.models import AuditEntry
from handoff.conversations.state import State
from handoff.conversations.store import now
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import (
    PASSWORD,
    LoggedIn,
    TestClient,
    assert_json_error,
    create_staff,
    login,
    login_agent,
    login_supervisor,
)
from tests.handoff.agents.waiting import bot_conversation, stored_conversation, waiting_conversation
from tests.handoff.customers import make_app, rows
from tests.handoff.fake_rasa import FakeRasa

SUPERVISORS_ONLY = "Alleen voor supervisors"
NOT_LOGGED_IN = "Niet ingelogd of sessie verlopen"
INVALID_LOGIN = "E-mailadres of wachtwoord onjuist"
LINK_INVALID = "Deze link is ongeldig, al gebruikt of verlopen. Vraag je supervisor om een nieuwe."
NEW_PASSWORD = "een heel nieuw wachtwoord"


@pytest.fixture
def app(sqlite_url: str) -> FastAPI:
    return make_app(sqlite_url, FakeRasa())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Callable[[], TestClient]]:
    """Another person's browser on the running app (its own cookies)."""
    opened: list[TestClient] = []

    def open_browser() -> TestClient:
        other = TestClient(app)
        opened.append(other)
        return other

    yield open_browser
    for other in opened:
        other.close()


# --- every supervisor page and API refuses agents ---

GUARDS = {get_current_supervisor, get_page_supervisor}


def _guards(dependant: Dependant) -> set[Callable[..., Any]]:
    found = {dependant.call} & GUARDS if dependant.call else set()
    for sub in dependant.dependencies:
        found |= _guards(sub)
    return found


def supervisor_routes(app: FastAPI) -> list[tuple[RouteContext, bool]]:
    """Every HTTP route whose dependencies include a supervisor check, with whether it
    is a page (the page guard) rather than an API."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            guards = _guards(route.dependant)
            if guards:
                found.append((context, get_page_supervisor in guards))
    return found


def call_with_dummies(client: TestClient, context: RouteContext, headers: dict[str, str]) -> Any:
    assert context.path is not None and context.methods
    path = re.sub(r"\{[^}]+\}", "1", context.path)
    method = sorted(context.methods)[0]
    body: dict[str, Any] | None = {} if method not in ("GET", "HEAD", "DELETE") else None
    return client.request(method, path, json=body, headers=headers, follow_redirects=False)


def test_an_agent_gets_403_on_every_supervisor_page_and_api(
    app: FastAPI, client: TestClient
) -> None:
    anna = login_agent(client, app)
    routes = supervisor_routes(app)
    paths = {context.path for context, _page in routes}
    # A guard against enumerating nothing: our own routes are among them.
    assert {
        "/supervisor/rules",
        "/supervisor/team",
        "/api/supervisor/ruleset",
        "/api/supervisor/ruleset/versions/{version}/restore",
        "/api/supervisor/team/{account_id}/deactivate",
        "/api/supervisor/conversations/{conversation_id}/take-over",
    } <= paths

    for context, is_page in routes:
        response = call_with_dummies(client, context, anna.headers)
        where = f"{sorted(context.methods or [])} {context.path}"
        if is_page:
            assert response.status_code == 403, where
            assert "text/html" in response.headers["content-type"], where
            assert "Geen toegang" in response.text and SUPERVISORS_ONLY in response.text, where
        else:
            assert_json_error(response, 403, SUPERVISORS_ONLY)
    assert [e.action for e in rows(app, select(AuditEntry))] == ["login.success"]


def test_supervisor_pages_send_a_browser_without_a_session_to_the_login(
    client: TestClient,
) -> None:
    response = client.get("/supervisor/rules", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/supervisor/rules"
    assert_json_error(client.get("/api/supervisor/team"), 401, NOT_LOGGED_IN)


def test_a_supervisor_sees_the_pages(app: FastAPI, client: TestClient) -> None:
    login_supervisor(client, app)
    rules = client.get("/supervisor/rules")
    team = client.get("/supervisor/team")
    assert rules.status_code == team.status_code == 200
    assert "Regels voor doorverbinden" in rules.text
    assert '<script type="module" src="/static/supervisor/rules.js">' in rules.text
    assert "Medewerkers en supervisors" in team.text


# --- accounts ---


def members(client: TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/supervisor/team")
    assert response.status_code == 200, response.text
    return {m["email"]: m for m in response.json()["members"]}


def token_of(reset_url: str) -> str:
    return reset_url.rsplit("/", 1)[-1]


def test_a_new_account_sets_its_own_password_through_a_one_time_link(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    sara = login_supervisor(client, app)
    created = client.post(
        "/api/supervisor/team",
        json={"email": "Bram@Example.nl", "display_name": "Bram", "role": "agent"},
        headers=sara.headers,
    )
    assert created.status_code == 201, created.text
    url = created.json()["reset_url"]
    assert url.startswith("http://127.0.0.1:8000/password-reset/")
    bram = members(client)["bram@example.nl"]
    assert (bram["role"], bram["active"], bram["max_concurrent"]) == ("agent", True, 3)

    person = browser()
    page = person.get(f"/password-reset/{token_of(url)}")
    assert page.status_code == 200
    assert "Hoi Bram" in page.text and "bram@example.nl" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    too_short = person.post(f"/password-reset/{token_of(url)}", json={"password": "kort"})
    assert_json_error(too_short, 422, "Het wachtwoord moet minstens 12 tekens hebben")

    done = person.post(f"/password-reset/{token_of(url)}", json={"password": NEW_PASSWORD})

    assert done.status_code == 200 and done.json() == {"email": "bram@example.nl"}
    assert login(person, "bram@example.nl", NEW_PASSWORD).account_id == bram["id"]
    again = person.post(
        f"/password-reset/{token_of(url)}", json={"password": "nog een ander wachtwoord"}
    )
    assert_json_error(again, 410, LINK_INVALID)
    assert person.get(f"/password-reset/{token_of(url)}").status_code == 410
    actions = [e.action for e in rows(app, select(AuditEntry).order_by(AuditEntry.id))]
    assert [a for a in actions if a.startswith("account.")] == [
        "account.create",
        "account.reset_link",
        "account.password_set",
    ]


def test_a_duplicate_address_is_refused(app: FastAPI, client: TestClient) -> None:
    sara = login_supervisor(client, app)
    assert_json_error(
        client.post(
            "/api/supervisor/team",
            json={"email": "SARA@example.nl", "display_name": "Sara 2"},
            headers=sara.headers,
        ),
        409,
        "Er is al een account met dit e-mailadres",
    )
    assert list(members(client)) == ["sara@example.nl"]


def test_a_reset_ends_the_old_sessions_and_an_older_link_stops_working(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    sara = login_supervisor(client, app)
    anna_browser = browser()
    anna = login_agent(anna_browser, app)
    first = client.post(f"/api/supervisor/team/{anna.account_id}/reset-link", headers=sara.headers)
    second = client.post(f"/api/supervisor/team/{anna.account_id}/reset-link", headers=sara.headers)
    assert first.status_code == second.status_code == 201

    stale = anna_browser.post(
        f"/password-reset/{token_of(first.json()['reset_url'])}", json={"password": NEW_PASSWORD}
    )
    assert_json_error(stale, 410, LINK_INVALID)
    assert anna_browser.get("/api/auth/me").status_code == 200
    fresh = anna_browser.post(
        f"/password-reset/{token_of(second.json()['reset_url'])}", json={"password": NEW_PASSWORD}
    )
    assert fresh.status_code == 200
    assert_json_error(anna_browser.get("/api/auth/me"), 401, NOT_LOGGED_IN)
    assert_json_error(
        anna_browser.post(
            "/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
        ),
        401,
        INVALID_LOGIN,
    )


def test_an_expired_link_is_refused(app: FastAPI, client: TestClient) -> None:
    sara = login_supervisor(client, app)
    anna_id = create_staff(app, "anna@example.nl")
    link = client.post(f"/api/supervisor/team/{anna_id}/reset-link", headers=sara.headers).json()
    with session_scope(app.state.sessionmaker) as session:
        session.execute(update(PasswordReset).values(expires_at=now() - timedelta(minutes=1)))
    response = client.post(
        f"/password-reset/{token_of(link['reset_url'])}", json={"password": NEW_PASSWORD}
    )
    assert_json_error(response, 410, LINK_INVALID)


def test_editing_an_account_changes_name_role_and_capacity(
    app: FastAPI, client: TestClient
) -> None:
    sara = login_supervisor(client, app)
    anna_id = create_staff(app, "anna@example.nl")
    response = client.patch(
        f"/api/supervisor/team/{anna_id}",
        json={"display_name": "Anna de Vries", "role": "supervisor", "max_concurrent": 5},
        headers=sara.headers,
    )
    assert response.status_code == 200, response.text
    anna = members(client)["anna@example.nl"]
    assert (anna["display_name"], anna["role"], anna["max_concurrent"]) == (
        "Anna de Vries",
        "supervisor",
        5,
    )
    invalid = client.patch(
        f"/api/supervisor/team/{anna_id}", json={"max_concurrent": 0}, headers=sara.headers
    )
    assert invalid.status_code == 422
    assert members(client)["anna@example.nl"]["max_concurrent"] == 5


def test_a_deactivated_account_cannot_log_in_and_its_sessions_end(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    sara = login_supervisor(client, app)
    anna_browser = browser()
    anna = login_agent(anna_browser, app)
    assert anna_browser.get("/api/agent/queue").status_code == 200

    response = client.post(
        f"/api/supervisor/team/{anna.account_id}/deactivate", headers=sara.headers
    )

    assert response.status_code == 200, response.text
    assert_json_error(anna_browser.get("/api/agent/queue"), 401, NOT_LOGGED_IN)
    assert_json_error(
        anna_browser.post(
            "/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
        ),
        401,
        INVALID_LOGIN,
    )
    assert members(client)["anna@example.nl"]["active"] is False
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, anna.account_id)
        assert account is not None
        assert all(s.revoked_at is not None for s in account.sessions)
    [entry] = rows(app, select(AuditEntry).where(AuditEntry.action == "account.deactivate"))
    assert entry.account_id == sara.account_id and entry.details["sessions_ended"] == 1
    # A link for a deactivated account is not handed out.
    assert_json_error(
        client.post(f"/api/supervisor/team/{anna.account_id}/reset-link", headers=sara.headers),
        409,
        "Dit account is gedeactiveerd; activeer het eerst",
    )


def test_the_last_supervisor_cannot_be_removed(app: FastAPI, client: TestClient) -> None:
    sara = login_supervisor(client, app)
    assert_json_error(
        client.post(f"/api/supervisor/team/{sara.account_id}/deactivate", headers=sara.headers),
        409,
        "Je kunt je eigen account niet deactiveren of agent maken",
    )
    other = create_staff(app, "piet@example.nl", role=Role.supervisor)
    client.post(f"/api/supervisor/team/{other}/deactivate", headers=sara.headers)
    assert members(client)["piet@example.nl"]["active"] is False
    assert members(client)["sara@example.nl"]["active"] is True


def test_the_team_shows_who_is_online_available_and_what_they_hold(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    sara = login_supervisor(client, app)
    anna_browser = browser()
    anna = login_agent(anna_browser, app)
    create_staff(app, "bram@example.nl")
    anna_browser.post("/api/agent/availability", json={"available": True}, headers=anna.headers)
    conversation_id = waiting_conversation(app)
    claimed = anna_browser.post(
        f"/api/agent/conversations/{conversation_id}/claim", headers=anna.headers
    )
    assert claimed.status_code == 200, claimed.text

    team = members(client)

    assert {k: team["anna@example.nl"][k] for k in ("online", "available", "holding")} == {
        "online": True,
        "available": True,
        "holding": 1,
    }
    assert team["anna@example.nl"]["conversations"] == [conversation_id]
    assert {k: team["bram@example.nl"][k] for k in ("online", "available", "holding")} == {
        "online": False,
        "available": False,
        "holding": 0,
    }
    assert sara.account_id in {m["id"] for m in team.values()}


# --- take-over ---


def take_over(client: TestClient, staff: LoggedIn, conversation_id: str) -> Any:
    return client.post(
        f"/api/supervisor/conversations/{conversation_id}/take-over", headers=staff.headers
    )


def test_a_supervisor_takes_over_a_conversation_from_an_agent(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    sara = login_supervisor(client, app)
    anna_browser = browser()
    anna = login_agent(anna_browser, app)
    conversation_id = waiting_conversation(app)
    anna_browser.post(f"/api/agent/conversations/{conversation_id}/claim", headers=anna.headers)

    response = take_over(client, sara, conversation_id)

    assert response.status_code == 200, response.text
    taken = stored_conversation(app, conversation_id)
    assert (taken.state, taken.assigned_agent_id) == (State.human, sara.account_id)
    [entry] = rows(app, select(AuditEntry).where(AuditEntry.action == "conversation.transfer"))
    assert entry.details == {"from_account_id": anna.account_id, "to_account_id": sara.account_id}
    assert_json_error(take_over(client, sara, conversation_id), 409, "Je hebt dit gesprek al")


def test_a_supervisor_takes_over_from_the_queue(app: FastAPI, client: TestClient) -> None:
    sara = login_supervisor(client, app)
    conversation_id = waiting_conversation(app)
    assert take_over(client, sara, conversation_id).status_code == 200
    taken = stored_conversation(app, conversation_id)
    assert (taken.state, taken.assigned_agent_id) == (State.human, sara.account_id)


def test_a_conversation_still_with_the_bot_is_not_taken_over(
    app: FastAPI, client: TestClient
) -> None:
    sara = login_supervisor(client, app)
    conversation_id = bot_conversation(app)
    assert_json_error(
        take_over(client, sara, conversation_id),
        409,
        "De assistent voert dit gesprek nog; overnemen kan zodra het in de wachtrij staat",
    )
    assert stored_conversation(app, conversation_id).state == State.bot
    assert_json_error(take_over(client, sara, "unknown"), 404, "Gesprek niet gevonden")
