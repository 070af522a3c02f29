"""The example organisation's public site: a demo page that embeds the chat widget, and
the help pages the bot cites as sources (``help/<slug>.md`` rendered to HTML).

The help pages are our own repository's Markdown, rendered with raw HTML switched off,
so even a stray tag in a help page stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup

from handoff.api.templating import PACKAGE_DIR, render

router = APIRouter(tags=["site"], include_in_schema=False)

HELP_DIR = PACKAGE_DIR.parent / "help"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class HelpPage:
    slug: str
    title: str
    body: Markup


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


@lru_cache(maxsize=64)
def _render(path: Path, mtime: float) -> HelpPage:
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    title = first.removeprefix("# ").strip() if first.startswith("# ") else path.stem
    # The title becomes the page's <h1>; the template renders it, escaped.
    return HelpPage(path.stem, title, Markup(_markdown().render(rest)))  # noqa: S704


def help_page(slug: str) -> HelpPage | None:
    if not SLUG.fullmatch(slug):
        return None
    path = HELP_DIR / f"{slug}.md"
    if not path.is_file():
        return None
    return _render(path, path.stat().st_mtime)


def help_pages() -> list[HelpPage]:
    pages = (help_page(path.stem) for path in sorted(HELP_DIR.glob("*.md")))
    return sorted((page for page in pages if page is not None), key=lambda page: page.title)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "site/home.html", lang="nl", pages=help_pages())


@router.get("/en", response_class=HTMLResponse)
def home_english(request: Request) -> HTMLResponse:
    return render(request, "site/home.html", lang="en", pages=help_pages())


@router.get("/help", response_class=HTMLResponse)
def help_index(request: Request) -> HTMLResponse:
    return render(request, "site/help_index.html", lang="nl", pages=help_pages())


@router.get("/help/{slug}", response_class=HTMLResponse)
def help_detail(request: Request, slug: str) -> HTMLResponse:
    page = help_page(slug)
    if page is None:
        return render(request, "site/not_found.html", status_code=404, lang="nl")
    return render(request, "site/help.html", lang="nl", page=page)
