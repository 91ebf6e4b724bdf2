"""Disputes (R13, Plan VIII.1.e): either party to a bill, block, suspension or notice opens a
dispute with the other; they write to each other; either may then ask the federation office
for help in writing, with a copy to the other; the office answers both and may close it with
a decision. Nobody else sees it."""

import pytest

from tests.dates import days_ago
from tests.notices.conftest import CARD, between  # noqa: F401
from tests.problems import assert_problem


def open_dispute(between, code, subject_type, subject_id, summary="We disagree."):
    """Open a dispute as `code`; the response."""
    return between.call("POST", "/disputes", code, json={
        "subject_type": subject_type, "subject_id": subject_id, "summary": summary})


def write(between, code, dispute_id, action, body="In writing."):
    """One written act in a dispute; the response."""
    return between.call("POST", f"/disputes/{dispute_id}/{action}", code, json={"body": body})


def a_bill(between) -> str:
    """LEND bills HOME for its patron's lost book; the bill's id."""
    response = between.call("POST", "/bills", "LEND", json={
        "card_number": CARD, "home_library": "HOME", "infraction_date": str(days_ago(30)),
        "items": [{"title": "Prairie Years", "barcode": "3123", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_dispute_is_written_out_escalated_answered_and_decided(between):
    """R13: between the libraries first, then the office, in writing, copied to both."""
    notice = between.notice()
    opened = open_dispute(between, "HOME", "notice", notice["id"],
                          "Those items were returned on time; see our courier log.")
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()
    assert (dispute["opened_by"], dispute["other_library"], dispute["status"]) == (
        "HOME", "LEND", "open")
    assert write(between, "LEND", dispute["id"], "messages",
                 "Our shelf check says otherwise.").status_code == 200
    assert between.events(None) == []  # the office is not involved yet

    escalated = write(between, "HOME", dispute["id"], "escalate",
                      "We ask the office to look at both logs.").get_json()
    assert (escalated["status"], escalated["escalated_by"]) == ("escalated", "HOME")
    answered = write(between, None, dispute["id"], "answer",
                     "Please both send your logs by Friday.").get_json()
    assert answered["messages"][-1]["author"] is None  # the office
    decided = write(between, None, dispute["id"], "decide",
                    "The items were returned on time; the notice stands withdrawn.").get_json()
    assert (decided["status"], decided["outcome"]) == ("closed", "decided")
    assert decided["decision"].startswith("The items were returned on time")
    assert [(m["author"], m["kind"]) for m in decided["messages"]] == [
        ("HOME", "opening"), ("LEND", "message"), ("HOME", "escalation"),
        (None, "office_answer"), (None, "decision")]

    expected = ["dispute.opened", "dispute.message_posted", "dispute.escalated",
                "dispute.office_answered", "dispute.decided"]
    for code in ("HOME", "LEND"):
        assert [kind for kind, data in between.events(code)
                if data.get("dispute_id") == dispute["id"]] == expected
    assert [kind for kind, _ in between.events(None)] == expected[2:]
    assert between.events("THIRD") == []


def test_either_party_to_a_bill_may_dispute_it(between):
    """Today's bill dispute (the home library's) keeps working and is the general dispute of
    the bill: the issuer finds it open (409 naming it) and writes in it; once it is withdrawn
    the issuer may open one itself."""
    bill = a_bill(between)
    disputed = between.call("POST", f"/bills/{bill}/dispute", "HOME",
                            json={"reason": "Returned in the drop box."})
    assert disputed.status_code == 200
    home_dispute = disputed.get_json()["disputes"][0]["id"]
    again = open_dispute(between, "LEND", "bill", bill, "Payment is 60 days late.")
    assert assert_problem(again, 409, "dispute_exists")["existing_dispute_id"] == home_dispute
    assert write(between, "LEND", home_dispute, "messages").status_code == 200
    assert between.call("POST", f"/bills/{bill}/dispute/withdraw", "HOME").status_code == 200
    by_issuer = open_dispute(between, "LEND", "bill", bill, "Payment is 60 days late.")
    assert by_issuer.status_code == 201, by_issuer.get_json()
    problem = assert_problem(open_dispute(between, "HOME", "bill", bill), 409, "dispute_exists")
    assert problem["existing_dispute_id"] == by_issuer.get_json()["id"]


def test_a_block_and_a_suspension_can_be_disputed(between):
    bill = a_bill(between)
    block = between.call("POST", "/blocks", "LEND", json={
        "card_number": CARD, "home_library": "HOME", "kind": "block", "bill_ids": [bill]})
    assert block.status_code == 201, block.get_json()
    assert open_dispute(between, "HOME", "block", block.get_json()["id"]).status_code == 201
    suspension = between.suspended()
    assert open_dispute(between, "HOME", "suspension", suspension["id"]).status_code == 201


@pytest.mark.parametrize("code, status, problem", [
    ("THIRD", 422, "subject_not_found"),  # not party to the notice
    (None, 403, "forbidden_role"),        # the office does not open disputes
    ("anonymous", 401, "missing_key"),
])
def test_only_a_party_opens_a_dispute(between, code, status, problem):
    notice = between.notice()
    assert_problem(open_dispute(between, code, "notice", notice["id"]), status, problem)
    assert between.call("GET", "/disputes", None).get_json()["items"] == []


def test_a_subject_of_the_wrong_kind_is_not_found(between):
    notice = between.notice()
    assert_problem(open_dispute(between, "HOME", "bill", notice["id"]), 422,
                   "subject_not_found")


@pytest.mark.parametrize("actor, action, status, code", [
    ("THIRD", "messages", 404, "dispute_not_found"),
    ("THIRD", "escalate", 404, "dispute_not_found"),
    ("LEND", "withdraw", 403, "not_your_dispute_action"),  # only the opener withdraws
    (None, "messages", 403, "forbidden_role"),             # the office answers, not chats
    (None, "decide", 409, "dispute_state_conflict"),       # not escalated yet
    ("HOME", "decide", 403, "forbidden_role"),
    ("LEND", "answer", 403, "forbidden_role"),
])
def test_each_side_writes_only_what_it_may(between, actor, action, status, code):
    notice = between.notice()
    dispute = open_dispute(between, "HOME", "notice", notice["id"]).get_json()
    assert_problem(write(between, actor, dispute["id"], action), status, code)
    shown = between.call("GET", f"/disputes/{dispute['id']}", "HOME").get_json()
    assert (shown["status"], len(shown["messages"])) == ("open", 1)


def test_withdrawing_closes_it_and_nothing_more_is_written(between):
    notice = between.notice()
    dispute = open_dispute(between, "HOME", "notice", notice["id"]).get_json()
    write(between, "HOME", dispute["id"], "escalate")
    closed = write(between, "HOME", dispute["id"], "withdraw", "Settled by phone.").get_json()
    assert (closed["status"], closed["outcome"]) == ("closed", "withdrawn")
    assert_problem(write(between, "LEND", dispute["id"], "messages"), 409,
                   "dispute_state_conflict")
    assert "dispute.withdrawn" in [kind for kind, _ in between.events(None)]
    # A new dispute about the same notice may be opened once the last one is closed.
    assert open_dispute(between, "LEND", "notice", notice["id"]).status_code == 201


def test_lists_show_each_library_its_own(between):
    notice = between.notice()
    dispute = open_dispute(between, "HOME", "notice", notice["id"]).get_json()
    for code in ("HOME", "LEND", None):
        assert [d["id"] for d in between.call("GET", "/disputes", code, query_string={
            "subject_type": "notice", "subject_id": notice["id"]}).get_json()["items"]] == [
            dispute["id"]]
    assert between.call("GET", "/disputes", "THIRD").get_json()["items"] == []
    assert between.call("GET", "/disputes", "HOME",
                        query_string={"status": "closed"}).get_json()["items"] == []


@pytest.mark.parametrize("body", [
    {}, {"subject_type": "invoice", "subject_id": "ntc_00000000000000000000", "summary": "x"},
    {"subject_type": "notice", "subject_id": "../etc", "summary": "x"},
    {"subject_type": "notice", "subject_id": "ntc_00000000000000000000", "summary": ""},
])
def test_bad_bodies_are_validation_problems(between, body):
    assert_problem(between.call("POST", "/disputes", "HOME", json=body), 422)
