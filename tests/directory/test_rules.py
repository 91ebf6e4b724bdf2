"""The directory's pure rules, without an app: R1, R3, R4, R5 (stale), R11, R18, versions."""

import copy
import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.bills.schemas import FORMATS as BILL_FORMATS
from app.directory import rules, versions, wording
from app.directory.schemas import PolicySchema
from tests.dates import days_ago
from tests.directory.conftest import policy

OTHERS = {"IL0029": "Aurora Public Library", "IL0368": "Naperville Public Library"}


def check(document: dict, *, library_type="public", membership="full"):
    """Load a policy as the API would and validate it; the verdict."""
    loaded = PolicySchema().load(document)
    return rules.validate_policy(loaded, library_type=library_type, membership=membership,
                                 others=OTHERS)


def test_the_vocabulary_covers_every_bill_format_and_the_brief_s_collections():
    """A bill's item format is a directory format; the named collections are all there."""
    assert set(BILL_FORMATS) - {"other"} <= set(rules.FORMATS)
    for term in ("new_release", "dvd", "hotspot", "museum_pass", "reference"):
        assert term in rules.VOCABULARY
    assert all(wording.label(term) for term in rules.VOCABULARY)


def test_a_good_policy_passes():
    verdict = check(policy())
    assert verdict.errors == {} and verdict.warnings == []


def test_r1_a_public_full_member_must_take_part_others_may_opt_out():
    out = policy(**{"reciprocal_borrowing.participates": False})
    assert "R1" in check(out).errors["reciprocal_borrowing.participates"]
    assert check(out, membership="associate").errors == {}
    assert check(out, library_type="academic").errors == {}


def test_r4_the_cap_is_at_least_one_and_not_every_format_may_be_excluded():
    zero = check(policy(**{"reciprocal_borrowing.items_at_a_time": 0})).errors
    assert zero["reciprocal_borrowing.items_at_a_time"].startswith("R4:")
    assert check(policy(**{"reciprocal_borrowing.items_at_a_time": 1,
                           "reciprocal_borrowing.format_limits": []})).errors == {}
    everything = policy(**{"reciprocal_borrowing.excluded_formats": list(rules.FORMATS),
                           "reciprocal_borrowing.format_limits": []})
    assert check(everything).errors["reciprocal_borrowing.excluded_formats"].startswith("R4:")
    all_but_one = policy(**{"reciprocal_borrowing.excluded_formats": list(rules.FORMATS[1:]),
                            "reciprocal_borrowing.format_limits": []})
    assert check(all_but_one).errors == {}
    # Collections may all be excluded: formats are what must remain.
    collections = policy(**{"reciprocal_borrowing.excluded_formats": list(rules.COLLECTIONS)})
    assert check(collections).errors == {}


def test_r4_per_format_limits_are_at_least_one_within_the_cap_and_not_for_excluded_formats():
    base = "reciprocal_borrowing.format_limits.0"
    zero = policy(**{"reciprocal_borrowing.format_limits": [{"format": "dvd",
                                                             "items_at_a_time": 0}]})
    assert check(zero).errors[f"{base}.items_at_a_time"].startswith("R4:")
    above = policy(**{"reciprocal_borrowing.format_limits": [{"format": "dvd",
                                                              "items_at_a_time": 6}]})
    assert "cap of 5" in check(above).errors[f"{base}.items_at_a_time"]
    excluded = policy(**{"reciprocal_borrowing.format_limits": [{"format": "hotspot",
                                                                 "items_at_a_time": 1}]})
    assert check(excluded).errors[f"{base}.format"].startswith("R4:")


def test_r4_does_not_apply_to_a_library_that_takes_no_part():
    out = policy(**{"reciprocal_borrowing.participates": False,
                    "reciprocal_borrowing.items_at_a_time": 0})
    assert check(out, library_type="academic").errors == {}


@pytest.mark.parametrize("since, allowed", [
    ("2014-07-01", True), ("2001-01-01", True), ("2014-07-02", False), (None, False)])
def test_r11_a_fee_own_patrons_do_not_pay_must_date_from_2014_07_01_or_before(since, allowed):
    fee = {"name": "Nonresident borrowing fee", "amount_cents": 500, "basis": "per_year",
           "also_charged_to_own_patrons": False, "in_effect_since": since}
    errors = check(policy(fees=[fee])).errors
    if allowed:
        assert errors == {}
    else:
        assert errors["fees.0.in_effect_since"].startswith("R11:")
        assert "2014-07-01" in errors["fees.0.in_effect_since"]


def test_r11_a_fee_also_charged_to_own_patrons_needs_no_date():
    fee = {"name": "Printing", "amount_cents": 15, "basis": "per_page",
           "also_charged_to_own_patrons": True, "applies_to": "services"}
    assert check(policy(fees=[fee])).errors == {}


def test_r3_free_text_may_not_name_a_member_library_by_code_or_name():
    by_code = check(policy(**{"reciprocal_borrowing.notes": "No DVDs for il0029 patrons."}))
    assert by_code.errors["reciprocal_borrowing.notes"].startswith("R3:")
    assert "IL0029" in by_code.errors["reciprocal_borrowing.notes"]
    by_name = check(policy(**{"services.0.limits":
                              "Residents of Naperville Public Library wait a week."}))
    assert "IL0368" in by_name.errors["services.0.limits"]
    # A code-like word that is no member's code (an OCLC symbol) is fine.
    assert check(policy(**{"interlibrary_loan.notes": "Our OCLC symbol is VVJ."})).errors == {}


@pytest.mark.parametrize("text, words", [
    ("Patrons from Aurora may borrow two DVDs.", "aurora"),
    ("Aurora PL patrons wait a week.", "aurora"),
    ("No hotspots for Aurora Public-Library cardholders.", "aurora"),
    ("Nothing for ÁURORA's readers.", "aurora"),
    ("Residents of Naperville Public Library wait a week.", "naperville"),
])
def test_r3_a_member_is_found_by_its_distinctive_name_however_it_is_written(text, words):
    """R3: "Public Library", "PL" and the like are left out; case, accents and punctuation
    are folded; the refusal says which words matched."""
    errors = check(policy(**{"reciprocal_borrowing.notes": text})).errors
    message = errors["reciprocal_borrowing.notes"]
    assert message.startswith("R3:") and f'"{words}"' in message, message


@pytest.mark.parametrize("text", [
    "Our public library lends to every reciprocal borrower alike.",
    "Auroral light shows are on the second floor.",
    "Loans last three weeks; the PL desk is by the door.",
])
def test_r3_ordinary_words_and_parts_of_words_are_not_a_member_s_name(text):
    assert check(policy(**{"reciprocal_borrowing.notes": text})).errors == {}


def test_r3_a_member_is_found_by_its_card_prefix_and_its_city_when_the_city_is_its_name():
    others = {"IL0029": {"name": "Aurora Public Library", "city": "Aurora",
                         "prefixes": ["20029"]},
              "IL0100": {"name": "Fountaindale Public Library District", "city": "Bolingbrook",
                         "prefixes": ["21234"]}}
    index = rules.MemberIndex(others)

    def named(text):
        return [(match["code"], match["words"]) for match in index.matches(text)]

    assert named("Cards starting with 20029 may borrow one item.") == [("IL0029", "20029")]
    assert named("Card 2002900000007 is welcome.") == [("IL0029", "2002900000007")]
    assert named("Residents of Bolingbrook pay the nonresident fee.") == []
    assert named("Fountaindale cardholders first.") == [("IL0100", "fountaindale")]
    assert named("Since 2002, loans last 3 weeks.") == []
    # A library may name itself: its own words are not another member's.
    assert index.matches("Aurora cards only.", own_code="IL0029") == []


def test_r3_the_schema_has_no_field_to_name_a_library():
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as raised:
        PolicySchema().load(policy(**{"reciprocal_borrowing.excluded_libraries": ["IL0029"]}))
    assert "excluded_libraries" in raised.value.messages["reciprocal_borrowing"]


@pytest.mark.parametrize("days, late", [(0, False), (30, False), (31, True), (200, True)])
def test_r18_a_report_more_than_30_days_after_the_decision_is_accepted_but_late(days, late):
    decided = date(2026, 3, 1)
    reported = date.fromordinal(decided.toordinal() + days)
    verdict = check(policy(**{"nonresident_cards.board_decision_on": decided.isoformat(),
                              "nonresident_cards.reported_on": reported.isoformat()}))
    assert verdict.errors == {}
    assert rules.report_is_late(decided, reported) is late
    assert [w["code"] for w in verdict.warnings] == (["nonresident_report_late"] if late else [])


def test_r18_a_report_before_the_decision_or_dates_backwards_are_refused():
    errors = check(policy(**{"nonresident_cards.reported_on": days_ago(250).isoformat(),
                             "nonresident_cards.effective_until": days_ago(400).isoformat()})
                   ).errors
    assert set(errors) == {"nonresident_cards.reported_on", "nonresident_cards.effective_until"}
    assert all(message.startswith("R18:") for message in errors.values())


@pytest.mark.parametrize("reviewed, today, stale", [
    (date(2025, 11, 24), date(2026, 11, 24), False),   # 12 months to the day: not yet
    (date(2025, 11, 23), date(2026, 11, 24), True),
    (date(2023, 2, 28), date(2024, 2, 29), False),     # leap day: a year back is 28 February
    (date(2023, 2, 27), date(2024, 2, 29), True),
    (date(2026, 11, 24), date(2026, 11, 24), False)])
def test_r5_stale_means_reviewed_more_than_12_months_before_today(reviewed, today, stale):
    assert rules.is_stale(reviewed, today) is stale


@pytest.mark.parametrize("reviewed, first_stale_day", [
    (date(2025, 11, 24), date(2026, 11, 25)),
    (date(2023, 2, 28), date(2024, 3, 1)),   # on 29 February 2024 a year back is 28 February
    (date(2024, 2, 28), date(2025, 3, 1)),   # no 29 February in 2025
    (date(2024, 2, 29), date(2025, 3, 1)),
    (date(2025, 12, 31), date(2027, 1, 1))])
def test_r5_a_policy_turns_stale_on_a_known_day(reviewed, first_stale_day):
    """The day Last-Modified counts as the policy's change to stale."""
    assert rules.stale_from(reviewed) == first_stale_day


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2999, 12, 30)))
def test_r5_stale_from_is_the_first_day_is_stale_says_so(reviewed):
    """Not stale the day before stale_from, stale on it (and so every day after)."""
    first = rules.stale_from(reviewed)
    assert rules.is_stale(reviewed, first)
    assert not rules.is_stale(reviewed, first - timedelta(days=1))


@given(st.randoms())
def test_the_same_policy_in_another_order_has_the_same_hash(rng: random.Random):
    """Sets of terms and per-format limits carry no order: shuffling them changes nothing."""
    first = PolicySchema().load(policy(**{
        "reciprocal_borrowing.excluded_formats": ["new_release", "hotspot", "kit", "reference"],
        "reciprocal_borrowing.format_limits": [{"format": "dvd", "items_at_a_time": 2},
                                               {"format": "book", "items_at_a_time": 5}]}))
    second = copy.deepcopy(first)
    rng.shuffle(second["reciprocal_borrowing"]["excluded_formats"])
    rng.shuffle(second["reciprocal_borrowing"]["format_limits"])
    rng.shuffle(second["interlibrary_loan"]["formats_lent"])
    assert versions.policy_hash(versions.canonical(first)) == versions.policy_hash(
        versions.canonical(second))
    changed = copy.deepcopy(second)
    changed["reciprocal_borrowing"]["loan_days"] = 14
    assert versions.policy_hash(versions.canonical(changed)) != versions.policy_hash(
        versions.canonical(first))


def test_the_diff_names_each_changed_field_by_its_dotted_path():
    before = versions.canonical(PolicySchema().load(policy()))
    after = versions.canonical(PolicySchema().load(policy(**{
        "reciprocal_borrowing.items_at_a_time": 3,
        "reciprocal_borrowing.excluded_formats": ["hotspot"],
        "fees": []})))
    changes = {c["path"]: (c["before"], c["after"]) for c in versions.diff(before, after)}
    assert changes["reciprocal_borrowing.items_at_a_time"] == (5, 3)
    assert changes["reciprocal_borrowing.excluded_formats"] == (["hotspot", "new_release"],
                                                                ["hotspot"])
    assert changes["fees.0.amount_cents"] == (25, None)
    assert "reciprocal_borrowing.loan_days" not in changes


def test_the_answer_to_a_visitor_uses_the_format_s_own_limit_then_the_overall_terms():
    document = versions.canonical(PolicySchema().load(policy()))
    dvd = wording.answer_question(document, "dvd", "Prairie")
    assert dvd["may_borrow"] is True and (dvd["items_at_a_time"], dvd["loan_days"],
                                          dvd["renewals"]) == (2, 7, 0)
    assert dvd["answer"].startswith("Yes.") and "up to 2 at a time" in dvd["answer"]
    book = wording.answer_question(document, "book", "Prairie")
    assert (book["items_at_a_time"], book["loan_days"], book["renewals"]) == (5, 21, 1)
    hotspot = wording.answer_question(document, "hotspot", "Prairie")
    assert hotspot["may_borrow"] is False and hotspot["answer"].startswith("No.")
    assert wording.answer_question(None, "dvd", "Prairie")["may_borrow"] is None


def test_the_plain_words_name_request_methods_as_a_librarian_writes_them():
    """R5: the ILL summary reads "OCLC" and "the ALA request form", not the vocabulary's codes."""
    document = versions.canonical(PolicySchema().load(policy(**{
        "interlibrary_loan.request_methods": ["oclc", "ala_form", "email"]})))
    lines = wording.summarize(document)["interlibrary_loan"]
    assert "Requests by: OCLC, the ALA request form and email." in lines  # vocabulary order
    assert set(wording.REQUEST_METHOD_LABELS) == set(rules.REQUEST_METHODS)


def test_r3_a_group_of_borrowers_may_not_be_a_member_library():
    """A consortium, a type of library or a state is a group; a member library is not."""
    named = policy(**{"interlibrary_loan.conditional_formats": [
        {"format": "blu_ray", "lends": "groups_only",
         "groups": [{"kind": "consortium", "name": "Naperville PL"}]}]})
    errors = check(named).errors
    assert errors["interlibrary_loan.conditional_formats.0.groups.0.name"].startswith("R3:")
    fine = policy(**{"interlibrary_loan.conditional_formats": [
        {"format": "blu_ray", "lends": "groups_only",
         "groups": [{"kind": "consortium", "name": "RAILS"},
                    {"kind": "library_type", "name": "academic_libraries"},
                    {"kind": "state", "name": "IL"}]}]})
    assert check(fine).errors == {}


def test_r5_each_format_has_one_lending_term_and_groups_only_names_its_groups():
    from marshmallow import ValidationError

    twice = policy(**{"interlibrary_loan.conditional_formats": [
        {"format": "dvd", "lends": "special_agreement"}]})  # dvd is also in formats_lent
    assert check(twice).errors["interlibrary_loan.conditional_formats.0.format"].startswith(
        "R5:")
    with pytest.raises(ValidationError) as raised:
        PolicySchema().load(policy(**{"interlibrary_loan.conditional_formats": [
            {"format": "blu_ray", "lends": "groups_only", "groups": []}]}))
    assert "groups" in raised.value.messages["interlibrary_loan"]["conditional_formats"][0]
    with pytest.raises(ValidationError):
        PolicySchema().load(policy(**{"interlibrary_loan.conditional_formats": [
            {"format": "blu_ray", "lends": "groups_only",
             "groups": [{"kind": "state", "name": "Illinois"}]}]}))


@pytest.mark.parametrize("lost, error", [
    ({"methods": ["list_price"], "processing_fee": "fixed"}, True),
    ({"methods": ["list_price"], "processing_fee": "none", "processing_fee_cents": 300}, True),
    ({"methods": ["replacement_copy", "by_agreement"], "processing_fee": "unstated"}, False),
    ({"replacement": "replacement_copy", "processing_fee_cents": 300}, False),
])
def test_r5_a_processing_fee_is_stated_one_way(lost, error):
    errors = check(policy(**{"interlibrary_loan.lost_materials": lost})).errors
    assert ("interlibrary_loan.lost_materials.processing_fee_cents" in errors) is error


def test_the_fee_cap_bills_use_follows_what_was_published():
    assert rules.processing_fee_cap({"processing_fee": "fixed", "processing_fee_cents": 500}) \
        == 500
    assert rules.processing_fee_cap({"processing_fee": "none"}) == 0
    assert rules.processing_fee_cap({"processing_fee": "unstated"}) is None
    assert rules.processing_fee_cap(None) is None
