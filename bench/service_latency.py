"""Customer-turn latency through the handoff service against Rasa's REST channel
directly (same model, same Rasa process, one run), and the time from a handoff request
to the queue event at a connected agent console.

Run from the repository root with the service's interpreter, after `make train`:

    .venvs/handoff/bin/python bench/service_latency.py [--turns 40] [--handoffs 15]

It starts its own action server, Rasa (dev profile: REST channel and gateway) and
service on free 127.0.0.1 ports with throw-away SQLite databases (bench/live_stack.py),
and prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from live_stack import (  # noqa: E402
    AGENT_EMAIL,
    ORIGIN,
    PASSWORD,
    open_customer,
    receive_until,
    servers,
)
from websockets.sync.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Origin  # noqa: E402

# Questions the bot answers itself (no handoff), cycled through.
TURNS = ["hallo", "kun je mijn rekening uitleggen", "ik heb een storing", "bedankt"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} "
        f"| {min(ms):.0f} | {max(ms):.0f} |"
    )


def about(conversation_id: str) -> Callable[[dict[str, Any]], bool]:
    def check(frame: dict[str, Any]) -> bool:
        return frame.get("conversation_id") == conversation_id

    return check


def service_turn(ws: ClientConnection, text: str) -> float:
    started = time.perf_counter()
    ws.send(json.dumps({"type": "message", "client_id": uuid.uuid4().hex, "text": text}))
    receive_until(ws, lambda f: f["type"] == "message" and f["author"] == "bot")
    # A turn may have more than one bot message; the customer sees the first one first.
    return time.perf_counter() - started


def direct_turn(client: httpx.Client, rasa_url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    answer = client.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    )
    answer.raise_for_status()
    return time.perf_counter() - started


@contextmanager
def agent_console(service_url: str) -> Iterator[ClientConnection]:
    with httpx.Client(base_url=service_url, headers={"Origin": ORIGIN}) as http:
        login = http.post("/api/auth/login", json={"email": AGENT_EMAIL, "password": PASSWORD})
        login.raise_for_status()
        csrf = login.json()["csrf_token"]
        http.post(
            "/api/agent/availability", json={"available": True}, headers={"X-CSRF-Token": csrf}
        ).raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        url = service_url.replace("http", "ws") + "/ws/agent"
        with connect(url, origin=Origin(ORIGIN), additional_headers={"Cookie": cookie}) as ws:
            receive_until(ws, lambda f: f["type"] == "hello")
            yield ws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--handoffs", type=int, default=15)
    args = parser.parse_args()
    through_service: list[float] = []
    direct: list[float] = []
    to_agent: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, servers(Path(tmp)) as stack:
        rasa_url, service_url = stack.rasa_url, stack.service_url
        with httpx.Client(timeout=30) as rest:
            # Warm both paths (first TensorFlow predictions are slow) before measuring.
            with open_customer(service_url) as (ws, _):
                service_turn(ws, "hallo")
            direct_turn(rest, rasa_url, "warm-up", "hallo")
            conversations = (args.turns + len(TURNS) - 1) // len(TURNS)
            for number in range(conversations):
                sender = uuid.uuid4().hex
                with open_customer(service_url) as (ws, _):
                    for turn, text in enumerate(TURNS):
                        if number * len(TURNS) + turn >= args.turns:
                            break
                        # Alternate which path goes first, so neither always runs warmer.
                        if turn % 2:
                            direct.append(direct_turn(rest, rasa_url, sender, text))
                            through_service.append(service_turn(ws, text))
                        else:
                            through_service.append(service_turn(ws, text))
                            direct.append(direct_turn(rest, rasa_url, sender, text))

        with agent_console(service_url) as console:
            for _ in range(args.handoffs):
                with open_customer(service_url) as (ws, tokens):
                    started = time.perf_counter()
                    ws.send(json.dumps({"type": "request_human", "client_id": uuid.uuid4().hex}))
                    receive_until(console, about(tokens["conversation_id"]))
                    to_agent.append(time.perf_counter() - started)

    print("| path | n | median ms | p95 ms | min ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(summary("customer turn through the service (WebSocket → bot message)", through_service))
    print(summary("customer turn on Rasa's REST channel directly", direct))
    print(summary("person button → queue event at the agent console", to_agent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
