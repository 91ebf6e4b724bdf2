"""Pure rules for blocks (R8): who may move a block from which state to which."""

from datetime import date, timedelta

# (action, from state) -> to state
TRANSITIONS = {
    ("honor", "requested"): "honored",
    ("refuse", "requested"): "refused",
    ("withdraw", "requested"): "withdrawn",
    ("release", "honored"): "released",
}
# Who may take each action: the home library answers, the requester releases or withdraws.
ACTORS = {"honor": "home", "refuse": "home", "withdraw": "requester", "release": "requester"}


def next_state(action: str, state: str) -> str | None:
    """The state an action leads to from `state`, or None when it is not allowed."""
    return TRANSITIONS.get((action, state))


def response_due(requested_on: date, days: int) -> date:
    """The last day the home library has to answer a request."""
    return requested_on + timedelta(days=days)


def is_overdue(status: str, due: date, today: date) -> bool:
    """A request still unanswered after its due date."""
    return status == "requested" and today > due


def settled_action(status: str) -> str | None:
    """When every bill a block covers is settled: release it if honored, withdraw if pending."""
    return {"honored": "release", "requested": "withdraw"}.get(status)
