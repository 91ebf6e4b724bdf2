"""Fixtures for bills over HTTP: a home library, a lending library, a patron, a bill helper."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.dates import days_ago, today

HOME = "IL0001"    # the patron's home library: cards start 20001
LEND = "IL0002"    # the lending library that bills: cards start 20002
THIRD = "IL0003"   # a library party to nothing
CARD = "20001 0000 4321"
CARD_PLAIN = "2000100004321"


def current_period() -> str:
    """This quarter, as a statement's `period` (2026-Q4)."""
    now = today()
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def in_print_item(price: int = 2500, **fields) -> dict:
    """A lost in-print book billed at its list price (R10)."""
    return {"title": "The Prairie Years", "barcode": "31234000123456", "format": "book",
            "kind": "lost", "in_print": True, "list_price_cents": price, **fields}


def out_of_print_item(price: int | None = 1800, fee: int | None = 500, **fields) -> dict:
    """A damaged out-of-print book: an agreed equivalent title and a processing fee (R10)."""
    return {"title": "Old Atlas of Cook County", "barcode": "31234000999999", "format": "book",
            "kind": "damaged", "in_print": False, "equivalent_title": "New Atlas of Cook County",
            "list_price_cents": price, "processing_fee_cents": fee, **fields}


class Parties:
    """The libraries of a bill (HOME, LEND) and a stranger (THIRD), with their headers."""

    def __init__(self, federation, client):
        self.federation = federation
        self.client = client
        federation.admit(HOME, prefixes=["20001"])
        federation.admit(LEND, prefixes=["20002"])
        federation.admit(THIRD, prefixes=["20003"])
        self.home = federation.headers(HOME)
        self.lend = federation.headers(LEND)
        self.third = federation.headers(THIRD)

    def issue(self, headers=None, *, items=None, infraction_date=None, card=CARD,
              home_library=HOME, extra_headers=None, **fields):
        """POST a bill (by LEND unless told) with an infraction 30 days ago; the response."""
        body = {"card_number": card, "home_library": home_library,
                "infraction_date": str(infraction_date or days_ago(30)),
                "items": items if items is not None else [in_print_item()], **fields}
        return self.client.post("/api/v1/bills", json=body,
                                headers={**(headers or self.lend), **(extra_headers or {})})

    def bill(self, headers=None, **kwargs) -> dict:
        """Issue a bill that must succeed (by LEND unless told); its body."""
        response = self.issue(headers, **kwargs)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def get(self, bill_id: str, headers=None):
        """GET a bill (as LEND unless told)."""
        return self.client.get(f"/api/v1/bills/{bill_id}", headers=headers or self.lend)

    def act(self, bill_id: str, action: str, headers, body=None):
        """POST an action on a bill: payments, void, dispute, dispute/answer, ..."""
        return self.client.post(f"/api/v1/bills/{bill_id}/{action}", json=body or {},
                                headers=headers)

    def pay(self, bill_id: str, amount: int, headers=None, paid_by="patron", **fields):
        """Record a payment (by LEND, which received it, unless told); the response.

        R8: money LEND records is confirmed at once; HOME's is reported until LEND confirms.
        """
        return self.act(bill_id, "payments", headers or self.lend,
                        {"amount_cents": amount, "paid_by": paid_by, **fields})

    def events(self, headers, after=None, **params) -> tuple[list[dict], str]:
        """A library's whole feed after `after`: (events, the last next_cursor)."""
        found, cursor = [], after
        while True:
            query = {**params, **({"after": cursor} if cursor is not None else {})}
            response = self.client.get("/api/v1/events", query_string=query, headers=headers)
            assert response.status_code == 200, response.get_json()
            page = response.get_json()
            assert page["next_cursor"] is not None
            found.extend(page["items"])
            if not page["items"] or page["next_cursor"] == cursor:
                return found, page["next_cursor"]
            cursor = page["next_cursor"]


@pytest.fixture
def parties(federation, client) -> Parties:
    """HOME, LEND and THIRD admitted, with keys."""
    return Parties(federation, client)


@pytest.fixture
def patron(parties) -> dict:
    """HOME's registered patron holding CARD."""
    return parties.federation.register(HOME, CARD, category="adult", external_ref="P-77")


@pytest.fixture
def count_rows(app):
    """How many rows a table holds, read with raw SQL."""

    def count(table: str) -> int:
        with app.app_context():
            number = db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            db.session.remove()
        return number

    return count


@pytest.fixture
def table_counts(count_rows):
    """Rows in every table a bill writes to, to show a refused request wrote nothing."""

    def counts() -> dict[str, int]:
        return {table: count_rows(table) for table in (
            "bills", "bill_items", "payments", "disputes", "dispute_messages", "bill_resolutions",
            "events",
            "idempotency_keys")}

    return counts
