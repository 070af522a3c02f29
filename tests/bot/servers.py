"""Start the real Rasa server and action server for tests, the way `make run` does.

Plain subprocesses on free 127.0.0.1 ports, each logging to a file that is shown when
a server does not come up, and a TCP proxy that can be cut to make a server
unreachable mid-test without stopping it. Standard library only, so the service's
tests (another venv) can copy this module as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOT_BIN = REPO / ".venvs" / "bot" / "bin"
# Rasa loads TensorFlow and the model: about 30 s alone, several minutes when the two
# cores are shared with a browser and other servers.
STARTUP_TIMEOUT_SECONDS = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_gateway_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _start(
    name: str, command: list[str], env: Mapping[str, str], port: int, log_dir: Path
) -> Server:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(name, process, port, log_path)


def start_action_server(log_dir: Path, port: int | None = None) -> Server:
    port = port or free_port()
    command = [str(BOT_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)]
    # rasa-sdk takes its bind address only from the environment.
    return _start("action-server", command, {"SANIC_HOST": "127.0.0.1"}, port, log_dir)


def sqlite_tracker_env(db_path: Path) -> dict[str, str]:
    """The endpoints.yml variables for a SQLite tracker store (all must be set)."""
    return {
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_URL": "",
        "TRACKER_DB": str(db_path),
        "TRACKER_USERNAME": "",
        "TRACKER_PASSWORD": "",
    }


def start_rasa(
    model: Path,
    log_dir: Path,
    *,
    gateway_secret: str,
    action_server_url: str,
    tracker_env: Mapping[str, str],
    port: int | None = None,
    credentials: str = "credentials.yml",
) -> Server:
    port = port or free_port()
    command = [
        str(BOT_BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "-i",
        "127.0.0.1",
        "--port",
        str(port),
        "--credentials",
        credentials,
        "--endpoints",
        "endpoints.yml",
    ]
    env = {
        "GATEWAY_SECRET": gateway_secret,
        "ACTION_SERVER_URL": action_server_url,
        "RASA_TELEMETRY_ENABLED": "false",
        **tracker_env,
    }
    return _start("rasa", command, env, port, log_dir)


def http_ok(url: str, headers: Mapping[str, str] | None = None) -> bool:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return bool(response.status == 200 and json.load(response).get("status") == "ok")
    except (OSError, ValueError):
        return False


def wait_until_ready(
    server: Server, is_ready: Callable[[], bool], timeout: float = STARTUP_TIMEOUT_SECONDS
) -> None:
    """Wait for `is_ready`; on exit or timeout raise with the server's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log()}"
            )
        if is_ready():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s:\n{server.log()}")


@dataclass(frozen=True)
class BotServers:
    """What a test needs to talk to the running Rasa side."""

    rasa_url: str
    action_server_url: str
    gateway_secret: str
    tracker_db: Path
    action_proxy: TcpProxy

    @property
    def gateway_url(self) -> str:
        return f"{self.rasa_url}/webhooks/gateway"


class TcpProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port` until it is cut.

    Cut, the port refuses connections, as a stopped server's would, while the server
    behind it keeps running for the next test.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            _close(connection)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # the other side closed, or the proxy was cut
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._connections.discard(sock)
                _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
