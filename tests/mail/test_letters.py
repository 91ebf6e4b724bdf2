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
