"""Text normalisation shared by the phrase-based signals (and stored as a turn feature)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, accents dropped, punctuation to spaces: "Médewerker!!" → "medewerker"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


def phrase_hits(text: str, phrases: list[str]) -> list[str]:
    """The phrases that occur in ``text`` as whole words ("agent" does not hit
    "politieagent")."""
    haystack = f" {normalise(text)} "
    hits = []
    for phrase in phrases:
        needle = normalise(phrase)
        if needle and f" {needle} " in haystack:
            hits.append(phrase)
    return hits
