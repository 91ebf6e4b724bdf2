"""Pure rules for disputes (R13): who may do what in which state.

The two libraries write to each other while a dispute is open; either may then ask the office
for help in writing (escalate), with a copy to the other; once escalated the office answers
both and may close the dispute with a decision. The library that opened it may withdraw it.
"""

# (action, from state) -> to state
TRANSITIONS = {
    ("message", "open"): "open",
    ("message", "escalated"): "escalated",
    ("escalate", "open"): "escalated",
    ("office_answer", "escalated"): "escalated",
    ("decide", "escalated"): "closed",
    ("withdraw", "open"): "closed",
    ("withdraw", "escalated"): "closed",
}
# Who may take each action: either party, the opener, or the federation office.
ACTORS = {"message": "party", "escalate": "party", "withdraw": "opener",
          "office_answer": "office", "decide": "office"}
# The most messages one dispute holds: a dispute is a letter exchange, not a chat.
MAX_MESSAGES = 200


def next_state(action: str, state: str) -> str | None:
    """The state an action leads to from `state`, or None when it is not allowed."""
    return TRANSITIONS.get((action, state))


def may_act(action: str, *, is_office: bool, is_opener: bool) -> bool:
    """Whether this caller (a party, the opener, or the office) may take the action."""
    actor = ACTORS[action]
    if actor == "office":
        return is_office
    if is_office:
        return False
    return actor == "party" or is_opener
