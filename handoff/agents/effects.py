"""What an agent action leaves to do after its commit: outbox messages to deliver and
live events to publish (never before the commit, so nobody sees what might roll back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from handoff.notify.delivery import schedule_reply_emails
from handoff.processing.outbox import dispatch_all

Event = dict[str, Any]


@dataclass
class Effects:
    message_ids: list[int] = field(default_factory=list)
    events: list[tuple[str, Event]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)  # the route's answer

    def publish(self, topic: str, event: Event) -> None:
        self.events.append((topic, event))


async def apply_effects(app: FastAPI, effects: Effects) -> None:
    await dispatch_all(app, effects.message_ids)
    # A customer who left an e-mail address and closed the chat gets agents' replies there.
    schedule_reply_emails(app, effects.message_ids)
    for topic, event in effects.events:
        await app.state.broadcaster.publish(topic, event)
