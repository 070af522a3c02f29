"""What to do after one attempt to hand a message to Twilio: a pure function of the
outcome, so the rule that nothing is sent twice can be read (and tested) in one place.

- accepted: sent;
- 429: wait (Retry-After) and try again; 503 or a refused connection: try again — the
  request never reached Twilio's API, so sending again cannot duplicate it;
- 500 (or 502/504), a timeout, a connection lost after the request went out: it may
  have reached Twilio, so the message is ``unknown`` until the status callback or a
  look-up settles it;
- any other 4xx: failed, never retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Kind = Literal["accepted", "http_error", "refused", "timeout", "connection_lost"]

RETRYABLE_STATUSES = frozenset({429, 503})
MAX_BACKOFF_SECONDS = 60.0

# Twilio's message statuses, mapped onto the service's delivery statuses.
TWILIO_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
RANK = {"pending": 0, "unknown": 0, "sent": 1, "delivered": 2, "read": 3}

# What agents read for the error codes they will meet most (the rest: Twilio's text).
ERROR_TEXTS = {
    63016: "Buiten het 24-uursvenster: alleen een goedgekeurde template kan worden verstuurd",
    63003: "Het nummer van de klant is niet (meer) bereikbaar via WhatsApp",
    63024: "Ongeldige ontvanger voor WhatsApp",
    63018: "Twilio/WhatsApp begrenst het aantal berichten; later opnieuw",
    63032: "De klant heeft berichten van dit bedrijf geblokkeerd of staat ze niet toe",
    63049: "Meta heeft het bericht niet afgeleverd (bijvoorbeeld om kwaliteitsredenen)",
    21211: "Ongeldig nummer van de klant",
    21610: "De klant heeft zich afgemeld voor berichten",
}


@dataclass(frozen=True)
class Attempt:
    kind: Kind
    status: int | None = None  # HTTP status of an http_error
    retry_after: float | None = None  # seconds, from Retry-After
    sid: str | None = None
    twilio_status: str | None = None
    error_code: int | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 8
    unknown_settle_seconds: float = 120.0


@dataclass(frozen=True)
class Next:
    status: Literal["pending", "sent", "delivered", "read", "failed", "unknown"]
    wait: timedelta | None = None  # until the next attempt (pending) or look-up (unknown)
    error_code: int | None = None
    error: str | None = None


def backoff(attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, 2 ** max(0, attempts - 1)))


def error_text(code: int | None, fallback: str | None) -> str | None:
    if code is not None and code in ERROR_TEXTS:
        return f"{ERROR_TEXTS[code]} (Twilio {code})"
    if code is not None:
        return f"{fallback or 'Twilio-fout'} (Twilio {code})"
    return fallback


def decide(attempt: Attempt, attempts: int, policy: Policy) -> Next:
    """``attempts`` counts this one."""
    if attempt.kind == "accepted":
        return Next(status=TWILIO_STATUS.get(attempt.twilio_status or "queued", "sent"))  # type: ignore[arg-type]
    settle = timedelta(seconds=policy.unknown_settle_seconds)
    if attempt.kind in ("timeout", "connection_lost"):
        return Next("unknown", settle, error="Geen antwoord van Twilio; status wordt nagevraagd")
    if attempt.kind == "refused" or attempt.status in RETRYABLE_STATUSES:
        if attempts >= policy.max_attempts:
            return Next(
                "failed",
                error_code=attempt.error_code,
                error=f"Twilio niet bereikbaar na {attempts} pogingen",
            )
        wait = attempt.retry_after if attempt.status == 429 else None
        reason = (
            "Twilio niet bereikbaar" if attempt.kind == "refused" else f"Twilio {attempt.status}"
        )
        return Next(
            "pending",
            timedelta(seconds=wait if wait is not None else backoff(attempts)),
            error=f"{reason}; opnieuw geprobeerd",
        )
    status = attempt.status or 0
    if status >= 500:
        return Next(
            "unknown",
            settle,
            error_code=attempt.error_code,
            error=f"Twilio {status}; status wordt nagevraagd, niet opnieuw verstuurd",
        )
    return Next(
        "failed",
        error_code=attempt.error_code,
        error=error_text(attempt.error_code, attempt.error_message or f"Twilio {status}"),
    )


def progressed(current: str | None, incoming: str) -> str:
    """Callbacks arrive out of order: a status never goes back (read stays read), and
    failed is final."""
    if current == "failed":
        return "failed"
    if incoming == "failed":
        return "failed"
    return (
        incoming
        if RANK.get(incoming, 0) >= RANK.get(current or "pending", 0)
        else current or incoming
    )
