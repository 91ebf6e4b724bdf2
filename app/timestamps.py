"""Clock and calendar: instants are UTC, 'today' is a date in the federation's time zone (R9)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def today_in(tz_name: str, now: datetime | None = None) -> date:
    """The calendar date in the federation's time zone at `now` (default: this instant)."""
    return (now or utcnow()).astimezone(ZoneInfo(tz_name)).date()


def isoformat_utc(instant: datetime) -> str:
    """ISO 8601 UTC with a Z, as the contract writes instants."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        """Read back as aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
