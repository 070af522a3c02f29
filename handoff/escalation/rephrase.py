"""Repeated rephrasing: the customer states again, in other words, a need the bot failed on
or answered without helping.

A restatement is compared with the first statement of that need (its anchor) and the
restatements already made of it, not just with the previous line: between two attempts
there are yes/no replies, form answers and side questions.

Similarity is the mean of a lexical and a semantic view of the two turns:

- lexical, over the content lemmas (stop words, greetings and the light verbs every
  request has, such as "aanpassen" or "doorgeven", removed in features.py): half lemma
  overlap, the mean of Jaccard and containment (containment lets a customer who shortens
  "ik wil mijn meterstanden doorgeven" to "meterstand" score 1, Jaccard keeps a long turn
  that shares one word from scoring high), half the cosine of the content lemmas'
  character 3-grams (compounds such as "stroomstoring" / "stroom", typos, inflections the
  lookup table lacks);
- semantic: the cosine of the turns' sentence embeddings (multilingual Universal
  Sentence Encoder, features.py), which scores paraphrases that share no word.

Neither alone will do. On public Dutch data (bench/rephrase.md) the lexical view lost to
plain character 3-grams over the whole text on the Home Assistant paraphrase groups
(ROC AUC 0.943 vs 0.962); the encoder alone scores highest there (0.982) but follows
sentence shape, not the need: "ik wil mijn termijnbedrag aanpassen" / "ik wil mijn adres
aanpassen" 0.59, "Ik wil mijn meterstanden doorgeven" / "meterstand" 0.36. The mean beats
both baselines on all three datasets (STSb-nl Spearman 0.693 vs 0.584, Home Assistant AUC
0.977 vs 0.962, SICK-NL 0.825 vs 0.772) and keeps the hand-made domain pairs of the tests
apart: restatements 0.53 and up, new topics 0.39 and below. ``DEFAULT_THRESHOLD`` 0.45
sits in that gap; on the Home Assistant pairs it gives recall 0.84 at a false positive
rate of 0.024 (the lexical detector at its old 0.35: 0.79 and 0.033). The rule set's
``rephrase_threshold`` must move with it (0.35 → 0.45).

Turns stored before features version 2 have no embedding: with one of those the score is
the lexical view alone. Still missed: polarity ("de stroom is aan" / "uit" scores 0.97,
both views see one topic) and paraphrases with little overlap in words or shape
("voorschot te hoog" / "termijnbedrag omlaag", 0.11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quote, quotes
from handoff.escalation.features import TurnFeatures, embedding_vector

DEFAULT_THRESHOLD = 0.45
LEMMA_WEIGHT = 0.5  # within the lexical view: lemma overlap vs character 3-grams
ENCODER_WEIGHT = 0.5  # the semantic view's share of the similarity


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


def lexical_similarity(a: TurnFeatures, b: TurnFeatures) -> float:
    return LEMMA_WEIGHT * lemma_overlap(a, b) + (1 - LEMMA_WEIGHT) * char_cosine(a, b)


def encoder_cosine(a: TurnFeatures, b: TurnFeatures) -> float | None:
    """Cosine of the stored sentence embeddings, at least 0; None if a turn has none."""
    left, right = embedding_vector(a.embedding), embedding_vector(b.embedding)
    if left is None or right is None:
        return None
    norms = float(np.linalg.norm(left) * np.linalg.norm(right))
    if norms == 0.0:
        return 0.0
    return max(0.0, min(1.0, float(left @ right) / norms))


def similarity(a: TurnFeatures, b: TurnFeatures) -> float:
    """How much ``b`` states the same need as ``a``, from 0 to 1 (symmetric)."""
    if not a.content_lemmas or not b.content_lemmas:
        return 0.0  # a turn of stop words only states no need (states_a_need)
    lexical = lexical_similarity(a, b)
    semantic = encoder_cosine(a, b)
    if semantic is None:
        return lexical
    return (1 - ENCODER_WEIGHT) * lexical + ENCODER_WEIGHT * semantic


@dataclass(frozen=True)
class RephraseTurn:
    """A customer turn in order. ``helped`` is the caller's judgement after the bot's
    answer: a form was submitted, or the customer confirmed or thanked. The current turn
    has not been answered yet; its ``helped`` is ignored."""

    features: TurnFeatures
    helped: bool = False
    # A form answer that was no answer: the form turned it down and the NLU understood it
    # no better (the caller's judgement). The customer said something other than what was
    # asked, perhaps their need again: the live benchmark's "registreert de meterkast
    # vermogen" started the meter-reading form by mistake, and the customer's restatement
    # was asked for a customer number twice more. Such a turn may restate a need; it opens
    # none, since two of them alike are two tries at one value ("klantnr 1234567" after
    # "klantnummer 123456"), not a need stated again.
    stray: bool = False


def _has_content(features: TurnFeatures) -> bool:
    return not features.is_yes_no and bool(features.content_lemmas)


def states_a_need(features: TurnFeatures) -> bool:
    """Form answers and yes/no replies restate nothing, whatever words they share."""
    return not features.is_form_answer and _has_content(features)


def _may_restate(turn: RephraseTurn) -> bool:
    return turn.stray and _has_content(turn.features)


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
        opens = states_a_need(turn.features)
        if not (opens or _may_restate(turn)):
            continue
        scored = [(need.score(turn.features), need) for need in needs if need.open]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best is not None and best[0] >= threshold:
            latest = best[1]
            latest.turns.append(turn.features)
        elif opens:
            latest = _Need([turn.features])
            needs.append(latest)
        else:
            continue
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
    required: int,
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
