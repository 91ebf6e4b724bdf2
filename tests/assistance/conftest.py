"""Fixtures for assistance requests (R7): the block tests' libraries, a bill, and helpers."""

import pytest

from tests.blocks.conftest import CARD, HOME, LEND, Parties, parties, patron  # noqa: F401

# What a home library passes about its patron (R16): must never leave the requester's view.
DETAILS = "Phone 217-555-0199; 12 Quillfeather Lane, Springfield"


class Assisting:
    """Drives assistance requests through the real API as each party."""

    def __init__(self, parties: Parties):
        self.parties = parties
        self.client = parties.client

    def call(self, method: str, path: str, code: str | None, **kwargs):
        """A request under /api/v1 as `code` (None: the office; "anonymous": no key)."""
        headers = {} if code == "anonymous" else self.parties.headers(code)
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def ask(self, by: str = LEND, home: str = HOME, kind: str = "collect_bill", **subject):
        """POST an assistance request (about a fresh bill unless told); the response."""
        if not subject:
            subject = {"bill_id": self.parties.bill(by)}
        return self.call("POST", "/assistance", by, json={
            "home_library": home, "kind": kind,
            "message": "The patron has not answered our two letters about this bill.",
            **subject})

    def asked(self, **kwargs) -> dict:
        """A request that must succeed; its body."""
        response = self.ask(**kwargs)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def answer(self, assistance_id: str, by: str = HOME, **body):
        """POST an answer; the response."""
        return self.call("POST", f"/assistance/{assistance_id}/answer", by, json=body)


@pytest.fixture
def assisting(parties, patron) -> Assisting:
    """HOME, LEND, LEND2 and THIRD admitted, HOME's patron registered."""
    return Assisting(parties)
