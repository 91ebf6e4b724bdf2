"""Pure rules for bills: the one-year deadline (R9) and replacement cost (R10)."""

from dataclasses import dataclass
from datetime import date

MAX_ITEM_CENTS = 1_000_000  # $10,000: above this an amount is a typing error, not a book
MAX_ITEMS = 50


def deadline_for(infraction: date) -> date:
    """R9: the same calendar date one year later (inclusive); 29 February -> 28 February."""
    try:
        return infraction.replace(year=infraction.year + 1)
    except ValueError:  # 29 February, and next year is not a leap year
        return date(infraction.year + 1, 2, 28)


@dataclass(frozen=True)
class DeadlineCheck:
    """Whether a bill may be sent today, and why not."""

    allowed: bool
    code: str | None
    deadline: date


def check_deadline(infraction: date, today: date) -> DeadlineCheck:
    """R9: refuse a future infraction, or a bill sent after its deadline."""
    if infraction > today:
        # A date in year 9999 has no deadline the calendar can hold: it is refused anyway.
        deadline = deadline_for(infraction) if infraction.year < date.max.year else date.max
        return DeadlineCheck(False, "infraction_in_future", deadline)
    deadline = deadline_for(infraction)
    if today > deadline:
        return DeadlineCheck(False, "bill_past_deadline", deadline)
    return DeadlineCheck(True, None, deadline)


def item_problems(item: dict) -> dict[str, str]:
    """R10: what is wrong with an item's costs, by field (empty when it is right)."""
    problems = {}
    price, fee = item.get("list_price_cents"), item.get("processing_fee_cents")
    if item["in_print"]:
        if price is None:
            problems["list_price_cents"] = "An in-print item is billed at its current list " \
                                           "price (R10)."
        if fee is not None:
            problems["processing_fee_cents"] = "A processing fee applies only to an " \
                                               "out-of-print item (R10)."
        if item.get("equivalent_title"):
            problems["equivalent_title"] = "An equivalent title replaces only an out-of-print " \
                                           "item (R10)."
    else:
        if not item.get("equivalent_title"):
            problems["equivalent_title"] = "An out-of-print item needs the agreed equivalent " \
                                           "title (R10)."
        if price is None and fee is None:
            problems["list_price_cents"] = "Give the equivalent title's list price, a " \
                                           "processing fee, or both."
    return problems


def fees_above_published(items: list[dict], cap: int | None) -> dict[str, str]:
    """Items whose processing fee exceeds the one the lender published (R5, R10), by path.

    `cap`: the published fixed fee; 0 when the policy says no processing fee is charged; None
    when a fee "may apply" with no amount published (the item itemises it, and the home
    library may dispute it) or when no policy is published.
    """
    if cap is None:
        return {}
    message = (f"More than the {cap} cents your directory policy publishes for lost materials."
               if cap else "Your directory policy publishes no processing fee for lost "
                           "materials.")
    return {f"items.{index}.processing_fee_cents": message
            for index, item in enumerate(items)
            if item.get("processing_fee_cents") is not None
            and item["processing_fee_cents"] > cap}


def item_amount(item: dict) -> int:
    """The amount billed for an item: list price plus any processing fee, in cents."""
    return (item.get("list_price_cents") or 0) + (item.get("processing_fee_cents") or 0)


# The bill's state machine: (action, from state) -> to state. An action that leaves the state
# as it is (a payment, a dispute's answer, a proposal) is listed with its own state: the table
# says in which states each action is allowed at all.
TRANSITIONS = {
    ("record_payment", "open"): "open",
    ("record_payment", "disputed"): "disputed",
    ("confirm_payment", "open"): "open",
    ("confirm_payment", "disputed"): "disputed",
    ("settle", "open"): "paid",          # confirmed money covers the amount due (R8)
    ("settle", "disputed"): "paid",
    ("void", "open"): "void",
    ("void", "disputed"): "void",
    ("dispute", "open"): "disputed",     # R13: the libraries work it out first
    ("answer", "disputed"): "disputed",
    ("withdraw_dispute", "disputed"): "open",
    ("propose", "open"): "open",
    ("propose", "disputed"): "disputed",
    ("resolve", "open"): "resolved",     # R6: alternate terms both parties agreed
    ("resolve", "disputed"): "resolved",
}
# Who may take each action: the issuing (lending) library, the home library, or either party.
ACTORS = {
    "record_payment": "party", "confirm_payment": "issuer", "settle": "party",
    "void": "issuer", "dispute": "home", "answer": "issuer", "withdraw_dispute": "home",
    "propose": "party", "resolve": "party",
}


def next_state(action: str, state: str) -> str | None:
    """The state an action leads to from `state`, or None when it is not allowed."""
    return TRANSITIONS.get((action, state))


def from_states(action: str) -> tuple[str, ...]:
    """The states in which an action is allowed."""
    return tuple(state for (name, state) in TRANSITIONS if name == action)


def may_act(action: str, side: str) -> bool:
    """Whether a party on `side` (issuer or home) may take the action."""
    return ACTORS[action] in ("party", side)
