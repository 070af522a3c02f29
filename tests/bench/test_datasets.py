"""The converters turn the shared files into the benchmarks' two formats, and read back
what they wrote; other files in those formats are read the same way."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.bench.conftest import REPO, run_bench

sys.path.insert(0, str(REPO / "bench"))

import datasets  # noqa: E402


def test_clinc150_splits_keep_the_published_sizes(shared_data: Path) -> None:
    splits = datasets.clinc150(shared_data)
    sizes = {name: len(rows) for name, rows in splits.items()}
    # Larson et al. 2019, "full": 15000/3000/4500 in scope + 100/100/1000 out of scope.
    assert sizes == {"train": 15100, "val": 3100, "test": 5500}
    assert sum(1 for _, label in splits["test"] if label == datasets.OOS) == 1000
    assert len({label for _, label in splits["train"]}) == 151  # 150 intents + oos


def test_banking77_has_77_intents_and_no_out_of_scope(shared_data: Path) -> None:
    splits = datasets.banking77(shared_data)
    assert (len(splits["train"]), len(splits["test"])) == (10003, 3080)
    assert len({label for _, label in splits["test"]}) == 77
    assert all(label != datasets.OOS for _, label in splits["train"])


def test_intent_csv_round_trip(tmp_path: Path) -> None:
    rows = [("what's my balance, please?", "balance"), ('say "hi"\nin french', "oos")]
    path = tmp_path / "intents.csv"
    datasets.write_intents(rows, path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "text,label"
    assert datasets.read_intents(path) == rows


def test_intent_csv_without_label_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,intent\nhello,greet\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a header with 'text' and 'label'"):
        datasets.read_intents(path)


def test_intent_csv_with_an_empty_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,greet\nbye,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty text or label on line\(s\) \[3\]"):
        datasets.read_intents(path)


def test_sample_per_label_keeps_out_of_scope_and_is_seeded() -> None:
    rows = [(f"{label} {i}", label) for label in ("a", "b", "c", "oos") for i in range(10)]
    sample = datasets.sample_per_label(rows, 3, labels=2)
    assert sorted({label for _, label in sample}) == ["a", "b", "oos"]
    assert len(sample) == 9
    assert sample == datasets.sample_per_label(rows, 3, labels=2)


def test_home_assistant_pairs_are_balanced_and_never_identical(shared_data: Path) -> None:
    pairs = datasets.ha_pairs(shared_data)
    positives = [p for p in pairs if p[2] == 1.0]
    assert len(positives) == len(pairs) - len(positives) == 4172
    assert all(datasets._normalise(a) != datasets._normalise(b) for a, b, _ in pairs)


def test_stsb_and_sick_pairs(shared_data: Path) -> None:
    stsb = datasets.stsb_pairs(shared_data)
    assert len(stsb) == 1379 and all(0.0 <= s <= 5.0 for _, _, s in stsb)
    sick = datasets.sick_pairs(shared_data)
    assert len(sick) == 4906 and sum(s for _, _, s in sick) == 610


def test_pairs_csv_round_trip_and_a_bad_score_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    datasets.write_pairs([("a b", "b, a", 1.0), ("x", "y", 0.25)], path)
    assert datasets.read_pairs(path) == [("a b", "b, a", 1.0), ("x", "y", 0.25)]
    path.write_text("a,b,score\nx,y,0.5\nx,y,high\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: 'high' is not a number"):
        datasets.read_pairs(path)


def test_converter_cli_writes_outside_the_repository_only(
    shared_data: Path, tmp_path: Path
) -> None:
    out = run_bench("datasets.py", "banking77", str(tmp_path / "banking"))
    assert "wrote 3080 examples" in out
    assert len(datasets.read_intents(tmp_path / "banking" / "test.csv")) == 3080
    with pytest.raises(AssertionError, match="refusing to write data into the repository"):
        run_bench("datasets.py", "stsb", str(REPO / "bench" / "stsb.csv"))
    assert not (REPO / "bench" / "stsb.csv").exists()
