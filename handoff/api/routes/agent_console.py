"""The agent console page (its data comes from the agent API and ``/ws/agent``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from handoff.api.pages import PageStaff
from handoff.api.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/console", response_class=HTMLResponse)
def agent_console(request: Request, staff: PageStaff) -> HTMLResponse:
    return render(request, "console/agent.html", staff=staff, active="agent")
