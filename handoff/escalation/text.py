"""Text normalisation shared by the phrase-based signals (and stored as a turn feature)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, accents dropped, punctuation to spaces: "Médewerker!!" → "medewerker"."""
    plain = text.casefold()
    if not plain.isascii():  # plain ASCII has nothing to decompose: skip the slow part
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip()


@lru_cache(maxsize=4096)  # the same phrase lists are matched on every turn
def _needle(phrase: str) -> str:
    return normalise(phrase)


def phrase_hits(text: str, phrases: list[str]) -> list[str]:
    """The phrases that occur in ``text`` as whole words ("agent" does not hit
    "politieagent")."""
    haystack = f" {normalise(text)} "
    hits = []
    for phrase in phrases:
        needle = _needle(phrase)
        if needle and f" {needle} " in haystack:
            hits.append(phrase)
    return hits
