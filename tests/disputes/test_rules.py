"""The pure rules of disputes (R13): who writes what in which state."""

import pytest

from app.disputes import rules


@pytest.mark.parametrize("action, state, target", [
    ("message", "open", "open"), ("escalate", "open", "escalated"),
    ("message", "escalated", "escalated"), ("office_answer", "escalated", "escalated"),
    ("decide", "escalated", "closed"), ("withdraw", "open", "closed"),
    ("withdraw", "escalated", "closed"),
    ("decide", "open", None), ("office_answer", "open", None), ("escalate", "escalated", None),
    ("message", "closed", None), ("withdraw", "closed", None), ("decide", "closed", None),
])
def test_transitions(action, state, target):
    assert rules.next_state(action, state) == target


@pytest.mark.parametrize("action, office, opener, allowed", [
    ("message", False, False, True), ("message", True, False, False),
    ("escalate", False, False, True), ("escalate", True, False, False),
    ("withdraw", False, True, True), ("withdraw", False, False, False),
    ("office_answer", True, False, True), ("office_answer", False, True, False),
    ("decide", True, False, True), ("decide", False, True, False),
])
def test_who_may_act(action, office, opener, allowed):
    """The libraries write and escalate; the opener withdraws; only the office decides."""
    assert rules.may_act(action, is_office=office, is_opener=opener) is allowed
