"""Idempotency-Key on creating POSTs: a retried request does its work once (API conventions)."""

import hashlib
import json
import threading

from sqlalchemy import text

from app.extensions import db
from tests.bills.conftest import CARD, CARD_PLAIN, HOME, THIRD, in_print_item
from tests.dates import days_ago


def key(value: str) -> dict:
    """An Idempotency-Key header."""
    return {"Idempotency-Key": value}


def bill_body(card: str = CARD) -> dict:
    """A valid bill's body, fixed so that it can be sent twice."""
    return {"card_number": card, "home_library": HOME, "infraction_date": str(days_ago(10)),
            "items": [in_print_item()]}


def test_a_retried_bill_gets_the_first_answer_and_no_second_bill(app, parties, table_counts):
    """Same key, same body (even written in another key order): 201 again, the same answer,
    Idempotent-Replayed, and no second bill or event. The stored record keeps no card (R16)."""
    body = bill_body()
    headers = {**parties.lend, **key("bill-2026-0001"), "Content-Type": "application/json"}
    first = parties.client.post("/api/v1/bills", data=json.dumps(body), headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    after_first = table_counts()
    assert after_first["bills"] == 1 and after_first["events"] == 2

    rewritten = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = parties.client.post("/api/v1/bills", data=rewritten, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.mimetype == "application/json"
    assert again.get_json() == first.get_json()
    assert table_counts() == after_first
    listed = parties.client.get("/api/v1/bills", headers=parties.lend).get_json()["items"]
    assert [bill["id"] for bill in listed] == [first.get_json()["id"]]

    # R16: a plain hash of the request would let anyone holding the table try every card.
    with app.app_context():
        fingerprint, stored = db.session.execute(
            text("SELECT fingerprint, body FROM idempotency_keys")).one()
        db.session.remove()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert fingerprint != hashlib.sha256(f"POST /api/v1/bills\n{canonical}".encode()).hexdigest()
    assert CARD not in stored and CARD_PLAIN not in stored


def test_a_key_means_one_request_of_one_library(parties, table_counts):
    """Same key with another body or endpoint: 409 idempotency_key_reused and no work; another
    library's identical key is its own request."""
    bill = parties.bill(extra_headers=key("k-2"))
    before = table_counts()
    changed = parties.issue(items=[in_print_item(9999)], extra_headers=key("k-2"))
    assert changed.status_code == 409
    assert changed.get_json()["code"] == "idempotency_key_reused"
    elsewhere = parties.act(bill["id"], "payments", {**parties.lend, **key("k-2")},
                            {"amount_cents": 100, "paid_by": "patron"})
    assert elsewhere.status_code == 409
    assert elsewhere.get_json()["code"] == "idempotency_key_reused"
    assert table_counts() == before

    from_third = parties.issue(parties.third, extra_headers=key("k-2"))
    assert from_third.status_code == 201
    assert "Idempotent-Replayed" not in from_third.headers
    assert from_third.get_json()["id"] != bill["id"]
    assert from_third.get_json()["issuer"] == THIRD
    assert table_counts()["bills"] == 2


def test_a_retried_payment_or_proposal_is_made_once(parties, table_counts):
    """The classic double charge: the retry answers with the first payment and the balance
    does not move; a retried proposal does not supersede itself (R6)."""
    bill = parties.bill(items=[in_print_item(3000)])
    headers = {**parties.home, **key("pay-1")}
    first = parties.pay(bill["id"], 1000, headers)
    assert first.status_code == 201
    after_first = table_counts()
    again = parties.pay(bill["id"], 1000, headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert table_counts() == after_first
    different = parties.pay(bill["id"], 500, headers)
    assert different.status_code == 409
    assert different.get_json()["code"] == "idempotency_key_reused"
    seen = parties.get(bill["id"]).get_json()  # R8: HOME's payment is reported, not received
    assert (seen["amount_paid_cents"], seen["amount_reported_cents"]) == (0, 1000)

    headers = {**parties.home, **key("offer-1")}
    offer = {"terms": "replacement_copy", "detail": "A new copy by Friday."}
    proposed = parties.act(bill["id"], "resolutions", headers, offer)
    proposed_again = parties.act(bill["id"], "resolutions", headers, offer)
    assert proposed.status_code == proposed_again.status_code == 201
    assert proposed_again.get_json() == proposed.get_json()
    resolutions = parties.get(bill["id"]).get_json()["resolutions"]
    assert [(r["id"], r["status"]) for r in resolutions] == [(proposed.get_json()["id"],
                                                              "proposed")]


def test_a_key_is_1_to_255_characters_and_a_refused_request_does_not_use_it_up(
        parties, table_counts):
    """400 invalid_idempotency_key for an over-long or empty key; a bill refused under R9
    stores no answer, so the corrected bill may use the same key."""
    for bad in ("k" * 256, ""):
        response = parties.issue(extra_headers=key(bad))
        assert response.status_code == 400, response.get_json()
        assert response.get_json()["code"] == "invalid_idempotency_key"
    assert table_counts()["bills"] == 0

    late = parties.issue(infraction_date="2001-01-01", extra_headers=key("k" * 255))
    assert late.status_code == 422
    assert table_counts()["idempotency_keys"] == 0
    fixed = parties.issue(extra_headers=key("k" * 255))
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers


def test_two_copies_of_a_request_racing_with_one_key_create_one_bill(app, parties, table_counts):
    """Both copies pass the key lookup before either commits: the loser replays the winner."""
    body = bill_body()
    start = threading.Barrier(2)
    answers = []

    def send():
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/bills", json=body,
                               headers={**parties.lend, **key("race")})
        answers.append((response.status_code, response.get_json().get("id"),
                        response.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers, key=lambda a: a[2] or "") == [
        (201, answers[0][1], None), (201, answers[0][1], "true")]
    counts = table_counts()
    assert counts["bills"] == 1 and counts["events"] == 2 and counts["idempotency_keys"] == 1
    events, _ = parties.events(parties.home)
    assert [event["seq"] for event in events] == [1]  # the loser's position was given back
