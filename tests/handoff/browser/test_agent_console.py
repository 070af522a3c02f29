"""The agent console in a real browser against the real service, Rasa and action
server (PostgreSQL): the customer side speaks the service's customer WebSocket protocol
from Python, as the widget does; the agents are people in their own browser contexts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select, update

from handoff.accounts.models import Account, Role, StaffSession
from handoff.conversations.models import Conversation
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from tests.handoff.browser.conftest import (
    axe_violations,
    horizontal_overflow,
    log_in,
    screenshot,
)
from tests.handoff.live.customer import LiveCustomer
from tests.handoff.live.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DISCLOSURE = "Hoi! Je chat met de digitale assistent van Voorbeeld Energie."
HANDOFF_TEXT = "Ik verbind je door met een medewerker."
GREETING_START = "Hallo! Ik ben de digitale assistent"
BILL_START = "Je jaarafrekening vergelijkt"
TAKEN = "Een collega heeft dit gesprek al overgenomen"
XSS = '<img src=x onerror="window.__pwned = 1">'
# The real Rasa's first turns, and every live update, are slow on a loaded 2-core machine.
SLOW_MS = 30_000


@pytest.fixture(autouse=True)
def patient_expectations() -> Iterator[None]:
    expect.set_options(timeout=SLOW_MS)
    yield
    expect.set_options(timeout=5_000)


def assigned_agent(service: ServiceProcess, conversation_id: str) -> str | None:
    """The display name of the agent the database says owns the conversation."""
    engine = make_engine(service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return session.scalar(
                select(Account.display_name)
                .join(Conversation, Conversation.assigned_agent_id == Account.id)
                .where(Conversation.id == conversation_id)
            )
    finally:
        engine.dispose()


def sign_in(page: Page, service: ServiceProcess, email: str, path: str = "/console") -> None:
    log_in(page, service.url, email)
    page.goto(f"{service.url}{path}")


def open_console(page: Page, service: ServiceProcess, email: str) -> None:
    sign_in(page, service, email)
    expect(page.locator("#connection")).to_have_text("Live verbonden")


def queue_entry(page: Page, conversation_id: str) -> Any:
    return page.locator(f'#queue li[data-conversation-id="{conversation_id}"]')


def transcript_line(page: Page, text: str) -> Any:
    return page.locator("#conversation .transcript li").filter(
        has=page.locator(".msg-text", has_text=text)
    )


def widget_log(page: Page) -> Locator:
    return page.locator(".hw-log .hw-msg")


def widget_say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Je bericht")
    box.fill(text)
    box.press("Enter")


def only_conversation(service: ServiceProcess) -> str:
    engine = make_engine(service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            [conversation_id] = session.scalars(select(Conversation.id)).all()
            return conversation_id
    finally:
        engine.dispose()


def test_a_customer_goes_from_bot_to_agent_and_back(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    request: pytest.FixtureRequest,
) -> None:
    email, _ = make_staff("sanne@example.nl", "Sanne")
    agent = new_page()
    open_console(agent, live_service, email)
    expect(agent.locator("#queue-empty")).to_be_visible()

    # The customer, in the real widget on the demo page: the disclosure first, then an
    # answer with a source that opens.
    customer = new_page(width=400)
    customer.goto(live_service.url)
    customer.get_by_role("button", name="Chat met ons").click()
    expect(widget_log(customer).first).to_contain_text(DISCLOSURE)
    widget_say(customer, "hallo")
    bot_answer = customer.locator(".hw-log .hw-msg.hw-bot").last
    expect(bot_answer).to_contain_text(GREETING_START, timeout=60_000)
    source = bot_answer.get_by_role("link", name="Over de digitale assistent")
    href = source.get_attribute("href")
    assert href is not None
    help_page = httpx.get(href)
    assert help_page.status_code == 200 and "Over de digitale assistent" in help_page.text
    customer.get_by_role("button", name="Praat met een medewerker").click()
    expect(customer.locator(".hw-log")).to_contain_text(HANDOFF_TEXT)
    conversation_id = only_conversation(live_service)

    # The entry appears in the open console without a reload, with a tab-title notice.
    entry = queue_entry(agent, conversation_id)
    expect(entry).to_be_visible()
    expect(entry.locator(".channel")).to_have_text("Website")
    expect(entry.locator(".reason")).to_have_text("vroeg om een medewerker")
    expect(entry.locator(".waited")).to_contain_text("wacht")
    expect(entry.locator(".summary")).to_contain_text("klant stuurde 2 berichten")
    expect(agent).to_have_title(re.compile(r"^\(1( nieuw)?\) Gesprekken"))
    screenshot(agent, request, "agent-queue-entry")

    # One click claims it; the earlier turns are there, the bot's part marked, with
    # intent and confidence per customer turn and the reason with its evidence.
    entry.get_by_role("button", name=re.compile("^Overnemen")).click()
    expect(agent.locator("#conversation-title")).to_contain_text("bij een medewerker (Sanne)")
    hello = transcript_line(agent, "hallo")
    expect(hello.locator(".nlu")).to_contain_text(re.compile(r"Intentie: greet · zekerheid \d+%"))
    bot_line = agent.locator("#conversation .transcript li.msg--bot").first
    expect(bot_line.locator(".bot-mark")).to_have_text("BOT")
    expect(bot_line.locator(".msg-text")).to_contain_text(GREETING_START)
    expect(agent.locator(".reason-panel .reason-words")).to_have_text("vroeg om een medewerker")
    expect(agent.locator(".reason-panel .evidence")).not_to_be_empty()
    expect(agent.locator("#load")).to_have_text("1 van 3 gesprekken")
    screenshot(agent, request, "agent-claimed")

    # The customer sees who took over.
    expect(customer.locator(".hw-log")).to_contain_text(
        "Je praat nu met Sanne, medewerker klantenservice."
    )

    # Typing shows at the customer's; Enter sends.
    box = agent.get_by_label("Bericht aan de klant")
    box.press_sequentially("Hoi, ik ben Sanne. Waar kan ik je mee helpen?")
    expect(customer.locator(".hw-typing")).to_have_text("Sanne typt…")
    box.press("Enter")
    from_agent = customer.locator(".hw-log .hw-msg.hw-agent").last
    expect(from_agent.locator(".hw-text")).to_have_text(
        "Hoi, ik ben Sanne. Waar kan ik je mee helpen?"
    )
    expect(from_agent.locator(".hw-author")).to_have_text("Sanne")
    expect(box).to_have_value("")
    expect(transcript_line(agent, "Waar kan ik je mee helpen?")).to_have_class(
        re.compile("msg--agent")
    )

    # An internal note stays in the console.
    agent.get_by_label("Interne notitie (de klant ziet dit niet)").check()
    note_box = agent.get_by_label("Interne notitie", exact=True)
    note_box.fill("Klant belde gisteren ook al")
    note_box.press("Enter")
    expect(transcript_line(agent, "Klant belde gisteren ook al")).to_have_class(
        re.compile("msg--note")
    )

    # The customer answers; it shows live in the console.
    widget_say(customer, "ik wilde mijn rekening snappen")
    expect(transcript_line(agent, "ik wilde mijn rekening snappen")).to_be_visible()
    screenshot(customer, request, "customer-with-agent")

    # Hand back: the bot answers again, in the widget and live in the console.
    agent.get_by_role("button", name="Teruggeven aan de assistent").click()
    expect(agent.locator("#flash")).to_contain_text("Teruggegeven aan de assistent")
    expect(customer.get_by_role("button", name="Praat met een medewerker")).to_be_enabled()
    widget_say(customer, "kun je mijn rekening uitleggen")
    expect(customer.locator(".hw-log .hw-msg.hw-bot").last).to_contain_text(BILL_START)
    expect(agent.locator("#conversation .transcript li.msg--bot").last).to_contain_text(BILL_START)
    assert "gisteren" not in customer.locator(".hw-log").inner_text()
    screenshot(agent, request, "agent-handed-back")
    screenshot(customer, request, "customer-bot-again")


def test_customer_markup_is_text_in_the_console_and_the_console_is_accessible(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    customers: Callable[[], LiveCustomer],
    request: pytest.FixtureRequest,
) -> None:
    email, _ = make_staff("sanne@example.nl", "Sanne")
    customer = customers()
    customer.say(XSS)
    customer.message_from("bot", "system")
    customer.ask_for_a_person()

    agent = new_page(width=320)
    open_console(agent, live_service, email)
    # Keyboard only: Tab to the claim button, which shows where the focus is; Enter.
    claim = queue_entry(agent, customer.conversation_id).get_by_role(
        "button", name=re.compile("^Overnemen")
    )
    expect(claim).to_be_visible()
    for _ in range(30):
        agent.keyboard.press("Tab")
        if claim.evaluate("button => button === document.activeElement"):
            break
    assert claim.evaluate("button => getComputedStyle(button).outlineStyle") == "solid"
    agent.keyboard.press("Enter")
    line = transcript_line(agent, "onerror")
    expect(line.locator(".msg-text")).to_have_text(XSS)
    assert agent.locator("#main img").count() == 0
    assert agent.evaluate("() => window.__pwned") is None

    assert horizontal_overflow(agent) == 0
    line.scroll_into_view_if_needed()
    screenshot(agent, request, "markup-as-text-320px")
    assert axe_violations(agent) == []
    wide = new_page(width=1280)
    sign_in(wide, live_service, email, f"/console?c={customer.conversation_id}")
    expect(transcript_line(wide, "onerror")).to_be_visible()
    transcript_line(wide, "onerror").scroll_into_view_if_needed()
    assert axe_violations(wide) == []
    screenshot(wide, request, "conversation-1280px")


def test_a_second_agent_cannot_claim_the_same_conversation(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    customers: Callable[[], LiveCustomer],
    request: pytest.FixtureRequest,
) -> None:
    sanne, _ = make_staff("sanne@example.nl", "Sanne")
    joost, _ = make_staff("joost@example.nl", "Joost")
    customer = customers()
    customer.ask_for_a_person()

    first = new_page()
    open_console(first, live_service, sanne)
    second = new_page()
    # Joost's console misses the live "claimed" event, as a slow network would: his
    # queue still offers the conversation when he clicks.
    second.route_web_socket(re.compile(r".*/ws/agent$"), lambda ws: None)
    sign_in(second, live_service, joost)
    expect(queue_entry(second, customer.conversation_id)).to_be_visible()

    queue_entry(first, customer.conversation_id).get_by_role(
        "button", name=re.compile("^Overnemen")
    ).click()
    expect(first.locator("#conversation-title")).to_contain_text("(Sanne)")
    queue_entry(second, customer.conversation_id).get_by_role(
        "button", name=re.compile("^Overnemen")
    ).click()

    expect(second.locator("#flash")).to_have_text(TAKEN)
    expect(queue_entry(second, customer.conversation_id)).to_have_count(0)
    screenshot(second, request, "colleague-was-first")
    assert assigned_agent(live_service, customer.conversation_id) == "Sanne"


def test_a_supervisor_watches_a_colleagues_conversation_read_only_and_takes_it_over(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    customers: Callable[[], LiveCustomer],
    request: pytest.FixtureRequest,
) -> None:
    sanne, _ = make_staff("sanne@example.nl", "Sanne")
    sara, _ = make_staff("sara@example.nl", "Sara", Role.supervisor)
    customer = customers()
    customer.ask_for_a_person()
    agent = new_page()
    open_console(agent, live_service, sanne)
    queue_entry(agent, customer.conversation_id).get_by_role(
        "button", name=re.compile("^Overnemen")
    ).click()
    expect(agent.locator("#conversation-title")).to_contain_text("(Sanne)")

    supervisor = new_page()
    sign_in(supervisor, live_service, sara, f"/console?c={customer.conversation_id}")
    expect(supervisor.locator(".banner")).to_contain_text("Je kijkt mee")
    assert supervisor.get_by_label("Bericht aan de klant").count() == 0
    customer.say("hallo, is daar iemand?")
    expect(transcript_line(supervisor, "is daar iemand?")).to_be_visible()
    screenshot(supervisor, request, "watching")

    supervisor.get_by_role("button", name="Overnemen").click()
    expect(supervisor.locator("#conversation-title")).to_contain_text("(Sara)")
    expect(supervisor.get_by_label("Bericht aan de klant")).to_be_visible()
    state = customer.receive_until(lambda f: f["type"] == "state" and f.get("agent_name") == "Sara")
    assert state["state"] == "human"


def test_an_expired_session_sends_the_agent_to_the_login_page(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
) -> None:
    email, _ = make_staff("sanne@example.nl", "Sanne")
    agent = new_page()
    open_console(agent, live_service, email)

    engine = make_engine(live_service.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            session.execute(
                update(StaffSession).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
    finally:
        engine.dispose()

    # The console's socket re-checks its session every 15 s and on every frame.
    agent.wait_for_url(re.compile(r"/console/login\?next=%2Fconsole$"), timeout=SLOW_MS + 30_000)
    expect(agent.get_by_role("heading", name="Inloggen")).to_be_visible()


def test_canned_reply_availability_transfer_to_the_queue_and_close(
    live_service: ServiceProcess,
    make_staff: Callable[..., tuple[str, str]],
    new_page: Callable[..., Page],
    customers: Callable[[], LiveCustomer],
    request: pytest.FixtureRequest,
) -> None:
    email, _ = make_staff("sanne@example.nl", "Sanne", max_concurrent=1)
    agent = new_page()
    open_console(agent, live_service, email)
    agent.get_by_label("Beschikbaar voor nieuwe gesprekken").check()
    expect(agent.locator("#flash")).to_have_text("Je bent beschikbaar.")

    customer = customers()
    customer.ask_for_a_person()
    entry = queue_entry(agent, customer.conversation_id)
    entry.get_by_role("button", name=re.compile("^Overnemen")).click()
    expect(agent.locator("#load")).to_have_text("1 van 1 gesprekken (vol)")

    # A canned reply goes into the box, to be read and sent by the agent.
    agent.get_by_label("Standaardantwoord invoegen").select_option(label="Even geduld")
    box = agent.get_by_label("Bericht aan de klant")
    expect(box).to_have_value(
        "Dank je voor je geduld. Ik zoek het voor je uit en kom zo bij je terug."
    )
    box.press("Enter")
    sent = customer.receive_until(lambda f: f["type"] == "message" and f["author"] == "agent")
    assert sent["text"].startswith("Dank je voor je geduld.")

    # Back to the queue: the entry is there again for everyone.
    agent.get_by_role("button", name="Overdragen").click()
    agent.get_by_label("Overdragen aan").select_option(label="Terug in de wachtrij")
    agent.locator(".transfer").get_by_role("button", name="Overdragen").click()
    expect(agent.locator("#flash")).to_have_text("Gesprek terug in de wachtrij gezet.")
    expect(queue_entry(agent, customer.conversation_id)).to_be_visible()
    customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")
    screenshot(agent, request, "back-in-the-queue")

    # Claimed again and closed: the customer is told the conversation ended.
    queue_entry(agent, customer.conversation_id).get_by_role(
        "button", name=re.compile("^Overnemen")
    ).click()
    agent.get_by_role("button", name="Sluiten").click()
    expect(agent.locator("#flash")).to_have_text("Gesprek gesloten.")
    expect(agent.locator(".banner")).to_contain_text("Dit gesprek is gesloten")
    customer.receive_until(lambda f: f["type"] == "state" and f["state"] == "closed")
    expect(agent.locator("#load")).to_have_text("0 van 1 gesprekken")
