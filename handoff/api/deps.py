"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from handoff.accounts.models import Account, Role, StaffSession
from handoff.accounts.sessions import csrf_matches, find_valid_session
from handoff.api import denied_handshakes
from handoff.core.config import Settings
from handoff.db.session import session_scope

SESSION_COOKIE = "handoff_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

NOT_LOGGED_IN = "Niet ingelogd of sessie verlopen"
CSRF_MISSING = "CSRF-token ontbreekt of klopt niet"
SUPERVISORS_ONLY = "Alleen voor supervisors"


def get_db(request: Request) -> Iterator[Session]:
    """A database session per request that always closes; routes commit explicitly."""
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member and the login (session row) the request came with."""

    account: Account
    staff_session: StaffSession


def get_current_staff(request: Request, session: SessionDep) -> Staff:
    found = find_valid_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, NOT_LOGGED_IN)
    staff_session, account = found
    # SameSite=Strict already keeps other sites' forms out; the token is the second lock
    # for browsers or proxies that do not honour it.
    if request.method not in SAFE_METHODS and not csrf_matches(
        staff_session, request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, CSRF_MISSING)
    return Staff(account=account, staff_session=staff_session)


CurrentStaff = Annotated[Staff, Depends(get_current_staff)]


def get_current_supervisor(staff: CurrentStaff) -> Staff:
    if staff.account.role is not Role.supervisor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, SUPERVISORS_ONLY)
    return staff


CurrentSupervisor = Annotated[Staff, Depends(get_current_supervisor)]


@dataclass(frozen=True)
class SocketStaff:
    """Who is behind a staff WebSocket; ``token`` lets the socket re-check its session."""

    account_id: int
    display_name: str
    role: Role
    token: str


def _lookup(factory: sessionmaker[Session], token: str) -> SocketStaff | None:
    with session_scope(factory) as session:
        found = find_valid_session(session, token)
        if found is None:
            return None
        _staff_session, account = found
        return SocketStaff(account.id, account.display_name, account.role, token)


async def session_still_valid(websocket: WebSocket, staff: SocketStaff) -> bool:
    """For the socket's periodic and per-frame re-check (expiry, revocation,
    deactivation all end an open socket too)."""
    return (
        await run_in_threadpool(_lookup, websocket.app.state.sessionmaker, staff.token) is not None
    )


async def _deny(websocket: WebSocket, status_code: int, detail: str) -> None:
    # A real HTTP status when the server supports denial responses; otherwise a close
    # code before accepting (the browser sees a failed handshake either way).
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code))
        denied_handshakes.mark_refused()
    else:
        await websocket.close(code=4000 + status_code, reason=detail)


async def authenticate_websocket(
    websocket: WebSocket, *, role: Role | None = None
) -> SocketStaff | None:
    """Checks the handshake of a staff WebSocket: the page's Origin must be one of ours
    (browsers send cookies on cross-site WebSocket handshakes, and CSRF tokens cannot
    ride on them), and the session cookie must be valid. Refuses the handshake and
    returns None otherwise."""
    settings: Settings = websocket.app.state.settings
    origin = websocket.headers.get("origin")
    if origin not in settings.allowed_origins:
        await _deny(websocket, status.HTTP_403_FORBIDDEN, "Origin niet toegestaan")
        return None
    staff = await run_in_threadpool(
        _lookup, websocket.app.state.sessionmaker, websocket.cookies.get(SESSION_COOKIE, "")
    )
    if staff is None:
        await _deny(websocket, status.HTTP_401_UNAUTHORIZED, NOT_LOGGED_IN)
        return None
    if role is not None and staff.role is not role:
        await _deny(websocket, status.HTTP_403_FORBIDDEN, SUPERVISORS_ONLY)
        return None
    return staff
