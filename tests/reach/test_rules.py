"""Pure parts of reaching out: circuit states, staleness, the wire formats, sealing (R14, R17).

No database and no network: these are the decisions and parsers the live path relies on.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.reach import ncip, sip2
from app.reach.answers import HomeSystemError, surname_matches
from app.reach.cache import AnswerCache
from app.reach.rules import CLOSED, HALF_OPEN, OPEN, circuit_state, home_facts, registry_stale
from app.reach.sealing import Sealer, SealError
from app.verification import rules

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SAMPLES = Path(__file__).parent / "ncip_samples"  # from the NCIP implementers (LICENSE.txt)


def test_a_circuit_opens_at_the_threshold_and_half_opens_after_the_pause():
    """Closed below the threshold; open during the pause; half-open after it."""
    assert circuit_state(4, None, NOW, threshold=5, pause=30) == CLOSED
    assert circuit_state(5, NOW - timedelta(seconds=10), NOW, threshold=5, pause=30) == OPEN
    assert circuit_state(5, NOW - timedelta(seconds=31), NOW, threshold=5, pause=30) == HALF_OPEN


def test_a_registry_is_stale_only_past_the_set_age():
    """R14: older than the set age is stale; no age, or the check turned off, is not."""
    assert registry_stale(NOW - timedelta(hours=169), NOW, 168)
    assert not registry_stale(NOW - timedelta(hours=167), NOW, 168)
    assert not registry_stale(None, NOW, 168)
    assert not registry_stale(NOW - timedelta(days=999), NOW, 0)


def test_a_stale_registry_turns_eligible_into_refer_but_keeps_a_denial():
    """R14: registry_stale is a doubt; a block found in the same answer still denies."""
    facts = rules.CardFacts(home_participates=True, found=True, standing="good",
                            expires_on=date(2099, 1, 1), registry_stale=True)
    assert rules.decide(facts, date(2026, 12, 2)) == rules.Decision("refer",
                                                                    ("registry_stale",))
    blocked = rules.CardFacts(home_participates=True, found=True, standing="blocked",
                              expires_on=date(2099, 1, 1), registry_stale=True)
    assert rules.decide(blocked, date(2026, 12, 2)).decision == "not_eligible"


def test_a_home_system_without_expiry_vouches_for_a_current_account():
    """SIP2 gives no expiry: the home system's good standing is not read as expired."""
    from app.reach.answers import HomeAnswer

    facts = home_facts(HomeAnswer(found=True, standing="good"), home_participates=True,
                       federation_block=True, delinquent=False, replaced=False)
    # The federation's own block (R8) still applies to a live answer.
    assert rules.decide(facts, date(2026, 12, 2)).reasons == ("federation_block",)


@pytest.mark.parametrize("given, held, matches", [
    ("Lindqvist", "Lindqvist, Ada", True), ("lindqvist", "LINDQVIST", True),
    ("van der Berg", "Berg, Jan van der", False), ("van der Berg", "Van der Berg, Jan", True),
    ("Smith", "Smithson, Al", False), ("", "Smith", False)])
def test_surnames_match_as_whole_words(given, held, matches):
    """An identity check compares a whole surname, not a fragment of one."""
    assert surname_matches(given, held) is matches


def test_sip2_messages_carry_a_checksum_that_answers_must_match():
    """The SIP2 error-detection tail: AY sequence, AZ checksum; a wrong one is refused."""
    message = sip2.login_message("fed", "pw|x", None, 3).decode()
    assert message.startswith("9300CNfed|COpwx|AY3AZ") and message.endswith("\r")
    body = message[:-1]
    assert sip2.checksum(body[:-4]) == body[-4:]
    reply = "24" + " " * 14 + "001" + "20261202    120000" + "AOX|AApatron|BLY|AEDoe, J|"
    framed = sip2.frame(reply, 1).decode().rstrip("\r")
    answer = sip2.parse_patron_status(framed, "doe")
    assert (answer.found, answer.standing, answer.identity) == (True, "good", "matched")
    with pytest.raises(HomeSystemError, match="checksum"):
        sip2.parse_patron_status(framed[:-4] + "0000", None)
    denied = "24Y" + " " * 13 + "001" + "20261202    120000" + "AOX|AAp|BLY|"
    assert sip2.parse_patron_status(denied, None).standing == "blocked"
    unknown = "24" + " " * 14 + "001" + "20261202    120000" + "AOX|AAp|BLN|"
    assert not sip2.parse_patron_status(unknown, None).found


def test_ncip_requests_follow_the_schema_order_and_answers_are_read_strictly():
    """LookupUser: header, authentication input, element types; answers parsed or refused."""
    body = ncip.lookup_user_request("123", "FED", "HOME", "secret").decode()
    assert body.index("InitiationHeader") < body.index("AuthenticationInput") \
        < body.index("UserElementType")
    assert body.index("FromAgencyAuthentication") < body.index("ToAgencyId")
    sample = (SAMPLES / "LookupUserResponseSample1.xml").read_bytes()
    answer = ncip.parse_lookup_user_response(sample, None)
    assert (answer.found, answer.standing, answer.expires_on) == (True, "good", None)
    with pytest.raises(HomeSystemError, match="Agency Authentication Failed"):
        ncip.parse_lookup_user_response((SAMPLES / "ProblemResponseSample1.xml").read_bytes(),
                                        None)
    with pytest.raises(HomeSystemError, match="not XML"):
        ncip.parse_lookup_user_response(b"<oops", None)
    with pytest.raises(HomeSystemError, match="not an NCIP message"):
        ncip.parse_lookup_user_response(b"<html/>", None)


def test_sealed_credentials_open_only_with_the_key_or_the_previous_one():
    """Credentials at rest: ciphertext; a rotated key still opens what the old one sealed."""
    old, new = "ab" * 32, "cd" * 32
    sealed = Sealer(old).seal({"password": "hunter2"})
    assert b"hunter2" not in sealed
    assert Sealer(new, previous=old).open(sealed) == {"password": "hunter2"}
    with pytest.raises(SealError):
        Sealer(new).open(sealed)
    assert Sealer(int("12" * 32)).open(Sealer("12" * 32).seal({"k": 1})) == {"k": 1}


def test_the_answer_cache_expires_and_stays_bounded():
    """Answers last at most the set seconds, and the oldest go first past the size bound."""
    clock = [0.0]
    cache = AnswerCache(5, max_entries=2, clock=lambda: clock[0])
    cache.put(("A", 1), "one")
    cache.put(("B", 1), "two")
    cache.put(("C", 1), "three")
    assert cache.get(("A", 1)) is None and cache.get(("C", 1)) == "three"
    clock[0] = 5.0
    assert cache.get(("C", 1)) is None
    assert AnswerCache(0).get(("A", 1)) is None
