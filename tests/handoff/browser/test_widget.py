"""The chat widget in a real browser, against the real service, Rasa and action server:
what a customer sees and can do, on the demo site the service serves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from handoff.conversations.models import Conversation
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from handoff.feedback.models import CsatResponse
from handoff.notify.models import EmailDelivery
from tests.handoff.accounts.staff import PASSWORD
from tests.handoff.browser.conftest import axe_violations, horizontal_overflow, screenshot
from tests.handoff.customers import wait_until
from tests.handoff.live.service import ServiceProcess
from tests.handoff.notify.sink import SmtpSink, body_of, smtp_env, smtp_sink_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DISCLOSURE_NL = "Je chat met de digitale assistent van Voorbeeld Energie"
GREETING_NL = "Hallo! Ik ben de digitale assistent"
HANDOFF_NL = "Ik verbind je door met een medewerker."
REPLY = "Ik heb je meterstand gevonden; je termijnbedrag blijft gelijk."
CSAT_NL = "Hoe tevreden ben je over dit gesprek?"
XSS = "<img src=x onerror=document.title='pwned'>"


def messages(page: Page) -> Locator:
    return page.locator(".hw-log .hw-msg")


def open_chat(page: Page, url: str, name: str = "Chat met ons") -> None:
    page.goto(url)
    page.get_by_role("button", name=name).click()
    expect(messages(page).first).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name=re.compile("Je bericht|Your message"))
    box.fill(text)
    box.press("Enter")


def last_bot_message(page: Page) -> Locator:
    return page.locator(".hw-log .hw-msg.hw-bot").last


def service_line(page: Page, text: str) -> Locator:
    return messages(page).filter(has=page.locator(".hw-text", has_text=text))


# The real Rasa's first turns after its start are slow on a loaded 2-core machine.
BOT_TIMEOUT_MS = 60_000


class Agent:
    """A person on the agent API over real HTTP (the console is another helper's page)."""

    def __init__(self, base_url: str, email: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=20)
        answer = self.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.headers = {"X-CSRF-Token": answer.json()["csrf_token"]}

    def post(self, path: str, **body: object) -> httpx.Response:
        answer = self.client.post(f"/api/agent{path}", json=body or None, headers=self.headers)
        assert answer.status_code in (200, 201, 204), answer.text
        return answer

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def agent_for(live_service: ServiceProcess) -> Iterator[Callable[[str], Agent]]:
    agents: list[Agent] = []

    def make(email: str) -> Agent:
        agents.append(Agent(live_service.url, email))
        return agents[-1]

    yield make
    for agent in agents:
        agent.close()


def stored_conversation(database_url: str) -> Conversation:
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            [conversation] = session.scalars(select(Conversation)).all()
            session.expunge(conversation)
            return conversation
    finally:
        engine.dispose()


def csat_score(database_url: str) -> int | None:
    engine = make_engine(database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return session.scalar(select(CsatResponse.score))
    finally:
        engine.dispose()


def test_disclosure_answer_with_source_reload_and_a_person(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    agent_for: Callable[[str], Agent],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page()
    open_chat(page, live_service.url)

    # The disclosure comes first, before anything else in the conversation.
    expect(messages(page).first).to_contain_text(DISCLOSURE_NL)
    expect(messages(page).first.locator(".hw-author")).to_have_text("Digitale assistent")
    expect(page.get_by_role("button", name="Praat met een medewerker")).to_be_visible()

    say(page, "hallo")
    expect(last_bot_message(page)).to_contain_text(GREETING_NL, timeout=BOT_TIMEOUT_MS)
    expect(last_bot_message(page).locator(".hw-author")).to_have_text("Digitale assistent")
    source = last_bot_message(page).get_by_role("link", name="Over de digitale assistent")
    expect(source).to_have_attribute("href", f"{live_service.url}/help/digitale-assistent")
    screenshot(page, request, "answer-with-source")

    # The source works: the help page opens with its title.
    with page.context.expect_page() as opened:
        source.click()
    help_page = opened.value
    help_page.wait_for_load_state()
    expect(help_page.get_by_role("heading", level=1)).to_have_text("Over de digitale assistent")
    help_page.close()

    # A reload in the middle brings back the whole conversation, from the server.
    before = messages(page).all_inner_texts()
    page.reload()
    expect(messages(page)).to_have_count(len(before))
    assert messages(page).all_inner_texts() == before
    token_in_url = page.evaluate("() => location.href")
    assert "token" not in token_in_url

    # One click asks for a person; the customer sees the handoff and the queue.
    page.get_by_role("button", name="Praat met een medewerker").click()
    expect(page.locator(".hw-log .hw-msg.hw-customer").last).to_have_text(
        re.compile("Ik wil graag een medewerker spreken")
    )
    expect(page.locator(".hw-log")).to_contain_text(HANDOFF_NL, timeout=BOT_TIMEOUT_MS)
    expect(page.get_by_role("status").filter(has_text="nummer 1 in de rij")).to_be_visible()
    # The service says it, not the assistant: a notice without an author.
    handoff_line = service_line(page, HANDOFF_NL)
    expect(handoff_line).to_have_class(re.compile(r"\bhw-system\b"))
    expect(handoff_line.locator(".hw-author")).to_have_count(0)
    screenshot(page, request, "waiting")

    # A person joins: the moment is visible, and their messages carry their name.
    make_staff("sanne@example.nl", "Sanne")
    sanne = agent_for("sanne@example.nl")
    conversation_id = stored_conversation(live_service.database_url).id
    sanne.post(f"/conversations/{conversation_id}/claim")
    expect(page.locator(".hw-log")).to_contain_text(
        "Je praat nu met Sanne, medewerker klantenservice.", timeout=BOT_TIMEOUT_MS
    )
    joined = service_line(page, "Je praat nu met Sanne, medewerker klantenservice.")
    expect(joined).to_have_class(re.compile(r"\bhw-system\b"))
    expect(joined.locator(".hw-author")).to_have_count(0)
    expect(joined).not_to_contain_text("Digitale assistent")
    sanne.post(f"/conversations/{conversation_id}/messages", text=REPLY)
    agent_message = page.locator(".hw-log .hw-msg.hw-agent").last
    expect(agent_message.locator(".hw-text")).to_have_text(REPLY, timeout=BOT_TIMEOUT_MS)
    expect(agent_message.locator(".hw-author")).to_have_text("Sanne")
    screenshot(page, request, "agent-joined")

    # Closing asks one question, answered with one click; the score is stored.
    sanne.post(f"/conversations/{conversation_id}/close")
    expect(page.locator(".hw-log")).to_contain_text(CSAT_NL, timeout=BOT_TIMEOUT_MS)
    question = service_line(page, CSAT_NL)
    expect(question.locator(".hw-author")).to_have_count(0)
    expect(question).not_to_contain_text("Digitale assistent")
    page.get_by_role("button", name="4", exact=True).click()
    assert wait_until(lambda: csat_score(live_service.database_url)) == 4
    screenshot(page, request, "satisfaction-answered")

    # After a reload the replayed lines keep their speakers.
    page.reload()
    expect(service_line(page, CSAT_NL)).to_be_visible()
    joined = service_line(page, "Je praat nu met Sanne, medewerker klantenservice.")
    expect(joined.locator(".hw-author")).to_have_count(0)
    expect(joined).not_to_contain_text("Digitale assistent")
    expect(messages(page).first.locator(".hw-author")).to_have_text("Digitale assistent")
    expect(page.locator(".hw-log .hw-msg.hw-agent").last.locator(".hw-author")).to_have_text(
        "Sanne"
    )


def test_customer_markup_is_shown_as_text(
    live_service: ServiceProcess,
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page()
    open_chat(page, live_service.url)
    title = page.title()

    say(page, XSS)
    own = page.locator(".hw-log .hw-msg.hw-customer").last
    expect(own.locator(".hw-text")).to_have_text(XSS)
    expect(own).not_to_have_class(
        re.compile("hw-pending"), timeout=BOT_TIMEOUT_MS
    )  # acknowledged: stored
    assert page.locator(".hw-root img").count() == 0

    # Also when it comes back from the server after a reload.
    page.reload()
    expect(page.locator(".hw-log .hw-msg.hw-customer .hw-text").first).to_have_text(XSS)
    assert page.locator(".hw-root img").count() == 0
    assert page.title() == title
    screenshot(page, request, "markup-as-text")


def test_widget_demo_and_help_pages_are_accessible_at_320_px(
    live_service: ServiceProcess,
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page(width=320, height=640)
    page.goto(live_service.url)
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    # Keyboard only: Tab to the launcher, Enter opens the chat with the focus in the box.
    launcher = page.get_by_role("button", name="Chat met ons")
    for _ in range(20):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Je bericht")
    expect(box).to_be_focused()
    expect(messages(page).first).to_contain_text(DISCLOSURE_NL)
    box.type("hallo")
    page.keyboard.press("Enter")
    expect(last_bot_message(page)).to_contain_text(GREETING_NL, timeout=BOT_TIMEOUT_MS)

    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    panel = page.locator(".hw-panel").bounding_box()
    assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 320
    screenshot(page, request, "widget-320px")

    # Escape closes the chat and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()

    page.goto(f"{live_service.url}/help/meterstand-doorgeven")
    expect(page.get_by_role("heading", level=1)).to_have_text("Je meterstand doorgeven")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    screenshot(page, request, "help-320px")

    missing = page.goto(f"{live_service.url}/help/bestaat-niet")
    assert missing is not None and missing.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")


def test_english_page_gets_an_english_widget(
    live_service: ServiceProcess,
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page(locale="en-GB")
    open_chat(page, f"{live_service.url}/en", name="Chat with us")

    expect(messages(page).first).to_contain_text(
        "You are chatting with the digital assistant of Voorbeeld Energie"
    )
    expect(messages(page).first.locator(".hw-author")).to_have_text("Digital assistant")
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    say(page, "hello")
    expect(last_bot_message(page)).to_contain_text(
        "Hello! I'm the digital assistant", timeout=BOT_TIMEOUT_MS
    )
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".hw-log")).to_contain_text(
        "I am passing you on to a member of our team", timeout=BOT_TIMEOUT_MS
    )
    handoff_line = service_line(page, "I am passing you on to a member of our team")
    expect(handoff_line.locator(".hw-author")).to_have_count(0)
    expect(handoff_line).not_to_contain_text("Digital assistant")
    assert axe_violations(page) == []
    screenshot(page, request, "english")


@pytest.fixture
def service_with_email(service_process: ServiceProcess, smtp_sink: SmtpSink) -> ServiceProcess:
    service_process.env.update(smtp_env(smtp_sink))
    return service_process


def test_nobody_available_e_mail_with_consent_and_the_later_reply_by_e_mail(
    service_with_email: ServiceProcess,
    live_service: ServiceProcess,
    smtp_sink: SmtpSink,
    make_staff: Callable[..., tuple[str, str]],
    agent_for: Callable[[str], Agent],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page(width=375, height=760)
    open_chat(page, live_service.url)
    say(page, "hallo")
    expect(last_bot_message(page)).to_contain_text(GREETING_NL, timeout=BOT_TIMEOUT_MS)
    page.get_by_role("button", name="Praat met een medewerker").click()

    # No agent has a live console: the widget offers the answer by e-mail.
    offer = page.locator("form.hw-email")
    expect(offer).to_be_visible(timeout=BOT_TIMEOUT_MS)
    expect(offer).to_contain_text("Er is nu niemand beschikbaar")
    offer.get_by_label("E-mailadres", exact=True).fill("klant@example.nl")
    offer.get_by_role("button", name="Stuur mij het antwoord per e-mail").click()
    expect(offer.get_by_role("alert")).to_have_text(
        "Vink de toestemming aan om je e-mailadres achter te laten."
    )
    assert stored_conversation(live_service.database_url).email is None
    offer.get_by_label(re.compile("Ik geef toestemming")).check()
    offer.get_by_role("button", name="Stuur mij het antwoord per e-mail").click()
    expect(page.locator(".hw-email-done")).to_have_text(
        "Dank je. We sturen het antwoord naar klant@example.nl."
    )
    assert axe_violations(page) == []
    screenshot(page, request, "email-left")
    stored = stored_conversation(live_service.database_url)
    assert stored.email == "klant@example.nl" and stored.email_consent_at is not None

    # The customer leaves; later an agent answers, and the answer goes by e-mail.
    page.close()
    wait_until(lambda: stored_conversation(live_service.database_url).customer_online_until is None)
    make_staff("sanne@example.nl", "Sanne")
    sanne = agent_for("sanne@example.nl")
    sanne.post(f"/conversations/{stored.id}/claim")
    sanne.post(f"/conversations/{stored.id}/messages", text=REPLY)

    [mail] = smtp_sink.wait_for(1)
    assert mail["To"] == "klant@example.nl"
    assert mail["Subject"] == "Antwoord op je vraag aan Voorbeeld Energie"
    body = body_of(mail)
    assert f"Sanne van Voorbeeld Energie heeft je vraag beantwoord:\n\n{REPLY}" in body
    assert "Jij:\nhallo" in body
    assert DISCLOSURE_NL in body
    assert HANDOFF_NL in body
    engine = make_engine(live_service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            [delivery] = session.scalars(select(EmailDelivery)).all()
            assert (delivery.status, delivery.recipient) == ("sent", "klant@example.nl")
    finally:
        engine.dispose()


def test_the_widget_reconnects_after_a_restart_and_sends_what_waited(
    live_service: ServiceProcess,
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    page = new_page()
    open_chat(page, live_service.url)
    expect(messages(page).first).to_contain_text(DISCLOSURE_NL)

    live_service.stop()  # the service goes away under the open chat
    expect(page.get_by_role("status").filter(has_text="Opnieuw verbinden")).to_be_visible()
    say(page, "hallo")
    own = page.locator(".hw-log .hw-msg.hw-customer").last
    expect(own).to_have_class(re.compile("hw-pending"))  # not stored yet

    live_service.start()
    # Back by itself: the waiting message is sent, stored once and answered.
    expect(own).not_to_have_class(re.compile("hw-pending"), timeout=BOT_TIMEOUT_MS)
    expect(last_bot_message(page)).to_contain_text(GREETING_NL, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".hw-log .hw-msg.hw-customer")).to_have_count(1)
    screenshot(page, request, "reconnected")
