"""A refused staff socket is refused with its HTTP status, and the server's log says so
without an error (uvicorn's false "without completing handshake", see
handoff/api/denied_handshakes.py)."""

from __future__ import annotations

import contextvars
import json
import logging

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from handoff.api.denied_handshakes import (
    INCOMPLETE_HANDSHAKE,
    RefusedHandshakeFilter,
    mark_refused,
)
from tests.handoff.live.service import ServiceProcess

ORIGIN = "http://console.example"


def test_a_refused_agent_socket_logs_its_status_and_no_error(
    service_process: ServiceProcess,
) -> None:
    service_process.env = {
        "HANDOFF_ALLOWED_ORIGINS": json.dumps([ORIGIN]),
        "HANDOFF_SWEEP_INTERVAL_SECONDS": "3600",
    }
    service_process.start()
    url = service_process.ws_url
    for _ in range(3):  # a console reconnecting after its session expired
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{url}/ws/agent", additional_headers={"Origin": ORIGIN}, open_timeout=10)
        assert refused.value.response.status_code == 401
    # And a supervisor socket from a page that is not ours.
    with pytest.raises(InvalidStatus) as foreign:
        connect(
            f"{url}/ws/agent",
            additional_headers={"Origin": "http://evil.example"},
            open_timeout=10,
        )
    assert foreign.value.response.status_code == 403
    service_process.stop()

    log = (service_process.log_dir / "service-0.log").read_text()
    assert log.count('"WebSocket /ws/agent" 401') == 3
    assert log.count('"WebSocket /ws/agent" 403') == 1
    assert "ERROR" not in log, log


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, message, None, None)


def test_only_the_refused_connection_loses_the_message() -> None:
    keep = RefusedHandshakeFilter()
    # A handler that returned without accepting or refusing is a real bug: still logged.
    assert keep.filter(_record(INCOMPLETE_HANDSHAKE))

    def refused_connection() -> tuple[bool, bool]:
        mark_refused()
        return keep.filter(_record(INCOMPLETE_HANDSHAKE)), keep.filter(_record("other"))

    assert contextvars.copy_context().run(refused_connection) == (False, True)
    # The mark stayed in that connection's context.
    assert keep.filter(_record(INCOMPLETE_HANDSHAKE))
