"""Frustration: weighted Dutch and English markers, shouting, repeated punctuation.

Everything is matched from stored ``TurnFeatures`` alone (normalised words, lemmas, the
uppercase ratio, punctuation runs), so a supervisor's draft marker list can be replayed
over old conversations without the original text being processed again. A marker hits
when its words occur in a row in the turn, either as written or as lemmas ("begrijpt
het niet" hits "begrijp het niet"); a word ending in ``*`` matches any word it starts
("klote*" hits "kloteding"). Lists of every language are matched on every turn:
customers mix them, and a false hit needs company before it hands over.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quote
from handoff.escalation.features import TurnFeatures, phrase_lemmas
from handoff.escalation.text import normalise

DEFAULT_STRONG: dict[str, tuple[str, ...]] = {
    "nl": (
        "belachelijk", "waardeloos", "schandalig", "bespottelijk", "onacceptabel",
        "onaanvaardbaar", "nutteloos", "hopeloos", "wat een onzin", "ik ben het zat",
        "ik ben er klaar mee", "ik word gek", "stomme bot", "kut*", "klote*", "godverdomme",
        "verdomme", "tering", "tyfus", "shit", "fuck*",
    ),
    "en": (
        "ridiculous", "useless", "pathetic", "unacceptable", "disgraceful", "worthless",
        "waste of time", "fed up", "sick of this", "stupid bot", "fuck*", "shit", "bullshit",
        "wtf",
    ),
}  # fmt: skip
DEFAULT_WEAK: dict[str, tuple[str, ...]] = {
    "nl": (
        "werkt niet", "doet het niet", "snap er niks van", "snap er niets van",
        "begrijp het niet", "je begrijpt me niet", "alweer", "weer niet", "nog steeds",
        "nog altijd", "al twee keer", "al drie keer", "zoals ik al zei", "heb ik al gezegd",
        "duurt te lang", "frustrerend", "irritant", "vervelend", "geen antwoord",
    ),
    "en": (
        "doesn't work", "does not work", "not working", "again", "still", "as i said",
        "i already said", "already told you", "you don't understand", "frustrating",
        "annoying", "not helpful", "no help", "takes too long", "damn", "crap",
    ),
}  # fmt: skip


class Strength(enum.StrEnum):
    strong = "strong"
    weak = "weak"


@dataclass(frozen=True)
class FrustrationRules:
    strong: tuple[str, ...] = DEFAULT_STRONG["nl"] + DEFAULT_STRONG["en"]
    weak: tuple[str, ...] = DEFAULT_WEAK["nl"] + DEFAULT_WEAK["en"]
    strong_needed: int = 1
    weak_needed: int = 2
    # Customer turns looked at, the current one included: annoyance three turns back still
    # adds up, a "nog steeds" from the start of a long chat should not.
    window: int = 3
    # Shouting: mostly capitals over enough letters that "OK" or "KPN" is not shouting.
    shout_min_letters: int = 10
    shout_ratio: float = 0.8
    punctuation_run: int = 3  # "!!!", "???", "?!?"
    shouting_strength: Strength = Strength.weak
    punctuation_strength: Strength = Strength.weak


@dataclass(frozen=True)
class Hit:
    label: str  # the marker as listed, "hoofdletters", or the punctuation run
    strength: Strength
    kind: str  # "marker", "shouting", "punctuation"


@lru_cache(maxsize=4096)  # replay and analytics match the same lists over many turns
def _pattern(phrase: str) -> tuple[str, ...]:
    # Each word is normalised on its own so a trailing "*" survives normalising.
    words: list[str] = []
    for raw in phrase.split():
        star = raw.endswith("*")
        words.extend(w + "*" if star else w for w in normalise(raw.rstrip("*")).split())
    return tuple(words)


def _occurs(pattern: Sequence[str], words: Sequence[str]) -> bool:
    if not pattern:
        return False
    for start in range(len(words) - len(pattern) + 1):
        if all(
            words[start + i].startswith(p[:-1]) if p.endswith("*") else words[start + i] == p
            for i, p in enumerate(pattern)
        ):
            return True
    return False


@dataclass(frozen=True)
class _MarkerIndex:
    entries: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # marker, words, lemmas
    by_first: dict[str, tuple[int, ...]]  # an exact first word → the entries it starts
    wildcards: tuple[tuple[int, tuple[str, ...]], ...]  # entry, " prefix" of its first words


@lru_cache(maxsize=64)
def _index(markers: tuple[str, ...]) -> _MarkerIndex:
    """The list's patterns, once per list (replay and analytics match one list over
    thousands of turns), indexed by the word each can start with: a turn is scanned only
    for the markers whose first word it has. The lists of two languages share swear
    words: each is kept once."""
    entries = []
    by_first: dict[str, list[int]] = {}
    wildcards = []
    for position, marker in enumerate(dict.fromkeys(markers)):
        pattern = _pattern(marker)
        lemma_pattern = pattern if "*" in marker else phrase_lemmas(" ".join(pattern))
        entries.append((marker, pattern, lemma_pattern))
        starts = [p[0] for p in (pattern, lemma_pattern) if p]
        for word in starts:
            if not word.endswith("*"):
                by_first.setdefault(word, []).append(position)
        prefixes = tuple(" " + w[:-1] for w in starts if w.endswith("*"))
        if prefixes:
            wildcards.append((position, prefixes))
    return _MarkerIndex(
        tuple(entries), {w: tuple(p) for w, p in by_first.items()}, tuple(wildcards)
    )


def marker_hits(features: TurnFeatures, markers: Sequence[str]) -> list[str]:
    """The markers of ``markers`` in the turn, as listed."""
    index = _index(tuple(markers))
    words = set(features.tokens) | set(features.lemmas)
    candidates = {p for word in words for p in index.by_first.get(word, ())}
    if index.wildcards:
        # Words never hold spaces: " prefix" occurs here exactly when a word starts with it.
        joined = f" {' '.join(features.tokens)} {' '.join(features.lemmas)}"
        candidates.update(p for p, starts in index.wildcards if any(x in joined for x in starts))
    hits = []
    for position in sorted(candidates):
        marker, pattern, lemma_pattern = index.entries[position]
        if _occurs(pattern, features.tokens) or _occurs(lemma_pattern, features.lemmas):
            hits.append(marker)
    return hits


def _within(short: str, long: str) -> bool:
    return short != long and f" {short} " in f" {long} "


def turn_hits(features: TurnFeatures, rules: FrustrationRules) -> list[Hit]:
    """Every frustration sign in one turn; a marker inside a longer hit ("snap er niks"
    in "snap er niks van") is not counted twice."""
    strong = marker_hits(features, rules.strong)
    found = [Hit(m, Strength.strong, "marker") for m in strong]
    found += [
        Hit(m, Strength.weak, "marker")
        for m in marker_hits(features, rules.weak)
        if m not in strong
    ]
    words = {h.label: " ".join(_pattern(h.label)) for h in found}
    hits = [h for h in found if not any(_within(words[h.label], words[o.label]) for o in found)]
    if (
        features.letter_count >= rules.shout_min_letters
        and features.uppercase_ratio >= rules.shout_ratio
    ):
        hits.append(Hit("hoofdletters", rules.shouting_strength, "shouting"))
    if features.punctuation_run >= rules.punctuation_run:
        hits.append(Hit(_run_label(features), rules.punctuation_strength, "punctuation"))
    return hits


def _run_label(features: TurnFeatures) -> str:
    # Features keep run lengths, not the runs: a mixed run is shown as "?!?…".
    if features.exclamation_run >= features.punctuation_run:
        return "!" * features.exclamation_run
    if features.question_run >= features.punctuation_run:
        return "?" * features.question_run
    return "?!" * (features.punctuation_run // 2) + "?" * (features.punctuation_run % 2)


def frustration(
    turns: Sequence[TurnFeatures], rules: FrustrationRules | None = None
) -> Decision | None:
    """``frustration`` on ``strong_needed`` strong hits or ``weak_needed`` hits of any
    strength within the last ``window`` customer turns. The current (last) turn must hit
    something itself, so that old hits do not fire again on every later turn."""
    rules = rules or FrustrationRules()
    recent = [(t, turn_hits(t, rules)) for t in turns[-rules.window :]]
    if not recent or not recent[-1][1]:
        return None
    hits = [h for _, turn in recent for h in turn]
    strong = sum(1 for h in hits if h.strength is Strength.strong)
    # A strong hit weighs at least as much as a weak one when the counts are tuned.
    if strong < rules.strong_needed and len(hits) < rules.weak_needed:
        return None
    parts = [
        f"{', '.join(_show(h) for h in turn)} in {quote(t.text)}" for t, turn in recent if turn
    ]
    return Decision(
        Reason.frustration,
        f"Tekenen van frustratie: {'; '.join(parts)}",
        {
            "hits": [
                {"label": h.label, "strength": str(h.strength), "kind": h.kind, "text": t.text}
                for t, turn in recent
                for h in turn
            ],
            "strong": strong,
            "weak": len(hits) - strong,
        },
    )


def _show(hit: Hit) -> str:
    label = hit.label if hit.kind == "shouting" else f"'{hit.label}'"
    return f"{label} (sterk)" if hit.strength is Strength.strong else label
