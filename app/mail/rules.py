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


# What needs another library's staff to act, by kind: (what it is, on by default). Each
# library chooses which kinds reach its contact address by email (R16: never patron data).
MAIL_KINDS: dict[str, tuple[str, bool]] = {
    "block_request": ("A lending library asks you to block one of your patrons (R8).", True),
    "assistance_request": ("A lending library asks your help to retrieve material or collect "
                           "a bill (R7).", False),
    "notice": ("Another library sends you a notice of non-compliance (a letter).", True),
    "suspension": ("Another library suspends, renews or lifts a suspension of service to your "
                   "patrons (a letter).", True),
    "dispute_message": ("The other library writes in a dispute you are party to (R13).", False),
    "bill": ("A lending library bills you for a patron's items (R6).", False),
}

# Kinds whose email carries a letter the Plan requires in writing (VIII.1.b, VIII.1.d): they
# cannot be turned off.
LETTER_KINDS = frozenset({"notice", "suspension"})

# Which event makes which kind of email: a new kind of email is one line here (and its words
# in app/mail/service.py, or the plain words every event gets).
EVENT_KINDS: dict[str, str] = {
    "block.requested": "block_request",
    "assistance.requested": "assistance_request",
    "assistance.response_overdue": "assistance_request",
    "notice.sent": "notice",
    "suspension.imposed": "suspension",
    "suspension.renewed": "suspension",
    "suspension.lifted": "suspension",
    "dispute.message_posted": "dispute_message",
    "bill.issued": "bill",
}


def wanted(kind: str, chosen: dict[str, bool]) -> bool:
    """Whether a library gets this kind of email: letters always, else its choice or the
    default."""
    if kind in LETTER_KINDS:
        return True
    return chosen.get(kind, MAIL_KINDS[kind][1])
