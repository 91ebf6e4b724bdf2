"""A bill's dispute is one case of the general dispute (R13, Plan VIII.1.e): either party to a
bill opens one, through /disputes or (the home library) through the bill's own endpoints; it
is one record, the bill is `disputed` while it is open, and either party may take it to the
federation office, whose decision reopens the bill."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from tests.disputes.test_disputes_api import a_bill, open_dispute, write
from tests.notices.conftest import between  # noqa: F401
from tests.problems import assert_problem


def bill(between, bill_id: str, code: str = "LEND") -> dict:
    """A bill as `code` sees it."""
    response = between.call("GET", f"/bills/{bill_id}", code)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_lending_library_disputes_a_bill_and_the_office_decides_it(between):
    """R13: the issuer, not only the home library, disputes a bill; it is `disputed` until the
    office's decision, and the bill's own answer shows the dispute."""
    bill_id = a_bill(between)
    opened = open_dispute(between, "LEND", "bill", bill_id, "The patron returned only one.")
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()
    shown = bill(between, bill_id, "HOME")
    assert shown["status"] == "disputed"
    assert [(d["id"], d["reason"]) for d in shown["disputes"]] == [
        (dispute["id"], "The patron returned only one.")]
    # The home library's own dispute route sees it is already disputed.
    assert_problem(between.call("POST", f"/bills/{bill_id}/dispute", "HOME",
                                json={"reason": "Us too."}), 409, "bill_disputed")
    assert write(between, "HOME", dispute["id"], "messages", "Both came back.").status_code == 200
    assert bill(between, bill_id)["disputes"][0]["answer"] == "Both came back."
    assert write(between, "HOME", dispute["id"], "escalate").status_code == 200
    decided = write(between, None, dispute["id"], "decide", "One item is owed.")
    assert decided.get_json()["status"] == "closed"
    after = bill(between, bill_id)
    assert after["status"] == "open"
    assert after["disputes"][0]["closed_because"] == "decided"
    kinds = [kind for kind, data in between.events("HOME") if data.get("bill_id") == bill_id
             or data.get("subject_id") == bill_id]
    assert kinds == ["bill.issued", "dispute.opened", "bill.disputed",
                     "dispute.message_posted", "dispute.escalated", "dispute.decided"]


def test_a_dispute_opened_through_the_bill_is_the_general_dispute(between):
    """The home library's /bills/{id}/dispute opens the same record /disputes shows: the
    issuer writes in it there, the bill shows that as the answer, and it can go to the office."""
    bill_id = a_bill(between)
    disputed = between.call("POST", f"/bills/{bill_id}/dispute", "HOME",
                            json={"reason": "The item was damaged before the loan."})
    assert disputed.status_code == 200, disputed.get_json()
    listed = between.call("GET", "/disputes", "LEND",
                          query_string={"subject_id": bill_id}).get_json()["items"]
    assert [(d["subject_type"], d["opened_by"], d["status"]) for d in listed] == [
        ("bill", "HOME", "open")]
    dispute_id = listed[0]["id"]
    assert disputed.get_json()["disputes"][0]["id"] == dispute_id
    answered = between.call("POST", f"/bills/{bill_id}/dispute/answer", "LEND",
                            json={"answer": "Our check-out notes show no damage."})
    assert answered.get_json()["disputes"][0]["answer"] == "Our check-out notes show no damage."
    messages = between.call("GET", f"/disputes/{dispute_id}", "HOME").get_json()["messages"]
    assert [(m["author"], m["kind"]) for m in messages] == [("HOME", "opening"),
                                                            ("LEND", "message")]
    assert write(between, "LEND", dispute_id, "escalate").status_code == 200
    assert between.call("GET", "/events", None).get_json()["items"][-1]["type"] == \
        "dispute.escalated"
    withdrawn = between.call("POST", f"/bills/{bill_id}/dispute/withdraw", "HOME")
    assert withdrawn.get_json()["status"] == "open"
    assert withdrawn.get_json()["disputes"][0]["closed_because"] == "withdrawn"
    assert between.call("GET", f"/disputes/{dispute_id}", None).get_json()["status"] == "closed"
    assert between.call("GET", "/events", None).get_json()["items"][-1]["type"] == \
        "dispute.withdrawn"


BEFORE = "a5515a0ce001"


def test_an_existing_bill_dispute_is_carried_over(app):
    """The migration moves each bill dispute into disputes, opened by the home library
    against the issuer, with its reason and answer as messages and its closing kept."""
    with app.app_context():
        downgrade(revision=BEFORE)
        run = db.session.execute
        now = "2026-01-05 10:00:00"
        run(text("INSERT INTO libraries (id, code, name, type, membership, reciprocal_borrowing,"
                 " active, created_at, updated_at) VALUES "
                 "(1, 'HOME', 'Home', 'public', 'full', true, true, :now, :now), "
                 "(2, 'LEND', 'Lend', 'public', 'full', true, true, :now, :now)"), {"now": now})
        for bill_id, status in (("bil_a", "disputed"), ("bil_b", "open")):
            run(text("INSERT INTO bills (id, issuer_library_id, home_library_id, card_hmac, "
                     "card_last4, infraction_date, sent_on, deadline, status, amount_due_cents,"
                     " amount_paid_cents, amount_reported_cents, liable_party, created_at, "
                     "updated_at) VALUES (:id, 2, 1, :card, '0001', '2026-01-01', "
                     "'2026-01-02', '2027-01-01', :status, 2000, 0, 0, 'patron', :now, :now)"),
                {"id": bill_id, "status": status, "card": b"x" * 32, "now": now})
        run(text("INSERT INTO bill_disputes (id, bill_id, reason, opened_at, answer, "
                 "answered_at, closed_at, closed_because) VALUES "
                 "('dsp_open', 'bil_a', 'Damaged before.', :now, 'No.', :now, NULL, NULL), "
                 "('dsp_gone', 'bil_b', 'Wrong card.', :now, NULL, NULL, :now, 'withdrawn')"),
            {"now": now})
        db.session.commit()
        upgrade()
        disputes = {row.id: tuple(row[1:]) for row in run(text(
            "SELECT id, subject_type, subject_id, opened_by_library_id, other_library_id, "
            "status, outcome FROM disputes"))}
        messages = sorted(tuple(row) for row in run(text(
            "SELECT dispute_id, author_library_id, kind, body FROM dispute_messages")))
        db.session.remove()
        db.engine.dispose()
    assert disputes == {"dsp_open": ("bill", "bil_a", 1, 2, "open", None),
                        "dsp_gone": ("bill", "bil_b", 1, 2, "closed", "withdrawn")}
    assert messages == [("dsp_gone", 1, "opening", "Wrong card."),
                        ("dsp_open", 1, "opening", "Damaged before."),
                        ("dsp_open", 2, "message", "No.")]
