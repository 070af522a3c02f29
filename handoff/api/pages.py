"""Dependencies for the consoles' HTML pages: like ``CurrentStaff`` and
``CurrentSupervisor``, but a browser without a session is sent to the login page (and
back afterwards) instead of getting a JSON 401."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import RedirectResponse, Response

from handoff.accounts.models import Role
from handoff.accounts.sessions import find_valid_session
from handoff.api.deps import SESSION_COOKIE, SUPERVISORS_ONLY, SessionDep, Staff
from handoff.api.templating import render

LOGIN_PATH = "/console/login"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class SupervisorRequired(Exception):
    pass


def get_page_staff(request: Request, session: SessionDep) -> Staff:
    found = find_valid_session(session, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise LoginRequired(request.url.path)
    staff_session, account = found
    return Staff(account=account, staff_session=staff_session)


PageStaff = Annotated[Staff, Depends(get_page_staff)]


def get_page_supervisor(staff: PageStaff) -> Staff:
    if staff.account.role is not Role.supervisor:
        raise SupervisorRequired
    return staff


PageSupervisor = Annotated[Staff, Depends(get_page_supervisor)]


def safe_next(path: str | None) -> str:
    """Only a path on this site: ``//evil.example`` or ``https://…`` would turn the
    login page into an open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/console"
    return path


def install_page_handlers(app: FastAPI) -> None:
    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = f"{LOGIN_PATH}?next={quote(safe_next(exc.next_path))}"
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "console/forbidden.html",
            status_code=status.HTTP_403_FORBIDDEN,
            message=SUPERVISORS_ONLY,
        )

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(SupervisorRequired, forbidden)
