"""The agents' proxy for what customers sent on WhatsApp: Twilio serves media only with
the account's credentials, which never leave the service."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from handoff.core.config import Settings

MAX_MEDIA_BYTES = 20 * 1024 * 1024
# Shown in the browser; anything else is downloaded, never rendered by the console.
INLINE_TYPES = ("image/", "audio/", "video/")


class MediaUnavailable(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


@dataclass(frozen=True)
class Fetched:
    content: bytes
    content_type: str

    @property
    def inline(self) -> bool:
        return self.content_type.startswith(INLINE_TYPES)


def is_twilio_url(settings: Settings, url: str) -> bool:
    """Only Twilio's own API is ever asked, with the account's credentials."""
    return url.startswith(settings.twilio_api_base.rstrip("/") + "/")


async def fetch(
    settings: Settings, url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> Fetched:
    if not is_twilio_url(settings, url):
        raise MediaUnavailable(404, "Deze bijlage staat niet bij Twilio")
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    # Twilio redirects to its storage; httpx drops the credentials on the other host.
    async with httpx.AsyncClient(
        auth=(settings.twilio_account_sid, token),
        timeout=settings.twilio_timeout_seconds,
        follow_redirects=True,
        transport=transport,
    ) as client:
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise MediaUnavailable(
                        502, f"Twilio gaf de bijlage niet (HTTP {response.status_code})"
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise MediaUnavailable(502, "De bijlage is groter dan 20 MB")
                    chunks.append(chunk)
                content_type = response.headers.get("content-type", "application/octet-stream")
        except httpx.HTTPError as exc:
            raise MediaUnavailable(502, f"Twilio niet bereikbaar ({type(exc).__name__})") from None
    return Fetched(
        b"".join(chunks), content_type.split(";")[0].strip() or "application/octet-stream"
    )
