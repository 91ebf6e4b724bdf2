"""Racing requests over real HTTP: two payments for the last dollar cannot both succeed."""

from datetime import timedelta

import pytest
import requests

from app.timestamps import today_in
from tests.racing import race


@pytest.fixture
def billed(federation, live_server):
    """HOME's patron owes LEND $10.00 on one open bill; returns (bill id, base URL, headers)."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND")
    federation.register("HOME", "2000100000001")
    infraction = today_in("America/Chicago") - timedelta(days=3)
    response = federation.client.post("/api/v1/bills", headers=federation.headers("LEND"), json={
        "card_number": "2000100000001", "home_library": "HOME",
        "infraction_date": infraction.isoformat(),
        "items": [{"title": "Dune", "barcode": "31000001", "format": "book", "kind": "lost",
                   "in_print": True, "list_price_cents": 1000}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], live_server, federation


def test_payments_racing_for_the_last_dollar_never_overpay(billed):
    """Eight payments of $6 race for a $10 balance: exactly one wins, the rest are 409."""
    bill_id, base, federation = billed
    url = f"{base}/bills/{bill_id}/payments"

    def pay(payer):
        return lambda session: session.post(url, json={"amount_cents": 600, "paid_by": "patron"},
                                            headers=federation.headers(payer), timeout=30)

    results = race([pay("HOME" if i % 2 else "LEND") for i in range(8)])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 7
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"overpayment"}
    bill = requests.get(f"{base}/bills/{bill_id}", headers=federation.headers("HOME")).json()
    # HOME's payment would be reported, LEND's confirmed (R8): either holds the balance.
    assert bill["amount_paid_cents"] + bill["amount_reported_cents"] == 600
    assert len(bill["payments"]) == 1
    assert bill["status"] == "open"


def test_exactly_enough_racing_payments_pay_the_bill_once(billed):
    """Six payments of $5 race for $10: two win, the bill is paid, one bill.paid event each."""
    bill_id, base, federation = billed
    url = f"{base}/bills/{bill_id}/payments"
    results = race([
        (lambda session: session.post(url, json={"amount_cents": 500, "paid_by": "home_library"},
                                      headers=federation.headers("LEND"), timeout=30))
        for _ in range(6)])
    assert sorted(r.status_code for r in results) == [201, 201, 409, 409, 409, 409]
    codes = {r.json()["code"] for r in results if r.status_code == 409}
    assert codes <= {"overpayment", "bill_paid"}
    bill = requests.get(f"{base}/bills/{bill_id}", headers=federation.headers("LEND")).json()
    assert (bill["status"], bill["amount_paid_cents"], bill["balance_cents"]) == ("paid", 1000, 0)
    assert sum(p["amount_cents"] for p in bill["payments"]) == 1000
    events = requests.get(f"{base}/events", headers=federation.headers("LEND")).json()["items"]
    assert [e["type"] for e in events].count("bill.paid") == 1
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_a_void_racing_a_payment_lets_exactly_one_change_the_bill(billed):
    """Void and a full payment at once: the bill ends void or paid, never both."""
    bill_id, base, federation = billed
    results = race([
        lambda s: s.post(f"{base}/bills/{bill_id}/void", json={"reason": "found on shelf"},
                         headers=federation.headers("LEND"), timeout=30),
        lambda s: s.post(f"{base}/bills/{bill_id}/payments",
                         json={"amount_cents": 1000, "paid_by": "patron"},
                         headers=federation.headers("LEND"), timeout=30),
    ])
    bill = requests.get(f"{base}/bills/{bill_id}", headers=federation.headers("LEND")).json()
    void, payment = results
    if void.status_code == 200:
        assert payment.status_code == 409 and bill["status"] == "void"
        assert bill["amount_paid_cents"] == 0
    else:
        assert (void.status_code, payment.status_code) == (409, 201)
        assert bill["status"] == "paid"
