"""R7/R8: money the home library reports is `reported` until the lending library confirms it;
only confirmed money settles a bill and releases the blocks it covers."""

from tests.bills.conftest import CARD, HOME, LEND, current_period
from tests.problems import assert_problem


def _block(parties, bill_id: str) -> str:
    """LEND asks HOME to block the patron for the bill, and HOME honors it; the block's id."""
    block = parties.client.post("/api/v1/blocks", headers=parties.lend, json={
        "card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": [bill_id]})
    assert block.status_code == 201, block.get_json()
    block_id = block.get_json()["id"]
    assert parties.client.post(f"/api/v1/blocks/{block_id}/honor",
                               headers=parties.home).status_code == 200
    return block_id


def test_a_payment_the_home_library_reports_settles_nothing_until_the_lender_confirms(
        parties, patron):
    """Hole: HOME recorded the full amount with any reference; the block went at once."""
    bill = parties.bill()
    block_id = _block(parties, bill["id"])
    reported = parties.pay(bill["id"], 2500, parties.home, paid_by="home_library",
                           reference="anything")
    assert reported.status_code == 201
    assert reported.get_json()["status"] == "reported"
    seen = parties.get(bill["id"]).get_json()
    assert seen["status"] == "open" and seen["amount_paid_cents"] == 0
    assert seen["amount_reported_cents"] == 2500 and seen["balance_cents"] == 2500
    block = parties.client.get(f"/api/v1/blocks/{block_id}", headers=parties.lend).get_json()
    assert block["status"] == "honored"
    verdict = parties.federation.verify("IL0003", CARD).get_json()
    assert verdict["decision"] == "not_eligible" and "federation_block" in verdict["reasons"]

    payment_id = reported.get_json()["id"]
    assert_problem(parties.act(bill["id"], f"payments/{payment_id}/confirm", parties.home),
                   403, "only_issuer")
    confirmed = parties.act(bill["id"], f"payments/{payment_id}/confirm", parties.lend)
    assert confirmed.status_code == 200, confirmed.get_json()
    body = confirmed.get_json()
    assert body["status"] == "paid" and body["amount_paid_cents"] == 2500
    assert body["amount_reported_cents"] == 0 and body["payments"][0]["status"] == "confirmed"
    block = parties.client.get(f"/api/v1/blocks/{block_id}", headers=parties.lend).get_json()
    assert block["status"] == "released" and block["release_reason"] == "bills_settled"
    assert_problem(parties.act(bill["id"], f"payments/{payment_id}/confirm", parties.lend),
                   409, "payment_confirmed")


def test_the_lender_records_its_own_receipt_as_confirmed(parties, patron):
    """Money the lending library records itself is received: it settles the bill."""
    bill = parties.bill()
    paid = parties.pay(bill["id"], 2500, headers=parties.lend)
    assert paid.get_json()["status"] == "confirmed"
    assert parties.get(bill["id"]).get_json()["status"] == "paid"


def test_a_declined_report_frees_the_balance_and_the_block_stays(parties, patron):
    """The lender says the money never arrived: the balance stands, the block too."""
    bill = parties.bill()
    block_id = _block(parties, bill["id"])
    payment_id = parties.pay(bill["id"], 2500, parties.home,
                             paid_by="home_library").get_json()["id"]
    assert_problem(parties.pay(bill["id"], 1, parties.home), 409, "overpayment")
    declined = parties.act(bill["id"], f"payments/{payment_id}/decline", parties.lend,
                           {"reason": "No transfer arrived."})
    body = declined.get_json()
    assert body["status"] == "open" and body["amount_reported_cents"] == 0
    assert body["payments"][0]["status"] == "declined"
    assert body["payments"][0]["decline_reason"] == "No transfer arrived."
    block = parties.client.get(f"/api/v1/blocks/{block_id}", headers=parties.lend).get_json()
    assert block["status"] == "honored"
    assert parties.pay(bill["id"], 2500, headers=parties.lend).status_code == 201


def test_the_statement_shows_reported_and_confirmed_money_apart(parties, patron):
    """R7/R8: reported money is shown, but only confirmed money reduces what is owed."""
    first, second = parties.bill(), parties.bill()
    parties.pay(first["id"], 1000, parties.home, paid_by="home_library")
    parties.pay(second["id"], 700, headers=parties.lend)
    for headers, mine in ((parties.lend, True), (parties.home, False)):
        response = parties.client.get("/api/v1/statements",
                                      query_string={"period": current_period()},
                                      headers=headers)
        (row,) = response.get_json()["rows"]
        if mine:
            assert row["library"] == HOME
            assert row["received_cents"] == 700 and row["reported_to_you_cents"] == 1000
            assert row["owed_to_you_cents"] == 5000 - 700
        else:
            assert row["library"] == LEND
            assert row["paid_cents"] == 700 and row["reported_by_you_cents"] == 1000
            assert row["you_owe_cents"] == 5000 - 700
