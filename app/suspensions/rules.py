"""Pure rules for suspensions (R12, R4, Plan VIII.1.d): terms, dates and what a desk is told."""

from dataclasses import dataclass
from datetime import date, timedelta

SCHEDULED, IN_FORCE, ENDED, LIFTED = "scheduled", "in_force", "ended", "lifted"
STATUSES = (SCHEDULED, IN_FORCE, ENDED, LIFTED)
SERVICE_WORDS = {"reciprocal_borrowing": "reciprocal borrowing",
                 "interlibrary_loan": "interlibrary loan",
                 "both": "reciprocal borrowing and interlibrary loan"}


class TermsRefused(ValueError):
    """Terms a suspension may not have; `field` names the offending one."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Terms:
    """What is suspended or restricted, and for how long."""

    measure: str  # suspension | restriction
    services: str  # reciprocal_borrowing | interlibrary_loan | both
    item_cap: int | None
    starts_on: date
    ends_on: date


def check_terms(terms: Terms, today: date, max_days: int) -> None:
    """Refuse terms R12 and R4 do not allow: no open end, no back-dating, a cap of at least 1."""
    if terms.starts_on < today:
        raise TermsRefused("A suspension starts today or later: written notice comes first "
                           "(R12).", "starts_on")
    if terms.ends_on < terms.starts_on:
        raise TermsRefused("The end date is on or after the start date.", "ends_on")
    check_end(terms.ends_on, today, max_days)
    if terms.measure == "restriction":
        if terms.item_cap is None:
            raise TermsRefused("A restriction states its item cap.", "item_cap")
        if terms.services == "interlibrary_loan":
            raise TermsRefused("An item cap restricts reciprocal borrowing: use services "
                               "reciprocal_borrowing or both.", "services")
    elif terms.item_cap is not None:
        raise TermsRefused("A suspension stops the service; only a restriction has an item "
                           "cap.", "item_cap")


def check_end(ends_on: date, today: date, max_days: int) -> None:
    """No open-ended suspension: a term ends at most `max_days` after today (renewable)."""
    if ends_on > today + timedelta(days=max_days):
        raise TermsRefused(f"A term ends at most {max_days} days from today; renew it before "
                           "it ends to extend it.", "ends_on")


def status(starts_on: date, ends_on: date, lifted_on: date | None, today: date) -> str:
    """Where a suspension stands on `today` (a date in the federation's time zone)."""
    if lifted_on is not None:
        return LIFTED
    if today < starts_on:
        return SCHEDULED
    if today > ends_on:
        return ENDED  # in force through its end date, as a card is good through its expiry
    return IN_FORCE


def covers_lending(services: str) -> bool:
    """Whether the terms concern reciprocal borrowing, which verifications answer for."""
    return services in ("reciprocal_borrowing", "both")


def describe(measure: str, services: str, item_cap: int | None, ends_on: date,
             terms: str | None) -> str:
    """The terms in a sentence or two a desk (or a letter) can read."""
    what = SERVICE_WORDS[services]
    if measure == "restriction":
        plural = "s" if item_cap != 1 else ""
        sentence = (f"Your library's restriction: {what} limited to at most {item_cap} "
                    f"item{plural} at a time through {ends_on.isoformat()}.")
    else:
        sentence = f"Your library's suspension: {what} suspended through {ends_on.isoformat()}."
    if terms:
        sentence += f" Terms: {terms}"
    return sentence
