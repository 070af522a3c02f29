"""The HTTP client for Rasa's gateway channel.

Every way Rasa can fail us (refused connection, timeout, 5xx, an answer we cannot read)
becomes ``RasaUnavailable``, so callers have exactly one thing to turn into a handoff.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from handoff.rasa.schemas import HandbackResult, HumanTurn, ParseResult, RespondResult

GATEWAY = "/webhooks/gateway"
M = TypeVar("M", bound=BaseModel)


class RasaUnavailable(Exception):
    """Rasa or its action server could not give a usable answer."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        secret: str,
        timeout: float,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + GATEWAY,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def parse(self, sender_id: str, text: str, *, is_payload: bool = False) -> ParseResult:
        body = {"sender_id": sender_id, "text": text, "is_payload": is_payload}
        return await self._call("POST", "/parse", body, ParseResult)

    async def respond(
        self,
        sender_id: str,
        text: str,
        *,
        parse_data: dict[str, Any],
        language: str,
        message_id: str,
        metadata: dict[str, Any] | None = None,
    ) -> RespondResult:
        body = {
            "sender_id": sender_id,
            "text": text,
            "parse_data": parse_data,
            "language": language,
            "message_id": message_id,
            "metadata": metadata or {},
        }
        return await self._call("POST", "/respond", body, RespondResult)

    async def pause(self, sender_id: str) -> None:
        await self._request("POST", "/pause", {"sender_id": sender_id})

    async def handback(
        self, sender_id: str, *, language: str, human_phase: list[HumanTurn]
    ) -> HandbackResult:
        body = {
            "sender_id": sender_id,
            "language": language,
            "human_phase": [turn.model_dump() for turn in human_phase],
        }
        return await self._call("POST", "/handback", body, HandbackResult)

    async def health(self) -> bool:
        try:
            answer = await self._request("GET", "/health", None)
        except RasaUnavailable:
            return False
        return isinstance(answer, dict) and answer.get("status") == "ok"

    async def _call(self, method: str, path: str, body: dict[str, Any], model: type[M]) -> M:
        answer = await self._request(method, path, body)
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            raise RasaUnavailable(f"{path}: malformed answer ({exc.error_count()} errors)") from exc

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            # The overall deadline, not only httpx's per-phase timeouts: a server that
            # trickles bytes must not hold a turn longer than the configured timeout.
            async with asyncio.timeout(self.timeout):
                response = await self._http.request(method, path, json=body)
        except TimeoutError as exc:
            raise RasaUnavailable(f"{path}: no answer within {self.timeout:g} s") from exc
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"{path}: no answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"{path}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"{path}: answer is not JSON") from exc
