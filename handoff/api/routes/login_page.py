"""The staff login page (the login itself is the JSON API in auth.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from handoff.api.pages import safe_next
from handoff.api.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/console/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "console/login.html", next_path=safe_next(next))
