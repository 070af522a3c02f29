"""A local SMTP server that keeps what it receives (aiosmtpd): the edge where the service's
e-mail leaves, reached over real SMTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.bot.servers import free_port


@dataclass
class SmtpSink:
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    delay: float = 0.0  # a slow mail server: seconds before it accepts a message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} e-mails within {timeout} s")
            time.sleep(0.05)
        return self.received


@pytest.fixture(name="smtp_sink")
def smtp_sink_fixture() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


def smtp_env(sink: SmtpSink) -> dict[str, str]:
    """The service's settings for the sink: plain SMTP on localhost, no login."""
    return {
        "HANDOFF_SMTP_HOST": "127.0.0.1",
        "HANDOFF_SMTP_PORT": str(sink.port),
        "HANDOFF_SMTP_FROM": "Voorbeeld Energie <klantenservice@example.nl>",
        "HANDOFF_SMTP_STARTTLS": "false",
    }


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")  # SMTP's line ends
