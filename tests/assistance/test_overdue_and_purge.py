"""Assistance requests the home library has not answered in time are flagged once (R7), and
what a home library passed about its patron is purged ASSISTANCE_PURGE_DAYS after the request
closes (R16), with the clock set forward."""

from datetime import timedelta

import pytest

from app.retention.service import purge
from app.timestamps import today_in, utcnow
from tests.assistance.conftest import DETAILS
from tests.blocks.conftest import HOME, LEND


@pytest.fixture
def app_config():
    """Requests due yesterday, so a new one is already late by the real clock the CLI reads."""
    return {"ASSISTANCE_DUE_DAYS": -1}


def test_an_unanswered_request_is_flagged_overdue_once(app, assisting):
    """R7: `reciprocity assistance mark-overdue` writes assistance.response_overdue once per
    late request (the event the reminder email is made from); an answered one never is."""
    late = assisting.asked()
    answered = assisting.asked(kind="retrieve_materials")
    assisting.answer(answered["id"], response="contacted_patron")
    assert assisting.call("GET", f"/assistance/{late['id']}", HOME).get_json()["overdue"]
    listed = assisting.call("GET", "/assistance", None, query_string={"overdue": "true"})
    assert [item["id"] for item in listed.get_json()["items"]] == [late["id"]]

    runner = app.test_cli_runner()
    result = runner.invoke(args=["assistance", "mark-overdue"])
    assert result.exit_code == 0, result.output
    assert "1 assistance request(s) newly overdue" in result.output
    assert "0 assistance request(s)" in runner.invoke(args=["assistance", "mark-overdue"]).output
    for code in (LEND, HOME):
        assert [data["assistance_id"] for kind, data in assisting.parties.events(code)
                if kind == "assistance.response_overdue"] == [late["id"]]


def test_passed_details_are_purged_after_the_request_closes(app, assisting):
    """R16: ASSISTANCE_PURGE_DAYS (30) after closing, the details are gone; the answer, its
    dates and the two libraries stay. A request still open keeps them; a rerun purges none."""
    closed = assisting.asked()
    kept_open = assisting.asked(kind="retrieve_materials")
    for request in (closed, kept_open):
        assisting.answer(request["id"], response="details_passed", patron_details=DETAILS)
    assisting.call("POST", f"/assistance/{closed['id']}/close", LEND)

    today = today_in(app.config["TIMEZONE"])
    with app.app_context():
        for days, purged in ((29, 0), (31, 1), (31, 0)):
            later = utcnow() + timedelta(days=days)
            assert purge(today + timedelta(days=days), later, 365, 30).assistance == purged
    body = assisting.call("GET", f"/assistance/{closed['id']}", LEND).get_json()
    assert (body["patron_details"], body["details_purged"]) == (None, True)
    assert (body["response"], body["requester"], body["home_library"]) == (
        "details_passed", LEND, HOME)
    still = assisting.call("GET", f"/assistance/{kept_open['id']}", LEND).get_json()
    assert (still["patron_details"], still["details_purged"]) == (DETAILS, False)

