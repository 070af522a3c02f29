"""The reply e-mail's text, in the customer's language, built without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from handoff.notify.transcript import Line, reply_email

AT = datetime(2026, 11, 23, 20, 5, tzinfo=UTC)
LINES = [
    Line("system", None, "Hi! You are chatting with the digital assistant.", AT),
    Line("customer", None, "<img src=x onerror=alert(1)>", AT),
    Line("agent", "Sanne", "Here is your answer.", AT),
]


def test_english_reply_e_mail_labels_every_line_in_english() -> None:
    mail = reply_email(
        sender="klantenservice@example.nl",
        recipient="customer@example.com",
        org_name="Voorbeeld Energie",
        language="en",
        reply=LINES[-1],
        lines=LINES,
        zone=ZoneInfo("Europe/Amsterdam"),
        chat_url="https://www.example.nl",
    )
    body = mail.get_content()
    assert mail["Subject"] == "Answer to your question to Voorbeeld Energie"
    assert "Sanne of Voorbeeld Energie has answered your question:" in body
    assert "Continue the chat at https://www.example.nl" in body
    # 20:05 UTC is 21:05 in Amsterdam in November.
    assert "[23-11 21:05] You:\n<img src=x onerror=alert(1)>" in body
    assert "[23-11 21:05] Voorbeeld Energie:\nHi! You are chatting" in body
    assert "[23-11 21:05] Sanne:\nHere is your answer." in body
    assert mail.get_content_type() == "text/plain"
