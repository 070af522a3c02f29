"""Checking that a webhook really comes from Twilio: ``X-Twilio-Signature`` over the
public URL Twilio called and the form parameters (Twilio's own algorithm)."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def called_url(public_url: str, query: str) -> str:
    """The URL Twilio signed: the configured public URL (the service sits behind a
    proxy, so its own view of the URL differs) with the request's query string."""
    return f"{public_url}?{query}" if query else public_url


def is_genuine(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))
