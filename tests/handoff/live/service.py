"""The handoff service as a real process (uvicorn on a free port), for tests that need
what an in-process test client cannot give: a browser, a crash, a real HTTP peer.

Each start runs a fresh process on the same database and port, so a test can kill one
and start the next as a restart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.bot.servers import REPO, free_port
from tests.handoff.live.rasa import RealRasa

START_TIMEOUT_SECONDS = 30


@dataclass
class ServiceProcess:
    database_url: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1)

    @property
    def current(self) -> subprocess.Popen[bytes]:
        return self.processes[-1]

    def start(self) -> str:
        log_path = self.log_dir / f"service-{len(self.processes)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    str(REPO / ".venvs/handoff/bin/uvicorn"),
                    "handoff.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=REPO,
                env={**os.environ, "HANDOFF_DATABASE_URL": self.database_url, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"service exited at start:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"service did not start:\n{log_path.read_text()}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def service_env(rasa: RealRasa, origin: str, **overrides: str) -> dict[str, str]:
    """Settings for a service that talks to the shared real Rasa, with sweeps out of the way."""
    return {
        "HANDOFF_RASA_URL": rasa.url,
        "HANDOFF_GATEWAY_SECRET": rasa.secret,
        "HANDOFF_RASA_TIMEOUT_SECONDS": "20",
        "HANDOFF_ALLOWED_ORIGINS": json.dumps([origin]),
        "HANDOFF_SWEEP_INTERVAL_SECONDS": "3600",
        **overrides,
    }


@pytest.fixture
def service_process(postgres_url: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    """A service process on this test's PostgreSQL database, not yet started: set its
    ``env`` (see ``service_env``), then ``start()``."""
    process = ServiceProcess(postgres_url, env={}, log_dir=tmp_path)
    yield process
    process.stop()
