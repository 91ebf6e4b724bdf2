"""Bills use the directory: once a lending library publishes its ILL processing fee for lost
materials, its bills may not charge a higher one (R5, R10)."""

import pytest
from sqlalchemy import func, select

from app.bills.models import Bill
from app.extensions import db
from tests.dates import days_ago
from tests.directory.conftest import policy
from tests.problems import assert_problem


def bill(directory, *fees):
    """IL0002 bills IL0001 for out-of-print items with these processing fees."""
    items = [{"title": f"Old Atlas {index}", "barcode": f"3123400099{index:04d}",
              "format": "book", "kind": "lost", "in_print": False,
              "equivalent_title": "New Atlas", "list_price_cents": 1800,
              "processing_fee_cents": fee} for index, fee in enumerate(fees)]
    return directory.client.post("/api/v1/bills", json={
        "card_number": "20001 0000 4321", "home_library": "IL0001",
        "infraction_date": days_ago(5).isoformat(), "items": items},
        headers=directory.federation.headers("IL0002"))


@pytest.fixture(autouse=True)
def registered_card(directory):
    """IL0001 has registered the card it is billed for: no prefix names it, so R15 asks that."""
    directory.federation.register("IL0001", "20001 0000 4321")


def bills(app) -> int:
    """How many bills are stored."""
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Bill))
        db.session.remove()
    return count


def test_a_bill_may_not_charge_more_than_the_published_processing_fee(directory, app):
    """Before publishing any fee goes; after, above it is 422 naming the item; at it is fine."""
    assert bill(directory, 900).status_code == 201  # nothing published yet
    directory.published("IL0002", policy(**{
        "interlibrary_loan.lost_materials": {"replacement": "list_price_or_equivalent_title",
                                             "processing_fee_cents": 500}}))
    refused = assert_problem(bill(directory, 500, 501), 422, "processing_fee_above_published")
    assert set(refused["errors"]) == {"items.1.processing_fee_cents"}
    assert "500" in refused["errors"]["items.1.processing_fee_cents"]
    assert refused["published_fee_cents"] == 500
    assert bills(app) == 1
    accepted = bill(directory, 500, None)
    assert accepted.status_code == 201
    assert accepted.get_json()["amount_due_cents"] == 1800 + 500 + 1800
    # Another library's published fee does not bind IL0002's bills.
    directory.published("IL0003", policy(**{"interlibrary_loan.lost_materials": {
        "processing_fee_cents": 100}}))
    assert bill(directory, 450).status_code == 201


def test_no_published_fee_allows_none_and_an_unstated_fee_is_itemised(directory, app):
    """A policy saying no processing fee is charged caps bills at 0; one saying a fee "may
    apply" with no amount lets the bill itemise it (the home library may dispute it)."""
    directory.published("IL0002", policy(**{"interlibrary_loan.lost_materials": {
        "methods": ["replacement_copy", "list_price_or_equivalent_title"],
        "processing_fee": "none"}}))
    refused = assert_problem(bill(directory, 1), 422, "processing_fee_above_published")
    assert "publishes no processing fee" in refused["errors"]["items.0.processing_fee_cents"]
    assert refused["published_fee_cents"] == 0
    assert bill(directory, None).status_code == 201
    directory.published("IL0002", policy(**{"interlibrary_loan.lost_materials": {
        "methods": ["replacement_copy", "list_price_or_equivalent_title"],
        "processing_fee": "unstated"}}))
    itemised = bill(directory, 750)
    assert itemised.status_code == 201
    item = itemised.get_json()["items"][0]
    assert item["processing_fee_cents"] == 750 and item["list_price_cents"] == 1800
    assert bills(app) == 2
