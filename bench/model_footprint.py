"""Benchmark: what a trained model costs the Rasa process, against another model, in one run.

Each model is loaded in a fresh interpreter (so neither inherits the other's memory) and
reports its load time, the process's resident memory once loaded, and the wall time of
`Agent.parse_message` over fixed Dutch and English sentences after warm-up.

    .venvs/bot/bin/python bench/model_footprint.py models/assistant.tar.gz OTHER.tar.gz
        [--rounds 20]

Build the baseline with `rasa train --config bench/configs/diet.yml --out /tmp/diet
--fixed-model-name diet` (the DIET pipeline shipped until 24 November 2026).
Run from the repository root (the pipeline's own components import from it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SENTENCES = [
    "ik wil mijn meterstand doorgeven",
    "kun je mijn jaarafrekening uitleggen",
    "mijn termijnbedrag is te hoog",
    "hoe laat gaat de bus naar Utrecht",
    "I want to cancel my contract",
    "is there a power cut in my street",
]


def resident_mib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def measure(model: str, rounds: int) -> dict[str, float]:
    """Runs in the child: load, warm up, parse."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    before = resident_mib()
    started = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - started

    async def parse_all() -> list[float]:
        for text in SENTENCES:
            await agent.parse_message(text)
        millis = []
        for _ in range(rounds):
            for text in SENTENCES:
                t = time.perf_counter()
                await agent.parse_message(text)
                millis.append((time.perf_counter() - t) * 1000)
        return sorted(millis)

    millis = asyncio.run(parse_all())
    return {
        "load_s": round(load_s, 1),
        "rss_before_mib": before,
        "rss_loaded_mib": resident_mib(),
        "parse_ms_median": round(statistics.median(millis), 2),
        "parse_ms_p95": round(millis[max(0, round(0.95 * len(millis)) - 1)], 2),
        "parses": len(millis),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="trained model archives (.tar.gz)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.models[0], args.rounds)))
        return 0
    print("| model | load s | resident MiB (interpreter before load) | parse ms median | p95 |")
    print("|---|---:|---:|---:|---:|")
    for model in args.models:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--rounds", str(args.rounds), model],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{model}: measuring failed:\n{done.stderr[-2000:]}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {model} | {r['load_s']} | {r['rss_loaded_mib']} ({r['rss_before_mib']}) "
            f"| {r['parse_ms_median']} | {r['parse_ms_p95']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
