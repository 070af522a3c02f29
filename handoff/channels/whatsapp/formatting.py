"""A stored message as WhatsApp text, and a customer's number back to the choice it
stands for.

WhatsApp (through Twilio's API) has no buttons for free-form messages: choices become a
numbered list the customer answers with a number; sources become URL lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Twilio refuses a WhatsApp body above 1600 characters; longer text goes out in parts.
MAX_BODY_CHARS = 1600

REPLY_WITH_NUMBER = {"nl": "Antwoord met een nummer.", "en": "Reply with a number."}
MORE_INFO = {"nl": "Meer informatie", "en": "More information"}

_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


def _absolute(url: str, public_url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{public_url.rstrip('/')}/{url.lstrip('/')}"


def render(
    text: str,
    *,
    buttons: Sequence[dict[str, Any]] = (),
    sources: Sequence[dict[str, Any]] = (),
    language: str = "nl",
    public_url: str = "",
) -> str:
    lang = "en" if language == "en" else "nl"
    blocks = [text.strip()] if text.strip() else []
    titles = [str(b.get("title") or b.get("payload") or "") for b in buttons]
    if titles:
        numbered = [f"{n}. {title}" for n, title in enumerate(titles, start=1)]
        blocks.append("\n".join([*numbered, REPLY_WITH_NUMBER[lang]]))
    urls = [_absolute(str(s["url"]), public_url) for s in sources if s.get("url")]
    if urls:
        blocks.append("\n".join(f"{MORE_INFO[lang]}: {url}" for url in urls))
    return "\n\n".join(blocks)


def split(body: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Parts of at most ``limit`` characters, cut at a paragraph, line or word where
    possible; nothing is dropped."""
    parts: list[str] = []
    rest = body
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def chosen(text: str, buttons: Sequence[dict[str, Any]]) -> Choice | None:
    """The offered choice a reply like "2" or "2." stands for, if any."""
    match = _NUMBER.match(text)
    if match is None or not buttons:
        return None
    index = int(match.group(1)) - 1
    if not 0 <= index < len(buttons):
        return None
    button = buttons[index]
    return Choice(str(button.get("title") or ""), str(button.get("payload") or ""))
