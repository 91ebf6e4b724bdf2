"""Suspensions (R12, R3, Plan VIII.1.d): a library suspends or restricts service to another for
a stated term, pointing to its notices, with a copy to the federation office. While in force
the suspending library's verifications of the suspended library's cards say so, naming the
terms; nobody else's change, no patron's data changes; it ends on its end date in the
federation's time zone, or when lifted."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.libraries.models import Library
from app.suspensions.service import record_ended
from app.verification.service import verify_card
from tests.dates import today
from tests.notices.conftest import CARD, between  # noqa: F401
from tests.problems import assert_problem


def test_a_suspension_makes_only_the_suspending_librarys_verifications_not_eligible(between):
    """R12: LEND's desk is told `suspended_by_you` with the terms; THIRD's answer and the
    patron's record are unchanged (R3: nobody else treats HOME's patrons differently)."""
    before_patron = between.call("POST", "/patrons/lookup", "HOME",
                                 json={"card_number": CARD}).get_json()
    assert between.verify("LEND")["decision"] == "eligible"
    suspension = between.suspended(terms="Until the three items are returned.")
    assert suspension["status"] == "in_force"
    assert suspension["suspending_library"] == "LEND"
    assert suspension["suspended_library"] == "HOME"

    answer = between.verify("LEND")
    assert (answer["decision"], answer["reasons"]) == ("not_eligible", ["suspended_by_you"])
    ends = suspension["ends_on"]
    assert "Your library has suspended service to this home library's patrons." in \
        answer["advice"]
    assert f"reciprocal borrowing suspended through {ends}" in answer["advice"]
    assert "Until the three items are returned." in answer["advice"]

    assert between.verify("THIRD")["decision"] == "eligible"
    assert "suspend" not in between.verify("THIRD")["advice"]
    after_patron = between.call("POST", "/patrons/lookup", "HOME",
                                json={"card_number": CARD}).get_json()
    assert after_patron == before_patron


def test_the_suspended_librarys_own_desk_and_the_reverse_direction_are_untouched(between):
    between.federation.register("LEND", "2000200000099")
    between.suspended()
    # HOME lending to LEND's patrons: LEND suspended HOME, not the reverse.
    assert between.verify("HOME", "2000200000099")["decision"] == "eligible"


def test_lifting_restores_the_answer_and_tells_both_parties_and_the_office(between):
    suspension = between.suspended()
    lifted = between.call("POST", f"/suspensions/{suspension['id']}/lift", "LEND",
                          json={"reason": "The items came back."})
    assert lifted.status_code == 200, lifted.get_json()
    assert lifted.get_json()["status"] == "lifted"
    assert lifted.get_json()["lifted_on"] == today().isoformat()
    assert between.verify("LEND")["decision"] == "eligible"

    for feed in ("LEND", "HOME", None):
        assert [kind for kind, data in between.events(feed)
                if data.get("suspension_id") == suspension["id"]] == [
            "suspension.imposed", "suspension.lifted"]
    assert [kind for kind, _ in between.events("THIRD")] == []
    again = between.call("POST", f"/suspensions/{suspension['id']}/lift", "LEND", json={})
    assert_problem(again, 409, "suspension_not_live")


def test_a_restriction_names_its_item_cap_without_refusing_the_patron(between):
    """R4: a restriction caps service (at least one item); the desk may lend, within it."""
    between.suspended(measure="restriction", item_cap=2, services="both")
    answer = between.verify("LEND")
    assert answer["decision"] == "eligible"
    assert "at most 2 items at a time" in answer["advice"]
    assert "reciprocal borrowing and interlibrary loan" in answer["advice"]


def test_an_interlibrary_loan_suspension_leaves_verifications_alone(between):
    between.suspended(services="interlibrary_loan")
    answer = between.verify("LEND")
    assert answer["decision"] == "eligible"
    assert "suspen" not in answer["advice"]


def test_a_suspension_ends_by_itself_after_its_end_date_in_the_federation_time_zone(
        between, app):
    """In force through `ends_on` as a date in America/Chicago: at 03:30 UTC on the next day it
    is still the end date there; a day later the desk's answer is as before, and the sweep
    tells the parties and the office once."""
    suspension = between.suspended(ends_on=today().isoformat())
    ends = date.fromisoformat(suspension["ends_on"])
    with app.app_context():
        lend_id = db.session.execute(select(Library.id).where(Library.code == "LEND")).scalar()
        key = app.config["HMAC_KEY"].encode()
        counter = app.extensions["reciprocity.traffic"]
        now = datetime.combine(ends + timedelta(days=1), datetime.min.time(), UTC)
        from app.timestamps import today_in

        late_evening = now.replace(hour=3, minute=30)
        still = verify_card(lend_id, CARD, None, None, key, late_evening,
                            today_in("America/Chicago", late_evening), counter)
        assert still.reasons == ("suspended_by_you",)
        after = verify_card(lend_id, CARD, None, None, key, now + timedelta(days=1),
                            ends + timedelta(days=1), counter)
        assert after.decision == "eligible"
        assert record_ended(ends) == 0  # not over yet on its last day
        assert record_ended(ends + timedelta(days=1)) == 1
        assert record_ended(ends + timedelta(days=2)) == 0  # once only
        db.session.remove()
    for feed in ("LEND", "HOME", None):
        assert [kind for kind, _ in between.events(feed) if kind.startswith("suspension.")] == [
            "suspension.imposed", "suspension.ended"]


def test_renewing_extends_the_end_date_and_only_later(between):
    suspension = between.suspended()
    later = (date.fromisoformat(suspension["ends_on"]) + timedelta(days=30)).isoformat()
    renewed = between.call("POST", f"/suspensions/{suspension['id']}/renew", "LEND",
                           json={"ends_on": later, "reason": "Two items still missing."})
    assert renewed.status_code == 200, renewed.get_json()
    assert (renewed.get_json()["ends_on"], renewed.get_json()["renewals"]) == (later, 1)
    assert "Two items still missing." in renewed.get_json()["reason"]
    sooner = between.call("POST", f"/suspensions/{suspension['id']}/renew", "LEND",
                          json={"ends_on": today().isoformat()})
    assert_problem(sooner, 422, "terms_not_allowed")
    assert ("suspension.renewed", {"suspension_id": suspension["id"]}) in between.events(None)


@pytest.mark.parametrize("actor, action, status, code", [
    ("HOME", "lift", 403, "not_your_suspension"),
    ("HOME", "renew", 403, "not_your_suspension"),
    ("THIRD", "lift", 404, "suspension_not_found"),
    (None, "lift", 403, "forbidden_role"),
    ("anonymous", "lift", 401, "missing_key"),
])
def test_only_the_suspending_library_renews_or_lifts(between, actor, action, status, code):
    suspension = between.suspended()
    body = {"ends_on": (today() + timedelta(days=60)).isoformat()} if action == "renew" else {}
    response = between.call("POST", f"/suspensions/{suspension['id']}/{action}", actor,
                            json=body)
    assert_problem(response, status, code)
    assert between.verify("LEND")["reasons"] == ["suspended_by_you"]
    shown = between.call("GET", f"/suspensions/{suspension['id']}", "LEND").get_json()
    assert (shown["status"], shown["renewals"]) == ("in_force", 0)


def test_the_directory_shows_suspensions_in_force_to_the_office_and_the_parties_only(between):
    """R3/R12: never to the public or a third library."""
    suspension = between.suspended()
    for viewer in ("LEND", "HOME", None):
        for code in ("HOME", "LEND"):
            listed = between.call("GET", f"/directory/{code}/suspensions", viewer)
            assert [s["id"] for s in listed.get_json()["items"]] == [suspension["id"]], viewer
    assert between.call("GET", "/directory/HOME/suspensions", "THIRD").get_json()[
        "items"] == []
    assert_problem(between.call("GET", "/directory/HOME/suspensions", "anonymous"), 401)
    public = between.call("GET", "/directory/HOME", "anonymous")
    assert suspension["id"] not in public.get_data(as_text=True)
    assert_problem(between.call("GET", "/directory/NOPE/suspensions", None), 404,
                   "library_not_found")
    assert_problem(between.call("GET", f"/suspensions/{suspension['id']}", "THIRD"), 404,
                   "suspension_not_found")


def notice_of(between, sender, to, withdraw=False) -> str:
    """A notice's id (withdrawn when asked)."""
    notice = between.notice(sender=sender, to=to)
    if withdraw:
        between.call("POST", f"/notices/{notice['id']}/withdraw", sender)
    return notice["id"]


@pytest.mark.parametrize("make, code, field", [
    (lambda b: {"suspended_library": "LEND"}, "own_library", "suspended_library"),
    (lambda b: {"notice_ids": [notice_of(b, "THIRD", "HOME")]}, "notice_not_found",
     "notice_ids"),
    (lambda b: {"notice_ids": [notice_of(b, "LEND", "THIRD")]}, "notice_not_found",
     "notice_ids"),
    (lambda b: {"notice_ids": [notice_of(b, "LEND", "HOME", withdraw=True)]},
     "notice_not_found", "notice_ids"),
    (lambda b: {"ends_on": (today() - timedelta(days=1)).isoformat()}, "terms_not_allowed",
     "ends_on"),
    (lambda b: {"starts_on": (today() - timedelta(days=1)).isoformat()}, "terms_not_allowed",
     "starts_on"),
    (lambda b: {"ends_on": (today() + timedelta(days=366)).isoformat()}, "terms_not_allowed",
     "ends_on"),
    (lambda b: {"measure": "restriction"}, "terms_not_allowed", "item_cap"),
    (lambda b: {"item_cap": 3}, "terms_not_allowed", "item_cap"),
    (lambda b: {"measure": "restriction", "item_cap": 3, "services": "interlibrary_loan"},
     "terms_not_allowed", "services"),
])
def test_terms_the_rules_do_not_allow_are_refused(between, make, code, field):
    """R12: a term with an end, written after a standing notice to that library; R4: a cap of
    at least one, on borrowing."""
    fields = make(between)
    if "notice_ids" not in fields:
        fields["notice_ids"] = [notice_of(between, "LEND", "HOME")]
    problem = assert_problem(between.suspend(**fields), 422, code)
    assert field in problem["errors"]
    assert between.call("GET", "/suspensions", None).get_json()["items"] == []
    assert between.verify("LEND")["decision"] == "eligible"


def test_an_item_cap_of_zero_is_a_validation_problem(between):
    """R4: restrict, never zero."""
    response = between.suspend(measure="restriction", item_cap=0)
    assert_problem(response, 422)


def test_one_suspension_at_a_time_between_two_libraries(between):
    first = between.suspended()
    second = between.suspend()
    problem = assert_problem(second, 409, "suspension_exists")
    assert problem["existing_suspension_id"] == first["id"]
    # A later term, after this one ends, may be scheduled.
    after = (date.fromisoformat(first["ends_on"]) + timedelta(days=1)).isoformat()
    scheduled = between.suspended(starts_on=after,
                                  ends_on=(date.fromisoformat(after) + timedelta(days=5))
                                  .isoformat())
    assert scheduled["status"] == "scheduled"


def test_lists_filter_by_side_and_in_force(between):
    mine = between.suspended()
    theirs = between.suspended(by="HOME", of="LEND")
    def ids(code, **query):
        return [s["id"] for s in between.call("GET", "/suspensions", code,
                                              query_string=query).get_json()["items"]]
    assert ids("LEND", **{"as": "suspending"}) == [mine["id"]]
    assert ids("LEND", **{"as": "suspended"}) == [theirs["id"]]
    assert sorted(ids("LEND")) == sorted([mine["id"], theirs["id"]])
    assert ids("THIRD") == []
    assert sorted(ids(None, in_force="true")) == sorted([mine["id"], theirs["id"]])
    between.call("POST", f"/suspensions/{mine['id']}/lift", "LEND", json={})
    assert ids(None, in_force="true") == [theirs["id"]]
    assert ids(None, in_force="false") == [mine["id"]]


def test_the_daily_command_announces_ended_suspensions_once(between, app):
    """`reciprocity suspensions record-ended`, as cron runs it, on a term that ended
    yesterday (written, as the API would have, the day before it started)."""
    from app.suspensions.service import impose_suspension

    notice = between.notice()
    with app.app_context():
        lend_id = db.session.execute(select(Library.id).where(Library.code == "LEND")).scalar()
        yesterday = today() - timedelta(days=1)
        impose_suspension(lend_id, {
            "suspended_library": "HOME", "measure": "suspension", "services": "both",
            "reason": "Items held.", "notice_ids": [notice["id"]],
            "starts_on": yesterday - timedelta(days=2), "ends_on": yesterday},
            yesterday - timedelta(days=3), 365)
        db.session.remove()
    assert between.verify("LEND")["decision"] == "eligible"  # over: the dates say so
    runner = app.test_cli_runner()
    first = runner.invoke(args=["suspensions", "record-ended"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("1 suspension(s) newly ended")
    assert runner.invoke(args=["suspensions", "record-ended"]).output.startswith("0 ")
    listed = between.call("GET", "/suspensions", "HOME").get_json()["items"]
    assert [s["status"] for s in listed] == ["ended"]
