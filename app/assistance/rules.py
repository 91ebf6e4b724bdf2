"""Pure rules for assistance requests (R7): who may move a request from which state to which,
what an answer must carry, when a request is overdue and when its details are purged."""

from datetime import date, datetime, timedelta

# (action, from state) -> to state
TRANSITIONS = {
    ("answer", "requested"): "answered",
    ("withdraw", "requested"): "closed",
    ("close", "answered"): "closed",
}
# The home library answers; the requesting library withdraws or closes.
ACTORS = {"answer": "home", "withdraw": "requester", "close": "requester"}


def next_state(action: str, state: str) -> str | None:
    """The state an action leads to from `state`, or None when it is not allowed."""
    return TRANSITIONS.get((action, state))


def response_due(requested_on: date, days: int) -> date:
    """The last day the home library has to answer."""
    return requested_on + timedelta(days=days)


def is_overdue(status: str, due: date, today: date) -> bool:
    """A request still unanswered after its due date."""
    return status == "requested" and today > due


def answer_problems(response: str, note: str | None, details: str | None) -> dict:
    """What is wrong with an answer, by field (empty when it is complete).

    Declining needs a reason; passing details needs the details; the details travel only
    with `details_passed`, so nothing about a patron is kept for any other answer (R16).
    """
    problems = {}
    if response == "declined" and not (note or "").strip():
        problems["note"] = "Say why you decline (R7)."
    if response == "details_passed" and not (details or "").strip():
        problems["patron_details"] = "Give what the lending library needs."
    if response != "details_passed" and details:
        problems["patron_details"] = "Only with response details_passed."
    return problems


def purge_before(now: datetime, days: int) -> datetime:
    """Requests closed before this instant have their patron details purged."""
    return now - timedelta(days=days)
