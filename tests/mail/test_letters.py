"""Written means written (R12, R13; Plan VIII.1.b, VIII.1.d, VIII.1.e): every notice,
suspension, escalation and office answer or decision produces a letter: a PDF with the
federation's letterhead, both libraries' names and addresses from the registry, the date in
the federation's time zone, the terms and a reference. It is emailed to the library's contact
address with a copy to the office, through the outbox, and the parties (only they, and the
office) download it from the API."""

import re
from datetime import timedelta

from tests.dates import today
from tests.mail.conftest import FEDERATION, OFFICE, deliver
from tests.problems import assert_problem
from tests.smtp_server import pdf_attachment, pdf_text


def long_date(day) -> str:
    """A date as letters write it."""
    return f"{day:%B} {day.day}, {day.year}"


def words(text: str) -> str:
    """Text with runs of white space made one space (pdftotext keeps the page's layout)."""
    return re.sub(r"\s+", " ", text)


def test_a_suspension_letter_arrives_by_email_with_its_pdf_and_a_copy_to_the_office(
        between, inbox, app):
    """R12: the suspended library is told in writing, copy to the office; the PDF names both
    libraries with their registry addresses, the date, the terms and the reference."""
    ends = today() + timedelta(days=30)
    suspension = between.suspended(terms="Until the three items are returned.")
    # The request answered before anything was sent: the mail waits in the outbox.
    assert inbox.to("home@example.org") == []
    deliver(app)

    received = [m for m in inbox.to("home@example.org")
                if "suspension" in m["Subject"].lower()]
    assert len(received) == 1
    message = received[0]
    assert message["To"] == "home@example.org"
    assert message["Cc"] == OFFICE
    assert inbox.to(OFFICE).count(message) == 1 or any(
        m["Message-ID"] == message["Message-ID"] for m in inbox.to(OFFICE))
    reference = message["X-Reciprocity-Letter"]
    assert re.fullmatch(rf"RS-{today().year}-\d{{6}}", reference)
    assert reference in message["Subject"]
    assert "Lending Public Library" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "What to do:" in body and long_date(ends) in body

    filename, pdf = pdf_attachment(message)
    assert filename == f"{reference}.pdf"
    text = words(pdf_text(pdf))
    assert FEDERATION in text
    assert "100 Capitol Ave" in text and OFFICE in text
    assert f"Reference: {reference}" in text
    assert long_date(today()) in text
    assert "Lending Public Library (LEND)" in text and "9 Elm St" in text
    assert "Shelbyville, IL 62565" in text
    assert "Home Public Library (HOME)" in text and "1 Main St" in text
    assert "Springfield, IL 62701" in text
    assert "Notice of suspension of service" in text
    assert (f"Suspension of reciprocal borrowing for your patrons, from {long_date(today())} "
            f"through {long_date(ends)}. Until the three items are returned.") in text
    assert "Items held past 30 days." in text  # the reason
    assert suspension["notice_ids"][0] in text

    # Both parties and the office download the very PDF that was mailed.
    for code in ("HOME", "LEND", None):
        response = between.call("GET", f"/letters/{reference}", code)
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.data == pdf
        assert f'filename="{reference}.pdf"' in response.headers["Content-Disposition"]


def test_only_the_two_parties_and_the_office_see_a_letter(between, app):
    """R16: a third library is told no such letter exists; nobody anonymous reads one."""
    between.suspended()
    listed = between.call("GET", "/letters", "LEND").get_json()["items"]
    reference = listed[0]["reference"]
    assert_problem(between.call("GET", f"/letters/{reference}", "THIRD"), 404,
                   "letter_not_found")
    assert between.call("GET", "/letters", "THIRD").get_json()["items"] == []
    assert between.call("GET", f"/letters/{reference}", "anonymous").status_code == 401
    assert between.call("GET", "/letters", "anonymous").status_code == 401
    assert_problem(between.call("GET", "/letters/RS-2026-999999", "LEND"), 404,
                   "letter_not_found")


def letters_to(inbox, address: str, reference_word: str) -> list:
    """The messages to `address` whose subject names `reference_word`."""
    return [m for m in inbox.to(address) if reference_word in m["Subject"]]


def test_a_notice_is_a_letter_with_what_happened_the_policy_and_what_is_asked(
        between, inbox, app):
    """Plan VIII.1.b: the notice itself is written, to the library told, copy to the office."""
    notice = between.notice()
    deliver(app)
    [message] = letters_to(inbox, "home@example.org", "Notice of non-compliance")
    assert message["Cc"] == OFFICE
    text = words(pdf_text(pdf_attachment(message)[1]))
    assert "Notice of non-compliance" in text
    assert "Lending Public Library (LEND)" in text and "Home Public Library (HOME)" in text
    assert "held for four months" in text
    assert "Returns: items are returned to the lending library within 30 days." in text
    assert "Send our items back within 10 days." in text
    assert f"Acknowledge this notice or answer it in writing through Reciprocity (notice " \
           f"{notice['id']})" in text
    # The sender is not mailed its own notice; it finds the letter in its list.
    assert inbox.to("lend@example.org") == []
    listed = between.call("GET", "/letters", "LEND").get_json()["items"]
    assert [(item["kind"], item["subject_id"], item["libraries"]) for item in listed] == \
        [("notice.sent", notice["id"], ["LEND", "HOME"])]


def test_renewing_and_lifting_are_each_written_with_the_new_terms(between, inbox, app):
    """R12: a renewal names the new end date; lifting says from when service is restored."""
    suspension = between.suspended()
    later = today() + timedelta(days=60)
    renewed = between.call("POST", f"/suspensions/{suspension['id']}/renew", "LEND",
                           json={"ends_on": later.isoformat(), "reason": "Still missing."})
    assert renewed.status_code == 200, renewed.get_json()
    lifted = between.call("POST", f"/suspensions/{suspension['id']}/lift", "LEND",
                          json={"reason": "The items came back."})
    assert lifted.status_code == 200, lifted.get_json()
    deliver(app)
    [renewal] = letters_to(inbox, "home@example.org", "renewal of a suspension")
    text = words(pdf_text(pdf_attachment(renewal)[1]))
    assert f"The suspension now ends on {long_date(later)}." in text
    assert f"through {long_date(later)}." in text
    [lift] = letters_to(inbox, "home@example.org", "suspension is lifted")
    text = words(pdf_text(pdf_attachment(lift)[1]))
    assert f"Lifted on {long_date(today())}" in text
    assert "The items came back." in text
    references = [m["X-Reciprocity-Letter"] for m in inbox.to("home@example.org")]
    assert len(set(references)) == len(references) == 4  # notice, imposed, renewed, lifted


def test_an_escalation_is_copied_to_the_other_library_and_the_decision_goes_to_both(
        between, inbox, app):
    """R13, Plan VIII.1.e: the request for help is written to the office, copied to the other
    party; the office's decision is written to both."""
    notice = between.notice()
    opened = between.call("POST", "/disputes", "HOME", json={
        "subject_type": "notice", "subject_id": notice["id"],
        "summary": "The items were returned to LEND's courier on time."})
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()["id"]
    escalated = between.call("POST", f"/disputes/{dispute}/escalate", "HOME",
                             json={"body": "Please look at the courier's receipts."})
    assert escalated.status_code == 200, escalated.get_json()
    decided = between.call("POST", f"/disputes/{dispute}/decide", None,
                           json={"body": "The courier's receipts show the items went back "
                                         "on time: the notice is set aside."})
    assert decided.status_code == 200, decided.get_json()
    deliver(app)

    [request] = letters_to(inbox, "lend@example.org", "Request for the federation")
    assert request["To"] == "lend@example.org" and request["Cc"] == OFFICE
    text = words(pdf_text(pdf_attachment(request)[1]))
    assert "Home Public Library (HOME)" in text and f"{FEDERATION}, federation office" in text
    assert "Please look at the courier's receipts." in text
    assert "Lending Public Library (LEND), 9 Elm St, Shelbyville, IL 62565" in text  # its copy

    decision = letters_to(inbox, "home@example.org", "decision")
    assert len(decision) == 1 and decision[0]["To"] == "home@example.org, lend@example.org"
    text = words(pdf_text(pdf_attachment(decision[0])[1]))
    assert "the notice is set aside." in text
    assert "Home Public Library (HOME)" in text
    for code in ("HOME", "LEND", None):
        kinds = {item["kind"] for item in
                 between.call("GET", "/letters", code).get_json()["items"]}
        assert {"dispute.escalated", "dispute.decided"} <= kinds
    assert between.call("GET", "/letters", "THIRD").get_json()["items"] == []


def test_a_refused_change_writes_no_letter_and_sends_nothing(between, inbox, app):
    """Written in the change's transaction: a suspension the rules refuse leaves no trace."""
    refused = between.suspend(notice_ids=["ntc_00000000000000000000"])
    assert refused.status_code == 422
    assert between.call("GET", "/letters", None).get_json()["items"] == []
    assert deliver(app) == 0
    assert inbox.messages == []


def test_letters_page_newest_first_with_the_shared_paginator(between, app):
    """GET /letters: `limit` and `next_cursor`, as every list."""
    for _ in range(3):
        between.notice()
    first = between.call("GET", "/letters", "HOME", query_string={"limit": 2}).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = between.call("GET", "/letters", "HOME",
                        query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    references = [i["reference"] for i in first["items"] + rest["items"]]
    assert len(references) == 3 and references == sorted(references, reverse=True)
    assert rest["next_cursor"] is None
    # Not a cursor's shape: refused by the schema; the right shape never given out: 400.
    assert_problem(between.call("GET", "/letters", "HOME", query_string={"cursor": "!!"}),
                   422, "validation_failed")
    assert_problem(between.call("GET", "/letters", "HOME", query_string={"cursor": "YWJj"}),
                   400, "invalid_cursor")
