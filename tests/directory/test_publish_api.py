"""Publishing a policy over HTTP: who may (the library itself, the office), versions, and every
refusal as problem+json naming the rule and the field (R1, R3, R4, R11, R18).

Tests share a database per test and walk several related requests each: a fresh database is the
expensive part.
"""

from sqlalchemy import func, select

from app.directory.models import PolicyVersion
from app.events.models import Event
from app.extensions import db
from tests.dates import days_ago
from tests.directory.conftest import policy
from tests.problems import assert_problem


def versions(app) -> int:
    """How many policy versions are stored."""
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(PolicyVersion))
        db.session.remove()
    return count


def test_publishing_makes_a_version_and_the_same_policy_again_changes_nothing(directory, app):
    """201 version 1; the same policy (in another order) 200 `changed: false`; a change 201 v2."""
    first = directory.publish("IL0001", policy())
    assert first.status_code == 201
    body = first.get_json()
    assert (body["code"], body["version"], body["changed"]) == ("IL0001", 1, True)
    assert body["stale"] is False and body["warnings"] == []
    assert body["policy"]["reciprocal_borrowing"]["items_at_a_time"] == 5

    reordered = policy(**{"reciprocal_borrowing.excluded_formats": ["hotspot", "new_release"]})
    again = directory.publish("IL0001", reordered)
    assert again.status_code == 200
    assert (again.get_json()["version"], again.get_json()["changed"]) == (1, False)
    assert versions(app) == 1

    changed = directory.publish("IL0001", policy(**{"reciprocal_borrowing.loan_days": 14}))
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    assert versions(app) == 2
    with app.app_context():
        published = db.session.scalars(select(Event.data).where(
            Event.type == "directory.policy_published")).all()
    assert published == [{"library": "IL0001", "version": 1}, {"library": "IL0001", "version": 2}]


def test_only_the_library_itself_or_the_office_may_publish(directory, client, app):
    """Another library's key: 403 `not_your_library` (as PATCH of a library); no key: 401."""
    refused = directory.publish("IL0001", policy(), as_code="IL0002")
    assert_problem(refused, 403, "not_your_library")
    no_key = client.put("/api/v1/libraries/IL0001/policy", json=policy())
    assert_problem(no_key, 401, "missing_key")
    assert_problem(directory.publish("IL9999", policy(), as_code="IL0001"), 404,
                   "library_not_found")
    assert versions(app) == 0
    by_office = client.put("/api/v1/libraries/IL0001/policy", json=policy(),
                           headers=directory.federation.headers())
    assert by_office.status_code == 201


def test_each_rule_refusal_names_the_rule_and_the_field_and_writes_nothing(directory, app):
    """R1, R3, R4 and R11 refusals: 422 `policy_invalid`, errors by dotted path."""
    cases = {
        "reciprocal_borrowing.participates": (
            policy(**{"reciprocal_borrowing.participates": False}), "R1:"),
        "reciprocal_borrowing.items_at_a_time": (
            policy(**{"reciprocal_borrowing.items_at_a_time": 0}), "R4:"),
        "reciprocal_borrowing.excluded_formats": (
            policy(**{"reciprocal_borrowing.excluded_formats": [
                "book", "large_print", "audiobook", "music_cd", "dvd", "blu_ray", "video_game",
                "magazine", "equipment", "kit", "newspaper", "ebook", "hotspot", "museum_pass",
                "microfilm", "thesis", "article_copy", "transcript"],
                "reciprocal_borrowing.format_limits": []}), "R4:"),
        "fees.0.in_effect_since": (
            policy(fees=[{"name": "Visitor fee", "amount_cents": 200, "basis": "per_loan",
                          "also_charged_to_own_patrons": False,
                          "in_effect_since": "2019-01-01"}]), "R11:"),
        "reciprocal_borrowing.notes": (
            policy(**{"reciprocal_borrowing.notes": "Patrons of IL0002 may borrow 1 item."}),
            "R3:"),
        "interlibrary_loan.notes": (
            policy(**{"interlibrary_loan.notes": "Hilltop District Library first."}), "R3:"),
    }
    for path, (body, rule) in cases.items():
        problem = assert_problem(directory.publish("IL0001", body), 422, "policy_invalid")
        assert set(problem["errors"]) == {path}, problem
        assert problem["errors"][path].startswith(rule), problem
        assert rule.rstrip(":") in problem["detail"]
    assert versions(app) == 0
    # An academic library may stay out (R1 binds public full members only).
    directory.admit("IL0100", type="academic")
    out = policy(**{"reciprocal_borrowing.participates": False})
    assert directory.publish("IL0100", out).status_code == 201


def test_bad_input_is_a_clear_422_never_a_500_and_changes_nothing(directory, app):
    """Unknown fields, wrong types, unknown terms, missing sections: 422 by field path."""
    directory.published("IL0001", policy())
    bad = {
        "reciprocal_borrowing.home_libraries": policy(**{
            "reciprocal_borrowing.home_libraries": ["IL0002"]}),
        "reciprocal_borrowing.items_at_a_time": policy(**{
            "reciprocal_borrowing.items_at_a_time": "5"}),
        "reciprocal_borrowing.participates": policy(**{
            "reciprocal_borrowing.participates": "yes"}),
        "reciprocal_borrowing.excluded_formats.0": policy(**{
            "reciprocal_borrowing.excluded_formats": ["vinyl"]}),
        "reviewed_on": policy(reviewed_on="last spring"),
        "fees.0.amount_cents": policy(fees=[{"name": "Fine", "amount_cents": 2.5,
                                             "basis": "per_day",
                                             "also_charged_to_own_patrons": True}]),
        "interlibrary_loan": {k: v for k, v in policy().items() if k != "interlibrary_loan"},
    }
    for path, body in bad.items():
        problem = assert_problem(directory.publish("IL0001", body), 422, "validation_failed")
        assert path in problem["errors"], (path, problem)
    assert_problem(directory.client.put(
        "/api/v1/libraries/IL0001/policy", data="{not json", content_type="application/json",
        headers=directory.federation.headers("IL0001")), 400, "malformed_body")
    assert versions(app) == 1


def test_a_late_nonresident_report_is_accepted_and_shown_late(directory):
    """R18: more than 30 days after the board's decision: 201 with a warning, flagged late."""
    late = policy(**{"nonresident_cards.board_decision_on": days_ago(90).isoformat(),
                     "nonresident_cards.reported_on": None})
    response = directory.publish("IL0001", late)
    assert response.status_code == 201
    body = response.get_json()
    assert body["nonresident_report_late"] is True
    assert [w["code"] for w in body["warnings"]] == ["nonresident_report_late"]
    assert body["warnings"][0]["path"] == "nonresident_cards.reported_on"
    entry = directory.get("/IL0001").get_json()
    assert entry["nonresident_report_late"] is True
    assert any("late" in line for line in entry["summary"]["nonresident_cards"])
    on_time = directory.published("IL0002", policy())
    assert on_time["nonresident_report_late"] is False


def test_r5_the_ill_part_must_say_whom_to_reach_what_a_loss_costs_formats_and_copies(
        directory, app):
    """R5: an ILL contact that reaches a person (phone or email), the reimbursement for lost
    materials, formats lent and not lent, and the photocopy policy are all required."""
    cases = {
        "interlibrary_loan.contact": policy(**{"interlibrary_loan.contact": {"name": ""}}),
        "interlibrary_loan.lost_materials": policy(**{"interlibrary_loan.lost_materials": None}),
        "interlibrary_loan.formats_lent": policy(**{"interlibrary_loan.formats_lent": []}),
        "interlibrary_loan.formats_not_lent": policy(**{
            "interlibrary_loan.formats_not_lent": []}),
        "interlibrary_loan.photocopy": policy(**{"interlibrary_loan.photocopy": None}),
    }
    cases["interlibrary_loan.contact"]["interlibrary_loan"]["contact"] = {"name": "ILL desk"}
    for path, body in cases.items():
        problem = assert_problem(directory.publish("IL0001", body), 422, "policy_invalid")
        assert set(problem["errors"]) == {path}, problem
        assert problem["errors"][path].startswith("R5:"), problem
    assert versions(app) == 0


def test_r5_a_review_date_after_today_is_refused(directory, app):
    """R5: a policy reviewed "tomorrow" would stay fresh for ever; today is accepted."""
    tomorrow = days_ago(-1).isoformat()
    problem = assert_problem(directory.publish("IL0001", policy(reviewed_on=tomorrow)), 422,
                             "policy_invalid")
    assert problem["errors"]["reviewed_on"].startswith("R5:"), problem
    assert versions(app) == 0
    assert directory.publish("IL0001", policy(reviewed_on=days_ago(0).isoformat())
                             ).status_code == 201


def test_r18_the_report_date_is_the_day_the_directory_received_it(directory):
    """R18: a member cannot backdate its report: `reported_on` is the day of the publish, and
    publishing the same decision again later keeps the day it was first received."""
    backdated = policy(**{"nonresident_cards.board_decision_on": days_ago(90).isoformat(),
                          "nonresident_cards.reported_on": days_ago(80).isoformat()})
    body = directory.published("IL0001", backdated)
    assert body["policy"]["nonresident_cards"]["reported_on"] == days_ago(0).isoformat()
    assert body["nonresident_report_late"] is True
    assert "nonresident_report_late" in [w["code"] for w in body["warnings"]]
    again = directory.published("IL0001", backdated)
    assert again["changed"] is False
    entry = directory.get("/IL0001").get_json()
    assert entry["policy"]["nonresident_cards"]["reported_on"] == days_ago(0).isoformat()
    assert entry["nonresident_report_late"] is True


def test_r18_a_board_decision_after_today_is_refused(directory, app):
    """R18: a decision dated in the future has not been taken."""
    future = policy(**{"nonresident_cards.board_decision_on": "2030-05-01",
                       "nonresident_cards.reported_on": "2030-05-02"})
    problem = assert_problem(directory.publish("IL0001", future), 422, "policy_invalid")
    assert problem["errors"]["nonresident_cards.board_decision_on"].startswith("R18:")
    assert versions(app) == 0


def test_r3_a_member_named_by_place_short_name_or_card_prefix_is_refused(directory, app):
    """R3 from a third library's side: the ways round a full-name check are closed, and the
    refusal says which words named which member."""
    directory.admit("IL0029", name="Aurora Public Library", prefixes=["20029"],
                    address={"city": "Aurora", "county": "Kane"})
    for text, words in [("Patrons from Aurora may borrow two items.", "aurora"),
                        ("Aurora PL patrons wait a week.", "aurora"),
                        ("No DVDs for Aurora Public-Library cardholders.", "aurora"),
                        ("Cards starting with 20029 register in person.", "20029")]:
        body = policy(**{"reciprocal_borrowing.notes": text})
        problem = assert_problem(directory.publish("IL0001", body), 422, "policy_invalid")
        message = problem["errors"]["reciprocal_borrowing.notes"]
        assert message.startswith("R3:") and "IL0029" in message and f'"{words}"' in message
    assert versions(app) == 0
    # The library itself may use its own name.
    own = policy(**{"reciprocal_borrowing.notes": "Aurora Public Library welcomes you."})
    own["nonresident_cards"] = None
    assert directory.publish("IL0029", own).status_code == 201


def test_a_request_form_address_is_an_http_address_with_a_host_name(app, directory):
    """The document's pattern for web addresses is what the service checks: "0", ftp://, a
    host without a domain or an address with a space or newline is a 422 naming the field,
    and nothing is published; an https address with a port, path and query is kept."""
    for bad in ("0", "ftp://example.org/ill", "https://intranet", "https://example.org/a b",
                "https://example.org/\n"):
        body = policy(**{"interlibrary_loan.request_url": bad})
        problem = assert_problem(directory.publish("IL0001", body), 422, "validation_failed")
        assert "interlibrary_loan.request_url" in problem["errors"], bad
    assert versions(app) == 0
    good = "https://ill.example.org:8443/request?form=1"
    published = directory.published("IL0001", policy(**{"interlibrary_loan.request_url": good}))
    assert published["policy"]["interlibrary_loan"]["request_url"] == good


def test_a_state_group_names_a_state_as_the_document_says(app, directory):
    """R3: a group of kind `state` is a two-letter state code (the document's if/then)."""
    body = policy(**{"interlibrary_loan.priorities": [{"kind": "state", "name": "Illinois"}]})
    problem = assert_problem(directory.publish("IL0001", body), 422, "validation_failed")
    assert "interlibrary_loan.priorities.0.name" in problem["errors"]
    assert versions(app) == 0


def test_hours_that_close_before_they_open_break_the_policys_rules(app, directory):
    """No schema can compare two fields: closing at or before opening is refused with the
    policy's rules (422 `policy_invalid`, naming the entry), and nothing is published."""
    hours = [{"days": ["monday"], "opens": "09:00", "closes": "20:00"},
             {"days": ["sunday"], "opens": "13:00", "closes": "13:00"}]
    problem = assert_problem(directory.publish("IL0001", policy(opening_hours=hours)), 422,
                             "policy_invalid")
    assert set(problem["errors"]) == {"opening_hours.1.closes"}
    assert versions(app) == 0


def test_a_format_lent_to_groups_only_names_them_as_the_document_says(app, directory):
    """groups_only needs groups, special_agreement names none (the document's if/then)."""
    for lends, groups in (("groups_only", []), ("special_agreement",
                                                [{"kind": "state", "name": "IL"}])):
        body = policy(**{"interlibrary_loan.conditional_formats": [
            {"format": "dvd", "lends": lends, "groups": groups}]})
        problem = assert_problem(directory.publish("IL0001", body), 422, "validation_failed")
        assert "interlibrary_loan.conditional_formats.0.groups" in problem["errors"], lends
    assert versions(app) == 0
