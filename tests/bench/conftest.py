"""Helpers for the benchmarks' CI runs: run a bench command as a user would, read its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
MODEL = REPO / "models" / "assistant.tar.gz"
BOT_PYTHON = REPO / ".venvs" / "bot" / "bin" / "python"


def run_bench(script: str, *args: str, timeout: float = 600) -> str:
    """Run ``bench/<script>`` with this interpreter from the repository root; its stdout."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (DATA / "README.md").exists():
        pytest.fail(f"the shared public data is missing: {DATA} (see ../shared/data/README.md)")
    return DATA
