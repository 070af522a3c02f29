"""The supervisor console's pages (rules, team) and the page where a person sets their
password through a one-time link. The data comes from the JSON API in supervisor.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from handoff.api.deps import SessionDep
from handoff.api.pages import PageSupervisor
from handoff.api.templating import render
from handoff.supervisor import team as team_ops

router = APIRouter(tags=["pages"], include_in_schema=False)


class NewPassword(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


@router.get("/supervisor/rules", response_class=HTMLResponse)
def rules_page(request: Request, staff: PageSupervisor) -> HTMLResponse:
    return render(request, "supervisor/rules.html", staff=staff, active="rules")


@router.get("/supervisor/team", response_class=HTMLResponse)
def team_page(request: Request, staff: PageSupervisor) -> HTMLResponse:
    return render(request, "supervisor/team.html", staff=staff, active="team")


@router.get("/password-reset/{token}", response_class=HTMLResponse)
def password_reset_page(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    account = team_ops.reset_account(session, token)
    response = render(
        request,
        "supervisor/password_reset.html",
        status_code=status.HTTP_200_OK if account else status.HTTP_410_GONE,
        staff=None,
        account_name=account.display_name if account else None,
        account_email=account.email if account else None,
        link_invalid=team_ops.LINK_INVALID,
    )
    # The token is in the path: keep it out of other sites' Referer headers.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/password-reset/{token}")
def set_password(token: str, body: NewPassword, session: SessionDep) -> dict[str, Any]:
    try:
        account = team_ops.set_password_with_link(session, token=token, password=body.password)
    except team_ops.TeamError as error:
        session.rollback()
        raise HTTPException(error.status_code, error.message) from error
    session.commit()
    return {"email": account.email}
