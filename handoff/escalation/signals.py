"""The one decision point: the conversation so far (as stored) and the active rule set in,
at most one ``Decision`` out. Pure: the turn loads the rows and calls these.

After parse, in this order: explicit request, human-only topic, frustration, low
confidence, repeated rephrasing. After respond: bot failure, a form rejecting answer after
answer or an answer that restated the need instead (rephrasing), low confidence again (the
bot's own "I did not understand" is a failed turn too), then the bot repeating itself.

The conversation so far is the current bot phase: the customer turns since the
conversation last came back to the bot (or since it started), each with what the service
stored with it (features, the NLU result, the respond result's active form, a form
submission) and the bot's answers to it.

Two judgements are the caller's, kept simple here:

- A *form answer* is a turn that arrived while a form was active, i.e. the previous turn's
  respond result had an ``active_form``. Its NLU does not count for low confidence (the
  form's validator judges it) and it restates no need, unless it *strayed*: the form
  turned it down and the NLU was unsure of it or found it off-topic.
- A turn was *helped* when its answer submitted a form, or the customer's next turn
  thanked the bot (NLU intent ``thanks``). A need that was helped is closed for rephrasing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from handoff.escalation import explicit, failure
from handoff.escalation.confidence import (
    BOT_FALLBACK_RESPONSES,
    Assessment,
    ConfidenceTurn,
    Verdict,
    assess,
    count_failed_turns,
    rewrite_parse,
)
from handoff.escalation.decision import Decision
from handoff.escalation.features import TurnFeatures
from handoff.escalation.forms import FormTurn, form_rejections, rejects
from handoff.escalation.frustration import FrustrationRules, frustration
from handoff.escalation.loop import BotTurn, bot_loop, expected_repeat
from handoff.escalation.rephrase import RephraseTurn, repeated_rephrasing
from handoff.rasa.schemas import ParseResult, RespondResult
from handoff.rulesets.defaults import RuleSetData

THANKS_INTENT = "thanks"


@dataclass(frozen=True)
class BotAnswer:
    text: str
    response: str | None = None


@dataclass(frozen=True)
class PastTurn:
    """A customer turn of the current bot phase, as stored."""

    text: str
    features: TurnFeatures
    nlu: ParseResult | None  # None: not parsed (the widget's button, Rasa down)
    form_answer: bool  # a form was active when it arrived
    active_form: str | None = None  # the form active after the bot's answer to it
    submitted: bool = False  # the answer submitted a form
    answers: tuple[BotAnswer, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CurrentTurn:
    text: str
    features: TurnFeatures
    form_answer: bool


def frustration_rules(rules: RuleSetData) -> FrustrationRules:
    markers = rules.frustration_markers
    return FrustrationRules(
        strong=tuple(p for phrases in markers.strong.values() for p in phrases),
        weak=tuple(p for phrases in markers.weak.values() for p in phrases),
        strong_needed=rules.thresholds.frustration_strong,
        weak_needed=rules.thresholds.frustration_weak,
    )


def _fell_back(answers: Sequence[BotAnswer]) -> bool:
    return any(a.response in BOT_FALLBACK_RESPONSES for a in answers)


def _rejected(answers: Sequence[BotAnswer]) -> bool:
    return rejects([a.response for a in answers])


# The intent the bot answers with its farewell (bot/data/rules.yml), which closes the
# conversation (processing/resolution.py).
GOODBYE_INTENT = "goodbye"


def _live_values(rules: RuleSetData) -> tuple[float, float, float, dict[str, float]]:
    thresholds = rules.thresholds
    # A human-only topic goes to a person from its own minimum up (explicit.human_only).
    # Below it the bot must not answer either: its answer to such a topic promises a
    # colleague ("cancel my subscription to ..." was cancel_contract 0.54, answered with
    # "a member of our team will take over" and nobody did). So it is an unsure turn.
    minimums = {i: thresholds.human_only_min_confidence for i in rules.human_only_intents}
    # The bot's farewell closes the conversation as resolved: only when sure it is one.
    minimums[GOODBYE_INTENT] = thresholds.goodbye_min_confidence
    return (
        thresholds.low_confidence,
        thresholds.ambiguity_margin,
        thresholds.example_similarity,
        minimums,
    )


def judge(parse: ParseResult, rules: RuleSetData) -> Assessment:
    """``assess`` with the rule set's live threshold, margin, minimum similarity and the
    human-only and goodbye minimums."""
    return assess(parse, *_live_values(rules))


def rewrite(parse: ParseResult, rules: RuleSetData) -> ParseResult:
    """``rewrite_parse`` with the same live values: the parse the bot should answer."""
    return rewrite_parse(parse, *_live_values(rules))


def confidence_history(
    past: Sequence[PastTurn],
    current: CurrentTurn,
    parse: ParseResult,
    rules: RuleSetData,
    answers: Sequence[BotAnswer] = (),
) -> list[ConfidenceTurn]:
    """Parsed customer turns, oldest first, judged with the live thresholds (``judge``)
    and by the bot's answers (``answers``: to the current turn, once it answered)."""
    history = [
        ConfidenceTurn(t.text, judge(t.nlu, rules), t.form_answer, _fell_back(t.answers))
        for t in past
        if t.nlu is not None
    ]
    history.append(
        ConfidenceTurn(current.text, judge(parse, rules), current.form_answer, _fell_back(answers))
    )
    return history


def _thanked(turn: PastTurn) -> bool:
    return (
        turn.nlu is not None
        and turn.nlu.intent is not None
        and (turn.nlu.intent.name == THANKS_INTENT)
    )


# What makes a turned-down form answer no answer at all. Not `unfamiliar`: a value is
# unlike every training sentence by nature ("de meterstand is 12345,6" is `inform` 0.78,
# its nearest example at 0.49), and a customer who mistyped it shares the form's topic
# words with the need that started it.
_NOT_AN_ANSWER = frozenset({Verdict.low_confidence, Verdict.out_of_scope})


def _stray(
    form_answer: bool, nlu: ParseResult | None, answers: Sequence[BotAnswer], rules: RuleSetData
) -> bool:
    """A form answer the form turned down and the NLU was unsure of or found off-topic."""
    return (
        form_answer
        and _rejected(answers)
        and nlu is not None
        and judge(nlu, rules).verdict in _NOT_AN_ANSWER
    )


def rephrase_history(
    past: Sequence[PastTurn],
    current: CurrentTurn,
    rules: RuleSetData,
    parse: ParseResult | None = None,
    answers: Sequence[BotAnswer] = (),
) -> list[RephraseTurn]:
    """Customer turns, oldest first, as the rephrase check sees them; the current turn's
    ``parse`` and the bot's ``answers`` to it, once it answered, tell whether it strayed."""
    turns: list[RephraseTurn] = []
    for index, turn in enumerate(past):
        following = past[index + 1] if index + 1 < len(past) else None
        helped = turn.submitted or (following is not None and _thanked(following))
        features = _as_form_answer(turn.features, turn.form_answer)
        stray = _stray(turn.form_answer, turn.nlu, turn.answers, rules)
        turns.append(RephraseTurn(features, helped, stray))
    features = _as_form_answer(current.features, current.form_answer)
    stray = _stray(current.form_answer, parse, answers, rules)
    turns.append(RephraseTurn(features, stray=stray))
    return turns


def _as_form_answer(features: TurnFeatures, form_answer: bool) -> TurnFeatures:
    if features.is_form_answer == form_answer:
        return features
    return features.model_copy(update={"is_form_answer": form_answer})


def after_parse(
    current: CurrentTurn, parse: ParseResult, past: Sequence[PastTurn], rules: RuleSetData
) -> Decision | None:
    """The decision before the bot answers."""
    decision = explicit.after_parse(current.text, parse, rules)
    if decision is not None:
        return decision
    features = [t.features for t in past] + [current.features]
    decision = frustration(features, frustration_rules(rules))
    if decision is not None:
        return decision
    decision = count_failed_turns(
        confidence_history(past, current, parse, rules), rules.thresholds.low_confidence_turns
    )
    if decision is not None:
        return decision
    return _rephrased(rephrase_history(past, current, rules), rules)


def _rephrased(turns: Sequence[RephraseTurn], rules: RuleSetData) -> Decision | None:
    return repeated_rephrasing(
        turns,
        threshold=rules.thresholds.rephrase_threshold,
        required=rules.thresholds.rephrase_count,
    )


def _bot_turn(customer_text: str, answers: Sequence[BotAnswer], active_form: str | None) -> BotTurn:
    return BotTurn(
        customer_text,
        " ".join(a.text for a in answers if a.text),
        expected=any(expected_repeat(a.response, active_form) for a in answers),
    )


def after_respond(
    current: CurrentTurn,
    parse: ParseResult,
    result: RespondResult,
    past: Sequence[PastTurn],
    rules: RuleSetData,
) -> Decision | None:
    """The decision after the bot answered ``parse`` (as Rasa gave it, before any
    rewrite): it failed, its form turned down one answer too many or an answer that
    restated the need, it said it did not understand once too often, or it is repeating
    itself."""
    decision = failure.bot_failure(result)
    if decision is not None:
        return decision
    answers = [BotAnswer(m.text or "", m.response) for m in result.messages]
    if current.form_answer and _rejected(answers):
        form_turns = [FormTurn(t.text, t.form_answer, _rejected(t.answers)) for t in past]
        form_turns.append(FormTurn(current.text, True, True))
        decision = form_rejections(form_turns, rules.thresholds.form_rejections)
        if decision is not None:
            return decision
        # Known only now that the form turned it down: a customer who restates their
        # need instead of answering is telling the bot it started the wrong form.
        decision = _rephrased(rephrase_history(past, current, rules, parse, answers), rules)
        if decision is not None:
            return decision
    if _fell_back(answers):
        decision = count_failed_turns(
            confidence_history(past, current, parse, rules, answers),
            rules.thresholds.low_confidence_turns,
        )
        if decision is not None:
            return decision
    turns = [_bot_turn(t.text, t.answers, t.active_form) for t in past]
    turns.append(_bot_turn(current.text, answers, result.active_form))
    return bot_loop(turns, rules.thresholds.bot_loop_repeats)
