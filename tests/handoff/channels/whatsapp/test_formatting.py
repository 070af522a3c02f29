"""Bot answers as WhatsApp text, numbered choices back to their payload, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff.channels.whatsapp import formatting, window

BUTTONS = [
    {"title": "Jaarafrekening", "payload": "/annual_bill"},
    {"title": "Termijnbedrag", "payload": "/instalment"},
]


def test_buttons_become_a_numbered_list_and_sources_url_lines() -> None:
    text = formatting.render(
        "Waar gaat het over?",
        buttons=BUTTONS,
        sources=[{"title": "Facturen", "url": "/help/facturen"}, {"url": "https://x.nl/a"}],
        language="nl",
        public_url="https://klant.example.nl/",
    )
    assert text == (
        "Waar gaat het over?\n\n"
        "1. Jaarafrekening\n2. Termijnbedrag\nAntwoord met een nummer.\n\n"
        "Meer informatie: https://klant.example.nl/help/facturen\n"
        "Meer informatie: https://x.nl/a"
    )


def test_english_conversations_get_english_instructions() -> None:
    text = formatting.render("Which one?", buttons=BUTTONS[:1], language="en")
    assert text == "Which one?\n\n1. Jaarafrekening\nReply with a number."


def test_a_number_chooses_the_offered_button() -> None:
    assert formatting.chosen("2", BUTTONS) == formatting.Choice("Termijnbedrag", "/instalment")
    assert formatting.chosen(" 1. ", BUTTONS) == formatting.Choice("Jaarafrekening", "/annual_bill")
    assert formatting.chosen("3", BUTTONS) is None
    assert formatting.chosen("0", BUTTONS) is None
    assert formatting.chosen("2 meters", BUTTONS) is None
    assert formatting.chosen("2", []) is None


def test_long_text_is_split_without_losing_anything() -> None:
    words = " ".join(f"woord{i}" for i in range(600))
    parts = formatting.split(words, limit=1600)
    assert len(parts) > 1
    assert all(len(part) <= 1600 for part in parts)
    assert " ".join(parts) == words
    assert formatting.split("kort") == ["kort"]


def test_the_window_closes_24_hours_after_the_customers_last_message() -> None:
    last = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert window.closes_at(last) == last + timedelta(hours=24)
    assert window.is_open(last, last + timedelta(hours=23, minutes=59))
    assert not window.is_open(last, last + timedelta(hours=24))
    assert not window.is_open(None, last)
