"""Pure rules of retention: which closed records are old enough to lose their patron link."""

from datetime import date, timedelta

# Bills in these states are closed: nothing more can be paid, blocked or resolved on them.
CLOSED_BILL_STATES = ("paid", "resolved", "void")


def closed_before(today: date, days: int) -> date:
    """Records closed before this day are past the retention period."""
    return today - timedelta(days=days)
