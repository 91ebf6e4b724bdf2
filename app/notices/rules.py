"""Pure rules for notices (Plan VIII.1.b): who may move a notice from which state to which."""

# (action, from state) -> to state
TRANSITIONS = {
    ("acknowledge", "sent"): "acknowledged",
    ("answer", "sent"): "answered",
    ("answer", "acknowledged"): "answered",
    ("withdraw", "sent"): "withdrawn",
    ("withdraw", "acknowledged"): "withdrawn",
}
# The library told acknowledges or answers; the library that sent it may withdraw it.
ACTORS = {"acknowledge": "recipient", "answer": "recipient", "withdraw": "sender"}
# A notice a suspension may point to (R12): sent and not withdrawn.
STANDING = ("sent", "acknowledged", "answered")


def next_state(action: str, state: str) -> str | None:
    """The state an action leads to from `state`, or None when it is not allowed."""
    return TRANSITIONS.get((action, state))
