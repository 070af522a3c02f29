import pytest

from handoff.escalation.decision import Reason
from handoff.escalation.features import TurnLanguage, turn_features
from handoff.escalation.rephrase import (
    DEFAULT_THRESHOLD,
    RephraseTurn,
    encoder_cosine,
    lexical_similarity,
    repeated_rephrasing,
    rephrases,
    similarity,
    states_a_need,
)


def said(
    text: str, *, form: bool = False, helped: bool = False, en: bool = False, stray: bool = False
) -> RephraseTurn:
    features = turn_features(text, language="en" if en else "nl", is_form_answer=form or stray)
    return RephraseTurn(features, helped=helped, stray=stray)


def sim(a: str, b: str, language: TurnLanguage = "nl") -> float:
    return similarity(turn_features(a, language=language), turn_features(b, language=language))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ik wil mijn meterstanden doorgeven", "hoe geef ik de meterstand door?"),
        ("Ik wil mijn meterstanden doorgeven", "meterstand"),
        ("hoe zit mijn jaarafrekening in elkaar", "ik snap mijn jaarafrekening niet"),
        ("ik heb geen stroom", "er is een storing, geen stroom meer"),
        ("wanneer komt de monteur", "hoe laat komt de monteur nou"),
        ("Mijn factuur klopt niet", "de facturen kloppen niet"),
    ],
)
def test_restatements_of_one_need_reach_the_threshold(a: str, b: str) -> None:
    assert sim(a, b) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ik wil mijn meterstanden doorgeven", "ik ga verhuizen"),
        ("Ik wil mijn meterstanden doorgeven", "mijn meter is kapot"),
        ("Ik wil mijn meterstanden doorgeven", "ik wil mijn termijnbedrag aanpassen"),
        ("ik wil mijn termijnbedrag aanpassen", "ik wil mijn adres aanpassen"),
        ("Mijn factuur klopt niet", "mijn adres klopt niet"),
        ("hoe zit mijn jaarafrekening in elkaar", "ik wil mijn contract opzeggen"),
    ],
)
def test_new_topics_stay_below_the_threshold(a: str, b: str) -> None:
    assert sim(a, b) < DEFAULT_THRESHOLD


def test_english_restatement_and_new_topic() -> None:
    assert sim("my bill is wrong", "the amount on my bill is too high", "en") >= DEFAULT_THRESHOLD
    # Far below the threshold: the encoder sees two English requests (0.22), no shared word.
    assert sim("I want to submit my meter reading", "I am moving house", "en") < 0.2


def test_similarity_is_symmetric_and_one_for_the_same_words() -> None:
    a, b = "meterstanden doorgeven", "ik wil de meterstand doorgeven"
    assert sim(a, b) == sim(b, a)
    assert sim(a, b) >= 0.75  # lexically 1.0; the encoder sees the longer sentence
    assert sim(b, b) == pytest.approx(1.0, abs=0.01)  # int8 embeddings: within 0.01


def test_similarity_of_a_turn_without_content_is_zero() -> None:
    assert sim("en hoe dan?", "en hoe dan?") == 0.0


def test_second_rephrase_of_a_failed_need_hands_over() -> None:
    conversation = [
        said("Ik wil mijn meterstanden doorgeven"),
        said("hoe geef ik de meterstand door?"),
        said("meterstand!!"),
    ]
    decision = repeated_rephrasing(conversation, required=2)
    assert decision is not None
    assert decision.reason is Reason.rephrase
    assert decision.evidence == (
        "herformuleerde 2×: 'hoe geef ik de meterstand door?', 'meterstand!!' "
        "(eerste vraag: 'Ik wil mijn meterstanden doorgeven')"
    )
    assert decision.details["anchor"] == "Ik wil mijn meterstanden doorgeven"


def test_first_rephrase_is_not_yet_enough() -> None:
    conversation = [said("Ik wil mijn meterstanden doorgeven"), said("meterstand doorgeven")]
    assert repeated_rephrasing(conversation, required=2) is None
    assert [t.text for t in rephrases(conversation)] == [
        "Ik wil mijn meterstanden doorgeven",
        "meterstand doorgeven",
    ]


def test_the_count_is_configurable() -> None:
    conversation = [said("Ik wil mijn meterstanden doorgeven"), said("meterstand doorgeven")]
    assert repeated_rephrasing(conversation, required=1) is not None


def test_compared_with_the_anchor_not_the_previous_line() -> None:
    conversation = [
        said("Mijn facturen kloppen niet"),
        said("ik ga verhuizen"),  # a side question between the attempts
        said("de factuur klopt niet"),
        said("ja"),
        said("waarom klopt mijn factuur niet"),
    ]
    decision = repeated_rephrasing(conversation, required=2)
    assert decision is not None
    assert decision.evidence == (
        "herformuleerde 2×: 'de factuur klopt niet', 'waarom klopt mijn factuur niet' "
        "(eerste vraag: 'Mijn facturen kloppen niet')"
    )


def test_a_yes_no_answer_is_not_a_rephrase() -> None:
    conversation = [said("Ik wil mijn meterstand doorgeven"), said("ja"), said("ja hoor")]
    assert not states_a_need(conversation[1].features)
    assert repeated_rephrasing(conversation, required=1) is None


def test_a_form_answer_is_not_a_rephrase() -> None:
    conversation = [
        said("Ik wil mijn meterstand doorgeven"),
        said("meterstand 12345", form=True),
        said("mijn meterstand is 12345", form=True),
    ]
    assert repeated_rephrasing(conversation, required=1) is None


def test_a_stray_form_answer_that_restates_the_need_is_a_rephrase() -> None:
    # The live benchmark's customer: the first sentence started the meter-reading form,
    # the second, asked for a customer number, said the same thing again.
    conversation = [
        said("registreert de meterkast vermogen"),
        said("wordt er door de meterkast power geregistreerd", stray=True),
    ]
    decision = repeated_rephrasing(conversation, required=1)
    assert decision is not None
    assert decision.evidence == (
        "herformuleerde 1×: 'wordt er door de meterkast power geregistreerd' "
        "(eerste vraag: 'registreert de meterkast vermogen')"
    )
    # Answering the form's question it would be a form answer like any other.
    answered = [conversation[0], said("wordt er door de meterkast power geregistreerd", form=True)]
    assert repeated_rephrasing(answered, required=1) is None


def test_stray_answers_open_no_need() -> None:
    # Two tries at one value resemble each other; they restate no need of the customer's.
    conversation = [
        said("Ik wil mijn meterstand doorgeven"),
        said("klantnummer 123456", stray=True),
        said("klantnummer 1234567", stray=True),
    ]
    assert rephrases(conversation) == []
    assert repeated_rephrasing(conversation, required=1) is None


def test_a_stray_answer_on_another_topic_is_not_a_rephrase() -> None:
    conversation = [
        said("is there a way to change your houses address", en=True),
        said("what's it like to have parents who actually love you", en=True, stray=True),
    ]
    assert repeated_rephrasing(conversation, required=1) is None


def test_a_new_topic_is_not_a_rephrase() -> None:
    conversation = [
        said("Ik wil mijn meterstanden doorgeven"),
        said("ik ga verhuizen"),
        said("wat kost stroom per kwh"),
    ]
    assert rephrases(conversation) == []
    assert repeated_rephrasing(conversation, required=1) is None


def test_a_need_the_bot_met_is_over() -> None:
    conversation = [
        said("Ik wil mijn meterstanden doorgeven", helped=True),
        said("meterstand doorgeven"),
        said("hoe geef ik mijn meterstand door"),
    ]
    # The first need was served: the later two are a new need and one restatement of it.
    assert len(rephrases(conversation)) == 2
    assert repeated_rephrasing(conversation, required=2) is None


def test_the_current_turn_has_no_outcome_yet() -> None:
    conversation = [
        said("Ik wil mijn meterstanden doorgeven"),
        said("meterstand doorgeven"),
        said("meterstand", helped=True),
    ]
    assert repeated_rephrasing(conversation, required=2) is not None


def test_english_conversation() -> None:
    conversation = [
        said("I want to submit my meter reading", en=True),
        said("meter reading please", en=True),
        said("how do I give my meter readings", en=True),
    ]
    decision = repeated_rephrasing(conversation, required=2)
    assert decision is not None
    assert decision.evidence.startswith("herformuleerde 2×: 'meter reading please', ")


def test_the_encoder_lifts_a_restatement_in_other_words() -> None:
    # Home Assistant's Dutch paraphrase groups hold pairs like this one: the words differ
    # ("lampen" / "licht"), the request does not.
    a = turn_features("zet de lampen in de keuken aan")
    b = turn_features("doe het licht in de keuken aan")
    assert lexical_similarity(a, b) < DEFAULT_THRESHOLD
    assert similarity(a, b) >= DEFAULT_THRESHOLD


def test_the_encoder_alone_would_join_requests_of_the_same_shape() -> None:
    # Why the encoder is half of the score and not all of it.
    a = turn_features("ik wil mijn termijnbedrag aanpassen")
    b = turn_features("ik wil mijn adres aanpassen")
    cosine = encoder_cosine(a, b)
    assert cosine is not None and cosine >= DEFAULT_THRESHOLD
    assert similarity(a, b) < DEFAULT_THRESHOLD


def test_turns_stored_without_embedding_are_compared_lexically() -> None:
    new = turn_features("Mijn factuur klopt niet")
    old = turn_features("de facturen kloppen niet").model_copy(update={"embedding": ""})
    assert encoder_cosine(new, old) is None
    assert similarity(new, old) == lexical_similarity(new, old) == 1.0
