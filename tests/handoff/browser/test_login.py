"""The staff login page in a real browser: errors in words, no account enumeration in
the message, accessible, narrow screens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.handoff.browser.conftest import axe_violations, horizontal_overflow, screenshot
from tests.handoff.live.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_wrong_password_is_refused_in_words_and_the_page_is_accessible(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    email, _ = make_staff("sanne@example.nl", "Sanne")
    page = new_page(width=320)
    page.goto(f"{live_service.url}/console/login")

    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("not the password")
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("alert").filter(has_text="onjuist")).to_have_text(
        "E-mailadres of wachtwoord onjuist"
    )
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, request, "login-refused-320px")
