"""Server-rendered pages: one Jinja2 environment with autoescape, so nothing a customer
or a colleague typed can become markup; pages carry no inline script (see headers.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

# Starlette turns autoescape on for every template; tests check it stays on.
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request,
        name,
        {"org_name": settings.org_name, **context},
        status_code=status_code,
    )
