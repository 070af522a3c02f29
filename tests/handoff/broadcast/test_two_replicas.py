"""Two service processes on one PostgreSQL database and one Redis behave as one: a
customer escalating on the first reaches an agent whose console is connected to the
second, and the agent's claim on the second reaches the customer on the first.

Real processes (uvicorn), real sockets; Rasa is a small fake HTTP server at the edge.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from handoff.accounts.models import Role
from handoff.accounts.store import create_account
from handoff.db.session import make_engine, make_sessionmaker, session_scope

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
ORIGIN = "http://127.0.0.1:8000"
SECRET = "two-replicas-secret-0123456789"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class FakeGateway(BaseHTTPRequestHandler):
    """Rasa's gateway as far as this test needs it: "ik wil een medewerker" is a
    request for a person; pause is acknowledged."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
        if self.headers.get("authorization") != f"Bearer {SECRET}":
            self._answer(401, {"error": "unauthorised"})
        elif endpoint == "parse":
            intent = {"name": "request_human", "confidence": 0.97}
            self._answer(
                200,
                {
                    "text": body["text"],
                    "intent": intent,
                    "intent_ranking": [intent],
                    "entities": [],
                },
            )
        elif endpoint == "pause":
            self._answer(200, {"status": "paused"})
        else:
            self._answer(404, {"error": "not faked"})

    def do_GET(self) -> None:  # noqa: N802
        self._answer(200, {"status": "ok"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


@pytest.fixture
def fake_rasa() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [
                PYTHON,
                "-m",
                "uvicorn",
                "--factory",
                "handoff.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"replica exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"replica not ready: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()

    def ws(self, path: str, **headers: str) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.port}{path}",
            additional_headers={"Origin": ORIGIN, **headers},
            open_timeout=10,
        )


@pytest.fixture
def replicas(
    postgres_url: str, fake_rasa: str, tmp_path: Path
) -> Iterator[tuple[Replica, Replica]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HANDOFF_")} | {
        "HANDOFF_DATABASE_URL": postgres_url,
        "HANDOFF_REDIS_URL": "redis://127.0.0.1:6379/0",
        "HANDOFF_RASA_URL": fake_rasa,
        "HANDOFF_GATEWAY_SECRET": SECRET,
        "HANDOFF_ALLOWED_ORIGINS": json.dumps([ORIGIN]),
        "HANDOFF_SWEEP_INTERVAL_SECONDS": "3600",
        "PYTHONPATH": str(REPO),
    }
    first, second = Replica(env, tmp_path / "a.log"), Replica(env, tmp_path / "b.log")
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        first.stop()
        second.stop()


def receive_until(ws: ClientConnection, check: Any, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        seen.append(frame)
        if check(frame):
            return frame
    raise AssertionError(f"no matching frame; saw {seen}")


def test_escalation_on_one_replica_reaches_agent_on_the_other(
    replicas: tuple[Replica, Replica], postgres_url: str
) -> None:
    customer_side, agent_side = replicas
    engine = make_engine(postgres_url)
    with session_scope(make_sessionmaker(engine)) as session:
        create_account(
            session,
            email="anna@example.nl",
            display_name="Anna",
            password=PASSWORD,
            role=Role.agent,
        )
    engine.dispose()

    # A real server refuses an agent socket without a login at the handshake.
    with pytest.raises(InvalidStatus) as refused:
        agent_side.ws("/ws/agent")
    assert refused.value.response.status_code == 401

    with httpx.Client(base_url=agent_side.url) as agent_http:
        login = agent_http.post(
            "/api/auth/login", json={"email": "anna@example.nl", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        csrf = login.json()["csrf_token"]
        cookie = "; ".join(f"{k}={v}" for k, v in agent_http.cookies.items())

        with agent_side.ws("/ws/agent", Cookie=cookie) as console:
            # ``hello`` comes once the console's subscription is live in Redis.
            assert json.loads(console.recv(timeout=10))["type"] == "hello"

            started = httpx.post(f"{customer_side.url}/api/web/conversations", json={"lang": "nl"})
            assert started.status_code == 200, started.text
            tokens = started.json()
            with customer_side.ws("/ws/web") as widget:
                widget.send(
                    json.dumps(
                        {
                            "type": "hello",
                            "contact_token": tokens["contact_token"],
                            "conversation_token": tokens["conversation_token"],
                        }
                    )
                )
                assert json.loads(widget.recv(timeout=10))["type"] == "welcome"
                widget.send(
                    json.dumps(
                        {"type": "message", "client_id": "c1", "text": "ik wil een medewerker"}
                    )
                )

                added = receive_until(
                    console, lambda f: f.get("type") == "queue" and f.get("event") == "added"
                )
                assert added["conversation_id"] == tokens["conversation_id"]
                assert added["reason"] == "explicit_request"

                # And back: the claim on the agent's replica reaches the customer's.
                claim = agent_http.post(
                    f"/api/agent/conversations/{tokens['conversation_id']}/claim",
                    headers={"X-CSRF-Token": csrf},
                )
                assert claim.status_code == 200, claim.text
                state = receive_until(
                    widget, lambda f: f.get("type") == "state" and f.get("state") == "human"
                )
                assert state["agent_name"] == "Anna"
