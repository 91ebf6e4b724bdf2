"""Fixtures for the patron registry's tests: two libraries, roster posting, raw table rows."""

import pytest
from sqlalchemy import text

from app.extensions import db

HOME = "IL0001"
OTHER = "IL0002"
CSV_TYPE = "text/csv"


@pytest.fixture
def home(federation):
    """Headers of a home library (IL0001, cards starting 20001) with a key."""
    federation.admit(HOME, prefixes=["20001"])
    return federation.headers(HOME)


@pytest.fixture
def other(federation, home):
    """Headers of a second library (IL0002, cards starting 20002) with a key."""
    federation.admit(OTHER, prefixes=["20002"])
    return federation.headers(OTHER)


@pytest.fixture
def import_roster(client, home):
    """POST a roster (text) to the import endpoint as the home library; return the response."""

    def post(body: str | bytes, content_type: str = CSV_TYPE, headers=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        return client.post("/api/v1/patrons/import", data=data,
                           headers={**(headers or home), "Content-Type": content_type})

    return post


@pytest.fixture
def raw_rows(app):
    """Every row of a table as plain tuples, read with raw SQL (what a database dump shows)."""

    def read(table: str, columns: str = "*", *, where: str | None = None,
             order: str | None = None, **params) -> list[tuple]:
        query = (f"SELECT {columns} FROM {table}" + (f" WHERE {where}" if where else "")
                 + (f" ORDER BY {order}" if order else ""))
        with app.app_context():
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in db.session.execute(text(query), params)]
            db.session.remove()
        return rows

    return read


PATRON_COLUMNS = ("card_hmac, card_last4, expires_on, standing, block_reasons, category, "
                  "surname_hmac, external_ref")


@pytest.fixture
def patron_state(raw_rows):
    """A library's patrons as comparable rows, without ids and timestamps (default: IL0001)."""

    def state(code: str = HOME) -> list[tuple]:
        return raw_rows("patrons", PATRON_COLUMNS, order="card_hmac",
                        where="library_id = (SELECT id FROM libraries WHERE code = :code)",
                        code=code)

    return state


@pytest.fixture
def unprefixed(federation, home, other):
    """The office retires both libraries' prefixes: with no prefix naming a card, the same
    digits may be a card of each library (R15), each its own patron."""
    for code in (HOME, OTHER):
        response = federation.client.patch(f"/api/v1/libraries/{code}",
                                           json={"card_prefixes": []},
                                           headers=federation.headers())
        assert response.status_code == 200, response.get_json()
