"""R16: the federation office runs the federation without seeing patron data on blocks."""

from tests.blocks.conftest import CARD, HOME, LEND


def test_the_office_sees_blocks_without_the_card_digits(parties, client):
    """Hole: the office saw every block's card_last4 although it is party to none."""
    parties.federation.register(HOME, CARD, external_ref="P-1")
    bill_id = parties.bill()
    block = client.post("/api/v1/blocks", headers=parties.headers(LEND), json={
        "card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": [bill_id]})
    block_id = block.get_json()["id"]
    assert block.get_json()["card_last4"] == "4321"
    office = client.get(f"/api/v1/blocks/{block_id}", headers=parties.headers()).get_json()
    listed = client.get("/api/v1/blocks", headers=parties.headers()).get_json()["items"]
    for seen in (office, listed[0]):
        assert seen["id"] == block_id and seen["status"] == "requested"
        assert seen["card_last4"] is None and seen["external_ref"] is None
    home = client.get(f"/api/v1/blocks/{block_id}", headers=parties.headers(HOME)).get_json()
    assert home["card_last4"] == "4321" and home["external_ref"] == "P-1"
