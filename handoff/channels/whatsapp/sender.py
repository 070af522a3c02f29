"""The edge to Twilio's REST API: the ``twilio`` client, run in worker threads with an
explicit timeout so a slow Twilio never blocks the event loop, and every outcome
turned into an ``Attempt`` for the delivery policy.

Nothing here logs request data: the customer's number travels in it. The twilio
library's own request logging goes to a logger that drops everything.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from handoff.channels.whatsapp.delivery import Attempt

# The library logs query parameters at INFO; ours may hold nothing it should print.
_SILENT = logging.getLogger("handoff.whatsapp.twilio_http")
_SILENT.setLevel(logging.CRITICAL + 1)
_SILENT.propagate = False
_SILENT.addHandler(logging.NullHandler())


class _HttpClient(TwilioHttpClient):
    """Keeps each thread's last response: the library's exceptions carry no headers,
    and Retry-After is one."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=_SILENT)
        self._local = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.response = None
        response = super().request(*args, **kwargs)
        self._local.response = response
        return response

    def last_response(self) -> Response | None:
        return getattr(self._local, "response", None)


@dataclass(frozen=True)
class Outgoing:
    to: str
    from_: str
    status_callback: str
    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


@dataclass(frozen=True)
class Found:
    """A message Twilio holds, for settling a send of unknown outcome."""

    sid: str
    to: str
    body: str
    status: str
    created_at: datetime | None


def _retry_after(response: Response | None) -> float | None:
    if response is None or not response.headers:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_code(response: Response | None, exc: TwilioException) -> int | None:
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    if response is not None:
        try:
            found = json.loads(response.text).get("code")
        except (ValueError, AttributeError):
            return None
        return found if isinstance(found, int) else None
    return None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectionRefusedError)


class TwilioSender:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str,
        timeout: float,
        concurrency: int,
    ) -> None:
        self._http = _HttpClient(timeout)
        self.client = Client(account_sid, auth_token, http_client=self._http)
        # Points the REST domain at another base (a local fake Twilio in the tests).
        self.client.api.base_url = api_base.rstrip("/")
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def create(self, outgoing: Outgoing) -> Attempt:
        return await anyio.to_thread.run_sync(self._create, outgoing, limiter=self._limiter)

    async def find(self, *, from_: str, since: datetime) -> list[Found]:
        return await anyio.to_thread.run_sync(self._find, from_, since, limiter=self._limiter)

    def _create(self, outgoing: Outgoing) -> Attempt:
        values: dict[str, Any] = {
            "to": outgoing.to,
            "from_": outgoing.from_,
            "status_callback": outgoing.status_callback,
        }
        if outgoing.content_sid:
            values["content_sid"] = outgoing.content_sid
            values["content_variables"] = json.dumps(outgoing.content_variables or {})
        else:
            values["body"] = outgoing.body or ""
        try:
            created = self.client.messages.create(**values)
        except TwilioException as exc:
            response = self._http.last_response()
            status = getattr(exc, "status", None) or (response.status_code if response else None)
            return Attempt(
                "http_error",
                status=status,
                retry_after=_retry_after(response),
                error_code=_error_code(response, exc),
                error_message=getattr(exc, "msg", None) or getattr(exc, "title", None),
            )
        except requests.exceptions.ConnectTimeout:
            return Attempt("refused")  # no connection was made, nothing was sent
        except requests.exceptions.Timeout:
            return Attempt("timeout")
        except requests.exceptions.ConnectionError as exc:
            return Attempt("refused" if _never_connected(exc) else "connection_lost")
        return Attempt("accepted", sid=created.sid, twilio_status=str(created.status or "queued"))

    def _find(self, from_: str, since: datetime) -> list[Found]:
        found = self.client.messages.list(from_=from_, date_sent_after=since, limit=200)
        return [
            Found(
                sid=str(m.sid),
                to=str(m.to or ""),
                body=str(m.body or ""),
                status=str(m.status or ""),
                created_at=m.date_created,
            )
            for m in found
        ]
