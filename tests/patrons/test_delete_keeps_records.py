"""R8: a home library cannot lift a lender's block by deleting the patron; nothing the lender
is party to is deleted by the home library."""

from tests.dates import days_ago
from tests.problems import assert_problem

CARD = "2000100000042"


def _lend_and_block(federation, client) -> tuple[str, str, str]:
    """LEND bills HOME's patron and HOME honors LEND's block: (patron id, bill id, block id)."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    patron = federation.register("HOME", CARD)
    bill = client.post("/api/v1/bills", headers=federation.headers("LEND"), json={
        "card_number": CARD, "home_library": "HOME", "infraction_date": str(days_ago(5)),
        "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]}).get_json()
    block = client.post("/api/v1/blocks", headers=federation.headers("LEND"), json={
        "card_number": CARD, "home_library": "HOME", "kind": "block",
        "bill_ids": [bill["id"]]}).get_json()
    honored = client.post(f"/api/v1/blocks/{block['id']}/honor",
                          headers=federation.headers("HOME"))
    assert honored.status_code == 200, honored.get_json()
    return patron["id"], bill["id"], block["id"]


def test_a_patron_with_an_honored_block_cannot_be_deleted_and_re_registered(federation,
                                                                            client):
    """Hole: delete + re-register made the card eligible and the lender's block vanish."""
    patron_id, bill_id, block_id = _lend_and_block(federation, client)
    response = client.delete(f"/api/v1/patrons/{patron_id}", headers=federation.headers("HOME"))
    body = assert_problem(response, 409, "patron_has_records")
    assert block_id in body["detail"] and bill_id in body["detail"]
    assert body["block_ids"] == [block_id] and body["bill_ids"] == [bill_id]
    federation.register("HOME", CARD)  # an update of the same patron, not a new one
    assert federation.verify("LEND", CARD).get_json()["decision"] == "not_eligible"
    seen = client.get(f"/api/v1/blocks/{block_id}", headers=federation.headers("LEND"))
    assert seen.status_code == 200 and seen.get_json()["status"] == "honored"


def test_a_block_follows_the_patron_to_a_replacement_card(federation, client):
    """The block is the patron's: a new card is blocked too, and the old one is replaced."""
    patron_id, _, block_id = _lend_and_block(federation, client)
    replaced = client.post(f"/api/v1/patrons/{patron_id}/replace-card",
                           json={"new_card_number": "2000100000043"},
                           headers=federation.headers("HOME"))
    assert replaced.status_code == 200, replaced.get_json()
    new = federation.verify("LEND", "2000100000043").get_json()
    assert new["decision"] == "not_eligible" and "federation_block" in new["reasons"]
    assert federation.verify("LEND", CARD).get_json()["decision"] == "not_eligible"


def test_a_released_block_still_holds_the_patron_record_for_the_lender(federation, client):
    """Closed blocks are the lender's record too: the patron stays until none names them."""
    patron_id, bill_id, block_id = _lend_and_block(federation, client)
    client.post(f"/api/v1/blocks/{block_id}/release", headers=federation.headers("LEND"))
    client.post(f"/api/v1/bills/{bill_id}/void", json={"reason": "Found it."},
                headers=federation.headers("LEND"))
    response = client.delete(f"/api/v1/patrons/{patron_id}", headers=federation.headers("HOME"))
    body = assert_problem(response, 409, "patron_has_records")
    assert body["bill_ids"] == [] and body["block_ids"] == [block_id]
    assert client.get(f"/api/v1/blocks/{block_id}",
                      headers=federation.headers("LEND")).status_code == 200


def test_a_patron_no_other_library_has_a_record_of_is_deleted(federation, client):
    """A patron with only a closed bill (voided) and no block can go; the bill stays."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    patron = federation.register("HOME", CARD)
    bill = client.post("/api/v1/bills", headers=federation.headers("LEND"), json={
        "card_number": CARD, "home_library": "HOME", "infraction_date": str(days_ago(5)),
        "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]}).get_json()
    client.post(f"/api/v1/bills/{bill['id']}/void", json={"reason": "Found it."},
                headers=federation.headers("LEND"))
    response = client.delete(f"/api/v1/patrons/{patron['id']}",
                             headers=federation.headers("HOME"))
    assert response.status_code == 204
    assert client.get(f"/api/v1/bills/{bill['id']}",
                      headers=federation.headers("LEND")).status_code == 200
