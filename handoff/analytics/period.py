"""The period a supervisor looks at: whole days in the organisation's time zone, from
``start`` to ``end`` inclusive. A conversation belongs to the period in which it was
created (``Conversation.created_at``), whatever happened to it later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, model_validator

MAX_DAYS = 366


class Period(BaseModel):
    start: date
    end: date  # inclusive
    timezone: str = "Europe/Amsterdam"

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("de einddatum ligt voor de begindatum")
        if (self.end - self.start).days >= MAX_DAYS:
            raise ValueError(f"een periode is hoogstens {MAX_DAYS} dagen")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def bounds(self) -> tuple[datetime, datetime]:
        """[from, until) in UTC."""
        begin = datetime.combine(self.start, time(), self.zone)
        until = datetime.combine(self.end + timedelta(days=1), time(), self.zone)
        return begin.astimezone(UTC), until.astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def local_day(self, moment: datetime) -> date:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).date()
