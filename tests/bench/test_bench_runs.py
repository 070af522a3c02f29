"""Each benchmark command runs on a small sample and reports the documented fields with
sane values: what a reader of bench/*.md relies on when re-running the full commands."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

from tests.bench.conftest import BOT_PYTHON, MODEL, REPO, read_json, run_bench

sys.path.insert(0, str(REPO / "bench"))

import datasets  # noqa: E402

DETECTORS = {
    "service (lexical + encoder)",
    "service lexical only (v1)",
    "encoder alone",
    "lemma Jaccard",
    "char 3-gram cosine",
}


def test_rephrase_benchmark_on_a_sample(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "rephrase.json"
    stdout = run_bench("rephrase.py", "--sample", "40", "--out", str(out))
    assert "| STSb-nl test | Spearman | 40 |" in stdout
    report = read_json(out)
    assert [r["name"] for r in report["results"]] == ["stsb", "ha", "sick"]
    assert report["encoder_load_maxrss_delta_kib"] > 0
    for result in report["results"]:
        assert set(result["scores"]) == DETECTORS
        assert all(-1.0 <= v <= 1.0 for v in result["scores"].values())
        assert result["embed_us_median"] > 0 and result["pair_us_median"] > 0
    ha = report["results"][1]
    assert ha["positives"] == 20  # stratified: both classes in a small sample
    assert set(ha["operating_points"]) == {"0.35", "0.40", "0.45", "0.50"}


def test_rephrase_benchmark_runs_any_pairs_file(tmp_path: Path) -> None:
    pairs = tmp_path / "mine.csv"
    with pairs.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "score_or_label"])
        writer.writerows([
            ("ik wil mijn meterstand doorgeven", "hoe geef ik de meterstand door", 1),
            ("mijn factuur klopt niet", "de facturen kloppen niet", 1),
            ("ik wil mijn meterstand doorgeven", "ik ga verhuizen", 0),
            ("mijn factuur klopt niet", "wanneer komt de monteur", 0),
        ])  # fmt: skip
    out = tmp_path / "mine.json"
    run_bench("rephrase.py", "--pairs", str(pairs), "--metric", "auc", "--out", str(out))
    [result] = read_json(out)["results"]
    # Two restatements against two new topics: the service ranks them perfectly.
    assert result["scores"]["service (lexical + encoder)"] == 1.0
    assert result["operating_points"]["0.45"] == {"recall": 1.0, "false_positive_rate": 0.0}


@pytest.fixture(scope="module")
def needs_rasa_venv() -> None:
    if not BOT_PYTHON.exists():
        pytest.fail(f"the Rasa venv is missing: {BOT_PYTHON} (make run sets it up)")


def test_out_of_scope_benchmark_on_a_clinc150_sample(
    shared_data: Path, tmp_path: Path, needs_rasa_venv: None
) -> None:
    out, svg = tmp_path / "clinc.json", tmp_path / "clinc.svg"
    stdout = run_bench(
        "intents.py", "--dataset", "clinc150", "--methods", "oos-intent",
        "--sample-per-intent", "9", "--intents", "6",
        "--out", str(out), "--plot", str(svg),
    )  # fmt: skip
    assert "| oos-intent | top-1 | " in stdout and "(chosen on val)" in stdout
    report = read_json(out)
    assert report["test"] == {"in_scope": 18, "oos": 3}
    assert {(r["method"], r["rule"]) for r in report["results"]} == {
        ("oos-intent", "top-1"),
        ("oos-intent", "project"),
    }
    for result in report["results"]:
        assert result["trained_examples"] == 6 * 9 + 9  # the oos rows as out_of_scope
        assert result["at_shipped"]["threshold"] == 0.5
        chosen = result["at_chosen"]
        assert 0.0 <= chosen["in_scope_accuracy"] <= 1.0 and 0.0 <= chosen["oos_recall"] <= 1.0
        curve = result["test_curve"]
        assert len(curve) == 100
        # Raising the threshold never catches fewer out-of-scope queries.
        recalls = [point["oos_recall"] for point in curve]
        assert recalls == sorted(recalls)
        # The minimum similarity to a training example only ever adds rejections.
        alone, shipped = result["at_shipped_confidence_only"], result["at_shipped"]
        assert alone["threshold"] == 0.5
        assert shipped["oos_recall"] >= alone["oos_recall"]
        assert shipped["rejected_in_scope"] >= alone["rejected_in_scope"]
        assert len(result["confidence_only_curve"]) == 100
    drawing = svg.read_text(encoding="utf-8")
    assert drawing.startswith("<svg") and "Rasa, threshold" in drawing
    assert "BERT, threshold" in drawing and "oos-intent, top-1" in drawing
    assert "(shipped, no similarity check)" in stdout


def test_intent_benchmark_runs_any_intent_csv(
    shared_data: Path, tmp_path: Path, needs_rasa_venv: None
) -> None:
    # BANKING77 through the generic CSV path: a sample written as text,label files.
    splits = datasets.banking77(shared_data)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    datasets.write_intents(datasets.sample_per_label(splits["train"], 8, labels=5), train)
    datasets.write_intents(datasets.sample_per_label(splits["test"], 4, labels=5), test)
    out = tmp_path / "banking.json"
    run_bench(
        "intents.py",
        "--train",
        str(train),
        "--test",
        str(test),
        "--out",
        str(out),
        "--plot",
        str(tmp_path / "banking.svg"),
    )
    report = read_json(out)
    assert report["test"] == {"in_scope": 20, "oos": 0}
    # No out-of-scope rows: only the threshold method, and no sweep to draw.
    assert {r["method"] for r in report["results"]} == {"threshold"}
    for result in report["results"]:
        assert 0.0 <= result["top1_accuracy"] <= 1.0
        assert result["at_chosen"] is None and result["test_curve"] == []
        assert result["at_shipped"]["oos_recall"] is None
    assert not (tmp_path / "banking.svg").exists()


def test_time_to_person_on_a_sample(
    shared_data: Path, tmp_path: Path, needs_rasa_venv: None
) -> None:
    if not MODEL.exists():
        pytest.fail(f"the shipped model is missing: {MODEL} (make run trains it)")
    out = tmp_path / "ttp.json"
    stdout = run_bench("time_to_person.py", "--sample", "6", "--max-turns", "3", "--out", str(out))
    assert "| Home Assistant nl | uncovered | 6 |" in stdout
    report = read_json(out)
    assert report["thresholds"]["low_confidence"] == 0.5
    by_source = {r["source"]: r for r in report["results"]}
    assert set(by_source) == {
        "Home Assistant nl",
        "CLINC150 oos_test",
        "held-out covered needs",
        "held-out small talk and off-topic",
    }
    for result in by_source.values():
        assert result["customers"] == 6
        assert result["handed_over"] + result["never"] + result["served"] == 6
        if result["handed_over"]:
            assert 1 <= result["median_turns"] <= result["worst_turns"] <= 3
            assert sum(result["reasons"].values()) == result["handed_over"]
    covered = by_source["held-out covered needs"]
    assert covered["needless"] <= covered["handed_over"]
    assert not math.isnan(covered["within_2"])
    # One message each: a handoff can only be at the first.
    chatter = by_source["held-out small talk and off-topic"]
    assert chatter["kind"] == "chatter"
    assert chatter["worst_turns"] in (None, 1)


def test_time_to_person_live_through_the_running_product(
    tmp_path: Path, needs_rasa_venv: None
) -> None:
    if not MODEL.exists():
        pytest.fail(f"the shipped model is missing: {MODEL} (make run trains it)")
    # Unintelligible turns, a threshold no parse reaches and 3 failed turns to hand over:
    # what the bot answers and when it lets go do not depend on the model's confidences.
    gibberish = tmp_path / "gibberish.csv"
    gibberish.write_text(
        "text,label\nblorp snarf quux,x\ngrmbl wopz kklq vrrt,x\nvlerk trosp miff,x\n"
    )
    out = tmp_path / "live.json"
    stdout = run_bench(
        "time_to_person.py",
        "--live",
        "--no-shared",
        "--uncovered",
        str(gibberish),
        "--sample",
        "2",
        "--max-turns",
        "3",
        "--set",
        "low_confidence=0.97",
        "--set",
        "low_confidence_turns=3",
        "--out",
        str(out),
    )
    report = read_json(out)
    assert report["mode"] == "live"
    assert report["thresholds"]["low_confidence"] == 0.97
    by_source = {r["source"]: r for r in report["results"]}
    customer = by_source["gibberish.csv"]
    assert (customer["customers"], customer["handed_over"], customer["worst_turns"]) == (1, 1, 3)
    assert customer["reasons"] == {"low_confidence": 1}
    # What the bot did on each turn, as the service stored it: asked twice to say it
    # differently, then a person took over before it answered the third.
    [trace] = customer["slowest"]
    assert [line.split(" → ")[0] for line in trace] == [
        "blorp snarf quux",
        "grmbl wopz kklq vrrt",
        "vlerk trosp miff",
    ]
    assert [line.split(" → ")[2:] for line in trace] == [
        ["utter_ask_rephrase"],
        ["utter_ask_rephrase"],
        ["no answer", "low_confidence"],
    ]
    assert "gibberish.csv, 3 turns:" in stdout
    covered = by_source["held-out covered needs"]
    assert covered["customers"] == 2
    assert covered["handed_over"] + covered["never"] + covered["served"] == 2


def test_replay_benchmark_on_a_sample(tmp_path: Path) -> None:
    stdout = run_bench(
        "replay.py", "--conversations", "300", "--runs", "1", "--db", str(tmp_path / "r.db")
    )
    assert "300 conversations" in stdout
    # The draft allows a third failed turn: real handoffs after the second become
    # "onbekend na beurt 2" (flipped away, unknown after), and nothing flips to a person.
    flips = stdout.split("the draft flips ", 1)[1]
    to_person, away = int(flips.split()[0]), int(flips.split(" and ")[1].split()[0])
    assert to_person == 0 and away > 0
    assert f"(unknown after a real handoff: {away})" in stdout
    timings = {
        line.rsplit(None, 2)[0]: (float(line.split()[-2]), float(line.split()[-1]))
        for line in stdout.splitlines()
        if line.startswith(("baseline", "replay,", "load", "end to end"))
    }
    assert set(timings) == {
        "baseline, active only (300)",
        "replay, draft vs active (300)",
        "load, json + collector (300)",
        "load (300)",
        "end to end (300)",
    }
    assert all(0 < median <= p95 for median, p95 in timings.values())
