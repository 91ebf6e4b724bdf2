"""Notices of non-compliance (Plan VIII.1.b): one library tells another in writing what
happened, which published policy it disregarded and what is asked; the other acknowledges or
answers; only the two parties and the office see it."""

import pytest

from tests.problems import assert_problem


def test_a_notice_is_sent_acknowledged_and_answered_in_writing(between):
    notice = between.notice(policy_version=None)
    assert notice["sender"] == "LEND" and notice["recipient"] == "HOME"
    assert notice["status"] == "sent"
    assert notice["asks"] == "Send our items back within 10 days."

    acknowledged = between.call("POST", f"/notices/{notice['id']}/acknowledge", "HOME")
    assert acknowledged.status_code == 200
    assert acknowledged.get_json()["status"] == "acknowledged"
    answered = between.call("POST", f"/notices/{notice['id']}/answer", "HOME",
                            json={"answer": "The items went back by courier today."})
    body = answered.get_json()
    assert (body["status"], body["answer"]) == ("answered",
                                                "The items went back by courier today.")

    for code in ("LEND", "HOME"):
        assert [kind for kind, data in between.events(code)
                if data.get("notice_id") == notice["id"]] == [
            "notice.sent", "notice.acknowledged", "notice.answered"]
    # The office is not copied on a notice (it is the step between the two libraries) but
    # may read every notice.
    assert between.events(None) == []
    office = between.call("GET", f"/notices/{notice['id']}", None)
    assert office.status_code == 200 and office.get_json()["status"] == "answered"


def test_only_the_parties_and_the_office_see_a_notice(between):
    notice = between.notice()
    assert_problem(between.call("GET", f"/notices/{notice['id']}", "THIRD"), 404,
                   "notice_not_found")
    assert between.call("GET", "/notices", "THIRD").get_json()["items"] == []
    assert_problem(between.call("GET", f"/notices/{notice['id']}", "anonymous"), 401)
    assert [n["id"] for n in between.call("GET", "/notices", "HOME",
                                          query_string={"as": "recipient"}).get_json()["items"]
            ] == [notice["id"]]
    assert between.call("GET", "/notices", "HOME",
                        query_string={"as": "sender"}).get_json()["items"] == []
    assert [n["id"] for n in between.call("GET", "/notices", None).get_json()["items"]] == [
        notice["id"]]


@pytest.mark.parametrize("actor, action, code", [
    ("LEND", "acknowledge", "not_your_notice"),   # the sender cannot acknowledge its own
    ("LEND", "answer", "not_your_notice"),
    ("HOME", "withdraw", "not_your_notice"),      # the library told cannot withdraw it
    ("THIRD", "acknowledge", "notice_not_found"),  # a bystander does not see it at all
])
def test_each_side_takes_only_its_own_actions(between, actor, action, code):
    notice = between.notice()
    body = {"answer": "No."} if action == "answer" else None
    response = between.call("POST", f"/notices/{notice['id']}/{action}", actor, json=body)
    assert_problem(response, 404 if code == "notice_not_found" else 403, code)
    assert between.call("GET", f"/notices/{notice['id']}", "LEND").get_json()["status"] == "sent"


def test_the_office_does_not_act_on_a_notice(between):
    notice = between.notice()
    assert_problem(between.call("POST", f"/notices/{notice['id']}/withdraw", None), 403,
                   "forbidden_role")


def test_a_withdrawn_notice_cannot_be_answered(between):
    notice = between.notice()
    assert between.call("POST", f"/notices/{notice['id']}/withdraw", "LEND").status_code == 200
    response = between.call("POST", f"/notices/{notice['id']}/answer", "HOME",
                            json={"answer": "Too late."})
    assert_problem(response, 409, "notice_state_conflict")
    assert between.call("GET", f"/notices/{notice['id']}", "HOME").get_json()["answer"] is None


@pytest.mark.parametrize("fields, code, field", [
    ({"to": "LEND"}, "own_library", "to"),
    ({"to": "NOPE"}, "unknown_library", "to"),
    ({"policy_version": 7}, "unknown_policy_version", "policy_version"),
])
def test_a_notice_goes_to_another_member_about_a_published_policy(between, fields, code,
                                                                   field):
    body = {"to": "HOME", "what_happened": "x", "policy": "y", "asks": "z", **fields}
    problem = assert_problem(between.call("POST", "/notices", "LEND", json=body), 422, code)
    assert field in problem["errors"]
    assert between.call("GET", "/notices", None).get_json()["items"] == []


@pytest.mark.parametrize("body", [
    {}, {"to": "HOME", "what_happened": "", "policy": "y", "asks": "z"},
    {"to": "HOME", "what_happened": "x" * 4001, "policy": "y", "asks": "z"},
    {"to": 5, "what_happened": "x", "policy": "y", "asks": "z"},
])
def test_bad_bodies_are_validation_problems(between, body):
    assert_problem(between.call("POST", "/notices", "LEND", json=body), 422)
    assert between.call("GET", "/notices", None).get_json()["items"] == []
