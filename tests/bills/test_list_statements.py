"""GET /bills loads a page's related rows together: the statements do not grow with the page."""

from sqlalchemy import event

from app.extensions import db
from tests.bills.conftest import CARD, HOME, in_print_item


def _statements_for(app, client, headers, **params) -> tuple[int, dict]:
    """How many SQL statements one GET /bills runs, and its body."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/api/v1/bills", query_string=params, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return len(seen), response.get_json()


def _bill_with_everything(parties, index: int) -> None:
    """A bill with two items, a payment, a dispute and a proposal: every list the answer shows."""
    bill = parties.bill(items=[in_print_item(), in_print_item(title=f"Atlas {index}")])
    parties.pay(bill["id"], 100, headers=parties.lend)
    assert parties.act(bill["id"], "dispute", parties.home, {"reason": "Returned."}).status_code \
        == 200
    assert parties.act(bill["id"], "resolutions", parties.home,
                       {"terms": "waiver", "detail": "Waive it."}).status_code == 201


def test_a_page_of_fifty_bills_costs_the_same_statements_as_a_page_of_five(app, client,
                                                                          parties):
    """A fixed number of statements per page: 5 bills or 50, each with every related row."""
    parties.federation.register(HOME, CARD)
    for index in range(5):
        _bill_with_everything(parties, index)
    small, page = _statements_for(app, client, parties.home, limit=5)
    assert len(page["items"]) == 5
    for index in range(5, 50):
        _bill_with_everything(parties, index)
    large, page = _statements_for(app, client, parties.home, limit=50)
    assert len(page["items"]) == 50
    assert all(len(bill["items"]) == 2 and len(bill["payments"]) == 1
               and len(bill["disputes"]) == 1 and len(bill["resolutions"]) == 1
               and bill["patron_id"] is not None for bill in page["items"])
    assert large == small
    assert large <= 10  # the key, the bills with both libraries, and one per related list
