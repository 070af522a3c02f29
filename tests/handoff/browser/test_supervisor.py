"""The supervisor console in a real browser against the real service, Rasa and action
server (PostgreSQL): a supervisor changes the phrase backstop, a bad value is refused
next to its field with nothing saved, the good change is saved as a new version with
their name, and the next live conversation (the customer WebSocket protocol, from
Python) follows it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from handoff.accounts.models import Role
from handoff.conversations.models import Handoff
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from handoff.rulesets.models import RuleSet
from tests.handoff.browser.conftest import axe_violations, log_in, screenshot
from tests.handoff.live.customer import LiveCustomer
from tests.handoff.live.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HANDOFF_TEXT = "Ik verbind je door met een medewerker."
BACKSTOP_NL = "'Een mens graag' (Nederlands)"
WORD = "kwispel"


def stored(service: ServiceProcess, query: Any) -> list[Any]:
    engine = make_engine(service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            found = list(session.execute(query).all())
            return [tuple(row) for row in found]
    finally:
        engine.dispose()


def test_a_changed_backstop_is_saved_as_a_version_and_the_next_conversation_follows_it(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    customers: Callable[[], LiveCustomer],
    request: pytest.FixtureRequest,
) -> None:
    before = customers()
    answer = before.answer_to(WORD)
    assert answer["author"] == "bot", answer  # the bot tries; no person yet

    email, _ = make_staff("sara@example.nl", "Sara Supervisor", Role.supervisor)
    page = new_page()
    log_in(page, live_service.url, email)
    # log_in's URL pattern also matches the login page itself: wait until we left it.
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_service.url}/supervisor/rules")
    expect(page.locator("#current-version")).to_contain_text("Actieve versie 1")
    backstop = page.get_by_label(BACKSTOP_NL, exact=True)
    expect(backstop).to_be_visible()
    assert "medewerker" in backstop.input_value()

    # A bad value elsewhere: refused next to its field, and the phrase is not half-saved.
    backstop.fill(backstop.input_value() + f"\n{WORD}")
    confidence = page.get_by_label("Minimale zekerheid", exact=True)
    confidence.fill("1.5")
    page.get_by_role("button", name="Opslaan als nieuwe versie").click()

    problems = page.locator("#problems")
    expect(problems).to_contain_text("Niet opgeslagen: 1 probleem")
    expect(problems).to_contain_text("Minimale zekerheid: mag hoogstens 1 zijn")
    expect(confidence).to_have_attribute("aria-invalid", "true")
    error = page.locator("#f-thresholds-low_confidence-error")
    expect(error).to_have_text("mag hoogstens 1 zijn")
    assert "f-thresholds-low_confidence-error" in (
        confidence.get_attribute("aria-describedby") or ""
    )
    assert stored(live_service, select(RuleSet.version)) == [(1,)]
    screenshot(page, request, "rules-refused")

    confidence.fill("0.5")
    page.get_by_role("button", name="Opslaan als nieuwe versie").click()

    expect(page.locator("#flash")).to_contain_text("Opgeslagen als versie 2")
    expect(problems).to_be_hidden()
    newest = page.locator('#versions tr[data-version="2"]')
    expect(newest).to_contain_text("Sara Supervisor")
    expect(newest).to_contain_text("actief")
    expect(page.locator("#current-version")).to_contain_text("Actieve versie 2")
    newest.get_by_role("button", name="Wijzigingen in versie 2").click()
    expect(page.locator("#diff")).to_contain_text(BACKSTOP_NL)
    expect(page.locator("#diff .new")).to_contain_text(WORD)
    assert axe_violations(page) == []
    screenshot(page, request, "rules-saved")

    after = customers()
    told = after.answer_to(WORD)
    assert told["author"] == "system" and told["text"].startswith(HANDOFF_TEXT), told
    after.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
    [(reason, version, evidence)] = stored(
        live_service,
        select(Handoff.reason, Handoff.ruleset_version, Handoff.evidence).where(
            Handoff.conversation_id == after.conversation_id
        ),
    )
    assert (reason, version) == ("explicit_request", 2)
    assert evidence["details"] == {"phrases": [WORD]}
