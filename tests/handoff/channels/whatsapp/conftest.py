"""The fake Twilio server, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.handoff.channels.whatsapp.fake_twilio import FakeTwilio


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()
