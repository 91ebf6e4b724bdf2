"""The event feed over HTTP: every bill change is an event for each party, in order, with
no gaps, no repeats, and ids only (R16)."""

# The bill tests' fixtures, shared: a fixture is found where the test module can see it.
from tests.bills.conftest import (  # noqa: F401
    CARD,
    CARD_PLAIN,
    count_rows,
    in_print_item,
    parties,
    patron,
    table_counts,
)
from tests.problems import PROBLEM

ID_KEYS = {"bill_id", "payment_id", "dispute_id", "resolution_id"}


def feed(parties, headers, **query):
    """One read of a feed; the response."""
    return parties.client.get("/api/v1/events", query_string=query, headers=headers)


def lifecycle(parties) -> dict:
    """Three bills through every state: paid after a dispute, void, resolved; their ids."""
    paid = parties.bill(items=[in_print_item(3000)])
    parties.act(paid["id"], "dispute", parties.home, {"reason": "Returned in the drop box."})
    parties.act(paid["id"], "dispute/answer", parties.lend, {"answer": "Not on our shelves."})
    parties.act(paid["id"], "dispute/withdraw", parties.home)
    parties.act(paid["id"], "resolutions", parties.home,
                {"terms": "replacement_copy", "detail": "A new copy."})
    assert parties.pay(paid["id"], 1000).status_code == 201
    assert parties.pay(paid["id"], 2000, parties.lend, paid_by="home_library").status_code == 201
    void = parties.bill()
    parties.act(void["id"], "void", parties.lend, {"reason": "Found on the shelf."})
    resolved = parties.bill()
    proposal = parties.act(resolved["id"], "resolutions", parties.lend,
                           {"terms": "waiver", "detail": "Waived."}).get_json()
    accepted = parties.act(resolved["id"], f"resolutions/{proposal['id']}/accept", parties.home)
    assert accepted.get_json()["status"] == "resolved"
    return {"paid": paid["id"], "void": void["id"], "resolved": resolved["id"]}


def test_every_change_to_a_bill_is_an_event_in_both_parties_feeds(parties):
    """Issued, disputed, answered, withdrawn, proposed, payments, paid, voided, resolved; in
    order, seq 1, 2, 3, ...; `type=` picks some of them."""
    bills = lifecycle(parties)
    expected = [
        ("bill.issued", bills["paid"]), ("bill.disputed", bills["paid"]),
        ("bill.dispute_answered", bills["paid"]), ("bill.dispute_withdrawn", bills["paid"]),
        ("bill.resolution_proposed", bills["paid"]), ("bill.payment_recorded", bills["paid"]),
        ("bill.payment_recorded", bills["paid"]), ("bill.paid", bills["paid"]),
        ("bill.issued", bills["void"]), ("bill.voided", bills["void"]),
        ("bill.issued", bills["resolved"]), ("bill.resolution_proposed", bills["resolved"]),
        ("bill.resolved", bills["resolved"]),
    ]
    for headers in (parties.lend, parties.home):
        events, cursor = parties.events(headers)
        assert [(event["type"], event["data"]["bill_id"]) for event in events] == expected
        assert [event["seq"] for event in events] == list(range(1, len(expected) + 1))
        assert cursor == str(len(expected))
        assert len({event["id"] for event in events}) == len(events)
        assert all(event["occurred_at"] for event in events)

    # The ids in an event lead to what changed.
    events, _ = parties.events(parties.home)
    bill = parties.get(bills["paid"], parties.home).get_json()
    payments = [e["data"]["payment_id"] for e in events if e["type"] == "bill.payment_recorded"]
    assert payments == [payment["id"] for payment in bill["payments"]]
    disputed = next(e for e in events if e["type"] == "bill.disputed")
    assert disputed["data"]["dispute_id"] == bill["disputes"][0]["id"]

    # `type=` narrows the feed; seq counts the whole feed, so nothing is renumbered.
    events, cursor = parties.events(parties.lend, type=["bill.paid", "bill.voided"])
    assert [(e["type"], e["data"]["bill_id"], e["seq"]) for e in events] == [
        ("bill.paid", bills["paid"], 8), ("bill.voided", bills["void"], 10)]
    assert cursor == "10"


def test_a_library_sees_only_its_own_events(parties):
    """R16: THIRD's bill to HOME is in THIRD's and HOME's feeds, not in LEND's."""
    lend_bill = parties.bill()
    third_bill = parties.bill(parties.third)
    lend_events, _ = parties.events(parties.lend)
    third_events, _ = parties.events(parties.third)
    home_events, _ = parties.events(parties.home)
    assert [e["data"]["bill_id"] for e in lend_events] == [lend_bill["id"]]
    assert [(e["data"]["bill_id"], e["seq"]) for e in third_events] == [(third_bill["id"], 1)]
    assert [e["data"]["bill_id"] for e in home_events] == [lend_bill["id"], third_bill["id"]]
    assert [e["seq"] for e in home_events] == [1, 2]
    # Each library's copy of an event is its own.
    assert {e["id"] for e in lend_events}.isdisjoint(e["id"] for e in home_events)


def test_reading_on_from_a_cursor_has_no_gaps_and_no_repeats(parties):
    """Pages of `limit` follow each other; a poll at the end answers nothing and the same
    cursor, which is never null; new events then follow on."""
    empty = feed(parties, parties.lend)
    assert empty.status_code == 200
    assert empty.get_json() == {"items": [], "next_cursor": "0"}

    bills = lifecycle(parties)
    seqs, cursor, reads = [], None, 0
    while True:
        query = {"limit": 3, **({"after": cursor} if cursor is not None else {})}
        page = feed(parties, parties.lend, **query).get_json()
        reads += 1
        assert page["next_cursor"] is not None
        if not page["items"]:
            assert page["next_cursor"] == cursor
            break
        assert len(page["items"]) <= 3
        seqs.extend(event["seq"] for event in page["items"])
        cursor = page["next_cursor"]
    assert seqs == list(range(1, 14))
    assert reads == 6  # 3+3+3+3+1, then the empty poll

    parties.act(bills["paid"], "dispute", parties.home, {"reason": "Late."})  # 409: paid
    new_bill = parties.bill()
    page = feed(parties, parties.lend, after=cursor).get_json()
    assert [(e["seq"], e["type"], e["data"]["bill_id"]) for e in page["items"]] == [
        (14, "bill.issued", new_bill["id"])]
    assert page["next_cursor"] == "14"
    # Reading again from the middle gives the same events again, in the same order.
    middle = feed(parties, parties.lend, after="11", limit=2).get_json()
    assert [e["seq"] for e in middle["items"]] == [12, 13]


def test_events_carry_ids_only_and_never_card_data(parties, patron):
    """R16: no card number, no last four digits, no patron record in any event."""
    lifecycle(parties)
    for headers in (parties.lend, parties.home):
        response = feed(parties, headers, limit=500)
        raw = response.get_data(as_text=True)
        for secret in (CARD, CARD_PLAIN, "card_last4", "card_number", "patron", patron["id"],
                       "P-77", "Returned in the drop box", "Waived"):
            assert secret not in raw, secret
        for event in response.get_json()["items"]:
            assert set(event) == {"id", "seq", "type", "occurred_at", "data"}
            assert set(event["data"]) <= ID_KEYS and "bill_id" in event["data"]


def test_a_refused_action_writes_no_event(parties, table_counts):
    """A request the service refuses changes nothing, so no library hears of it."""
    bill = parties.bill(items=[in_print_item(1000)])
    _, lend_cursor = parties.events(parties.lend)
    _, home_cursor = parties.events(parties.home)
    before = table_counts()
    refused = [
        parties.pay(bill["id"], 1001),                                        # overpayment
        parties.act(bill["id"], "void", parties.home, {"reason": "Mine."}),   # only issuer
        parties.act(bill["id"], "dispute", parties.lend, {"reason": "x"}),    # only home
        parties.act(bill["id"], "dispute/withdraw", parties.home),            # nothing open
        parties.act(bill["id"], "void", parties.third, {"reason": "x"}),      # not a party
        parties.issue(infraction_date="2001-01-01"),                          # R9
        parties.issue(items=[in_print_item(list_price_cents=None)]),          # R10
    ]
    assert all(response.status_code >= 400 for response in refused)
    assert table_counts() == before
    assert feed(parties, parties.lend, after=lend_cursor).get_json()["items"] == []
    assert feed(parties, parties.home, after=home_cursor).get_json()["items"] == []


def test_a_cursor_the_feed_did_not_give_out_is_a_400(parties):
    """400 invalid_cursor, never a 500 nor a silent skip past events still to come; a
    position that is not digits, as the document says it is, is a 422 naming `after`."""
    parties.bill()
    for bad in ("99999999999999999999", "9" * 100, "2"):
        response = feed(parties, parties.lend, after=bad)
        assert response.status_code == 400, (bad, response.get_json())
        assert response.mimetype == PROBLEM
        assert response.get_json()["code"] == "invalid_cursor"
    for bad in ("abc", "-1", "1.5", " 1", "1_0", "１", "0x1"):
        response = feed(parties, parties.lend, after=bad)
        assert response.status_code == 422, (bad, response.get_json())
        assert response.mimetype == PROBLEM
        assert "after" in response.get_json()["errors"]
    assert feed(parties, parties.lend, after="1").get_json() == {"items": [],
                                                                  "next_cursor": "1"}
    assert feed(parties, parties.lend, limit=0).status_code == 422
    assert feed(parties, {}).status_code == 401


def test_a_feed_position_is_digits_and_one_never_given_out_is_a_400(client, federation):
    """`after` has the documented shape (digits) or is a 422; digits past the feed's end or
    beyond a 64-bit position are 400 `invalid_cursor`."""
    federation.admit("IL0001")
    headers = federation.headers("IL0001")
    for after in ("abc", "12%0A", "-1"):
        response = client.get(f"/api/v1/events?after={after}", headers=headers)
        assert response.status_code == 422, after
        assert "after" in response.get_json()["errors"], after
    for after in ("999999", "99999999999999999999"):
        response = client.get(f"/api/v1/events?after={after}", headers=headers)
        assert response.status_code == 400, after
        assert response.get_json()["code"] == "invalid_cursor"
