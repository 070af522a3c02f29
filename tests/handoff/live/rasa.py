"""One real action server and one real Rasa server for the whole session, on a
PostgreSQL tracker store, each behind a controllable proxy:

    service ──▶ rasa proxy ──▶ Rasa ──▶ action proxy ──▶ action server

Cutting, stalling or slowing a proxy makes Rasa or the actions fail for one test
while the servers themselves keep running for the next.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.bot.servers import (
    REPO,
    Server,
    http_ok,
    new_gateway_secret,
    start_action_server,
    start_rasa,
    wait_until_ready,
)
from tests.handoff.live.proxy import ControlledProxy

MODEL = Path(os.environ.get("BOT_TEST_MODEL", REPO / "models" / "assistant.tar.gz"))
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://root@127.0.0.1:5432/postgres")
TRAIN_LOCK = "/tmp/assistant-train.lock"  # noqa: S108  (the Makefile's flock file)


@dataclass(frozen=True)
class RealRasa:
    secret: str
    rasa_proxy: ControlledProxy
    action_proxy: ControlledProxy
    tracker_dsn: str  # psycopg DSN of the tracker store database

    @property
    def url(self) -> str:
        return self.rasa_proxy.url


def _wait_for_training() -> None:
    # `make train` holds this lock while it writes the model; never read half a file.
    with open(TRAIN_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def real_rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRasa]:
    _wait_for_training()
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} does not exist: run `make train` first", pytrace=False)
    run_dir = tmp_path_factory.mktemp("real-rasa")
    tracker_db = f"tracker_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{tracker_db}"')
    admin = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_DSN)
    host = f"{admin.get('host', '127.0.0.1')}:{admin.get('port', 5432)}"
    secret = new_gateway_secret()
    started: list[Server] = []
    proxies: list[ControlledProxy] = []
    try:
        actions = start_action_server(run_dir)
        started.append(actions)
        action_proxy = ControlledProxy(actions.port)
        action_proxy.start()
        proxies.append(action_proxy)
        rasa = start_rasa(
            MODEL,
            run_dir,
            gateway_secret=secret,
            action_server_url=f"{action_proxy.url}/webhook",
            tracker_env={
                "TRACKER_DIALECT": "postgresql",
                "TRACKER_URL": host,
                "TRACKER_DB": tracker_db,
                "TRACKER_USERNAME": str(admin.get("user", "root")),
                "TRACKER_PASSWORD": str(admin.get("password", "")),
            },
        )
        started.append(rasa)
        rasa_proxy = ControlledProxy(rasa.port)
        rasa_proxy.start()
        proxies.append(rasa_proxy)
        wait_until_ready(actions, lambda: http_ok(f"{actions.url}/health"))
        auth = {"Authorization": f"Bearer {secret}"}
        wait_until_ready(rasa, lambda: http_ok(f"{rasa.url}/webhooks/gateway/health", auth))
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        yield RealRasa(secret, rasa_proxy, action_proxy, f"{base}/{tracker_db}")
    finally:
        for proxy in proxies:
            proxy.cut()
        for server in reversed(started):
            server.stop()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{tracker_db}" WITH (FORCE)')


@pytest.fixture
def rasa(real_rasa: RealRasa) -> Iterator[RealRasa]:
    """The shared servers, with both proxies forwarding normally again after the test."""
    yield real_rasa
    real_rasa.rasa_proxy.restore()
    real_rasa.action_proxy.restore()
