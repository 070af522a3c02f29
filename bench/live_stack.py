"""The whole product on free 127.0.0.1 ports for a benchmark: action server, Rasa (the
shipped model, dev profile) and the handoff service as a uvicorn process on a throw-away
SQLite database, and a web customer on the service's WebSocket as the widget speaks it
(docs/customer-protocol.md). Used by bench/service_latency.py and bench/time_to_person.py
``--live``; run with the service's interpreter after `make train`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from websockets.sync.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Origin  # noqa: E402

from tests.bot.servers import (  # noqa: E402
    Server,
    http_ok,
    new_gateway_secret,
    sqlite_tracker_env,
    start_action_server,
    start_rasa,
    wait_until_ready,
)
from tests.handoff.live.service import ServiceProcess  # noqa: E402

ORIGIN = "http://127.0.0.1:8000"
PASSWORD = "bench password for the agent"  # noqa: S105 (a throw-away account)
AGENT_EMAIL = "bench@example.org"
Frame = dict[str, Any]


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    service_url: str
    database_url: str  # the service's SQLite database, readable while it runs


@contextmanager
def servers(run_dir: Path, model: Path = REPO / "models" / "assistant.tar.gz") -> Iterator[Stack]:
    """Action server, Rasa and the service, stopped when the block ends."""
    secret = new_gateway_secret()
    started: list[Server | ServiceProcess] = []
    try:
        actions = start_action_server(run_dir)
        started.append(actions)
        rasa = start_rasa(
            model,
            run_dir,
            gateway_secret=secret,
            action_server_url=f"{actions.url}/webhook",
            tracker_env=sqlite_tracker_env(run_dir / "tracker.db"),
            credentials="credentials.dev.yml",
        )
        started.append(rasa)
        wait_until_ready(actions, lambda: http_ok(f"{actions.url}/health"))
        auth = {"Authorization": f"Bearer {secret}"}
        wait_until_ready(rasa, lambda: http_ok(f"{rasa.url}/webhooks/gateway/health", auth))

        database_url = f"sqlite:///{run_dir / 'handoff.db'}"
        prepare_database(database_url)
        env = {
            "HANDOFF_RASA_URL": rasa.url,
            "HANDOFF_GATEWAY_SECRET": secret,
            "HANDOFF_ALLOWED_ORIGINS": json.dumps([ORIGIN]),
            # Every simulated customer comes from this one address.
            "HANDOFF_CUSTOMER_RATE_PER_MINUTE": "100000",
        }
        service = ServiceProcess(database_url, env=env, log_dir=run_dir)
        started.append(service)
        yield Stack(rasa.url, service.start(), database_url)
    finally:
        for process in reversed(started):
            process.stop()


def prepare_database(database_url: str) -> None:
    from handoff.accounts.models import Role
    from handoff.accounts.store import create_account
    from handoff.db.migrate import upgrade
    from handoff.db.session import make_engine, make_sessionmaker, session_scope

    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        create_account(
            session,
            email=AGENT_EMAIL,
            display_name="Bench",
            password=PASSWORD,
            role=Role.agent,
        )
    engine.dispose()


@contextmanager
def open_customer(service_url: str, lang: str = "nl") -> Iterator[tuple[ClientConnection, Frame]]:
    """A new web conversation, connected, past the welcome and the disclosure."""
    tokens = httpx.post(f"{service_url}/api/web/conversations", json={"lang": lang}).json()
    url = service_url.replace("http", "ws") + "/ws/web"
    with connect(url, origin=Origin(ORIGIN)) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "contact_token": tokens["contact_token"],
                    "conversation_token": tokens["conversation_token"],
                    "last_message_id": None,
                }
            )
        )
        receive_until(ws, lambda f: f["type"] == "message")  # welcome, then the disclosure
        yield ws, tokens


def receive_until(ws: ClientConnection, check: Callable[[Frame], bool]) -> Frame:
    while True:
        frame: Frame = json.loads(ws.recv(timeout=30))
        if check(frame):
            return frame
