"""The console's pure rules: what each role may do, the lockout's back-off, new passwords."""

from datetime import timedelta

import pytest

from app.console import rules


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    ("desk", {"verify"}, {"inbox", "blocks", "bills", "payments", "staff", "keys", "policy",
                          "office"}),
    ("circulation", {"verify", "inbox", "patrons", "blocks", "bills", "payments"},
     {"staff", "keys", "policy", "office"}),
    ("library_admin", {"verify", "inbox", "blocks", "bills", "staff", "keys", "policy",
                       "audit"}, {"office"}),
    ("office", {"office"}, {"verify", "inbox", "blocks", "bills", "staff", "keys", "policy"}),
])
def test_each_role_has_the_rights_of_the_one_before_and_the_office_stands_apart(role, allowed,
                                                                                refused):
    assert all(rules.may(role, p) for p in allowed)
    assert not any(rules.may(role, p) for p in refused)


def test_an_unknown_role_may_do_nothing():
    assert not rules.may("janitor", "verify")


def test_the_first_wrong_passwords_cost_nothing_then_each_doubles_the_lock_up_to_an_hour():
    assert [rules.lockout(n) for n in range(0, rules.FREE_FAILURES + 1)] == \
        [None] * (rules.FREE_FAILURES + 1)
    locks = [rules.lockout(n) for n in range(rules.FREE_FAILURES + 1, rules.FREE_FAILURES + 9)]
    assert locks[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                         timedelta(minutes=4)]
    assert all(later >= earlier for earlier, later in zip(locks, locks[1:]))
    assert rules.lockout(1000) == rules.LOCK_MAX == timedelta(hours=1)


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 12"),
    ("aaaaaaaaaaaaaaaa", "more different"),
    ("dana.desk is my password", "name or email"),
    ("x" * 300, "at most"),
])
def test_a_weak_password_is_refused_with_the_reason(password, problem):
    assert problem in rules.password_problem(password, email="dana.desk@example.org",
                                             name="Dana Desk")


def test_a_long_sentence_is_a_good_password():
    assert rules.password_problem("the prairie library opens at nine",
                                  email="dana@example.org", name="Dana Desk") is None
