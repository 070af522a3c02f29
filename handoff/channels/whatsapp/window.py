"""WhatsApp's customer-service window: free text is allowed for 24 hours after the
customer's last message; after that only an approved template may be sent."""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


def closes_at(last_customer_message_at: datetime | None) -> datetime | None:
    """When free text stops being allowed; None when the customer never wrote."""
    if last_customer_message_at is None:
        return None
    return last_customer_message_at + WINDOW


def is_open(last_customer_message_at: datetime | None, now: datetime) -> bool:
    closing = closes_at(last_customer_message_at)
    return closing is not None and now < closing
