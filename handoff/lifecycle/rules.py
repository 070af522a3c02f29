"""What the lifecycle sweep does to one conversation: a pure decision over its facts,
the time and the configured limits, so every case can be tested without a clock or a
database.

- Inactivity closes a conversation (outcome ``expired``) after its state's timeout,
  except one that waits for a person out of hours or with an e-mail address left:
  those are answered later, however long that takes.
- A web customer gone from a waiting conversation (no live connection for the
  configured time) and no e-mail address left: closed as ``abandoned``.
- A claimed conversation whose customer waits unanswered too long goes back to the
  queue, flagged, before it could ever expire: the customer is waiting for us.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from handoff.conversations.state import State
from handoff.core.config import Settings


class Action(enum.StrEnum):
    expire = "expire"
    abandon = "abandon"
    requeue_unanswered = "requeue_unanswered"


@dataclass(frozen=True)
class Limits:
    inactivity: dict[State, timedelta]
    abandoned_after: timedelta
    unanswered_claim: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            inactivity={
                State.bot: timedelta(minutes=settings.inactivity_bot_minutes),
                State.waiting: timedelta(minutes=settings.inactivity_waiting_minutes),
                State.human: timedelta(minutes=settings.inactivity_human_minutes),
            },
            abandoned_after=timedelta(minutes=settings.abandoned_after_minutes),
            unanswered_claim=timedelta(minutes=settings.unanswered_claim_minutes),
        )

    @property
    def shortest(self) -> timedelta:
        return min([*self.inactivity.values(), self.abandoned_after, self.unanswered_claim])


@dataclass(frozen=True)
class Facts:
    state: State
    channel: str
    last_activity_at: datetime  # the latest message of anyone, or state change
    last_customer_message_at: datetime | None
    last_agent_message_at: datetime | None  # public messages only, not notes
    claimed_at: datetime | None
    # When the customer's widget was last known to be connected (or, without presence
    # tracking, last active); None: never seen on a live connection.
    customer_seen_at: datetime | None
    email_left: bool
    out_of_hours: bool


def unanswered_since(facts: Facts) -> datetime | None:
    """Since when the customer of a claimed conversation waits for the agent, if so."""
    customer = facts.last_customer_message_at
    if customer is None:
        return None
    agent = facts.last_agent_message_at
    if agent is not None and agent >= customer:
        return None
    # A question asked before the claim counts from the claim: the agent could not
    # answer before owning the conversation.
    if facts.claimed_at is not None and facts.claimed_at > customer:
        return facts.claimed_at
    return customer


def is_abandoned(facts: Facts, now: datetime, limits: Limits) -> bool:
    if facts.channel != "web" or facts.email_left:
        return False
    seen = facts.customer_seen_at
    return seen is None or now - seen >= limits.abandoned_after


def decide(facts: Facts, now: datetime, limits: Limits) -> Action | None:
    if facts.state == State.closed:
        return None
    if facts.state == State.human:
        since = unanswered_since(facts)
        if since is not None:
            return Action.requeue_unanswered if now - since >= limits.unanswered_claim else None
    if facts.state == State.waiting:
        if is_abandoned(facts, now, limits):
            return Action.abandon
        if facts.out_of_hours or facts.email_left:
            return None
    if now - facts.last_activity_at >= limits.inactivity[facts.state]:
        return Action.expire
    return None
