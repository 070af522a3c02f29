"""The agent console's WebSocket (``/ws/agent``).

Server frames: ``hello`` (account and the queue as it is now), then every event on the
``agents`` topic (queue changes, presence, transfers, internal notes, customer messages
to people), and the events of each conversation the console subscribed to, each with
its ``conversation_id``; a message arrives once, whichever topic brings it first.
Client frames: ``{"type": "subscribe" | "unsubscribe", "conversation_id"}``,
``{"type": "typing", "conversation_id", "on"}`` (forwarded to the customer) and
``{"type": "ping"}`` (the heartbeat). Every frame re-checks the session, and so does a
timer, so an expired, revoked or deactivated login loses its socket too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.accounts.models import Role
from handoff.agents import presence
from handoff.agents.errors import COLLEAGUE_OWNS_IT, CONVERSATION_NOT_FOUND
from handoff.agents.queue import waiting_conversations
from handoff.api.deps import SocketStaff, authenticate_websocket, session_still_valid
from handoff.api.socket_tasks import stop_tasks
from handoff.conversations import store
from handoff.conversations.events import AGENTS_TOPIC, topic
from handoff.conversations.state import State
from handoff.db.session import session_scope

SESSION_CHECK_SECONDS = 15.0
MAX_SUBSCRIPTIONS = 50
MAX_FRAME_CHARS = 4096
RECENT_MESSAGES = 500
CLOSE_SESSION_ENDED = 4401


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.frame = {"type": "error", "code": code, "message": message}


class SessionEnded(Exception):
    pass


def _hello(session: Session, staff: SocketStaff) -> dict[str, Any]:
    presence.heartbeat(session, account_id=staff.account_id)
    return {
        "type": "hello",
        "account": {
            "id": staff.account_id,
            "display_name": staff.display_name,
            "role": staff.role.value,
        },
        "queue": waiting_conversations(session),
    }


def _conversation_exists(session: Session, conversation_id: str) -> bool:
    return store.get_conversation(session, conversation_id) is not None


def _may_type(session: Session, conversation_id: str, staff: SocketStaff) -> str | None:
    """Why this agent may not type into the conversation, or None."""
    conversation = store.get_conversation(session, conversation_id)
    if conversation is None:
        return CONVERSATION_NOT_FOUND
    if conversation.state != State.human:
        return "Alleen in een gesprek met een medewerker"
    if conversation.assigned_agent_id != staff.account_id and staff.role is not Role.supervisor:
        return COLLEAGUE_OWNS_IT
    return None


class AgentSocket:
    def __init__(self, websocket: WebSocket, staff: SocketStaff) -> None:
        self.ws = websocket
        self.app: FastAPI = websocket.app
        self.staff = staff
        self._send_lock = asyncio.Lock()
        self._watching: dict[str, asyncio.Task[None]] = {}
        # Customer messages to people come on the ``agents`` topic and on their
        # conversation's: the console gets each once.
        self._recent_messages: deque[int] = deque(maxlen=RECENT_MESSAGES)

    def _db(self, work: Any, *args: Any) -> Any:
        with session_scope(self.app.state.sessionmaker) as session:
            return work(session, *args)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_json(frame)

    async def run(self) -> None:
        async with self.app.state.broadcaster.subscribe(AGENTS_TOPIC) as events:
            await self.send(await run_in_threadpool(self._db, _hello, self.staff))
            tasks = {
                asyncio.create_task(self._read()),
                asyncio.create_task(self._forward(events, None)),
                asyncio.create_task(self._keep_checking()),
            }
            try:
                done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if isinstance(task.exception(), SessionEnded):
                        await self._end_session()
            finally:
                await stop_tasks(
                    [*tasks, *self._watching.values()], WebSocketDisconnect, SessionEnded
                )

    async def _end_session(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send(
                {"type": "error", "code": "session_ended", "message": "Sessie verlopen"}
            )
            await self.ws.close(CLOSE_SESSION_ENDED)

    async def _forward(
        self, events: AsyncIterator[dict[str, Any]], conversation_id: str | None
    ) -> None:
        async for event in events:
            if event.get("type") == "message" and isinstance(event.get("id"), int):
                if event["id"] in self._recent_messages:
                    continue
                self._recent_messages.append(event["id"])
            if conversation_id is not None:
                event = {"conversation_id": conversation_id, **event}
            await self.send(event)

    async def _watch(self, conversation_id: str, ready: asyncio.Event) -> None:
        async with self.app.state.broadcaster.subscribe(topic(conversation_id)) as events:
            ready.set()
            await self._forward(events, conversation_id)

    async def _keep_checking(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            await self._check_session()
            await run_in_threadpool(self._db, _heartbeat, self.staff.account_id)

    async def _check_session(self) -> None:
        if not await session_still_valid(self.ws, self.staff):
            raise SessionEnded

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.ws.receive_text()
            except WebSocketDisconnect:
                return
            await self._check_session()
            try:
                await self._handle(raw)
            except FrameError as error:
                await self.send(error.frame)

    async def _handle(self, raw: str) -> None:
        if len(raw) > MAX_FRAME_CHARS:
            raise FrameError(
                "frame_too_large", f"Een frame mag hoogstens {MAX_FRAME_CHARS} tekens zijn"
            )
        try:
            frame = json.loads(raw)
        except ValueError:
            raise FrameError("malformed_json", "Het frame is geen geldige JSON") from None
        if not isinstance(frame, dict):
            raise FrameError("malformed_frame", "Een frame is een JSON-object met een type")
        kind = frame.get("type")
        if kind == "ping":
            await run_in_threadpool(self._db, _heartbeat, self.staff.account_id)
            await self.send({"type": "pong"})
        elif kind == "subscribe":
            await self._subscribe(_conversation_id(frame))
        elif kind == "unsubscribe":
            conversation_id = _conversation_id(frame)
            task = self._watching.pop(conversation_id, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.send({"type": "unsubscribed", "conversation_id": conversation_id})
        elif kind == "typing":
            await self._typing(_conversation_id(frame), frame.get("on"))
        else:
            raise FrameError(
                "unknown_frame_type",
                f"Onbekend frame {kind!r}; verwacht subscribe, unsubscribe, typing of ping",
            )

    async def _subscribe(self, conversation_id: str) -> None:
        if conversation_id not in self._watching:
            if len(self._watching) >= MAX_SUBSCRIPTIONS:
                raise FrameError(
                    "too_many_subscriptions", f"Hoogstens {MAX_SUBSCRIPTIONS} gesprekken tegelijk"
                )
            if not await run_in_threadpool(self._db, _conversation_exists, conversation_id):
                raise FrameError("not_found", CONVERSATION_NOT_FOUND)
            ready = asyncio.Event()
            self._watching[conversation_id] = asyncio.create_task(
                self._watch(conversation_id, ready)
            )
            await ready.wait()
        await self.send({"type": "subscribed", "conversation_id": conversation_id})

    async def _typing(self, conversation_id: str, on: Any) -> None:
        if not isinstance(on, bool):
            raise FrameError("invalid_typing", "on moet true of false zijn")
        problem = await run_in_threadpool(self._db, _may_type, conversation_id, self.staff)
        if problem is not None:
            raise FrameError("not_allowed", problem)
        await self.app.state.broadcaster.publish(
            topic(conversation_id),
            {
                "type": "typing",
                "author": "agent",
                "name": self.staff.display_name,
                "on": on,
                "account_id": self.staff.account_id,
            },
        )


def _heartbeat(session: Session, account_id: int) -> None:
    presence.heartbeat(session, account_id=account_id)


def _conversation_id(frame: dict[str, Any]) -> str:
    value = frame.get("conversation_id")
    if not isinstance(value, str) or not value or len(value) > 64:
        raise FrameError("invalid_conversation_id", "conversation_id ontbreekt of is ongeldig")
    return value


async def serve_agent_socket(websocket: WebSocket) -> None:
    staff = await authenticate_websocket(websocket)
    if staff is None:
        return
    await websocket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        await AgentSocket(websocket, staff).run()
