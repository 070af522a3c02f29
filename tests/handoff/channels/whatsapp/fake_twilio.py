"""A local fake of Twilio's REST API, a real HTTP server on 127.0.0.1 in a thread, for
the ``twilio`` client the service uses (pointed at it by HANDOFF_TWILIO_API_BASE).

It keeps what Twilio would hold (accepted messages), records every create request, and
answers from a script: 429 with Retry-After, 500 (with or without having stored the
message first), 503, slow answers, or no listener at all (connection refused).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_MEDIA = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(\w+)/Media/(\w+)$")


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Reply:
    """One scripted answer to a create request (then the default: 201 Created)."""

    status: int = 201
    retry_after: int | None = None
    code: int | None = None
    message: str = "scripted error"
    delay: float = 0.0  # seconds before answering: longer than the client's timeout = slow
    stores: bool = False  # an error answer, but Twilio kept (and will send) the message


@dataclass
class Create:
    form: dict[str, str]
    at: float
    answered: int


@dataclass
class FakeTwilio:
    script: list[Reply] = field(default_factory=list)
    creates: list[Create] = field(default_factory=list)  # every attempt, in order
    held: list[dict[str, Any]] = field(default_factory=list)  # what Twilio has
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # --- lifecycle ---

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stops listening: the next request gets "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what a test asks ---

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.held if m["to"] == address]

    def bodies_to(self, address: str) -> list[str]:
        return [m["body"] for m in self.sent_to(address)]

    def add_media(self, content: bytes = PNG, content_type: str = "image/png") -> str:
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{new_sid('MM')}/Media/{new_sid('ME')}"
        self.media[path] = (content, content_type)
        return self.url + path

    # --- the API ---

    def _next_reply(self) -> Reply:
        with self._lock:
            return self.script.pop(0) if self.script else Reply()

    def _store(self, form: dict[str, str]) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = form.get("Body", "")
        if form.get("ContentSid"):
            body = f"template {form['ContentSid']} {form.get('ContentVariables', '')}"
        message = {
            "sid": new_sid(),
            "account_sid": ACCOUNT_SID,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": body,
            "content_sid": form.get("ContentSid"),
            "status_callback": form.get("StatusCallback"),
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "num_media": "0",
            "num_segments": "1",
            "error_code": None,
            "error_message": None,
            "date_created": format_datetime(now, usegmt=True),
            "date_sent": format_datetime(now, usegmt=True),
            "date_updated": format_datetime(now, usegmt=True),
            "_created": now,
        }
        with self._lock:
            self.held.append(message)
        return message

    def create(self, form: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        reply = self._next_reply()
        with self._lock:
            self.creates.append(Create(form, time.monotonic(), reply.status))
        message = self._store(form) if reply.status == 201 or reply.stores else None
        if reply.delay:
            time.sleep(reply.delay)  # Twilio has it; only the answer is slow
        if message is not None and reply.status == 201:
            return 201, {}, _public(message)
        headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
        return (
            reply.status,
            headers,
            {"code": reply.code, "message": reply.message, "status": reply.status},
        )

    def list(self, query: dict[str, str]) -> dict[str, Any]:
        since = query.get("DateSent>")
        after = (
            datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if since else None
        )
        with self._lock:
            found = [
                _public(m)
                for m in self.held
                if (not query.get("From") or m["from"] == query["From"])
                and (after is None or m["_created"].replace(microsecond=0) >= after)
            ]
        return {
            "messages": found,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": len(found),
            "uri": "/2010-04-01/Accounts/x/Messages.json",
            "first_page_uri": "/2010-04-01/Accounts/x/Messages.json",
            "next_page_uri": None,
            "previous_page_uri": None,
        }


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if not k.startswith("_")}


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: test output stays readable

    def _authorised(self) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") == f"Basic {expected}":
            return True
        self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
        return False

    def _json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        if not _MESSAGES.match(urlsplit(self.path).path):
            self._json(404, {"code": 20404, "message": "not found", "status": 404})
            return
        status, headers, body = self.twilio.create(form)
        # The client may have given up (timeout): the message was stored all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._json(status, body, headers)

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        parts = urlsplit(self.path)
        if _MESSAGES.match(parts.path):
            self._json(200, self.twilio.list(dict(parse_qsl(parts.query))))
            return
        if _MEDIA.match(parts.path) and parts.path in self.twilio.media:
            self.twilio.media_requests.append(parts.path)
            content, content_type = self.twilio.media[parts.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            return
        self._json(404, {"code": 20404, "message": "not found", "status": 404})
