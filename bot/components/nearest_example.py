"""How close a message is to what the assistant was trained on for the intent it got.

A linear classifier must spread all its probability over the intents it knows, so a
question about something else entirely can still land on one of them with confidence:
"are there cameras hidden in stop lights" is `report_outage` 0.88. Such a message is far
from every training example of that intent, and the distance says so where the
confidence cannot. This component adds to each parse the training example of the top
intent nearest to the message in the sentence encoder's space, with its cosine:

    "nearest_example": {"intent": "report_outage", "similarity": 0.36,
                        "text": "de stroom is uitgevallen in mijn straat"}

The handoff service judges it against its live threshold (a failed turn below it,
``handoff/escalation/confidence.py``); the example's text is the evidence a supervisor
reads. On the assistant's Dutch held-out set the same-intent similarity of correct
parses is 0.75 at the median; of uncovered customers' confidently answered turns 0.35
(bench/time_to_person.md).

Stored as plain arrays (``numpy.savez``, no pickle): the unit vectors, their intents and
their texts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

MODEL_FILE = "nearest_example.npz"
OUTPUT = "nearest_example"


def sentence_vector(message: Message, featurizers: List[str]) -> Optional[np.ndarray]:
    """The message's dense sentence feature at unit length; None if it has none (an
    empty text)."""
    _, sentence = message.get_dense_features(TEXT, featurizers or None)
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


@dataclass(frozen=True)
class Examples:
    """The training examples as the comparison needs them, one row each."""

    vectors: np.ndarray  # unit length
    intents: Tuple[str, ...]
    texts: Tuple[str, ...]

    def nearest(self, vector: np.ndarray, intent: str) -> Optional[Dict[str, Any]]:
        rows = [i for i, name in enumerate(self.intents) if name == intent]
        if not rows:
            return None
        similarities = self.vectors[rows] @ vector
        best = int(np.argmax(similarities))
        return {
            "intent": intent,
            "similarity": round(float(similarities[best]), 4),
            "text": self.texts[rows[best]],
        }

    def save(self, path: Path) -> None:
        np.savez(
            path,
            vectors=self.vectors,
            intents=np.array(self.intents),
            texts=np.array(self.texts),
        )

    @classmethod
    def load(cls, path: Path) -> Examples:
        with np.load(path, allow_pickle=False) as stored:
            return cls(
                stored["vectors"],
                tuple(str(i) for i in stored["intents"]),
                tuple(str(t) for t in stored["texts"]),
            )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class NearestExample(GraphComponent):
    """Adds ``nearest_example`` for the top intent; place it after the intent classifier
    and before the FallbackClassifier, which replaces the top intent."""

    @classmethod
    def required_components(cls) -> List[Type]:
        # Not IntentClassifier: Rasa checks requirements in the training graph, where a
        # classifier's training does not feed the components after it.
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Which dense featurizers' sentence vectors to compare (names as in the
        # pipeline); empty: all of them.
        return {"featurizers": []}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        examples: Optional[Examples] = None,
    ) -> None:
        self._featurizers = list(config.get("featurizers") or [])
        self._model_storage = model_storage
        self._resource = resource
        self._examples = examples

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NearestExample:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        rows: List[np.ndarray] = []
        intents: List[str] = []
        texts: List[str] = []
        for example in training_data.intent_examples:
            vector = sentence_vector(example, self._featurizers)
            if vector is None or not example.get(INTENT):
                continue
            rows.append(vector)
            intents.append(str(example.get(INTENT)))
            texts.append(str(example.get(TEXT)))
        if not rows:
            raise ValueError(
                f"{type(self).__name__} found no dense sentence features on the training "
                "examples: put a dense featurizer (the sentence encoder) before it"
            )
        self._examples = Examples(np.vstack(rows), tuple(intents), tuple(texts))
        with self._model_storage.write_to(self._resource) as directory:
            self._examples.save(directory / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._examples is None:
            return messages
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            vector = sentence_vector(message, self._featurizers)
            if not intent or vector is None:
                continue
            nearest = self._examples.nearest(vector, str(intent))
            if nearest is not None:
                message.set(OUTPUT, nearest, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NearestExample:
        try:
            with model_storage.read_from(resource) as directory:
                examples: Optional[Examples] = Examples.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            # A model trained without NLU data (`rasa train core`) has no examples.
            logger.warning("No trained %s in the model: it adds nothing", cls.__name__)
            examples = None
        return cls(config, model_storage, resource, examples)
