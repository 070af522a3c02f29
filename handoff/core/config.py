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
    # How long a one-time link to set a password (new account, reset) stays valid.
    password_reset_hours: int = 48

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

    # E-mail to customers who left an address (the agent's reply and the transcript);
    # off while the host or the sender address is unset.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = ""  # "Voorbeeld Energie <klantenservice@example.nl>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    # WhatsApp through Twilio (docs/whatsapp.md); the channel is off while the account
    # SID, auth token or sender is unset.
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str = ""  # "whatsapp:+14155238886"
    # The public URLs Twilio calls (behind a proxy they differ from what the service
    # sees); empty: public_url + /api/whatsapp/inbound and /api/whatsapp/status.
    twilio_webhook_url: str = ""
    twilio_status_callback_url: str = ""
    # The approved re-engagement template sent when the 24-hour window has closed.
    twilio_template_content_sid: str = ""
    twilio_template_variables: dict[str, str] = {}
    twilio_api_base: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = 10.0
    twilio_max_attempts: int = 8
    # How long a send of unknown outcome waits for Twilio's status callback before the
    # message is looked up (and only then, if Twilio does not have it, sent again).
    twilio_unknown_settle_seconds: float = 120.0
    twilio_send_concurrency: int = 8
    twilio_poll_seconds: float = 1.0

    @property
    def whatsapp_enabled(self) -> bool:
        token = self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else ""
        return bool(self.twilio_account_sid and token and self.twilio_whatsapp_from)

    @property
    def whatsapp_webhook_url(self) -> str:
        return self.twilio_webhook_url or f"{self.public_url.rstrip('/')}/api/whatsapp/inbound"

    @property
    def whatsapp_status_url(self) -> str:
        return (
            self.twilio_status_callback_url or f"{self.public_url.rstrip('/')}/api/whatsapp/status"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
