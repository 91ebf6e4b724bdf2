"""R9 (one year) and R10 (replacement cost) as pure functions, exhaustively."""

import calendar
from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from app.bills.rules import check_deadline, deadline_for, item_amount, item_problems
from app.timestamps import today_in

dates = st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31))


def test_the_deadline_is_the_same_calendar_date_a_year_later():
    """R9: 2026-03-15 -> 2027-03-15."""
    assert deadline_for(date(2026, 3, 15)) == date(2027, 3, 15)
    assert deadline_for(date(2026, 12, 31)) == date(2027, 12, 31)


def test_29_february_maps_to_28_february():
    """R9: a leap day's deadline is 28 February of the next year."""
    assert deadline_for(date(2024, 2, 29)) == date(2025, 2, 28)
    assert deadline_for(date(2028, 2, 29)) == date(2029, 2, 28)
    # 28 February of a leap year: the same date, not the leap day.
    assert deadline_for(date(2027, 2, 28)) == date(2028, 2, 28)


def test_every_day_of_a_leap_and_a_common_year_has_the_right_deadline():
    """Exhaustive over 2023-2025 (2024 is a leap year)."""
    day = date(2023, 1, 1)
    while day < date(2026, 1, 1):
        expected = (date(day.year + 1, 2, 28) if (day.month, day.day) == (2, 29)
                    else date(day.year + 1, day.month, day.day))
        assert deadline_for(day) == expected
        day += timedelta(days=1)


@given(dates)
@example(date(2000, 2, 29))  # a leap century
@example(date(1904, 2, 29))
def test_the_deadline_is_one_year_later_with_the_same_month(infraction):
    """R9 for any date: same month, next year, same day unless that day does not exist."""
    deadline = deadline_for(infraction)
    assert deadline.year == infraction.year + 1 and deadline.month == infraction.month
    if (infraction.month, infraction.day) == (2, 29):
        assert not calendar.isleap(deadline.year) or deadline.day == 28
        assert deadline.day == 28
    else:
        assert deadline.day == infraction.day
    assert 365 <= (deadline - infraction).days <= 366


@given(dates, st.integers(min_value=-800, max_value=800))
def test_a_bill_is_allowed_from_the_infraction_day_through_the_deadline_inclusive(
        infraction, offset):
    """R9: refused before the infraction (future) and after the deadline; allowed between."""
    today = infraction + timedelta(days=offset)
    check = check_deadline(infraction, today)
    assert check.deadline == deadline_for(infraction)
    if today < infraction:
        assert (check.allowed, check.code) == (False, "infraction_in_future")
    elif today > check.deadline:
        assert (check.allowed, check.code) == (False, "bill_past_deadline")
    else:
        assert (check.allowed, check.code) == (True, None)


@given(dates)
def test_the_deadline_day_itself_is_allowed_and_the_next_day_is_not(infraction):
    """R9: inclusive deadline."""
    deadline = deadline_for(infraction)
    assert check_deadline(infraction, deadline).allowed
    assert check_deadline(infraction, deadline + timedelta(days=1)).code == "bill_past_deadline"


@given(st.integers(min_value=-180, max_value=180))
def test_today_is_the_chicago_date_in_the_hours_around_chicago_midnight(minutes):
    """R9: 'today' is the calendar date in the federation's time zone, not UTC.

    Midnight of 2026-11-24 in Chicago (CST, UTC-6) is 06:00 UTC; at 23:59 Chicago time on the
    deadline day it is already the next day in UTC, and the bill must still be allowed.
    """
    chicago_midnight = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    now = chicago_midnight + timedelta(minutes=minutes)
    today = today_in("America/Chicago", now)
    assert today == (date(2026, 11, 24) if minutes >= 0 else date(2026, 11, 23))
    # An infraction on 2025-11-23 has its deadline on 2026-11-23, inclusive.
    check = check_deadline(date(2025, 11, 23), today)
    assert check.allowed == (minutes < 0)
    if minutes < 0 and now.date() == date(2026, 11, 24):
        assert not check_deadline(date(2025, 11, 23), now.date()).allowed  # UTC would refuse


@given(st.integers(min_value=-120, max_value=120))
def test_around_midnight_in_daylight_saving_time_too(minutes):
    """In July Chicago is UTC-5 (CDT): its midnight is 05:00 UTC."""
    now = datetime(2026, 7, 1, 5, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    assert today_in("America/Chicago", now) == (date(2026, 7, 1) if minutes >= 0
                                                 else date(2026, 6, 30))


def test_a_leap_day_infraction_on_the_day_its_deadline_falls():
    """R9: infraction 2028-02-29: 2029-02-28 allowed, 2029-03-01 refused."""
    assert check_deadline(date(2028, 2, 29), date(2029, 2, 28)).allowed
    assert check_deadline(date(2028, 2, 29), date(2029, 3, 1)).code == "bill_past_deadline"


def in_print(**changes):
    """An in-print item priced at $18.99."""
    return {"in_print": True, "list_price_cents": 1899, **changes}


def test_an_in_print_item_is_billed_at_its_list_price():
    """R10: current list price, no processing fee, no equivalent title."""
    assert item_problems(in_print()) == {}
    assert item_amount(in_print()) == 1899
    assert set(item_problems(in_print(list_price_cents=None))) == {"list_price_cents"}
    assert set(item_problems(in_print(processing_fee_cents=500))) == {"processing_fee_cents"}


def test_an_out_of_print_item_needs_an_equivalent_title_and_may_carry_a_fee():
    """R10: an equivalent title may be agreed; a processing fee may apply."""
    item = {"in_print": False, "equivalent_title": "Atlas, 2nd ed.", "list_price_cents": 4500,
            "processing_fee_cents": 500}
    assert item_problems(item) == {} and item_amount(item) == 5000
    assert set(item_problems({**item, "equivalent_title": None})) == {"equivalent_title"}
    fee_only = {"in_print": False, "equivalent_title": "X", "processing_fee_cents": 700}
    assert item_problems(fee_only) == {} and item_amount(fee_only) == 700
    nothing = {"in_print": False, "equivalent_title": "X"}
    assert set(item_problems(nothing)) == {"list_price_cents"}
