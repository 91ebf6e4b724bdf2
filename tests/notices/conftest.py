"""Three libraries and the office, for what libraries do to each other in writing (R12, R13):
LEND (the library whose policy was disregarded), HOME (the library told, and suspended),
THIRD (a bystander); HOME has one registered patron."""

from datetime import timedelta

import pytest

from tests.dates import today

CARD = "2000100000011"
SURNAME = "Okonkwo-Lindqvist"


class Between:
    """Drives notices and suspensions through the real API as each party."""

    def __init__(self, federation):
        self.federation = federation
        self.client = federation.client
        federation.admit("HOME", prefixes=["20001"], name="Home Public Library",
                         address={"street": "1 Main St", "city": "Springfield", "zip": "62701"})
        federation.admit("LEND", prefixes=["20002"], name="Lending Public Library",
                         address={"street": "9 Elm St", "city": "Shelbyville", "zip": "62565"})
        federation.admit("THIRD", prefixes=["20003"], name="Third Public Library")
        federation.register("HOME", CARD, surname=SURNAME)

    def call(self, method: str, path: str, code: str | None, **kwargs):
        """A request under /api/v1 as `code` (None: the office; "anonymous": no key)."""
        headers = {} if code == "anonymous" else self.federation.headers(code)
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def notice(self, sender="LEND", to="HOME", **fields) -> dict:
        """Send a notice; its body."""
        body = {"to": to, "what_happened": "Three items borrowed here were returned to your "
                                           "desk and held for four months.",
                "policy": "Returns: items are returned to the lending library within 30 days.",
                "asks": "Send our items back within 10 days.", **fields}
        response = self.call("POST", "/notices", sender, json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def suspend(self, by="LEND", of="HOME", notice_ids=None, **fields):
        """Impose a suspension; the response."""
        if notice_ids is None:
            notice_ids = [self.notice(sender=by, to=of)["id"]]
        body = {"suspended_library": of, "measure": "suspension",
                "services": "reciprocal_borrowing", "reason": "Items held past 30 days.",
                "notice_ids": notice_ids,
                "ends_on": (today() + timedelta(days=30)).isoformat(), **fields}
        return self.call("POST", "/suspensions", by, json=body)

    def suspended(self, **fields) -> dict:
        """Impose a suspension that must succeed; its body."""
        response = self.suspend(**fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def verify(self, lender: str, card: str = CARD) -> dict:
        """A verification of `card` at `lender`'s desk; the answer's body."""
        response = self.federation.verify(lender, card, surname=SURNAME)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def events(self, code: str | None) -> list[tuple[str, dict]]:
        """A feed's (type, data) pairs, oldest first."""
        response = self.call("GET", "/events", code, query_string={"limit": 500})
        assert response.status_code == 200, response.get_json()
        return [(e["type"], e["data"]) for e in response.get_json()["items"]]


@pytest.fixture
def between(federation) -> Between:
    """HOME, LEND and THIRD admitted, HOME's patron registered."""
    return Between(federation)
