"""Build the blank Dutch spaCy pipeline that Rasa's SpacyNLP loads by path.

No Dutch spaCy model can be downloaded on the machines this project runs on, so the
pipeline is `spacy.blank("nl")` plus the lookup lemmatizer, whose tables ship in the
`spacy-lookups-data` package. It has no word vectors: lemmas are what it gives.

Usage: python bot/spacy_pipeline.py [OUT_DIR]   (default: bot/spacy_nl)
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy
from spacy.language import Language

DEFAULT_OUT = Path("bot/spacy_nl")

# Plurals customers write all the time; if these do not lemmatise, the lookup tables
# were not found and the word featurizer would silently see surface forms only.
EXPECTED_LEMMAS: dict[str, str] = {
    "meterstanden": "meterstand",
    "facturen": "factuur",
}


def build() -> Language:
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() loads the lookup tables from spacy-lookups-data (installed package,
    # no download) into the pipeline, so the saved directory is self-contained.
    nlp.initialize()
    return nlp


def check(nlp: Language) -> None:
    for word, lemma in EXPECTED_LEMMAS.items():
        got = nlp(word)[0].lemma_
        if got != lemma:
            raise SystemExit(f"lemmatizer broken: {word!r} -> {got!r}, expected {lemma!r}")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    nlp = build()
    check(nlp)
    nlp.to_disk(out)
    # Check what SpacyNLP will actually load, not only the object in memory.
    check(spacy.load(out))
    pairs = ", ".join(f"{w} -> {lemma}" for w, lemma in EXPECTED_LEMMAS.items())
    print(f"Dutch spaCy pipeline saved to {out} (lookup lemmatizer OK: {pairs})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
