"""R1: only libraries that take part act under reciprocal borrowing, and their cards only are
honored; the directory and the library record say the same."""

import pytest

from tests.dates import days_ago
from tests.problems import assert_problem


@pytest.fixture
def fed(federation):
    """A public full member (PUB), an academic library that has not opted in (UNI), an
    opted-in school library (SCHOOL) and a public associate member (ASSOC)."""
    federation.admit("PUB", prefixes=["20001"])
    federation.admit("UNI", prefixes=["20002"], type="academic")
    federation.admit("SCHOOL", prefixes=["20003"], type="school", reciprocal_borrowing=True)
    federation.admit("ASSOC", prefixes=["20004"], membership="associate")
    for code, card in (("PUB", "2000100000001"), ("UNI", "2000200000001"),
                       ("SCHOOL", "2000300000001"), ("ASSOC", "2000400000001")):
        federation.register(code, card)
    return federation


def _bill(fed, lender, card, home):
    """`lender` bills `home`; the response."""
    return fed.client.post("/api/v1/bills", headers=fed.headers(lender), json={
        "card_number": card, "home_library": home, "infraction_date": str(days_ago(5)),
        "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]})


def test_a_library_that_does_not_take_part_can_neither_verify_nor_bill_nor_block(fed):
    """Hole: UNI, not opted in, verified ('lend under your reciprocal policy') and billed."""
    for lender in ("UNI", "ASSOC"):
        body = assert_problem(fed.verify(lender, "2000100000001"), 403, "not_participating")
        assert "reciprocal borrowing" in body["detail"] and "R1" in body["detail"]
        assert_problem(_bill(fed, lender, "2000100000001", "PUB"), 403, "not_participating")
        block = fed.client.post("/api/v1/blocks", headers=fed.headers(lender), json={
            "card_number": "2000100000001", "home_library": "PUB", "kind": "block",
            "bill_ids": ["bil_00000000000000000000"]})
        assert_problem(block, 403, "not_participating")
    assert fed.verify("SCHOOL", "2000100000001").get_json()["decision"] == "eligible"


def test_cards_of_a_home_that_does_not_take_part_are_not_honored(fed):
    """Hole: an associate member's patrons verified eligible."""
    for card in ("2000200000001", "2000400000001"):
        body = fed.verify("PUB", card).get_json()
        assert body["decision"] == "not_eligible"
        assert body["reasons"][0] == "home_not_participating"
    assert fed.verify("PUB", "2000300000001").get_json()["decision"] == "eligible"


def test_an_associate_member_cannot_opt_in_and_a_member_that_becomes_one_stops(fed, client):
    """R1: associate members take no part, whatever they ask."""
    response = client.patch("/api/v1/libraries/ASSOC", json={"reciprocal_borrowing": True},
                            headers=fed.headers())
    assert_problem(response, 422, "associates_take_no_part")
    response = client.patch("/api/v1/libraries/SCHOOL", json={"membership": "associate"},
                            headers=fed.headers())
    assert response.get_json()["participates"] is False
    assert_problem(fed.verify("SCHOOL", "2000100000001"), 403, "not_participating")


def test_the_directory_says_what_the_library_record_says(fed, client):
    """Hole: the directory answered 'Yes' for a library that does not take part."""
    from tests.directory.conftest import policy

    published = client.put("/api/v1/libraries/UNI/policy", json=policy(),
                           headers=fed.headers("UNI"))
    assert published.status_code in (200, 201), published.get_json()
    entry = client.get("/api/v1/directory/UNI").get_json()
    record = client.get("/api/v1/libraries/UNI", headers=fed.headers()).get_json()
    assert entry["participates"] is record["participates"] is False
    answer = client.get("/api/v1/directory/UNI/answers",
                        query_string={"format": "book"}).get_json()
    assert answer["may_borrow"] is False
