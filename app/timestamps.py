"""Clock and calendar: instants are UTC, 'today' is a date in the federation's time zone (R9)."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def today_in(tz_name: str, now: datetime | None = None) -> date:
    """The calendar date in the federation's time zone at `now` (default: this instant)."""
    return (now or utcnow()).astimezone(ZoneInfo(tz_name)).date()


def isoformat_utc(instant: datetime) -> str:
    """ISO 8601 UTC with a Z, as the contract writes instants."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


from sqlalchemy import DateTime, TypeDecorator  # noqa: E402


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC on every database and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store aware instants as UTC; SQLite keeps them naive."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Read back as aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
