"""Session fixtures for the Rasa side: one real action server and one real Rasa server.

Started once per test session (a Rasa start costs 25-40 s) and only when a test asks
for them. Rasa reaches the action server through a TCP proxy, so a test can make the
action server unreachable without a second Rasa. Launch helpers: tests/bot/servers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.servers import (
    REPO,
    BotServers,
    Server,
    TcpProxy,
    http_ok,
    new_gateway_secret,
    sqlite_tracker_env,
    start_action_server,
    start_rasa,
    wait_until_ready,
)

# BOT_TEST_MODEL points the tests at another model while developing; `make test` uses
# the project's.
MODEL = Path(os.environ.get("BOT_TEST_MODEL", REPO / "models" / "assistant.tar.gz"))


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} does not exist: run `make train` first", pytrace=False)
    return MODEL


@pytest.fixture(scope="session")
def bot_servers(
    model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BotServers]:
    run_dir = tmp_path_factory.mktemp("bot-servers")
    secret = new_gateway_secret()
    tracker_db = run_dir / "tracker.db"
    started: list[Server] = []
    proxy: TcpProxy | None = None
    try:
        actions = start_action_server(run_dir)
        started.append(actions)
        proxy = TcpProxy(actions.port)
        proxy.start()
        rasa = start_rasa(
            model_path,
            run_dir,
            gateway_secret=secret,
            action_server_url=f"{proxy.url}/webhook",
            tracker_env=sqlite_tracker_env(tracker_db),
        )
        started.append(rasa)
        wait_until_ready(actions, lambda: http_ok(f"{actions.url}/health"))
        auth = {"Authorization": f"Bearer {secret}"}
        wait_until_ready(rasa, lambda: http_ok(f"{rasa.url}/webhooks/gateway/health", auth))
        yield BotServers(rasa.url, actions.url, secret, tracker_db, proxy)
    finally:
        if proxy is not None:
            proxy.cut()
        for server in reversed(started):
            server.stop()
