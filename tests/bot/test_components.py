"""The assistant's own NLU components (bot/components): what the pipeline gets from them.

The end-to-end proof is tests/bot/test_nlu.py (the trained model on the held-out set);
these pin the parts that test cannot see: the ranking a parse carries, a model that
survives storing and loading unchanged, the scaling that keeps one feature family
from drowning the other, and which training example counts as the nearest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components.linear_intents import Layout, LinearIntentClassifier
from bot.components.nearest_example import NearestExample
from bot.components.sentence_encoder import SentenceEncoderFeaturizer

CONTEXT = ExecutionContext(GraphSchema({}), node_name="component_under_test")

# Two feature families as Rasa's featurizers deliver them: sparse counts and a dense vector.
WORDS = ["meterstand", "doorgeven", "factuur", "uitleg", "verhuizen", "adres", "hallo"]


def message(text: str, intent: str | None = None) -> Message:
    counts = np.zeros((1, len(WORDS)), dtype=np.float32)
    for word in text.split():
        if word in WORDS:
            counts[0, WORDS.index(word)] += 1
    dense = np.zeros((1, 3), dtype=np.float32)
    dense[0, len(text) % 3] = 1.0
    data = {TEXT: text} | ({"intent": intent} if intent else {})
    m = Message(data=data)
    m.add_features(Features(scipy.sparse.coo_matrix(counts), FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    m.add_features(Features(dense, FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    return m


TRAINING = [
    ("meterstand doorgeven", "submit_meter_reading"),
    ("meterstand meterstand doorgeven", "submit_meter_reading"),
    ("doorgeven meterstand", "submit_meter_reading"),
    ("factuur uitleg", "explain_bill"),
    ("uitleg factuur", "explain_bill"),
    ("factuur", "explain_bill"),
    ("verhuizen adres", "moving_house"),
    ("adres verhuizen", "moving_house"),
    ("verhuizen", "moving_house"),
    ("hallo", "greet"),
    ("hallo hallo", "greet"),
]


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage.create(tmp_path)


def trained(
    storage: LocalModelStorage, data: list[tuple[str, str]] = TRAINING
) -> LinearIntentClassifier:
    classifier = LinearIntentClassifier.create({}, storage, Resource("linear"), CONTEXT)
    classifier.train(TrainingData([message(t, i) for t, i in data]))
    return classifier


def test_a_parse_carries_the_intent_and_a_ranking_best_first(storage: LocalModelStorage) -> None:
    parsed = trained(storage).process([message("ik wil mijn meterstand doorgeven")])[0]
    intent = parsed.get("intent")
    ranking = parsed.get("intent_ranking")
    assert intent["name"] == "submit_meter_reading"
    assert ranking[0] == intent
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert {r["name"] for r in ranking} == {i for _, i in TRAINING}
    assert parsed.as_dict(only_output_properties=True)["intent"]["name"] == "submit_meter_reading"


def test_the_ranking_is_cut_at_its_configured_length(storage: LocalModelStorage) -> None:
    classifier = LinearIntentClassifier.create(
        {"ranking_length": 2}, storage, Resource("r"), CONTEXT
    )
    classifier.train(TrainingData([message(t, i) for t, i in TRAINING]))
    ranking = classifier.process([message("factuur uitleg")])[0].get("intent_ranking")
    assert [r["name"] for r in ranking][:1] == ["explain_bill"] and len(ranking) == 2


def test_a_stored_model_loads_to_the_same_probabilities(storage: LocalModelStorage) -> None:
    classifier = trained(storage)
    texts = ["verhuizen naar een nieuw adres", "hallo", "iets heel anders"]
    before = classifier.probabilities([message(t) for t in texts])
    loaded = LinearIntentClassifier.load({}, storage, Resource("linear"), CONTEXT)
    after = loaded.probabilities([message(t) for t in texts])
    np.testing.assert_allclose(after, before, rtol=1e-6)
    assert loaded.process([message("verhuizen")])[0].get("intent")["name"] == "moving_house"


@pytest.mark.parametrize(
    "intents",
    [
        {i for _, i in TRAINING},
        # scikit-learn keeps a single row of weights for two classes.
        {"greet", "moving_house"},
    ],
    ids=["four intents", "two intents"],
)
def test_probabilities_are_scikit_learns_multinomial_ones(
    storage: LocalModelStorage, intents: set[str]
) -> None:
    data = [(t, i) for t, i in TRAINING if i in intents]
    classifier = trained(storage, data)
    examples = [message(t, i) for t, i in data]
    layout = Layout.of(examples)
    reference = LogisticRegression(C=10.0, max_iter=1000, multi_class="multinomial").fit(
        layout.matrix(examples), [i for _, i in data]
    )
    probe = [message("hallo adres"), message("factuur doorgeven"), message("verhuizen")]
    np.testing.assert_allclose(
        classifier.probabilities(probe), reference.predict_proba(layout.matrix(probe)), atol=1e-5
    )
    assert classifier.process(probe)[2].get("intent")["name"] == "moving_house"


def test_each_feature_family_counts_at_unit_length() -> None:
    layout = Layout.of([message("meterstand")])
    assert layout.origins == ("counts", "dense") and layout.widths == (len(WORDS), 3)
    many = layout.row(message("meterstand " * 50)).toarray()[0]
    counts, dense = many[: len(WORDS)], many[len(WORDS) :]
    assert np.linalg.norm(counts) == pytest.approx(1.0)
    assert np.linalg.norm(dense) == pytest.approx(1.0)


def test_a_message_without_a_familys_feature_gets_zeros_for_it() -> None:
    layout = Layout.of([message("meterstand")])
    bare = Message(data={TEXT: "meterstand"})
    bare.add_features(
        Features(np.ones((1, 3), dtype=np.float32), FEATURE_TYPE_SENTENCE, TEXT, "dense")
    )
    row = layout.row(bare).toarray()[0]
    assert not row[: len(WORDS)].any() and np.linalg.norm(row[len(WORDS) :]) == pytest.approx(1.0)


def test_training_on_one_intent_is_refused_with_its_reason(storage: LocalModelStorage) -> None:
    classifier = LinearIntentClassifier.create({}, storage, Resource("one"), CONTEXT)
    with pytest.raises(ValueError, match="at least 2 intents"):
        classifier.train(TrainingData([message("hallo", "greet"), message("hallo hallo", "greet")]))


def test_a_model_without_a_trained_classifier_predicts_nothing(storage: LocalModelStorage) -> None:
    loaded = LinearIntentClassifier.load({}, storage, Resource("never_trained"), CONTEXT)
    parsed = loaded.process([message("hallo")])[0]
    assert parsed.get("intent") is None


def test_the_sentence_encoder_adds_one_unit_sentence_vector_per_text(
    storage: LocalModelStorage,
) -> None:
    featurizer = SentenceEncoderFeaturizer.create(
        SentenceEncoderFeaturizer.get_default_config(), storage, Resource("use"), CONTEXT
    )
    texts = ["ik wil mijn meterstand doorgeven", "meterstanden invoeren", "wie wint het WK", ""]
    messages = featurizer.process([Message(data={TEXT: t}) for t in texts])
    vectors = []
    for m in messages[:3]:
        seq, sentence = m.get_dense_features(TEXT)
        assert seq is None and sentence is not None
        vector = sentence.features.reshape(-1)
        assert vector.shape == (512,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
        vectors.append(vector)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2
    assert messages[3].get_dense_features(TEXT) == (None, None)


def encoded(text: str, vector: list[float], intent: str | None = None) -> Message:
    """A message as the sentence encoder and the classifier leave it: a dense sentence
    vector and, when given, the top intent."""
    m = Message(data={TEXT: text})
    m.add_features(
        Features(np.array([vector], dtype=np.float32), FEATURE_TYPE_SENTENCE, TEXT, "encoder")
    )
    if intent:
        m.set("intent", {"name": intent, "confidence": 0.9})
    return m


EXAMPLES = [
    ("stroom uitgevallen", [1.0, 0.0, 0.0], "report_outage"),
    ("geen stroom in de straat", [0.8, 0.6, 0.0], "report_outage"),
    ("factuur uitleggen", [0.0, 1.0, 0.0], "explain_bill"),
]


def examples_trained(storage: LocalModelStorage) -> NearestExample:
    component = NearestExample.create({}, storage, Resource("nearest"), CONTEXT)
    data = [encoded(text, vector) for text, vector, _ in EXAMPLES]
    for m, (_, _, intent) in zip(data, EXAMPLES, strict=True):
        m.set("intent", intent)
    component.train(TrainingData(data))
    return component


def test_the_nearest_example_is_of_the_top_intent_with_its_cosine(
    storage: LocalModelStorage,
) -> None:
    # Closest to the bill example (cosine 1), but the classifier said outage: the outage
    # example nearest to it is what the service judges.
    [parsed] = examples_trained(storage).process(
        [encoded("camera's in verkeerslichten", [0.0, 2.0, 0.0], "report_outage")]
    )
    assert parsed.as_dict(only_output_properties=True)["nearest_example"] == {
        "intent": "report_outage",
        "similarity": 0.6,
        "text": "geen stroom in de straat",
    }


def test_stored_examples_load_to_the_same_answer(storage: LocalModelStorage) -> None:
    examples_trained(storage)
    loaded = NearestExample.load({}, storage, Resource("nearest"), CONTEXT)
    [parsed] = loaded.process([encoded("stroomstoring", [0.9, 0.1, 0.0], "report_outage")])
    nearest = parsed.get("nearest_example")
    assert nearest["text"] == "stroom uitgevallen"
    assert nearest["similarity"] == pytest.approx(0.9 / np.hypot(0.9, 0.1), abs=1e-4)


def test_nothing_is_added_without_an_intent_a_vector_or_examples_of_the_intent(
    storage: LocalModelStorage,
) -> None:
    component = examples_trained(storage)
    bare = Message(data={TEXT: ""})
    bare.set("intent", {"name": "report_outage", "confidence": 0.9})
    messages = [
        encoded("hallo", [1.0, 0.0, 0.0]),  # no intent
        bare,  # an empty text has no sentence vector
        encoded("hallo", [1.0, 0.0, 0.0], "greet"),  # no greet examples
    ]
    assert [m.get("nearest_example") for m in component.process(messages)] == [None] * 3


def test_training_without_a_dense_featurizer_is_refused_with_its_reason(
    storage: LocalModelStorage,
) -> None:
    component = NearestExample.create({}, storage, Resource("bare"), CONTEXT)
    sparse_only = Message(data={TEXT: "hallo", "intent": "greet"})
    with pytest.raises(ValueError, match="no dense sentence features"):
        component.train(TrainingData([sparse_only]))


def test_a_model_without_trained_examples_adds_nothing(storage: LocalModelStorage) -> None:
    loaded = NearestExample.load({}, storage, Resource("never_trained"), CONTEXT)
    [parsed] = loaded.process([encoded("hallo", [1.0, 0.0, 0.0], "greet")])
    assert parsed.get("nearest_example") is None
