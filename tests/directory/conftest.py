"""Fixtures for the directory: member libraries, a policy builder, and publishing helpers."""

import copy

import pytest

from tests.dates import days_ago

BASE_POLICY = {
    "reviewed_on": None,  # filled in by policy(): recent, so not stale
    "reciprocal_borrowing": {
        "participates": True, "items_at_a_time": 5, "loan_days": 21, "renewals": 1,
        "format_limits": [{"format": "dvd", "items_at_a_time": 2, "loan_days": 7,
                           "renewals": 0}],
        "excluded_formats": ["new_release", "hotspot"],
        "holds_allowed": False, "register_in_person": True,
        "notes": "Bring your home library card and a photo ID.",
    },
    "fees": [{"name": "Overdue fine", "applies_to": "reciprocal_borrowing", "amount_cents": 25,
              "basis": "per_day", "also_charged_to_own_patrons": True}],
    "interlibrary_loan": {
        "contact": {"name": "ILL desk", "email": "ill@example.org", "phone": "555-0199"},
        "formats_lent": ["book", "dvd"], "formats_not_lent": ["reference", "rare"],
        "loan_days": 28, "renewals": 1, "lends_to": ["public_libraries", "academic_libraries"],
        "charge_cents": 0,
        "lost_materials": {"replacement": "list_price", "processing_fee_cents": 500},
        "photocopy": {"provided": True, "charge_cents_per_page": 10},
    },
    "services": [{"service": "computers", "offered": True, "limits": "One hour a day."}],
    # Dates filled in by policy(): a programme in effect today, decided and reported in time.
    "nonresident_cards": {"participates": True, "fee_formula": "Tax rate times home value.",
                          "effective_from": None, "effective_until": None,
                          "board_decision_on": None, "reported_on": None},
}


def policy(**changes) -> dict:
    """A valid policy, reviewed 10 days ago, with dotted-path changes: policy(**{"a.b": 1})."""
    document = copy.deepcopy(BASE_POLICY)
    document["reviewed_on"] = days_ago(10).isoformat()
    document["nonresident_cards"].update(
        effective_from=days_ago(150).isoformat(), effective_until=days_ago(-215).isoformat(),
        board_decision_on=days_ago(20).isoformat(), reported_on=days_ago(0).isoformat())
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__") if "__" in path else path.split(".")
        for name in parents:
            target = target[int(name)] if isinstance(target, list) else target[name]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return document


class Directory:
    """Libraries admitted through the real API, and helpers to publish and read policies."""

    def __init__(self, federation, client):
        self.federation = federation
        self.client = client

    def admit(self, code, **fields):
        """Admit a library (public full member unless told) and issue its key."""
        fields.setdefault("address", {"city": "Prairie", "county": "Cook"})
        self.federation.admit(code, **fields)

    def publish(self, code, body, *, as_code=None):
        """PUT a policy as the library `as_code` (default: the library itself)."""
        return self.client.put(f"/api/v1/libraries/{code}/policy", json=body,
                               headers=self.federation.headers(as_code or code))

    def published(self, code, body) -> dict:
        """Publish a policy that must be accepted; the answer's body."""
        response = self.publish(code, body)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    def get(self, path, **kwargs):
        """GET a public directory path without a key."""
        return self.client.get(f"/api/v1/directory{path}", **kwargs)


@pytest.fixture
def directory(federation, client) -> Directory:
    """Three public libraries (IL0001-IL0003) admitted, with keys."""
    helper = Directory(federation, client)
    helper.admit("IL0001", name="Prairie Public Library",
                 address={"city": "Prairie", "county": "Cook"}, system="NORTH")
    helper.admit("IL0002", name="Riverbank Library",
                 address={"city": "Riverbank", "county": "Kane"}, system="NORTH")
    helper.admit("IL0003", name="Hilltop District Library",
                 address={"city": "Hilltop", "county": "Kane"}, system="SOUTH")
    return helper


