"""R15: a card has one home. Prefixes never overlap between libraries unless the federation
office settles it, and a library registers and bills only its own cards."""

from tests.dates import days_ago
from tests.problems import assert_problem

AURORA_CARD = "2002900000007"


def _bill(federation, lender, card, home):
    """`lender` bills `home` for a lost book on `card`; the response."""
    return federation.client.post("/api/v1/bills", headers=federation.headers(lender), json={
        "card_number": card, "home_library": home, "infraction_date": str(days_ago(10)),
        "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]})


def test_a_library_cannot_claim_a_prefix_inside_another_librarys_range(federation, client):
    """Hole: a longer prefix inside Aurora's range made an Aurora card another library's."""
    federation.admit("AURORA", prefixes=["20029"])
    federation.admit("OTHER", prefixes=["20030"])
    for prefixes, clash in ((["20030", "2002900000007"], "20029"), (["20030", "2"], "20029")):
        response = client.patch("/api/v1/libraries/OTHER", json={"card_prefixes": prefixes},
                                headers=federation.headers("OTHER"))
        body = assert_problem(response, 409, "prefix_overlaps")
        assert clash in body["detail"] and "AURORA" in body["detail"]
    record = client.get("/api/v1/libraries/OTHER", headers=federation.headers("OTHER"))
    assert record.get_json()["card_prefixes"] == ["20030"]


def test_only_the_federation_office_settles_an_overlap(federation, client):
    """The office may assign a nested prefix; the longest prefix then names the home."""
    federation.admit("AURORA", prefixes=["20029"])
    federation.admit("OTHER", prefixes=["20030"])
    response = client.patch("/api/v1/libraries/OTHER",
                            json={"card_prefixes": ["20030", "2002999"]},
                            headers=federation.headers())
    assert response.status_code == 200, response.get_json()
    federation.register("OTHER", "2002999000001")
    assert federation.verify("AURORA", "2002999000001").get_json()["home_library"][
        "code"] == "OTHER"


def test_a_library_cannot_register_a_card_whose_prefix_names_another_library(federation,
                                                                             client):
    """Hole: OTHER registered an Aurora card and it verified eligible with OTHER as home."""
    federation.admit("AURORA", prefixes=["20029"])
    federation.admit("OTHER", prefixes=["20030"])
    federation.admit("LEND", prefixes=["20031"])
    response = client.post("/api/v1/patrons", json={"card_number": AURORA_CARD,
                                                    "expires_on": "2099-12-31"},
                           headers=federation.headers("OTHER"))
    body = assert_problem(response, 422, "card_of_another_library")
    assert "AURORA" in body["detail"]
    imported = client.post("/api/v1/patrons/import", data=f"card_number,expires_on\n"
                           f"{AURORA_CARD},2099-12-31\n2003000000001,2099-12-31\n",
                           headers={**federation.headers("OTHER"), "Content-Type": "text/csv"})
    summary = imported.get_json()
    assert summary["created"] == 1 and summary["rejected"] == 1
    assert summary["errors"][0]["code"] == "card_of_another_library"
    answer = federation.verify("LEND", AURORA_CARD, home_library="OTHER").get_json()
    assert answer["decision"] != "eligible"


def test_a_bill_names_the_home_library_the_card_prefix_names(federation):
    """R6/R15 hole: a bill to a library that is not the card's home was accepted."""
    federation.admit("AURORA", prefixes=["20029"])
    federation.admit("OTHER", prefixes=["20030"])
    federation.admit("LEND", prefixes=["20031"])
    body = assert_problem(_bill(federation, "LEND", AURORA_CARD, "OTHER"), 422,
                          "wrong_home_library")
    assert body["home_library_should_be"] == "AURORA"
    assert _bill(federation, "LEND", AURORA_CARD, "AURORA").status_code == 201


def test_a_card_no_prefix_names_is_billed_only_to_a_library_that_registered_it(federation):
    """Without a matching prefix, the home is a library that registered the card."""
    federation.admit("HOME", prefixes=[])
    federation.admit("OTHER", prefixes=[])
    federation.admit("LEND", prefixes=["20031"])
    federation.register("HOME", "X-77-0001")
    body = assert_problem(_bill(federation, "LEND", "X-77-0001", "OTHER"), 422,
                          "wrong_home_library")
    assert "home_library_should_be" not in body  # R16: who registered it is not LEND's to know
    assert _bill(federation, "LEND", "X-77-0001", "HOME").status_code == 201
