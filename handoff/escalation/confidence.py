"""Low confidence, unfamiliar questions and ambiguity, judged with the live threshold,
minimum similarity and margin.

Rasa's ``FallbackClassifier`` applies the threshold it was trained with; supervisors
change theirs without retraining, so the service judges the parse itself and rewrites it
before ``respond`` so that the bot's own answer (ask to rephrase, or offer two choices)
follows the live values.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quotes
from handoff.rasa.schemas import Intent, ParseResult

NLU_FALLBACK = "nlu_fallback"
DISAMBIGUATE = "disambiguate"
OUT_OF_SCOPE = "out_of_scope"
# Not intents the model recognised: nlu_fallback's confidence is only the trained
# threshold, and disambiguate is what this module rewrites a parse to.
_PLACEHOLDERS = frozenset({NLU_FALLBACK, DISAMBIGUATE})
# Candidates a customer could be offered as a button (as action_disambiguate skips them).
_NOT_OFFERED = _PLACEHOLDERS | {OUT_OF_SCOPE}
# Confidences are floats that went through JSON: 0.6 - 0.5 must count as within 0.1.
_EPSILON = 1e-9
# The bot's own "I did not understand": the "say it differently" it gives for a parse
# rewritten to nlu_fallback, and the default answer of Rasa's core fallback, when the
# dialogue policy was sure of no next step however confident the NLU was ("Mag de
# verwarming op 19?" is `inform` 0.9 outside any form). Either is a failed turn.
BOT_FALLBACK_RESPONSES = frozenset({"utter_ask_rephrase", "utter_default"})


class Verdict(enum.StrEnum):
    understood = "understood"
    low_confidence = "low_confidence"
    out_of_scope = "out_of_scope"
    # Confident, but unlike every training example of the intent: a classifier spreads
    # its probability over the intents it knows, so "are there cameras hidden in stop
    # lights" can be report_outage 0.88; its nearest outage example is at 0.36.
    unfamiliar = "unfamiliar"
    ambiguous = "ambiguous"


@dataclass(frozen=True)
class Candidate:
    intent: str
    confidence: float


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    intent: str | None  # the top real intent, if any
    confidence: float
    candidates: tuple[Candidate, ...] = ()  # the two offered, when ambiguous

    @property
    def failed(self) -> bool:
        return self.verdict in (Verdict.low_confidence, Verdict.out_of_scope, Verdict.unfamiliar)


def _ranking(parse: ParseResult) -> list[Intent]:
    ranking = list(parse.intent_ranking)
    if not ranking and parse.intent is not None:
        ranking = [parse.intent]
    return sorted(
        (i for i in ranking if i.name and i.name not in _PLACEHOLDERS),
        key=lambda i: i.confidence,
        reverse=True,
    )


def _unfamiliar(parse: ParseResult, intent: str, min_similarity: float) -> bool:
    nearest = parse.nearest_example
    return (
        nearest is not None
        and nearest.intent == intent
        and nearest.similarity < min_similarity - _EPSILON
    )


def assess(
    parse: ParseResult,
    threshold: float,
    margin: float,
    min_similarity: float = 0.0,
    minimums: Mapping[str, float] | None = None,
) -> Assessment:
    """Judge one parse: below ``threshold`` (or below the top intent's own minimum in
    ``minimums``, when higher), out of scope, or less similar than ``min_similarity`` to
    the top intent's nearest training example (when the parse says) fails; two offerable
    intents within ``margin`` of each other (the top one at or above the threshold) are
    ambiguous."""
    ranking = _ranking(parse)
    if not ranking:
        return Assessment(Verdict.low_confidence, None, 0.0)
    top = ranking[0]
    assert top.name is not None
    if top.name == OUT_OF_SCOPE:
        return Assessment(Verdict.out_of_scope, top.name, top.confidence)
    if top.confidence < max(threshold, (minimums or {}).get(top.name, 0.0)):
        return Assessment(Verdict.low_confidence, top.name, top.confidence)
    if _unfamiliar(parse, top.name, min_similarity):
        return Assessment(Verdict.unfamiliar, top.name, top.confidence)
    offered = [i for i in ranking if i.name not in _NOT_OFFERED]
    if len(offered) >= 2 and offered[0].confidence - offered[1].confidence <= margin + _EPSILON:
        pair = tuple(Candidate(str(i.name), i.confidence) for i in offered[:2])
        return Assessment(Verdict.ambiguous, top.name, top.confidence, pair)
    return Assessment(Verdict.understood, top.name, top.confidence)


def rewrite_parse(
    parse: ParseResult,
    threshold: float,
    margin: float,
    min_similarity: float = 0.0,
    minimums: Mapping[str, float] | None = None,
) -> ParseResult:
    """The parse the bot should answer: ``nlu_fallback`` below the threshold (or the
    intent's minimum) or when unfamiliar, ``disambiguate`` (the two candidates first in
    the ranking) when ambiguous, else the top real intent (which also undoes a fallback
    Rasa applied with a stricter trained threshold). Out of scope is left to the bot's own
    out-of-scope answer."""
    verdict = assess(parse, threshold, margin, min_similarity, minimums)
    if verdict.verdict is Verdict.out_of_scope:
        return parse
    if verdict.verdict in (Verdict.low_confidence, Verdict.unfamiliar):
        # Rasa's own FallbackClassifier reports the threshold as the confidence.
        intent = Intent(name=NLU_FALLBACK, confidence=threshold)
        return parse.model_copy(update={"intent": intent})
    if verdict.verdict is Verdict.ambiguous:
        first = [Intent(name=c.intent, confidence=c.confidence) for c in verdict.candidates]
        names = {c.intent for c in verdict.candidates}
        rest = [i for i in parse.intent_ranking if i.name not in names]
        intent = Intent(name=DISAMBIGUATE, confidence=verdict.confidence)
        return parse.model_copy(update={"intent": intent, "intent_ranking": first + rest})
    if parse.intent is not None and parse.intent.name == verdict.intent:
        return parse
    intent = Intent(name=verdict.intent, confidence=verdict.confidence)
    return parse.model_copy(update={"intent": intent})


@dataclass(frozen=True)
class ConfidenceTurn:
    """A customer turn in order, as the low-confidence count sees it."""

    text: str
    assessment: Assessment
    # While a form asks, its validator judges the answer, not the NLU: "12345" parses
    # poorly and is still a good answer.
    is_form_answer: bool = False
    # The bot answered it with a fallback (BOT_FALLBACK_RESPONSES): failed, whatever the
    # parse. Known only once the bot answered.
    bot_fell_back: bool = False

    @property
    def failed(self) -> bool:
        return self.assessment.failed or self.bot_fell_back

    @property
    def verdict(self) -> str:
        if self.bot_fell_back and not self.assessment.failed:
            return "bot_fallback"
        return str(self.assessment.verdict)


def _resolves(choice: ConfidenceTurn, offered: Assessment) -> bool:
    names = {c.intent for c in offered.candidates}
    return choice.assessment.verdict is Verdict.understood and choice.assessment.intent in names


def failed_run(history: Sequence[ConfidenceTurn]) -> list[ConfidenceTurn]:
    """The failed turns at the end of ``history`` (customer turns, oldest first).

    An ambiguous turn is failed once the next turn did not pick one of its two
    candidates; the latest turn, if ambiguous, is still waiting for that choice and
    neither counts nor breaks the run.
    """
    run: list[ConfidenceTurn] = []
    for index in range(len(history) - 1, -1, -1):
        turn = history[index]
        if turn.is_form_answer:
            break
        if turn.assessment.verdict is Verdict.ambiguous and not turn.bot_fell_back:
            if index == len(history) - 1:
                continue
            if _resolves(history[index + 1], turn.assessment):
                break
            run.append(turn)
        elif turn.failed:
            run.append(turn)
        else:
            break
    run.reverse()
    return run


def count_failed_turns(history: Sequence[ConfidenceTurn], required: int) -> Decision | None:
    """``low_confidence`` once ``required`` consecutive customer turns failed."""
    run = failed_run(history)
    if len(run) < required:
        return None
    return Decision(
        Reason.low_confidence,
        f"{len(run)} beurten achter elkaar niet begrepen: {quotes(t.text for t in run)}",
        {
            "turns": [t.text for t in run],
            "verdicts": [t.verdict for t in run],
            "intents": [t.assessment.intent for t in run],
            "confidences": [t.assessment.confidence for t in run],
        },
    )
