import json
import threading

import numpy as np

from handoff.escalation.features import (
    FEATURES_VERSION,
    TurnFeatures,
    char_ngrams,
    embedding_vector,
    encoder,
    lemmatise,
    pipeline,
    turn_features,
)


def test_dutch_plurals_lemmatise_to_the_singular() -> None:
    assert lemmatise("Meterstanden") == ("meterstand",)
    assert lemmatise("facturen") == ("factuur",)


def test_normalised_text_folds_case_accents_whitespace_and_punctuation() -> None:
    features = turn_features("  Wáárom   werkt dit NIET?!  ")
    assert features.normalised == "waarom werkt dit niet"
    assert features.tokens == ("waarom", "werkt", "dit", "niet")


def test_content_lemmas_drop_stop_words_and_light_verbs() -> None:
    features = turn_features("Hallo, ik wil graag mijn meterstanden doorgeven")
    assert features.content_lemmas == ("meterstand",)
    assert "meterstand" in features.lemmas and "ik" in features.lemmas


def test_english_turns_use_english_stop_words_and_keep_the_language() -> None:
    features = turn_features("I want to submit my meter readings", language="en")
    assert features.language == "en"
    assert features.content_lemmas == ("meter", "reading")


def test_english_stop_list_keeps_words_that_are_a_need() -> None:
    assert "amount" in turn_features("the amount is wrong", language="en").content_lemmas


def test_char_ngrams_are_padded_per_word() -> None:
    assert char_ngrams(("ab", "cd")) == (" ab", " cd", "ab ", "cd ")
    assert set(turn_features("meterstand").char_ngrams) >= {" me", "met", "and", "nd "}


def test_yes_no_replies_in_dutch_and_english() -> None:
    for reply in ("ja", "Nee.", "ok", "oké!", "ja hoor", "nee dank je", "dat klopt", "Yes please"):
        assert turn_features(reply).is_yes_no, reply
    for other in ("ja ik wil mijn meterstand doorgeven", "dank je", "12345", "niet"):
        assert not turn_features(other).is_yes_no, other


def test_form_answer_is_the_callers_word() -> None:
    assert turn_features("12345", is_form_answer=True).is_form_answer
    assert not turn_features("12345").is_form_answer


def test_uppercase_ratio_and_punctuation_runs() -> None:
    features = turn_features("WAAROM werkt DIT niet!!! ??")
    assert features.letter_count == 18
    assert features.uppercase_ratio == 0.5
    assert (features.exclamation_run, features.question_run) == (3, 2)
    assert features.punctuation_run == 3
    assert turn_features("echt?!?!").punctuation_run == 4


def test_empty_text_has_no_features_to_speak_of() -> None:
    features = turn_features("?!")
    assert features.tokens == () and features.lemmas == () and features.content_lemmas == ()
    assert features.char_ngrams == () and features.uppercase_ratio == 0.0
    assert not features.is_yes_no


def test_features_round_trip_through_json() -> None:
    features = turn_features("Mijn facturen kloppen niet!!", is_form_answer=False)
    stored = json.loads(json.dumps(features.model_dump(mode="json")))
    assert TurnFeatures.model_validate(stored) == features


def test_pipeline_is_built_once_across_threads() -> None:
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(pipeline())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(nlp) for nlp in seen}) == 1


def test_lemmatising_from_many_threads_gives_the_same_lemmas() -> None:
    results: list[tuple[str, ...]] = []

    def work() -> None:
        for _ in range(50):
            results.append(lemmatise("ik wil mijn meterstanden en facturen zien"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {("ik", "wil", "mijn", "meterstand", "en", "factuur", "zien")}


def test_a_turn_that_states_something_stores_its_sentence_embedding() -> None:
    features = turn_features("Mijn facturen kloppen niet")
    assert features.version == FEATURES_VERSION == 2
    assert len(features.embedding) == 684  # 512 int8 values as base64: the stored size
    vector = embedding_vector(features.embedding)
    assert vector is not None and vector.shape == (512,)
    # The encoder's vectors have unit length; quantisation keeps that within 1 %.
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 0.01


def test_the_embedding_survives_the_json_column() -> None:
    features = turn_features("ik wil mijn meterstand doorgeven")
    stored = TurnFeatures.model_validate(json.loads(json.dumps(features.model_dump(mode="json"))))
    assert stored.embedding == features.embedding


def test_a_turn_without_content_lemmas_gets_no_embedding() -> None:
    assert turn_features("en hoe dan?").embedding == ""
    assert turn_features("?!").embedding == ""
    assert embedding_vector("") is None


def test_features_stored_before_version_2_still_load() -> None:
    stored = turn_features("Mijn facturen kloppen niet").model_dump(mode="json")
    del stored["embedding"]
    stored["version"] = 1
    old = TurnFeatures.model_validate(stored)
    assert old.embedding == "" and old.version == 1


def test_encoder_is_loaded_once_across_threads() -> None:
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(encoder())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(model) for model in seen}) == 1
