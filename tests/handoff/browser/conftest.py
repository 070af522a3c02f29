"""Browser tests: Debian's Chromium driven by the pinned Playwright (never a downloaded
browser), against the service as a real process on PostgreSQL with the real Rasa and
action server.

Every page a test opens fails the test on a JavaScript error or a Content Security
Policy violation, so a script that breaks or an inline handler that sneaks in is caught
by whatever test happens to load the page. Screenshots go to
``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from sqlalchemy.orm import Session

from handoff.accounts.models import Role
from handoff.accounts.store import create_account
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from tests.bot.servers import REPO
from tests.handoff.accounts.staff import PASSWORD
from tests.handoff.live.customer import customers  # noqa: F401  (a fixture)
from tests.handoff.live.rasa import RealRasa
from tests.handoff.live.service import ServiceProcess, service_env

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# Per module, not per session: while Playwright's sync API is started, the main thread
# counts as running an event loop, and the asyncio tests that pytest runs after the
# browser tests would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class PageErrors(list[str]):
    """JavaScript errors and CSP violations seen on the pages of one test."""

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))
        page.on("console", self._console)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Uncaught" in text or "SyntaxError" in text
        ):
            self.append(f"console: {text}")


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    assert list(errors) == [], "the pages logged errors"


@pytest.fixture
def new_page(browser: Browser, page_errors: PageErrors) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (its own cookies and storage: another
    person). ``new_page(width=320)`` for a narrow phone."""
    contexts: list[BrowserContext] = []

    def open_page(width: int = 1280, height: int = 860, locale: str = "nl-NL") -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return page_errors.watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Page, request: pytest.FixtureRequest, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = SCREENSHOTS / f"{test}--{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core (vendored from npm) on the current page; evaluated through the DevTools
    protocol, which the page's CSP does not govern, so the CSP stays on under test."""
    page.evaluate(AXE_SOURCE.read_text())
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


@pytest.fixture
def live_service(service_process: ServiceProcess, rasa: RealRasa) -> ServiceProcess:
    """The service as a real process on this test's PostgreSQL database, with the real
    Rasa, started. Its own origin is the allowed one (the demo page and the widget)."""
    port_origin = f"http://127.0.0.1:{service_process.port}"
    service_process.env = service_env(
        rasa, port_origin, HANDOFF_PUBLIC_URL=port_origin, **service_process.env
    )
    service_process.start()
    return service_process


@pytest.fixture
def make_staff(
    service_process: ServiceProcess,
) -> Iterator[Callable[..., tuple[str, str]]]:
    """Creates a staff account in the service's database; returns (email, password)."""
    engine = make_engine(service_process.database_url)
    factory = make_sessionmaker(engine)

    def make(
        email: str, name: str, role: Role = Role.agent, max_concurrent: int = 3
    ) -> tuple[str, str]:
        session: Session
        with session_scope(factory) as session:
            create_account(
                session,
                email=email,
                display_name=name,
                password=PASSWORD,
                role=role,
                max_concurrent=max_concurrent,
            )
        return email, PASSWORD

    yield make
    engine.dispose()


def log_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/console/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    # Done when the browser has left the login page for where it was sent.
    page.wait_for_url(lambda url: "/login" not in url)
