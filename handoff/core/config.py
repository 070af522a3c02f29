"""Service configuration, read from the environment (prefix ``HANDOFF_``).

Secrets have no defaults: the service refuses to start without them rather than run
with a guessable value.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="ignore")

    # Storage: SQLite is the embedded default; PostgreSQL through a URL.
    database_url: str = "sqlite:///var/handoff.db"

    # Rasa, reached only through the gateway channel on localhost.
    rasa_url: str = "http://127.0.0.1:5005"
    gateway_secret: SecretStr = Field(default=SecretStr(""))
    rasa_timeout_seconds: float = 10.0

    # The turn worker: how often it looks for work other replicas or a crash left, and
    # how long a conversation's lease lasts before another worker may take it over.
    worker_poll_seconds: float = 1.0
    worker_lease_seconds: float = 60.0

    # Cross-replica fan-out; in-process when unset.
    redis_url: str | None = None

    # The organisation this deployment serves.
    org_name: str = "Voorbeeld Energie"
    public_url: str = "http://127.0.0.1:8000"
    allowed_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]

    # Staff sessions.
    session_ttl_minutes: int = 8 * 60
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_lockout_minutes: int = 15

    # Customer input limits.
    max_message_chars: int = 4000
    customer_rate_per_minute: int = 30

    # Lifecycle (minutes).
    inactivity_bot_minutes: int = 30
    inactivity_human_minutes: int = 60
    inactivity_waiting_minutes: int = 240
    abandoned_after_minutes: int = 10
    unanswered_claim_minutes: int = 5
    sweep_interval_seconds: float = 30.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
