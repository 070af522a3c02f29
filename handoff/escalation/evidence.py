"""How evidence quotes the customer: the agent reads it at a glance, in the queue."""

from __future__ import annotations

from collections.abc import Iterable

QUOTE_LIMIT = 80


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """'…' around the text, whitespace collapsed, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return f"'{flat}'"


def quotes(texts: Iterable[str], limit: int = QUOTE_LIMIT) -> str:
    return ", ".join(quote(t, limit) for t in texts)
