"""Replay in a real browser against the service as a real process (PostgreSQL): a
supervisor replays a draft over the fixture history, opens the conversation that flips,
and publishes the draft as a new version. Replay needs no Rasa, so none is started."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from handoff.accounts.models import Role
from handoff.audit.models import AuditEntry
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from handoff.rulesets.models import RuleSet
from tests.handoff.browser.conftest import axe_violations, horizontal_overflow, log_in, screenshot
from tests.handoff.live.service import ServiceProcess
from tests.handoff.replay.fixture import write_fixture

pytestmark = [pytest.mark.browser]


@pytest.fixture
def service(service_process: ServiceProcess) -> ServiceProcess:
    engine = make_engine(service_process.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            write_fixture(session)
    finally:
        engine.dispose()
    service_process.env = {
        "HANDOFF_GATEWAY_SECRET": "replay-browser-test-secret",
        "HANDOFF_RASA_URL": "http://127.0.0.1:9",  # nothing listens: replay needs no Rasa
        "HANDOFF_ALLOWED_ORIGINS": json.dumps([f"http://127.0.0.1:{service_process.port}"]),
        "HANDOFF_SWEEP_INTERVAL_SECONDS": "3600",
    }
    service_process.start()
    return service_process


def _rows(service: ServiceProcess, query: object) -> list[object]:
    engine = make_engine(service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return list(session.scalars(query))  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_replay_a_draft_open_a_flip_and_publish(
    service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    email, password = make_staff("sara@example.nl", "Sara", role=Role.supervisor)
    page = new_page()
    log_in(page, service.url, email, password)
    expect(page.get_by_test_id("staff-name")).to_have_text("Sara")
    page.goto(f"{service.url}/supervisor/replay")
    expect(page.get_by_text("versie 1")).to_be_visible()

    page.get_by_label("Van").fill("2026-11-02")
    page.get_by_label("Tot en met").fill("2026-11-02")
    backstop = page.get_by_label("Woorden waarop de klant direct een medewerker krijgt")
    backstop.fill(backstop.input_value() + "\nterugbellen")
    publish = page.get_by_role("button", name="Concept publiceren")
    expect(publish).to_be_disabled()
    page.get_by_role("button", name="Replay uitvoeren").click()

    # The service's first replay builds the Dutch lemmatizer for the marker lists.
    expect(page.get_by_role("status")).to_have_text(
        "Replay klaar: 6 gesprekken beoordeeld.", timeout=60_000
    )
    expect(page.locator("#flip-summary")).to_contain_text(
        "1 gesprekken zouden nu naar een medewerker gaan, 0 niet meer"
    )
    row = page.locator("#flipped tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("medewerker bij beurt 1 (explicit_request)")
    expect(row).to_contain_text("nu naar een medewerker")
    screenshot(page, request, "replayed")

    row.get_by_role("button", name="Openen").click()
    transcript = page.locator("#transcript")
    expect(transcript.locator("li[data-author='customer']").first).to_contain_text(
        "kunnen jullie mij terugbellen"
    )
    expect(transcript.locator("li[data-author='customer']").first).to_contain_text("beurt 1")
    expect(page.locator("#conversation")).to_be_focused()
    assert axe_violations(page) == []
    screenshot(page, request, "conversation")

    expect(publish).to_be_enabled()
    publish.click()
    expect(page.locator("#flash")).to_have_text(
        "Versie 2 gepubliceerd: de nieuwe regels gelden vanaf de volgende beurt."
    )
    [active] = _rows(service, select(RuleSet).where(RuleSet.active.is_(True)))
    assert active.version == 2  # type: ignore[attr-defined]
    assert "terugbellen" in active.data["backstop_phrases"]["nl"]  # type: ignore[attr-defined]
    [entry] = _rows(service, select(AuditEntry).where(AuditEntry.action == "ruleset.publish"))
    assert entry.details == {"previous_version": 1}  # type: ignore[attr-defined]

    narrow = new_page(width=320)
    log_in(narrow, service.url, email, password)
    expect(narrow.get_by_test_id("staff-name")).to_have_text("Sara")
    narrow.goto(f"{service.url}/supervisor/replay")
    expect(narrow.get_by_text("versie 2")).to_be_visible()
    assert horizontal_overflow(narrow) == 0


def test_analytics_and_knowledge_gaps_pages(
    service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    email, password = make_staff("sara@example.nl", "Sara", role=Role.supervisor)
    page = new_page()
    log_in(page, service.url, email, password)
    expect(page.get_by_test_id("staff-name")).to_have_text("Sara")

    page.goto(f"{service.url}/supervisor/analytics")
    page.get_by_label("Van").fill("2026-11-02")
    page.get_by_label("Tot en met").fill("2026-11-02")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Periode 2026-11-02 tot en met 2026-11-02: 6 gesprekken.", timeout=60_000
    )
    numbers = page.locator("#numbers")
    expect(numbers.get_by_role("row", name="Naar een medewerker")).to_contain_text("5")
    expect(numbers.get_by_role("row", name="Door de bot afgehandeld")).to_contain_text("1")
    expect(page.locator("#generated")).to_be_hidden()
    expect(page.locator("#csv")).to_have_attribute(
        "href", "/api/supervisor/analytics.csv?start=2026-11-02&end=2026-11-02"
    )
    channels = page.get_by_alt_text("Gesprekken per kanaal")
    expect(channels).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#charts img')]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000,
    )
    assert axe_violations(page) == []
    screenshot(page, request, "analytics")

    page.goto(f"{service.url}/supervisor/gaps")
    page.get_by_label("Van").fill("2026-11-02")
    page.get_by_label("Tot en met").fill("2026-11-02")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("status")).to_have_text("3 groepen.", timeout=60_000)
    first = page.locator("#groups > li").first
    expect(first).to_contain_text("2 beurten in 2 gesprekken; 2 daarvan kwamen bij een medewerker")
    expect(first.locator("blockquote")).to_have_text("asdf qwer")
    screenshot(page, request, "gaps")
