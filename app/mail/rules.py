"""Pure decisions about letters and mail: which events are written, references, retries."""

# Event types that produce a letter (Plan VIII.1.b, VIII.1.d, VIII.1.e, VIII.2.c: written
# means written). Each is mailed to the addressed libraries with a copy to the office.
LETTER_EVENTS: dict[str, str] = {
    "notice.sent": "Notice of non-compliance",
    "suspension.imposed": "Notice of suspension of service",
    "suspension.renewed": "Notice of renewal of a suspension",
    "suspension.lifted": "Notice that a suspension is lifted",
    "dispute.escalated": "Request for the federation office's help",
    "dispute.office_answered": "The federation office's answer",
    "dispute.decided": "The federation office's decision",
    "membership.removed": "Notice of removal from full membership",
    "membership.reinstated": "Notice of reinstatement to membership",
}

# How long the mail worker waits after each failed attempt, in seconds; past the last step it
# keeps trying at the last step's pace (a mail is never dropped for a server being down).
RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 3 * 3600)


def reference(year: int, number: int) -> str:
    """A letter's reference: stable, unique and read aloud easily (`RS-2026-000123`)."""
    return f"RS-{year}-{number:06d}"


def retry_delay(attempts: int, schedule: tuple[float, ...] = RETRY_SCHEDULE) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1-based)."""
    if not schedule:
        return 0.0
    return float(schedule[min(attempts, len(schedule)) - 1])


def addresses(*groups) -> list[str]:
    """The distinct non-empty addresses of the groups, in order (a library twice gets one)."""
    seen: list[str] = []
    for group in groups:
        for address in group if isinstance(group, (list, tuple)) else [group]:
            if address and address.strip() and address.strip().lower() not in \
                    [s.lower() for s in seen]:
                seen.append(address.strip())
    return seen
