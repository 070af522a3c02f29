import pytest

from handoff.escalation.confidence import (
    Assessment,
    Candidate,
    ConfidenceTurn,
    Verdict,
    assess,
    count_failed_turns,
    failed_run,
    rewrite_parse,
)
from handoff.escalation.decision import Reason
from handoff.rasa.schemas import NearestExample, ParseResult

THRESHOLD = 0.55
MARGIN = 0.1


def parse(*ranking: tuple[str, float], text: str = "") -> ParseResult:
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return ParseResult.model_validate(
        {"text": text, "intent": intents[0] if intents else None, "intent_ranking": intents}
    )


def turn(
    text: str, *ranking: tuple[str, float], form: bool = False, fell_back: bool = False
) -> ConfidenceTurn:
    return ConfidenceTurn(
        text,
        assess(parse(*ranking), THRESHOLD, MARGIN),
        is_form_answer=form,
        bot_fell_back=fell_back,
    )


def test_confident_top_intent_is_understood() -> None:
    verdict = assess(parse(("explain_bill", 0.9), ("moving_house", 0.05)), THRESHOLD, MARGIN)
    assert verdict == Assessment(Verdict.understood, "explain_bill", 0.9)
    assert not verdict.failed


def test_top_intent_below_threshold_fails() -> None:
    verdict = assess(parse(("explain_bill", 0.4), ("moving_house", 0.2)), THRESHOLD, MARGIN)
    assert verdict.verdict is Verdict.low_confidence and verdict.failed


def test_nlu_fallback_is_skipped_as_the_top_intent() -> None:
    # Rasa trained with 0.3: its placeholder sits on top, the real intent clears 0.55.
    ranked = parse(("nlu_fallback", 0.7), ("explain_bill", 0.6), ("moving_house", 0.1))
    assert assess(ranked, THRESHOLD, MARGIN) == Assessment(Verdict.understood, "explain_bill", 0.6)


def test_nlu_fallback_on_top_of_a_weak_real_intent_still_fails() -> None:
    ranked = parse(("nlu_fallback", 0.55), ("explain_bill", 0.3))
    verdict = assess(ranked, THRESHOLD, MARGIN)
    assert (verdict.verdict, verdict.intent) == (Verdict.low_confidence, "explain_bill")


def test_out_of_scope_fails_however_sure_the_model_is() -> None:
    verdict = assess(parse(("out_of_scope", 0.98)), THRESHOLD, MARGIN)
    assert verdict.verdict is Verdict.out_of_scope and verdict.failed


def unfamiliar_parse(similarity: float, intent: str = "report_outage") -> ParseResult:
    confident = parse(("report_outage", 0.88), ("explain_bill", 0.05))
    nearest = {"intent": intent, "similarity": similarity, "text": "de stroom is uitgevallen"}
    return confident.model_copy(update={"nearest_example": NearestExample(**nearest)})


def test_a_confident_parse_unlike_its_intents_examples_is_unfamiliar() -> None:
    verdict = assess(unfamiliar_parse(0.36), THRESHOLD, MARGIN, min_similarity=0.4)
    assert verdict == Assessment(Verdict.unfamiliar, "report_outage", 0.88)
    assert verdict.failed


@pytest.mark.parametrize(
    ("similarity", "min_similarity", "intent"),
    [
        (0.4, 0.4, "report_outage"),  # at the minimum: familiar
        (0.36, 0.0, "report_outage"),  # the check is off
        (0.36, 0.4, "explain_bill"),  # the example belongs to another intent than the top
    ],
)
def test_familiar_enough_or_not_judged_is_understood(
    similarity: float, min_similarity: float, intent: str
) -> None:
    verdict = assess(unfamiliar_parse(similarity, intent), THRESHOLD, MARGIN, min_similarity)
    assert verdict.verdict is Verdict.understood


def test_a_parse_without_a_nearest_example_is_not_judged_on_it() -> None:
    confident = parse(("report_outage", 0.88))
    assert assess(confident, THRESHOLD, MARGIN, min_similarity=0.99).verdict is Verdict.understood


def test_rewrite_an_unfamiliar_parse_to_nlu_fallback() -> None:
    rewritten = rewrite_parse(unfamiliar_parse(0.36), THRESHOLD, MARGIN, min_similarity=0.4)
    assert rewritten.intent is not None and rewritten.intent.name == "nlu_fallback"
    assert rewritten.nearest_example == unfamiliar_parse(0.36).nearest_example


def test_a_human_only_topic_below_its_own_minimum_fails() -> None:
    # 0.54 clears the general threshold but not the 0.6 a cancellation needs: too unsure
    # to hand over, and the bot's own answer to it promises a person.
    unsure = parse(("cancel_contract", 0.54), ("explain_bill", 0.2))
    verdict = assess(unsure, THRESHOLD, MARGIN, minimums={"cancel_contract": 0.6})
    assert verdict == Assessment(Verdict.low_confidence, "cancel_contract", 0.54)
    rewritten = rewrite_parse(unsure, THRESHOLD, MARGIN, minimums={"cancel_contract": 0.6})
    assert rewritten.intent is not None and rewritten.intent.name == "nlu_fallback"


@pytest.mark.parametrize(
    ("ranking", "verdict"),
    [
        ((("cancel_contract", 0.6), ("explain_bill", 0.2)), Verdict.understood),  # at it
        ((("explain_bill", 0.58), ("cancel_contract", 0.2)), Verdict.understood),  # other
    ],
    ids=["at-the-minimum", "another-intent"],
)
def test_a_minimum_holds_only_below_it_and_only_for_its_intent(
    ranking: tuple[tuple[str, float], ...], verdict: Verdict
) -> None:
    result = assess(parse(*ranking), THRESHOLD, MARGIN, minimums={"cancel_contract": 0.6})
    assert result.verdict is verdict


def test_no_intent_at_all_fails() -> None:
    assert assess(parse(), THRESHOLD, MARGIN).verdict is Verdict.low_confidence


@pytest.mark.parametrize(
    ("second", "verdict"),
    [(0.5, Verdict.ambiguous), (0.49, Verdict.understood)],
    ids=["exactly-the-margin", "just-outside"],
)
def test_ambiguity_margin_edge(second: float, verdict: Verdict) -> None:
    result = assess(parse(("explain_bill", 0.6), ("moving_house", second)), THRESHOLD, MARGIN)
    assert result.verdict is verdict


def test_ambiguity_returns_the_two_candidates() -> None:
    ranked = parse(("explain_bill", 0.6), ("change_instalment", 0.58), ("moving_house", 0.3))
    verdict = assess(ranked, THRESHOLD, MARGIN)
    assert verdict.candidates == (
        Candidate("explain_bill", 0.6),
        Candidate("change_instalment", 0.58),
    )


def test_out_of_scope_close_behind_is_not_offered_as_a_choice() -> None:
    ranked = parse(("explain_bill", 0.6), ("out_of_scope", 0.58), ("moving_house", 0.2))
    assert assess(ranked, THRESHOLD, MARGIN).verdict is Verdict.understood


def test_rewrite_below_threshold_to_nlu_fallback_keeping_the_ranking() -> None:
    original = parse(("explain_bill", 0.4), ("moving_house", 0.3), text="bla")
    rewritten = rewrite_parse(original, THRESHOLD, MARGIN)
    assert rewritten.intent is not None
    assert (rewritten.intent.name, rewritten.intent.confidence) == ("nlu_fallback", THRESHOLD)
    assert rewritten.intent_ranking == original.intent_ranking
    assert rewritten.text == "bla"


def test_rewrite_ambiguous_to_disambiguate_with_the_candidates_first() -> None:
    original = parse(
        ("nlu_fallback", 0.7), ("explain_bill", 0.6), ("moving_house", 0.2),
        ("change_instalment", 0.55),
    )  # fmt: skip
    rewritten = rewrite_parse(original, THRESHOLD, MARGIN)
    assert rewritten.intent is not None and rewritten.intent.name == "disambiguate"
    names = [i.name for i in rewritten.intent_ranking]
    assert names == ["explain_bill", "change_instalment", "nlu_fallback", "moving_house"]


def test_rewrite_leaves_a_confident_parse_alone() -> None:
    original = parse(("explain_bill", 0.9), ("moving_house", 0.05))
    assert rewrite_parse(original, THRESHOLD, MARGIN) == original


def test_rewrite_undoes_a_fallback_the_live_threshold_does_not_want() -> None:
    original = parse(("nlu_fallback", 0.7), ("explain_bill", 0.6))
    rewritten = rewrite_parse(original, THRESHOLD, MARGIN)
    assert rewritten.intent is not None
    assert (rewritten.intent.name, rewritten.intent.confidence) == ("explain_bill", 0.6)


def test_rewrite_keeps_fields_rasa_added() -> None:
    original = ParseResult.model_validate(
        {
            "text": "hoi",
            "intent": {"name": "greet", "confidence": 0.3},
            "intent_ranking": [{"name": "greet", "confidence": 0.3}],
            "response_selector": {"default": {}},
        }
    )
    rewritten = rewrite_parse(original, THRESHOLD, MARGIN)
    assert rewritten.model_dump()["response_selector"] == {"default": {}}


def test_rewrite_leaves_out_of_scope_to_the_bot() -> None:
    original = parse(("out_of_scope", 0.9))
    assert rewrite_parse(original, THRESHOLD, MARGIN) == original


def test_two_failed_turns_in_a_row_hand_over() -> None:
    history = [
        turn("hoi", ("greet", 0.95)),
        turn("sdfkjh", ("explain_bill", 0.2)),
        turn("wat is de hoofdstad van Peru", ("out_of_scope", 0.9)),
    ]
    decision = count_failed_turns(history, required=2)
    assert decision is not None
    assert decision.reason is Reason.low_confidence
    assert decision.evidence == (
        "2 beurten achter elkaar niet begrepen: 'sdfkjh', 'wat is de hoofdstad van Peru'"
    )
    assert decision.details["verdicts"] == ["low_confidence", "out_of_scope"]


def test_one_failed_turn_is_not_enough() -> None:
    assert count_failed_turns([turn("sdfkjh", ("explain_bill", 0.2))], required=2) is None


def test_a_successful_turn_resets_the_count() -> None:
    history = [
        turn("sdfkjh", ("explain_bill", 0.2)),
        turn("mijn jaarafrekening", ("explain_bill", 0.9)),
        turn("qwerty", ("moving_house", 0.1)),
    ]
    assert count_failed_turns(history, required=2) is None


def test_a_form_answer_resets_the_count() -> None:
    history = [
        turn("sdfkjh", ("explain_bill", 0.2)),
        turn("12345", ("inform", 0.3), form=True),
        turn("qwerty", ("moving_house", 0.1)),
    ]
    assert count_failed_turns(history, required=2) is None


def test_a_confident_turn_the_bot_answered_with_its_fallback_counts_as_failed() -> None:
    # A slot value outside any form: the NLU is sure, the dialogue policy is not, and the
    # bot says it did not understand (Rasa's core fallback), twice.
    history = [
        turn("Mag de verwarming op 19?", ("inform", 0.68), fell_back=True),
        turn("zet naar 19 graden", ("inform", 0.9), fell_back=True),
    ]
    decision = count_failed_turns(history, required=2)
    assert decision is not None and decision.reason is Reason.low_confidence
    assert decision.details["verdicts"] == ["bot_fallback", "bot_fallback"]
    assert decision.details["confidences"] == [0.68, 0.9]


def test_a_fallback_answer_to_a_form_answer_does_not_count() -> None:
    history = [
        turn("sdfkjh", ("explain_bill", 0.2)),
        turn("12345", ("inform", 0.9), form=True, fell_back=True),
    ]
    assert failed_run(history) == []


def test_the_count_is_configurable() -> None:
    history = [turn("a", ("greet", 0.1)), turn("b", ("greet", 0.1))]
    assert count_failed_turns(history, required=3) is None
    assert count_failed_turns([*history, turn("c", ("greet", 0.1))], required=3) is not None


def test_an_unresolved_disambiguation_counts_as_failed() -> None:
    history = [
        turn("rekening", ("explain_bill", 0.6), ("change_instalment", 0.58)),
        turn("weet ik veel", ("deny", 0.3)),
    ]
    decision = count_failed_turns(history, required=2)
    assert decision is not None
    assert decision.evidence == (
        "2 beurten achter elkaar niet begrepen: 'rekening', 'weet ik veel'"
    )


def test_a_chosen_candidate_resolves_the_disambiguation() -> None:
    history = [
        turn("sdfkjh", ("explain_bill", 0.2)),
        turn("rekening", ("explain_bill", 0.6), ("change_instalment", 0.58)),
        turn("/explain_bill", ("explain_bill", 1.0)),
    ]
    assert failed_run(history) == []
    assert count_failed_turns(history, required=2) is None


def test_a_disambiguation_still_waiting_for_the_choice_neither_counts_nor_resets() -> None:
    failed = turn("sdfkjh", ("explain_bill", 0.2))
    offered = turn("rekening", ("explain_bill", 0.6), ("change_instalment", 0.58))
    assert failed_run([failed, offered]) == [failed]
    assert count_failed_turns([failed, offered], required=2) is None
