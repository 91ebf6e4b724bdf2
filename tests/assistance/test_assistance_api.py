"""Assistance requests (R7, Plan V.1.b.iii-iv): a lending library asks the patron's home
library to help retrieve material or collect a bill; the home library contacts the patron,
passes what the lender needs, or declines; what it passes is the requester's alone (R16)."""

import json
import logging
from datetime import timedelta

from sqlalchemy import text

from app.extensions import db
from tests.assistance.conftest import DETAILS
from tests.blocks.conftest import HOME, LEND, LEND2, THIRD
from tests.dates import today
from tests.problems import assert_problem


def test_details_the_home_library_passes_are_seen_by_the_requester_alone(
        app, assisting, caplog):
    """R7: the home library answers with the patron's contact details; R16: only the
    requesting library reads them: not the home library's answer, not the office, not a third
    library, not any event (which webhooks deliver), not the log, not the database in the
    clear."""
    caplog.set_level(logging.DEBUG)
    asked = assisting.asked()
    assert (asked["status"], asked["requester"], asked["home_library"]) == (
        "requested", LEND, HOME)
    assert asked["response_due_on"] == (today() + timedelta(days=14)).isoformat()
    assert asked["overdue"] is False and asked["patron_details"] is None

    answered = assisting.answer(asked["id"], response="details_passed",
                                note="Our records were checked today.",
                                patron_details=DETAILS)
    assert answered.status_code == 200, answered.get_json()
    # The home library's own answer does not echo the details back.
    assert answered.get_json()["status"] == "answered"
    assert answered.get_json()["patron_details"] is None

    seen = {who: assisting.call("GET", f"/assistance/{asked['id']}", who)
            for who in (LEND, HOME, None)}
    assert seen[LEND].get_json()["patron_details"] == DETAILS
    assert seen[HOME].get_json()["patron_details"] is None
    assert seen[None].get_json()["patron_details"] is None
    assert seen[None].get_json()["response"] == "details_passed"
    assert_problem(assisting.call("GET", f"/assistance/{asked['id']}", THIRD), 404,
                   "assistance_not_found")
    listed = assisting.call("GET", "/assistance", LEND).get_json()["items"]
    assert [item["patron_details"] for item in listed] == [DETAILS]

    for code in (LEND, HOME):
        events = assisting.parties.events(code, "assistance.")
        assert [kind for kind, _ in events] == ["assistance.requested", "assistance.answered"]
        assert "Quillfeather" not in json.dumps(events)
    assert "Quillfeather" not in caplog.text
    with app.app_context():
        stored = db.session.execute(text(
            "SELECT details_sealed FROM assistance_requests")).scalar_one()
    assert b"Quillfeather" not in bytes(stored)


def test_the_home_library_contacts_the_patron_itself_and_the_lender_closes_the_request(
        assisting):
    """R7: the home library verifies the contact information and contacts the patron."""
    asked = assisting.asked(kind="retrieve_materials")
    body = assisting.answer(asked["id"], response="contacted_patron",
                            note="We phoned the patron; the items come back this week.")
    assert body.get_json()["response"] == "contacted_patron"
    closed = assisting.call("POST", f"/assistance/{asked['id']}/close", LEND)
    assert closed.status_code == 200
    assert (closed.get_json()["status"], closed.get_json()["closed_because"]) == (
        "closed", "completed")
    assert [kind for kind, data in assisting.parties.events(HOME, "assistance.")] == [
        "assistance.requested", "assistance.answered", "assistance.closed"]


def test_an_incomplete_answer_is_refused_and_changes_nothing(assisting):
    """Declining says why; details travel only with `details_passed` (R7, R16)."""
    asked = assisting.asked()
    for body, field in (({"response": "declined"}, "note"),
                        ({"response": "details_passed", "note": "Here."}, "patron_details"),
                        ({"response": "contacted_patron", "patron_details": DETAILS},
                         "patron_details")):
        problem = assert_problem(assisting.answer(asked["id"], **body), 422, "invalid_answer")
        assert field in problem["errors"]
    assert assisting.call("GET", f"/assistance/{asked['id']}", LEND).get_json()[
        "status"] == "requested"


def test_each_party_takes_only_its_own_actions(assisting):
    """The home library answers; the requester withdraws or closes; a third library and the
    office do neither, and a withdrawn request can no longer be answered."""
    asked = assisting.asked()
    path = f"/assistance/{asked['id']}"
    assert_problem(assisting.answer(asked["id"], by=LEND, response="contacted_patron"),
                   403, "not_your_assistance_request")
    assert_problem(assisting.call("POST", f"{path}/withdraw", HOME), 403,
                   "not_your_assistance_request")
    assert_problem(assisting.answer(asked["id"], by=THIRD, response="contacted_patron"),
                   404, "assistance_not_found")
    assert_problem(assisting.answer(asked["id"], by=None, response="contacted_patron"),
                   403, "forbidden_role")
    assert_problem(assisting.call("POST", f"{path}/answer", "anonymous", json={}), 401)
    assert_problem(assisting.call("POST", f"{path}/close", LEND), 409,
                   "assistance_state_conflict")
    withdrawn = assisting.call("POST", f"{path}/withdraw", LEND).get_json()
    assert (withdrawn["status"], withdrawn["closed_because"]) == ("closed", "withdrawn")
    assert_problem(assisting.answer(asked["id"], response="contacted_patron"), 409,
                   "assistance_state_conflict")


def test_a_request_concerns_a_bill_or_block_the_two_libraries_share(assisting):
    """R7, R16: a lender asks only about its own bill or block to that home library; another
    lender's bill gets the same answer as one that does not exist."""
    other_lenders_bill = assisting.parties.bill(LEND2)
    for subject in ({"bill_id": other_lenders_bill}, {"bill_id": "bil_00000000000000000000"},
                    {"block_id": "blk_00000000000000000000"}):
        problem = assert_problem(assisting.ask(**subject), 422, "subject_not_found")
        assert set(problem["errors"]) == set(subject)
    assert_problem(assisting.ask(bill_id=other_lenders_bill, block_id="blk_x"), 422,
                   "validation_failed")
    assert_problem(assisting.ask(home=LEND, bill_id=other_lenders_bill), 422, "own_library")
    block = assisting.parties.block()
    asked = assisting.asked(block_id=block["id"], kind="retrieve_materials")
    assert (asked["block_id"], asked["bill_id"]) == (block["id"], None)
    assert_problem(assisting.ask(block_id=block["id"], kind="retrieve_materials"), 409,
                   "assistance_exists")
    assert assisting.call("GET", "/assistance", THIRD).get_json()["items"] == []
    assert [item["id"] for item in assisting.call("GET", "/assistance", HOME, query_string={
        "as": "home"}).get_json()["items"]] == [asked["id"]]
    assert assisting.call("GET", "/assistance", HOME, query_string={
        "as": "requester"}).get_json()["items"] == []
