"""Sending one e-mail over SMTP, blocking, with a timeout: callers run it off the event
loop. Settings come from the environment (HANDOFF_SMTP_*); the password is never logged."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from handoff.core.config import Settings


class EmailFailed(Exception):
    pass


def send_email(settings: Settings, message: EmailMessage) -> None:
    if not settings.email_enabled:
        raise EmailFailed("E-mail is not configured (HANDOFF_SMTP_HOST, HANDOFF_SMTP_FROM).")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailFailed(f"{type(exc).__name__}: {exc}") from exc
