"""Days as the federation counts them (R9: calendar dates in America/Chicago by default)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from app.timestamps import today_in

FEDERATION_TZ = ZoneInfo("America/Chicago")


def today() -> date:
    """Today in the federation's time zone."""
    return today_in(FEDERATION_TZ.key)


def days_ago(days: int) -> date:
    """A date `days` before today in the federation's time zone."""
    return today() - timedelta(days=days)
