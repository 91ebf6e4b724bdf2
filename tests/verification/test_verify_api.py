"""Card verification through the HTTP API, on SQLite and PostgreSQL (R1, R2, R14-R16, R19)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect, select

from app.extensions import db
from app.libraries.models import Library
from app.verification.models import VerificationCount
from app.verification.service import verify_card

CONTRACT_FIELDS = {"decision", "reasons", "home_library", "expires_on", "identity",
                   "checked_at", "source", "advice", "as_of", "peer"}


@pytest.fixture
def fed(federation):
    """Two public libraries: HOME (prefix 20001) registers patrons, LEND verifies them."""
    federation.admit("HOME", prefixes=["20001"], name="Home Public Library")
    federation.admit("LEND", prefixes=["20002"])
    return federation


def verify(fed, card, **fields):
    """Verify as the lending library; return (status, body)."""
    response = fed.verify("LEND", card, **fields)
    return response.status_code, response.get_json()


def test_a_patron_in_good_standing_is_eligible_with_the_home_contact(fed):
    """R2, R15: the prefix names the home library, which is shown with its contact."""
    fed.register("HOME", "20001-0000-0001", expires_on="2099-01-31")
    status, body = verify(fed, "2000100000001")
    assert status == 200
    assert body["decision"] == "eligible" and body["reasons"] == []
    assert body["home_library"] == {"code": "HOME", "name": "Home Public Library",
                                    "contact": {"email": "home@example.org",
                                                "phone": "555-0100"}}
    assert body["expires_on"] == "2099-01-31"
    assert body["identity"] == "not_checked" and body["source"] == "registry"
    checked_at = datetime.fromisoformat(body["checked_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - checked_at).total_seconds()) < 300


def test_the_answer_discloses_nothing_beyond_the_contract(fed):
    """R16: no patron id, card, surname, category, external ref or block reasons."""
    fed.register("HOME", "2000100000002", standing="blocked", block_reasons=["lost_items"],
                 surname="Kowalski", external_ref="SECRET-REF", category="adult")
    response = fed.verify("LEND", "2000100000002", surname="Kowalski")
    body = response.get_json()
    assert set(body) == CONTRACT_FIELDS
    text = response.get_data(as_text=True)
    for secret in ("lost_items", "Kowalski", "kowalski", "SECRET-REF", "pat_", "2000100000002",
                   "adult"):
        assert secret not in text


@pytest.mark.parametrize("fields, reasons", [
    ({"standing": "blocked", "block_reasons": ["fines"]}, ["home_block"]),
    ({"expires_on": "2020-01-01"}, ["expired"]),
    ({"standing": "blocked", "expires_on": "2020-01-01"}, ["home_block", "expired"]),
])
def test_blocked_or_expired_cards_are_not_eligible(fed, fields, reasons):
    """R2: a blocked or expired account is not in good standing."""
    fed.register("HOME", "2000100000003", **fields)
    status, body = verify(fed, "2000100000003")
    assert (status, body["decision"], body["reasons"]) == (200, "not_eligible", reasons)
    assert body["advice"].startswith("Do not lend")


def test_an_unknown_card_is_referred_with_advice_to_contact_the_home_library(fed):
    """R14: when in doubt, contact the home library."""
    status, body = verify(fed, "2000199999999")
    assert (status, body["decision"], body["reasons"]) == (200, "refer", ["unknown_card"])
    assert "Home Public Library" in body["advice"] and "555-0100" in body["advice"]
    assert body["expires_on"] is None


def test_surname_check_folds_accents_and_spacing_and_refers_on_mismatch(fed):
    """An identity check: matched in any typing, mismatched is a referral (R14)."""
    fed.register("HOME", "2000100000004", surname="Núñez-O'Brien")
    _, body = verify(fed, "2000100000004", surname="nunez obrien")
    assert (body["decision"], body["identity"]) == ("eligible", "matched")
    _, body = verify(fed, "2000100000004", surname="Smith")
    assert (body["decision"], body["identity"], body["reasons"]) == (
        "refer", "mismatched", ["identity_mismatch"])


def test_no_surname_on_file_means_identity_not_checked(fed):
    """A surname given but none registered is not a mismatch."""
    fed.register("HOME", "2000100000005")
    _, body = verify(fed, "2000100000005", surname="Anyone")
    assert (body["decision"], body["identity"]) == ("eligible", "not_checked")


def test_a_replaced_card_is_not_eligible_and_the_new_card_is(fed, client):
    """The old card stops verifying with `card_replaced`."""
    patron = fed.register("HOME", "2000100000006")
    response = client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                           json={"new_card_number": "2000100000016"},
                           headers=fed.headers("HOME"))
    assert response.status_code == 200
    _, body = verify(fed, "2000100000006")
    assert (body["decision"], body["reasons"]) == ("not_eligible", ["card_replaced"])
    _, body = verify(fed, "2000100000016")
    assert body["decision"] == "eligible"


def test_the_longest_matching_prefix_names_the_home_library(fed):
    """R15: prefixes 2 (WIDE) and 20001 (HOME): a 20001 card belongs to HOME."""
    fed.admit("WIDE", prefixes=["2"])
    fed.register("HOME", "2000100000007")
    fed.register("WIDE", "2999900000007")
    assert verify(fed, "2000100000007")[1]["home_library"]["code"] == "HOME"
    assert verify(fed, "2999900000007")[1]["home_library"]["code"] == "WIDE"


def test_a_named_home_library_is_used_even_without_a_prefix(fed):
    """R15: the verification may name the home library instead."""
    fed.admit("NOPREFIX")
    fed.register("NOPREFIX", "77770001")
    status, body = verify(fed, "77770001", home_library="NOPREFIX")
    assert (status, body["decision"]) == (200, "eligible")


def test_a_card_no_prefix_identifies_needs_the_home_library_named(fed):
    """R15: neither named nor identified by prefix: a clear 422."""
    status, body = verify(fed, "99990001")
    assert status == 422 and body["code"] == "home_library_required"
    status, body = verify(fed, "99990001", home_library="NOSUCH")
    assert status == 422 and body["code"] == "unknown_home_library"


def test_a_home_library_that_is_not_active_makes_its_cards_not_eligible(fed, client):
    """R1: the patron of a library out of the federation cannot borrow reciprocally."""
    fed.register("HOME", "2000100000008")
    response = client.patch("/api/v1/libraries/HOME", json={"active": False},
                            headers=fed.headers())
    assert response.status_code == 200
    _, body = verify(fed, "2000100000008")
    assert (body["decision"], body["reasons"]) == ("not_eligible", ["home_not_participating"])


def test_an_academic_library_that_has_not_opted_in_is_not_participating(fed):
    """R1: academic, school and special libraries take part only if they opt in."""
    fed.admit("ACAD", prefixes=["30001"], type="academic", reciprocal_borrowing=False)
    fed.register("ACAD", "3000100000001")
    _, body = verify(fed, "3000100000001")
    assert body["reasons"] == ["home_not_participating"]


def test_an_inactive_lending_library_cannot_verify(fed, client):
    """R1: a library that is not an active member cannot verify cards."""
    client.patch("/api/v1/libraries/LEND", json={"active": False}, headers=fed.headers())
    status, body = verify(fed, "2000100000001")
    assert (status, body["code"]) == (401, "library_inactive")


def test_the_federation_office_does_not_verify_cards(fed, client):
    """Verification is for member libraries' desks."""
    response = client.post("/api/v1/verifications", json={"card_number": "2000100000001"},
                           headers=fed.headers())
    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden_role")


def test_verification_without_a_key_is_refused(client):
    """401 problem details, with the scheme to use."""
    response = client.post("/api/v1/verifications", json={"card_number": "1"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("body, field", [
    ({}, "card_number"),
    ({"card_number": "12ab!!"}, "card_number"),
    ({"card_number": ""}, "card_number"),
    ({"card_number": 12345}, "card_number"),
    ({"card_number": "1" * 200}, "card_number"),
    ({"card_number": "2000100000001", "home_library": "lower case"}, "home_library"),
])
def test_bad_input_is_a_validation_problem_naming_the_field(fed, body, field):
    """Bad input gets a clear 422 naming the field, never a 500."""
    response = fed.client.post("/api/v1/verifications", json=body, headers=fed.headers("LEND"))
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "validation_failed" and field in problem["errors"]


def test_each_verification_is_counted_per_lender_home_and_month_without_the_card(fed, app):
    """R19: traffic counted for the survey; R16: no card number kept."""
    fed.register("HOME", "2000100000009")
    fed.register("HOME", "2000100000010", standing="blocked")
    verify(fed, "2000100000009")
    verify(fed, "2000100000009")
    verify(fed, "2000100000010")
    verify(fed, "2000199999998")
    with app.app_context():
        ids = dict(db.session.execute(select(Library.code, Library.id)).all())
        rows = db.session.execute(select(VerificationCount)).scalars().all()
        assert [(r.lending_library_id, r.home_library_id, r.eligible, r.not_eligible, r.refer)
                for r in rows] == [(ids["LEND"], ids["HOME"], 2, 1, 1)]
        assert len(rows[0].month) == 7
        columns = {c["name"] for c in inspect(db.engine).get_columns("verification_counts")}
        assert columns == {"lending_library_id", "home_library_id", "month", "eligible",
                           "not_eligible", "refer"}


def test_expiry_uses_the_calendar_date_in_the_federation_time_zone(fed, app):
    """R9/R2: at 03:30 UTC on 24 November it is still 23 November in Chicago."""
    fed.register("HOME", "2000100000011", expires_on="2026-11-23")
    now = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    from app.timestamps import today_in

    with app.app_context():
        lend_id = db.session.execute(select(Library.id).where(Library.code == "LEND")).scalar()
        key = app.config["HMAC_KEY"].encode()
        counter = app.extensions["reciprocity.traffic"]
        chicago = verify_card(lend_id, "2000100000011", None, None, key, now,
                              today_in("America/Chicago", now), counter)
        utc = verify_card(lend_id, "2000100000011", None, None, key, now,
                          today_in("UTC", now), counter)
    assert today_in("America/Chicago", now) == date(2026, 11, 23)
    assert chicago.decision == "eligible"
    assert (utc.decision, utc.reasons) == ("not_eligible", ("expired",))


def test_the_traffic_survey_shows_each_library_only_its_own_rows(fed, client):
    """R19: lending and own patrons' borrowing by month; a third library sees neither."""
    fed.admit("THIRD")
    fed.register("HOME", "2000100000012")
    verify(fed, "2000100000012")
    year = date.today().year  # the count uses the federation's month; take both years near
    rows = []
    for y in (year - 1, year, year + 1):
        rows += client.get(f"/api/v1/traffic?year={y}",
                           headers=fed.headers("HOME")).get_json()["items"]
    assert [(r["lending_library"], r["home_library"], r["eligible"]) for r in rows] == [
        ("LEND", "HOME", 1)]
    for y in (year - 1, year, year + 1):
        third = client.get(f"/api/v1/traffic?year={y}", headers=fed.headers("THIRD"))
        assert third.get_json()["items"] == []
        office = client.get(f"/api/v1/traffic?year={y}", headers=fed.headers())
        assert office.status_code == 200
    response = client.get("/api/v1/traffic?year=abc", headers=fed.headers("HOME"))
    assert response.status_code == 422
