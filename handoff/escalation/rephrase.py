"""Repeated rephrasing: the customer states again, in other words, a need the bot failed on
or answered without helping.

A restatement is compared with the first statement of that need (its anchor) and the
restatements already made of it, not just with the previous line: between two attempts
there are yes/no replies, form answers and side questions.

Similarity combines two views of the content lemmas (stop words, greetings and the light
verbs every request has, such as "aanpassen" or "doorgeven", removed in features.py):

- lemma overlap, the mean of Jaccard and containment: containment lets a customer who
  shortens "ik wil mijn meterstanden doorgeven" to "meterstand" score 1, Jaccard keeps a
  long turn that shares one word from scoring high;
- cosine of the character 3-grams of the content lemmas: catches what the lookup
  lemmatizer misses (compounds such as "stroomstoring" / "stroom", typos, inflections
  the table lacks). Grams over the whole normalised text were tried first: "ik wil mijn"
  alone gave unrelated needs a cosine near 0.4.

``DEFAULT_THRESHOLD`` 0.35 sits in the gap the hand-made pairs in the tests show:
restatements that keep the key word score 0.37 ("my bill is wrong" / "the amount on my
bill is too high") to 1.0, a new topic sharing part of a compound ("meterstand" /
"meter kapot") 0.2, other new topics 0.1 or less. Two turns are needed before a handoff,
so the lower side of the gap is the cheaper mistake. Paraphrases without a shared word
("voorschot" / "termijnbedrag") are missed; whether a sentence encoder is worth it is the
benchmark issue's question, which is why ``similarity`` is callable on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quote, quotes
from handoff.escalation.features import TurnFeatures

DEFAULT_THRESHOLD = 0.35
DEFAULT_REPHRASES = 2
LEMMA_WEIGHT = 0.5


def lemma_overlap(a: TurnFeatures, b: TurnFeatures) -> float:
    left, right = set(a.content_lemmas), set(b.content_lemmas)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    jaccard = shared / len(left | right)
    containment = shared / min(len(left), len(right))
    return (jaccard + containment) / 2


def char_cosine(a: TurnFeatures, b: TurnFeatures) -> float:
    left, right = set(a.char_ngrams), set(b.char_ngrams)
    if not left or not right:
        return 0.0
    return len(left & right) / math.sqrt(len(left) * len(right))


def similarity(a: TurnFeatures, b: TurnFeatures) -> float:
    """How much ``b`` states the same need as ``a``, from 0 to 1 (symmetric)."""
    return LEMMA_WEIGHT * lemma_overlap(a, b) + (1 - LEMMA_WEIGHT) * char_cosine(a, b)


@dataclass(frozen=True)
class RephraseTurn:
    """A customer turn in order. ``helped`` is the caller's judgement after the bot's
    answer: a form was submitted, or the customer confirmed or thanked. The current turn
    has not been answered yet; its ``helped`` is ignored."""

    features: TurnFeatures
    helped: bool = False


def states_a_need(features: TurnFeatures) -> bool:
    """Form answers and yes/no replies restate nothing, whatever words they share."""
    return not (features.is_form_answer or features.is_yes_no) and bool(features.content_lemmas)


@dataclass
class _Need:
    turns: list[TurnFeatures] = field(default_factory=list)
    open: bool = True

    def score(self, features: TurnFeatures) -> float:
        return max(similarity(member, features) for member in self.turns)


def _needs(turns: Sequence[RephraseTurn], threshold: float) -> tuple[list[_Need], _Need | None]:
    """Group the turns by need; also return the need the last turn joined or opened."""
    needs: list[_Need] = []
    latest: _Need | None = None
    for index, turn in enumerate(turns):
        latest = None
        if not states_a_need(turn.features):
            continue
        scored = [(need.score(turn.features), need) for need in needs if need.open]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best is not None and best[0] >= threshold:
            latest = best[1]
            latest.turns.append(turn.features)
        else:
            latest = _Need([turn.features])
            needs.append(latest)
        if turn.helped and index < len(turns) - 1:
            # A need the bot met is over: asking it again later is a new question.
            latest.open = False
    return needs, latest


def rephrases(
    turns: Sequence[RephraseTurn], threshold: float = DEFAULT_THRESHOLD
) -> list[TurnFeatures]:
    """The need the last turn restates, anchor first; empty if it restates none."""
    _, latest = _needs(turns, threshold)
    if latest is None or len(latest.turns) < 2:
        return []
    return list(latest.turns)


def repeated_rephrasing(
    turns: Sequence[RephraseTurn],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    required: int = DEFAULT_REPHRASES,
) -> Decision | None:
    """``rephrase`` when the last turn is the ``required``-th restatement of one need."""
    need = rephrases(turns, threshold)
    if len(need) - 1 < required:
        return None
    anchor, restated = need[0], need[1:]
    return Decision(
        Reason.rephrase,
        f"herformuleerde {len(restated)}×: {quotes(t.text for t in restated)} "
        f"(eerste vraag: {quote(anchor.text)})",
        {
            "anchor": anchor.text,
            "rephrases": [t.text for t in restated],
            "similarities": [round(similarity(anchor, t), 3) for t in restated],
        },
    )
