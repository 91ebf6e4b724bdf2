"""Every sentence the directory writes reads as a librarian writes it, for every value: one
item, two items, no renewals, nothing stated; no raw vocabulary terms or empty values."""

import re

from hypothesis import given
from hypothesis import strategies as st

from app.directory import versions, wording
from app.directory.schemas import PolicySchema
from tests.directory.conftest import policy

COUNTS = st.one_of(st.none(), st.sampled_from([0, 1, 2, 7, 14]), st.integers(1, 60))
WRONG = [
    re.compile(r"\b1 (items|weeks|days|requests|renewals|years|months)\b"),  # "up to 1 items"
    re.compile(r"\b(0|no) (day|week)s? (overdue|before)"),
    re.compile(r"request \d+ requests"),                                    # "request 10 requests"
    re.compile(r"\bNone\b|\bnull\b|\$None|\{|\}"),                          # leaked values
    re.compile(r"\b[a-z]+_[a-z_]+\b"),                                      # raw terms: blu_ray
    re.compile(r"\.\.|,,|\s[,.]|\(\)"),
]


def sentences(document: dict) -> list[str]:
    """Every sentence of the summary and of the DVD answer."""
    canonical = versions.canonical(PolicySchema().load(document))
    lines = [line for section in wording.summarize(canonical).values() for line in section]
    answer = wording.answer_question(canonical, "dvd", "Prairie Public Library")
    lines += [answer["answer"], answer["interlibrary_loan"]["answer"], *answer["conditions"]]
    return lines


def assert_reads_well(lines: list[str]) -> None:
    for line in lines:
        assert line and line[0].isupper() or line[0] in "$(", line
        assert line.rstrip().endswith((".", ")")), line
        for pattern in WRONG:
            assert not pattern.search(line), (pattern.pattern, line)


@given(cap=COUNTS, loan=COUNTS, renewals=COUNTS, ill_renewals=COUNTS, renewal_days=COUNTS,
       overdue=COUNTS, library_items=COUNTS, weekly=COUNTS, own_items=COUNTS,
       own_weekly=COUNTS, cycle=COUNTS)
def test_counts_read_well_for_every_value(cap, loan, renewals, ill_renewals, renewal_days,
                                          overdue, library_items, weekly, own_items,
                                          own_weekly, cycle):
    def positive(value, top=365):
        return None if value is None else max(1, min(value, top))

    document = policy(**{
        "reciprocal_borrowing.items_at_a_time": positive(cap),
        "reciprocal_borrowing.format_limits": [],
        "reciprocal_borrowing.loan_days": positive(loan),
        "reciprocal_borrowing.renewals": renewals,
        "interlibrary_loan.renewals": ill_renewals,
        "interlibrary_loan.renewal_days": positive(renewal_days),
        "interlibrary_loan.no_renewal_when_overdue_days": overdue,
        "interlibrary_loan.no_renewal_if_on_hold": True,
        "interlibrary_loan.borrowing_library_limits": {
            "items_at_a_time": positive(library_items), "requests_per_week": positive(weekly)},
        "interlibrary_loan.own_patrons": {"items_at_a_time": positive(own_items),
                                          "requests_per_week": positive(own_weekly)},
        "review_cycle_months": positive(cycle, 60),
    })
    assert_reads_well(sentences(document))


def test_singular_plural_and_zero_in_plain_words():
    one = sentences(policy(**{
        "reciprocal_borrowing.items_at_a_time": 1, "reciprocal_borrowing.format_limits": [],
        "reciprocal_borrowing.loan_days": 7, "reciprocal_borrowing.renewals": 0,
        "interlibrary_loan.renewals": 0,
        "interlibrary_loan.own_patrons": {"items_at_a_time": 1, "requests_per_week": 1},
        "review_cycle_months": 12}))
    text = " ".join(one)
    assert "up to 1 item at a time." in text and "Loans last 1 week, with no renewals." in text
    assert "No renewals." in one
    assert ("Its own patrons may have up to 1 item requested or checked out at a time, and "
            "make up to 1 request a week.") in one
    assert "The library reviews this policy every year;" in text
    many = " ".join(sentences(policy(**{
        "reciprocal_borrowing.items_at_a_time": 10, "reciprocal_borrowing.format_limits": [],
        "interlibrary_loan.own_patrons": {"requests_per_week": 10}, "review_cycle_months": 18})))
    assert "up to 10 items at a time." in many and "make up to 10 requests a week." in many
    assert "every 18 months" in many
    none = sentences(policy(**{"reciprocal_borrowing.items_at_a_time": None, "fees": [],
                               "interlibrary_loan.own_patrons": None}))
    assert "No fees are published for reciprocal borrowers." in none
    assert any(line.endswith("with no cap beyond the library's own.") for line in none)


def test_dates_are_written_as_a_librarian_writes_them():
    assert wording.long_date("2026-09-01") == "September 1, 2026"
    assert wording.opening_hours({"opening_hours": [
        {"days": ["monday", "wednesday", "friday"], "opens": "12:00", "closes": "21:30"},
        {"days": ["saturday", "sunday"], "opens": "00:00", "closes": "24:00"}]}) == [
        "Monday, Wednesday and Friday: noon to 9:30 p.m.",
        "Saturday and Sunday: midnight to midnight."]
