"""Fixtures for blocks over HTTP (R8): a home library, two lenders, a stranger, bills, blocks."""

from datetime import timedelta

import pytest

from tests.dates import today

HOME = "IL0101"    # the patron's home library: cards start 20001
LEND = "IL0102"    # a lending library that bills and asks for blocks
LEND2 = "IL0103"   # another lending library
THIRD = "IL0104"   # a library party to nothing: it verifies cards at its desk
LEND_NAME = "Lakeshore Lending Library"  # must never appear in a verification answer (R16)
CARD = "20001 0000 4321"
OTHER_CARD = "20001 0000 8765"


class Parties:
    """HOME, two lenders and THIRD, with helpers that drive the real API as each of them."""

    def __init__(self, federation, client):
        self.federation = federation
        self.client = client
        federation.admit(HOME, prefixes=["20001"], name="Prairie Home Library")
        federation.admit(LEND, prefixes=["20002"], name=LEND_NAME)
        federation.admit(LEND2, prefixes=["20003"], name="Riverside Library")
        federation.admit(THIRD, prefixes=["20004"], name="Hilltop Library")

    def headers(self, code: str | None = None) -> dict:
        """A library's headers, or the federation office's with no code."""
        return self.federation.headers(code)

    # Bills ---------------------------------------------------------------------------------

    def bill(self, lender: str = LEND, card: str = CARD, cents: int = 1000,
             home: str = HOME) -> str:
        """`lender` bills the home library for a lost book (30 days ago); the bill's id."""
        response = self.client.post("/api/v1/bills", headers=self.headers(lender), json={
            "card_number": card, "home_library": home,
            "infraction_date": (today() - timedelta(days=30)).isoformat(),
            "items": [{"title": "The Prairie Years", "barcode": "31234000123456",
                       "format": "book", "kind": "lost", "in_print": True,
                       "list_price_cents": cents}]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def get_bill(self, bill_id: str, by: str = LEND) -> dict:
        """A bill as one of its parties sees it."""
        response = self.client.get(f"/api/v1/bills/{bill_id}", headers=self.headers(by))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def pay(self, bill_id: str, cents: int = 1000):
        """The lending library records the patron's payment it received (confirmed, R8)."""
        return self.client.post(f"/api/v1/bills/{bill_id}/payments", headers=self.headers(LEND),
                                json={"amount_cents": cents, "paid_by": "patron"})

    def void(self, bill_id: str, by: str = LEND):
        """The issuer voids its bill; the response."""
        return self.client.post(f"/api/v1/bills/{bill_id}/void", headers=self.headers(by),
                                json={"reason": "Found on the shelf."})

    def resolve(self, bill_id: str, lender: str = LEND):
        """The lender proposes a replacement copy and the home library accepts (R6)."""
        proposed = self.client.post(f"/api/v1/bills/{bill_id}/resolutions",
                                    headers=self.headers(lender),
                                    json={"terms": "replacement_copy",
                                          "detail": "The patron brings a new copy."})
        assert proposed.status_code == 201, proposed.get_json()
        return self.client.post(
            f"/api/v1/bills/{bill_id}/resolutions/{proposed.get_json()['id']}/accept",
            headers=self.headers(HOME), json={})

    # Blocks --------------------------------------------------------------------------------

    def request(self, bill_ids, lender: str = LEND, kind: str = "block", card: str = CARD,
                home: str = HOME, headers=None, **fields):
        """POST a block request; the response."""
        body = {"card_number": card, "home_library": home, "kind": kind,
                "bill_ids": list(bill_ids), **fields}
        return self.client.post("/api/v1/blocks", json=body,
                                headers={**self.headers(lender), **(headers or {})})

    def block(self, bill_ids=None, lender: str = LEND, kind: str = "block", **kwargs) -> dict:
        """A request that must succeed (for a fresh bill unless told); its body."""
        if bill_ids is None:
            bill_ids = [self.bill(lender, kwargs.get("card", CARD))]
        response = self.request(bill_ids, lender, kind, **kwargs)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def act(self, block_id: str, action: str, by: str | None, body=None):
        """POST honor, refuse, release or withdraw as `by` (None: the office); the response."""
        if action == "refuse" and body is None:
            body = {"reason": "Our board does not block for other libraries."}
        return self.client.post(f"/api/v1/blocks/{block_id}/{action}", json=body or {},
                                headers=self.headers(by))

    def moved(self, block_id: str, action: str, by: str, body=None) -> dict:
        """An action that must succeed; the block after it."""
        response = self.act(block_id, action, by, body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def get(self, block_id: str, by: str | None = LEND):
        """GET a block as `by` (None: the office); the response."""
        return self.client.get(f"/api/v1/blocks/{block_id}", headers=self.headers(by))

    def status(self, block_id: str, by: str = LEND) -> str:
        """A block's status as `by` sees it."""
        response = self.get(block_id, by)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["status"]

    def listed(self, by: str | None, **params) -> list[dict]:
        """Every block a list shows `by`, following next_cursor to the end."""
        found, cursor = [], None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            response = self.client.get("/api/v1/blocks", query_string=query,
                                       headers=self.headers(by))
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            found.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    # Events and verification ---------------------------------------------------------------

    def events(self, code: str, prefix: str = "") -> list[tuple[str, dict]]:
        """A library's whole feed as (type, data), only the types starting with `prefix`."""
        found, after = [], None
        while True:
            query = {"limit": 500, **({"after": after} if after else {})}
            response = self.client.get("/api/v1/events", query_string=query,
                                       headers=self.headers(code))
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            found.extend((e["type"], e["data"]) for e in page["items"]
                         if e["type"].startswith(prefix))
            if not page["items"]:
                return found
            after = page["next_cursor"]

    def verify(self, card: str = CARD, desk: str = THIRD):
        """A lending desk verifies a card; the response."""
        return self.client.post("/api/v1/verifications", json={"card_number": card},
                                headers=self.headers(desk))


@pytest.fixture
def parties(federation, client) -> Parties:
    """HOME, LEND, LEND2 and THIRD admitted, with keys."""
    return Parties(federation, client)


@pytest.fixture
def patron(parties) -> dict:
    """HOME's registered patron holding CARD (with HOME's own reference P-77)."""
    return parties.federation.register(HOME, CARD, category="adult", external_ref="P-77")
