"""The eligibility rules as pure functions (R1, R2, R14), exhaustively with hypothesis."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.verification.rules import (
    DENYING,
    DOUBTFUL,
    ELIGIBLE,
    NOT_ELIGIBLE,
    REFER,
    CardFacts,
    advice,
    decide,
    identity,
)

TODAY = date(2026, 11, 23)

facts_strategy = st.builds(
    CardFacts,
    home_participates=st.booleans(),
    found=st.booleans(),
    replaced=st.booleans(),
    standing=st.sampled_from(["good", "blocked"]),
    expires_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
    identity=st.sampled_from(["matched", "mismatched", "not_checked"]),
    federation_block=st.booleans(),
    delinquent=st.booleans(),
    suspended_by_caller=st.booleans(),
)


def good(**changes) -> CardFacts:
    """A card in good standing, changed as asked."""
    base = {"home_participates": True, "found": True, "standing": "good",
            "expires_on": TODAY + timedelta(days=30), "identity": "not_checked"}
    return CardFacts(**{**base, **changes})


def test_a_card_in_good_standing_is_eligible():
    """R2: valid, not blocked, not expired: lend."""
    assert decide(good(), TODAY).decision == ELIGIBLE
    assert decide(good(identity="matched"), TODAY).reasons == ()


def test_a_card_is_good_through_its_expiry_date_and_expired_the_day_after():
    """R2: the expiry date itself is still valid."""
    assert decide(good(expires_on=TODAY), TODAY).decision == ELIGIBLE
    result = decide(good(expires_on=TODAY - timedelta(days=1)), TODAY)
    assert (result.decision, result.reasons) == (NOT_ELIGIBLE, ("expired",))


def test_a_home_block_is_not_eligible():
    """R2: the home library blocked the account."""
    assert decide(good(standing="blocked"), TODAY).reasons == ("home_block",)


def test_a_replaced_card_is_not_eligible():
    """A replaced card no longer identifies the patron."""
    result = decide(good(found=False, replaced=True), TODAY)
    assert (result.decision, result.reasons) == (NOT_ELIGIBLE, ("card_replaced",))


def test_an_unknown_card_is_referred_to_the_home_library():
    """R14: in doubt, contact the home library rather than guess."""
    result = decide(good(found=False), TODAY)
    assert (result.decision, result.reasons) == (REFER, ("unknown_card",))


def test_a_surname_mismatch_is_referred():
    """R14: a card that may not be the bearer's: ask the home library."""
    result = decide(good(identity="mismatched"), TODAY)
    assert (result.decision, result.reasons) == (REFER, ("identity_mismatch",))


def test_a_home_library_not_taking_part_makes_its_cards_not_eligible():
    """R1: only participating members' patrons borrow reciprocally."""
    result = decide(good(home_participates=False), TODAY)
    assert (result.decision, result.reasons) == (NOT_ELIGIBLE, ("home_not_participating",))


def test_every_reason_that_applies_is_listed():
    """A blocked and expired card says both."""
    result = decide(good(standing="blocked", expires_on=TODAY - timedelta(days=1),
                         identity="mismatched"), TODAY)
    assert result.decision == NOT_ELIGIBLE
    assert result.reasons == ("home_block", "expired", "identity_mismatch")


@given(facts_strategy, st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
def test_the_decision_follows_from_the_reasons(facts, today):
    """Eligible iff no reason; not_eligible iff a denying reason; otherwise refer (R2, R14)."""
    result = decide(facts, today)
    denying = [r for r in result.reasons if r in DENYING]
    doubtful = [r for r in result.reasons if r in DOUBTFUL]
    assert len(denying) + len(doubtful) == len(result.reasons) == len(set(result.reasons))
    if denying:
        assert result.decision == NOT_ELIGIBLE
    elif doubtful:
        assert result.decision == REFER
    else:
        assert result.decision == ELIGIBLE


@given(facts_strategy, st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
def test_eligible_only_for_a_known_valid_unblocked_card_of_a_participating_home(facts, today):
    """R2 and R1 together: the only way to `eligible`."""
    result = decide(facts, today)
    lendable = (facts.home_participates and facts.found and not facts.replaced
                and facts.standing == "good" and facts.expires_on >= today
                and not facts.federation_block and not facts.delinquent
                and not facts.suspended_by_caller and facts.identity != "mismatched")
    assert (result.decision == ELIGIBLE) == lendable


@given(facts_strategy, st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
def test_expiry_is_judged_against_today(facts, today):
    """A found card past its expiry date always lists `expired`; before it, never."""
    result = decide(facts, today)
    if facts.found and not facts.replaced:
        assert ("expired" in result.reasons) == (facts.expires_on < today)
    else:
        assert "expired" not in result.reasons


@given(st.one_of(st.none(), st.binary(min_size=32, max_size=32)),
       st.one_of(st.none(), st.binary(min_size=32, max_size=32)))
def test_identity_is_checked_only_when_both_surnames_are_known(given_hash, on_file):
    """No surname on either side: not_checked, never a mismatch."""
    result = identity(given_hash, on_file)
    if given_hash is None or on_file is None:
        assert result == "not_checked"
    else:
        assert result == ("matched" if given_hash == on_file else "mismatched")


def test_advice_tells_the_desk_how_to_reach_the_home_library():
    """R14: a referral names the home library and its contact."""
    text = advice(decide(good(found=False), TODAY), "Aurora Public Library",
                  {"phone": "(630) 264-4106", "email": None})
    assert "Aurora Public Library" in text and "(630) 264-4106" in text
    assert "before lending" in text
