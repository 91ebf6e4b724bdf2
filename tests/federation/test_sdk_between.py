"""The member SDK for what libraries do to each other in writing, against the real service on
127.0.0.1 (both databases): a notice, its answer, a suspension the lender's desk then sees
(R12), its renewal and lifting, and the office's copy in its own feed."""

from datetime import timedelta

import pytest

from federation import AssistanceRequest, Client, Dispute, Notice, ProblemError, Suspension
from tests.dates import today

HOME, LEND, THIRD = "IL0911", "IL0912", "IL0913"
CARD = "2091100000001"


@pytest.fixture
def clients(federation, live_server):
    """SDK clients for HOME, LEND, THIRD and the federation office."""
    home = Client(live_server, federation.admit(HOME, prefixes=["20911"]), timeout=5)
    lend = Client(live_server, federation.admit(LEND, prefixes=["20912"]), timeout=5)
    third = Client(live_server, federation.admit(THIRD, prefixes=["20913"]), timeout=5)
    office = Client(live_server, federation.admin_key, timeout=5)
    home.upsert_patron(CARD, "2030-01-31")
    return home, lend, third, office


def test_a_notice_then_a_suspension_through_the_sdk(clients):
    home, lend, third, office = clients
    notice = lend.send_notice(HOME, "Items held four months.", "Returns within 30 days.",
                              "Return our items.")
    assert isinstance(notice, Notice) and notice.status == "sent"
    assert home.acknowledge_notice(notice.id).status == "acknowledged"
    assert home.answer_notice(notice.id, "Sent today.").answer == "Sent today."
    assert [n.id for n in home.notices(as_="recipient")] == [notice.id]

    ends = today() + timedelta(days=14)
    suspension = lend.impose_suspension(HOME, services="reciprocal_borrowing",
                                        reason="Items held.", notice_ids=[notice.id],
                                        ends_on=ends, terms="Until the items come back.")
    assert isinstance(suspension, Suspension)
    assert (suspension.status, suspension.ends_on, suspension.notice_ids) == (
        "in_force", ends, (notice.id,))
    answer = lend.verify(CARD)
    assert (answer.decision, answer.reasons) == ("not_eligible", ("suspended_by_you",))
    assert "Until the items come back." in answer.advice
    assert third.verify(CARD).may_lend

    assert [s.id for s in home.suspensions(as_="suspended", in_force=True)] == [suspension.id]
    assert [s.id for s in office.suspensions_in_force(HOME)] == [suspension.id]
    assert list(third.suspensions_in_force(HOME)) == []
    assert "suspension.imposed" in [e.type for e in office.events()]

    renewed = lend.renew_suspension(suspension.id, ends + timedelta(days=7), "Still missing.")
    assert renewed.ends_on == ends + timedelta(days=7)
    with pytest.raises(ProblemError) as caught:
        home.lift_suspension(suspension.id)
    assert (caught.value.status, caught.value.code) == (403, "not_your_suspension")
    assert lend.lift_suspension(suspension.id, "Returned.").status == "lifted"
    assert lend.verify(CARD).may_lend
    assert lend.get_suspension(suspension.id).lifted_on == today()


def test_a_dispute_escalated_to_the_office_through_the_sdk(clients):
    home, lend, third, office = clients
    notice = lend.send_notice(HOME, "Items held.", "Returns within 30 days.", "Return them.")
    dispute = home.open_dispute("notice", notice.id, "They were returned on time.")
    assert isinstance(dispute, Dispute) and dispute.status == "open"
    assert lend.write_in_dispute(dispute.id, "Not by our records.").status == "open"
    assert home.escalate_dispute(dispute.id, "Please help.").status == "escalated"
    office.answer_escalation(dispute.id, "Send your logs.")
    decided = office.decide_dispute(dispute.id, "Returned on time.")
    assert (decided.status, decided.outcome, decided.decision) == (
        "closed", "decided", "Returned on time.")
    assert [m["kind"] for m in decided.messages] == [
        "opening", "message", "escalation", "office_answer", "decision"]
    assert [d.id for d in lend.disputes(status="closed")] == [dispute.id]
    assert list(third.disputes()) == []
    with pytest.raises(ProblemError) as caught:
        third.get_dispute(dispute.id)
    assert caught.value.status == 404
    assert "dispute.decided" in [e.type for e in office.events()]


def test_an_assistance_request_through_the_sdk(clients):
    """R7 through the SDK; R16: what the home library passes reaches the requester alone."""
    home, lend, third, office = clients
    bill = lend.issue_bill(CARD, HOME, today() - timedelta(days=10), [
        {"title": "Atlas", "barcode": "1", "format": "book", "kind": "lost", "in_print": True,
         "list_price_cents": 2500}])
    asked = lend.request_assistance(HOME, "collect_bill", "Two letters went unanswered.",
                                    bill_id=bill.id)
    assert isinstance(asked, AssistanceRequest)
    assert (asked.status, asked.response_due_on, asked.overdue) == (
        "requested", today() + timedelta(days=14), False)
    assert [a.id for a in home.assistance_requests(as_="home", status="requested")] == [
        asked.id]
    answered = home.answer_assistance(asked.id, "details_passed", note="Checked today.",
                                      patron_details="Phone 217-555-0100")
    assert (answered.status, answered.patron_details) == ("answered", None)
    assert lend.get_assistance(asked.id).patron_details == "Phone 217-555-0100"
    assert office.get_assistance(asked.id).patron_details is None
    with pytest.raises(ProblemError) as caught:
        third.get_assistance(asked.id)
    assert (caught.value.status, caught.value.code) == (404, "assistance_not_found")
    closed = lend.close_assistance(asked.id)
    assert (closed.status, closed.closed_because) == ("closed", "completed")
    # The audit trail through the SDK: the request's states in order; nothing for a third.
    states = [(e["action"], e["new_state"]) for e in office.audit_entries(
        record_type="assistance", record_id=asked.id)]
    assert states == [("requested", "requested"), ("answered", "answered"),
                      ("closed", "closed")]
    assert list(third.audit_entries(record_id=asked.id)) == []
