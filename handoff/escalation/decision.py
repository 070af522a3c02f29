"""What an escalation signal returns: one reason code and evidence an agent can read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Reason(enum.StrEnum):
    explicit_request = "explicit_request"
    human_only = "human_only"
    low_confidence = "low_confidence"
    rephrase = "rephrase"
    frustration = "frustration"
    bot_loop = "bot_loop"
    bot_failure = "bot_failure"


@dataclass(frozen=True)
class Decision:
    reason: Reason
    evidence: str  # plain Dutch, shown to the agent as is
    details: dict[str, Any] = field(default_factory=dict)
