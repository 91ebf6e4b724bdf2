"""The pure rules of suspensions (R12, R4): terms, dates and the sentence a desk reads."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.suspensions import rules

TODAY = date(2026, 12, 2)


def terms(**changes) -> rules.Terms:
    """Terms that pass, with changes."""
    values = {"measure": "suspension", "services": "reciprocal_borrowing", "item_cap": None,
              "starts_on": TODAY, "ends_on": TODAY + timedelta(days=30)}
    return rules.Terms(**{**values, **changes})


def test_good_terms_pass():
    rules.check_terms(terms(), TODAY, 365)
    rules.check_terms(terms(measure="restriction", item_cap=1, services="both"), TODAY, 365)


@pytest.mark.parametrize("changes, field", [
    ({"starts_on": TODAY - timedelta(days=1)}, "starts_on"),
    ({"ends_on": TODAY - timedelta(days=1)}, "ends_on"),
    ({"ends_on": TODAY + timedelta(days=366)}, "ends_on"),
    ({"measure": "restriction"}, "item_cap"),
    ({"item_cap": 2}, "item_cap"),
    ({"measure": "restriction", "item_cap": 2, "services": "interlibrary_loan"}, "services"),
])
def test_terms_the_rules_refuse_name_their_field(changes, field):
    with pytest.raises(rules.TermsRefused) as refused:
        rules.check_terms(terms(**changes), TODAY, 365)
    assert refused.value.field == field


@given(start=st.integers(-400, 400), length=st.integers(0, 400), lifted=st.booleans(),
       day=st.integers(-800, 800))
def test_in_force_exactly_from_start_through_end_unless_lifted(start, length, lifted, day):
    starts = TODAY + timedelta(days=start)
    ends = starts + timedelta(days=length)
    today = TODAY + timedelta(days=day)
    status = rules.status(starts, ends, TODAY if lifted else None, today)
    if lifted:
        assert status == rules.LIFTED
    else:
        assert (status == rules.IN_FORCE) == (starts <= today <= ends)
        assert (status == rules.SCHEDULED) == (today < starts)
        assert (status == rules.ENDED) == (today > ends)


def test_the_desk_reads_the_terms_in_words():
    assert rules.describe("suspension", "both", None, date(2027, 1, 31), "Until returned.") == (
        "Your library's suspension: reciprocal borrowing and interlibrary loan suspended "
        "through 2027-01-31. Terms: Until returned.")
    assert rules.describe("restriction", "reciprocal_borrowing", 1, date(2027, 1, 31),
                          None) == ("Your library's restriction: reciprocal borrowing limited "
                                    "to at most 1 item at a time through 2027-01-31.")
    assert rules.covers_lending("both") and not rules.covers_lending("interlibrary_loan")
