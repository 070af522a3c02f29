"""The retry policy as a table: what may be sent again, and what must not be."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handoff.channels.whatsapp.delivery import Attempt, Next, Policy, decide, progressed

POLICY = Policy(max_attempts=3, unknown_settle_seconds=120)
SETTLE = timedelta(seconds=120)


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        (Attempt("accepted", sid="SM1", twilio_status="queued"), Next("sent")),
        (
            Attempt("http_error", status=429, retry_after=7),
            Next("pending", timedelta(seconds=7), error="Twilio 429; opnieuw geprobeerd"),
        ),
        (
            Attempt("http_error", status=503),
            Next("pending", timedelta(seconds=1), error="Twilio 503; opnieuw geprobeerd"),
        ),
        (
            Attempt("refused"),
            Next(
                "pending", timedelta(seconds=1), error="Twilio niet bereikbaar; opnieuw geprobeerd"
            ),
        ),
        (
            Attempt("http_error", status=500),
            Next(
                "unknown",
                SETTLE,
                error="Twilio 500; status wordt nagevraagd, niet opnieuw verstuurd",
            ),
        ),
        (
            Attempt("timeout"),
            Next("unknown", SETTLE, error="Geen antwoord van Twilio; status wordt nagevraagd"),
        ),
        (
            Attempt("connection_lost"),
            Next("unknown", SETTLE, error="Geen antwoord van Twilio; status wordt nagevraagd"),
        ),
        (
            Attempt("http_error", status=400, error_code=21211, error_message="Invalid To"),
            Next("failed", error_code=21211, error="Ongeldig nummer van de klant (Twilio 21211)"),
        ),
        (
            Attempt("http_error", status=401, error_code=20003, error_message="Authenticate"),
            Next("failed", error_code=20003, error="Authenticate (Twilio 20003)"),
        ),
    ],
)
def test_each_outcome_of_a_first_attempt(attempt: Attempt, expected: Next) -> None:
    assert decide(attempt, 1, POLICY) == expected


def test_retries_back_off_and_stop_at_the_limit() -> None:
    refused = Attempt("refused")
    assert decide(refused, 2, POLICY).wait == timedelta(seconds=2)
    assert decide(refused, 3, POLICY) == Next(
        "failed", error="Twilio niet bereikbaar na 3 pogingen"
    )


def test_a_500_is_never_retried_however_many_attempts_are_left() -> None:
    assert decide(Attempt("http_error", status=500), 1, Policy(max_attempts=99)).status == "unknown"


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        ("sent", "delivered", "delivered"),
        ("read", "delivered", "read"),  # a late callback never goes back
        ("delivered", "sent", "delivered"),
        ("sent", "failed", "failed"),
        ("failed", "read", "failed"),
        ("unknown", "sent", "sent"),
    ],
)
def test_status_only_moves_forward(current: str, incoming: str, expected: str) -> None:
    assert progressed(current, incoming) == expected
