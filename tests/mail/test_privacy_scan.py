"""R16: no card number and no patron name in any email or letter. Every kind of email and
letter is produced here for a patron whose card, surname and given name are known (the home
library's own reference carries the given name, as some systems' do), then every header, body
and PDF text received by the SMTP server is searched for them."""

from datetime import timedelta

from tests.dates import days_ago, today
from tests.mail.conftest import deliver, message_text

CARD = "20001 0000 4321"
DIGITS = CARD.replace(" ", "")
SURNAME, GIVEN = "Abernathy-Quist", "Philippa"


def test_no_email_or_letter_carries_a_card_number_or_a_patron_name(federation, inbox, app):
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    client, lend, home, office = (federation.client, federation.headers("LEND"),
                                  federation.headers("HOME"), federation.headers())
    for code in ("HOME", "LEND"):
        assert client.patch(f"/api/v1/libraries/{code}/mail-settings",
                            headers=federation.headers(code),
                            json={"bill": True, "dispute_message": True,
                                  "assistance_request": True}).status_code == 200
    federation.register("HOME", CARD, surname=SURNAME, external_ref=f"{GIVEN}-77")
    bill = client.post("/api/v1/bills", headers=lend, json={
        "card_number": CARD, "home_library": "HOME", "infraction_date": str(days_ago(30)),
        "items": [{"title": "Prairie Years", "barcode": "3123", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]}).get_json()
    block = client.post("/api/v1/blocks", headers=lend, json={
        "card_number": CARD, "home_library": "HOME", "kind": "block",
        "bill_ids": [bill["id"]]})
    assert block.status_code == 201, block.get_json()
    notice = client.post("/api/v1/notices", headers=lend, json={
        "to": "HOME", "what_happened": "A patron of yours kept our items.",
        "policy": "Returns within 30 days.", "asks": "Help us get them back."}).get_json()
    suspension = client.post("/api/v1/suspensions", headers=lend, json={
        "suspended_library": "HOME", "measure": "suspension", "services": "both",
        "reason": "Items kept.", "notice_ids": [notice["id"]],
        "ends_on": str(today() + timedelta(days=10))}).get_json()
    dispute = client.post("/api/v1/disputes", headers=home, json={
        "subject_type": "suspension", "subject_id": suspension["id"],
        "summary": "The items are back."}).get_json()
    for path, headers in (("messages", lend), ("escalate", home), ("answer", office),
                          ("decide", office)):
        response = client.post(f"/api/v1/disputes/{dispute['id']}/{path}", headers=headers,
                               json={"body": "Written between libraries."})
        assert response.status_code == 200, (path, response.get_json())
    assert client.post("/api/v1/libraries/HOME/membership-actions", headers=office, json={
        "action": "removed", "reason": "Statistics not filed."}).status_code == 201
    deliver(app)

    received = [message for _, message in inbox.messages]
    kinds = {message["X-Reciprocity-Letter"] is not None for message in received}
    assert kinds == {True, False}  # letters and plain emails alike
    assert len(received) >= 9
    for message in received:
        text = message_text(message)
        for secret in (DIGITS, CARD, DIGITS[-4:] + " ", SURNAME, SURNAME.lower(), GIVEN):
            assert secret not in text, (secret, message["Subject"])
