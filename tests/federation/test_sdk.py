"""The member SDK against the real service on 127.0.0.1 (both databases), and against
failures made with `responses`: timeouts, refused connections, 5xx, 429 and Retry-After."""

import io
import json
from datetime import date, timedelta

import pytest
import requests
import responses

from federation import Client, Event, ProblemError, TransportError
from tests.directory.conftest import policy

HOME, LEND = "IL0901", "IL0902"
CARD = "2090100000001"
BASE = "https://reciprocity.test/api/v1"


def book(price: int = 2500) -> dict:
    """A lost in-print book (R10)."""
    return {"title": "Prairie Years", "barcode": "3123", "format": "book", "kind": "lost",
            "in_print": True, "list_price_cents": price}


@pytest.fixture
def members(federation, live_server):
    """Two libraries' SDK clients on the live service: (home, lender)."""
    home = Client(live_server, federation.admit(HOME, prefixes=["20901"]), timeout=5)
    lender = Client(live_server, federation.admit(LEND, prefixes=["20902"]), timeout=5)
    return home, lender


def test_patrons_from_upsert_to_delete(members):
    """Upsert, get, lookup, update, list, replace the card, import a roster, delete."""
    home, lender = members
    patron = home.upsert_patron(CARD, "2030-01-31", surname="Okafor", external_ref="P-1")
    assert patron.card_last4 == "0001" and patron.expires_on == date(2030, 1, 31)
    assert home.get_patron(patron.id) == patron
    assert home.lookup_patron("20901 0000 0001").id == patron.id
    blocked = home.update_patron(patron.id, standing="blocked", block_reasons=["fines"])
    assert blocked.standing == "blocked" and blocked.block_reasons == ("fines",)
    verdict = lender.verify(CARD)
    assert verdict.reasons == ("home_block",) and verdict.source == "registry"
    assert verdict.as_of is not None and verdict.peer is None  # the registry's age (R14)
    replaced = home.replace_card(patron.id, "2090100000009")
    assert replaced.card_last4 == "0009"
    assert lender.verify(CARD).reasons == ("card_replaced",)
    roster = io.BytesIO(b"card_number,expires_on\n2090100000002,2029-05-01\nbad!,2029-05-01\n")
    summary = home.import_roster(roster)
    assert (summary.created, summary.rejected) == (1, 1)
    assert summary.errors[0]["line"] == 3
    assert sorted(p.card_last4 for p in home.patrons()) == ["0002", "0009"]
    home.delete_patron(patron.id)
    with pytest.raises(ProblemError) as caught:
        home.get_patron(patron.id)
    assert caught.value.status == 404
    with pytest.raises(ProblemError) as caught:
        lender.get_patron(home.lookup_patron("2090100000002").id)  # R16: not the lender's
    assert caught.value.status == 404


def test_bills_payments_disputes_and_resolutions(members):
    """Issue, list, pay, dispute, answer, withdraw, propose and accept; a statement; void."""
    home, lender = members
    home.upsert_patron(CARD, "2030-01-31")
    infraction = date.today() - timedelta(days=10)
    bill = lender.issue_bill(CARD, HOME, infraction, [book()])
    assert bill.status == "open" and bill.amount_due_cents == 2500
    assert bill.deadline.year == infraction.year + 1
    assert home.get_bill(bill.id).id == bill.id
    assert [b.id for b in home.bills(as_="home")] == [bill.id]
    payment = lender.record_payment(bill.id, 1000, "patron", reference="r-1")
    assert payment.amount_cents == 1000 and home.get_bill(bill.id).balance_cents == 1500
    reported = home.record_payment(bill.id, 500, "home_library")  # R8: awaits confirmation
    assert reported.raw["status"] == "reported" and home.get_bill(bill.id).balance_cents == 1500
    assert home.dispute_bill(bill.id, "Returned to the drop box.").status == "disputed"
    lender.answer_dispute(bill.id, "Not found on our shelves.")
    assert home.withdraw_dispute(bill.id).status == "open"
    proposal = lender.propose_resolution(bill.id, "replacement_copy", "A new copy.")
    assert proposal.proposed_by == LEND and proposal.status
    assert home.accept_resolution(bill.id, proposal.id).status == "resolved"
    quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
    rows = lender.statement(quarter)["rows"]
    assert rows and rows[0]["library"] == HOME
    other = lender.issue_bill(CARD, HOME, infraction, [book(900)])
    assert lender.void_bill(other.id, "Found it.").status == "void"
    with pytest.raises(ProblemError) as caught:
        lender.issue_bill(CARD, HOME, date.today() - timedelta(days=400), [book()])
    assert caught.value.code == "bill_past_deadline" and caught.value.status == 422


def test_blocks_and_the_event_feed(members):
    """Request, honor, release; refuse; withdraw; and the feed as an iterator."""
    home, lender = members
    home.upsert_patron(CARD, "2030-01-31")
    infraction = date.today() - timedelta(days=10)
    first = lender.issue_bill(CARD, HOME, infraction, [book()])
    block = lender.request_block(CARD, HOME, [first.id])
    assert block.status == "requested" and block.bill_ids == (first.id,)
    assert [b.id for b in home.blocks(as_="home")] == [block.id]
    assert home.honor_block(block.id).status == "honored"
    assert lender.release_block(block.id).status == "released"
    second = lender.request_block(CARD, HOME, [lender.issue_bill(CARD, HOME, infraction,
                                                                 [book()]).id])
    assert home.refuse_block(second.id, "Board policy.").status == "refused"
    third = lender.request_block(CARD, HOME, [lender.issue_bill(CARD, HOME, infraction,
                                                                [book()]).id])
    assert lender.withdraw_block(third.id).status == "withdrawn"
    assert lender.get_block(third.id).status == "withdrawn"
    events = list(home.events(limit=2))  # small pages: the iterator follows the cursor
    assert all(isinstance(e, Event) for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert "block.requested" in [e.type for e in events]
    later = list(home.events(after=events[-3].seq))
    assert later == events[-2:]
    only = list(home.events(types=["block.honored"]))
    assert [e.data for e in only] == [{"block_id": block.id}]


def test_webhook_endpoints_through_the_sdk(members, app):
    """Create (secret once), list, update, rotate, disable and enable, deliveries, delete."""
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    home, _ = members
    endpoint = home.create_endpoint("http://127.0.0.1:9/hook", "desk")
    assert endpoint.secret.startswith("whsec_") and endpoint.enabled
    assert [e.id for e in home.endpoints()] == [endpoint.id]
    assert home.get_endpoint(endpoint.id).secret is None
    assert home.update_endpoint(endpoint.id, enabled=False).disabled_reason == "by_library"
    assert home.enable_endpoint(endpoint.id).enabled
    rotated = home.rotate_endpoint_secret(endpoint.id)
    assert rotated.secret not in (None, endpoint.secret)
    assert list(home.deliveries(endpoint.id)) == []
    with pytest.raises(ProblemError) as caught:
        home.create_endpoint("https://10.0.0.1/hook")
    assert caught.value.code == "endpoint_url_not_allowed"
    home.delete_endpoint(endpoint.id)
    assert list(home.endpoints()) == []


# Failures, made with `responses` -------------------------------------------------------------


def test_publishing_and_reading_the_directory(members, live_server):
    """Publish a policy (again: no new version), then read it back without a key (R5)."""
    home, _ = members
    document = policy(**{"reciprocal_borrowing.items_at_a_time": 4})
    first = home.publish_policy(HOME, document)
    assert (first.code, first.version, first.changed, first.stale) == (HOME, 1, True, False)
    assert home.publish_policy(HOME, document).changed is False
    second = home.publish_policy(HOME, policy(**{"reciprocal_borrowing.items_at_a_time": 3}))
    assert (second.version, second.changed) == (2, True)
    with pytest.raises(ProblemError) as caught:
        home.publish_policy(HOME, policy(**{"reciprocal_borrowing.items_at_a_time": 0}))
    assert caught.value.code == "policy_invalid"  # R4
    assert "reciprocal_borrowing.items_at_a_time" in caught.value.errors
    reader = Client(live_server, "rcp_none", timeout=5)  # the directory needs no key
    reader.session.headers.pop("Authorization")
    entry = reader.directory_entry(HOME)
    assert (entry.version, entry.items_at_a_time, entry.stale) == (2, 3, False)
    assert entry.raw["policy"]["reciprocal_borrowing"]["items_at_a_time"] == 3
    assert [e.code for e in reader.directory(q=HOME)] == [HOME]
    assert [e.code for e in reader.directory(stale=True)] == []
    history = list(reader.policy_history(HOME))
    assert [v["version"] for v in history] == [2, 1]
    assert {"path": "reciprocal_borrowing.items_at_a_time", "before": 4, "after": 3} in \
        history[0]["changes"]
    answer = reader.ask_directory(HOME, "book")
    assert answer["may_borrow"] is True and answer["items_at_a_time"] == 3
    assert answer["interlibrary_loan"]["lends"] == "everyone"


def test_conditional_lending_published_and_read_back_in_full(members, live_server):
    """A DVD lent by ILL only to a consortium's members: the entry, the answer and the
    streamed JSON Lines records all carry it, with the review cycle and the address."""
    home, _ = members
    document = policy(**{
        "review_cycle_months": 24,
        "interlibrary_loan.formats_lent": ["book"],
        "interlibrary_loan.conditional_formats": [
            {"format": "dvd", "lends": "groups_only",
             "groups": [{"kind": "consortium", "name": "RAILS"}]}]})
    assert home.publish_policy(HOME, document).changed is True
    reader = Client(live_server, "rcp_none", timeout=5)
    reader.session.headers.pop("Authorization")
    entry = reader.directory_entry(HOME)
    assert entry.review_cycle_months == 24 and entry.review_overdue is False
    assert entry.published_on is not None and entry.participates is True
    terms = entry.raw["policy"]["interlibrary_loan"]["conditional_formats"]
    assert terms == [{"format": "dvd", "lends": "groups_only", "notes": None,
                      "groups": [{"kind": "consortium", "name": "RAILS"}]}]
    answer = reader.ask_directory(HOME, "dvd")["interlibrary_loan"]
    assert answer["lends"] == "groups_only" and "members of RAILS" in answer["answer"]
    records = list(reader.directory_records(q=HOME))
    assert [record["code"] for record in records] == [HOME]
    assert records[0]["policy"]["interlibrary_loan"]["conditional_formats"] == terms


def quick(retries: int = 3) -> tuple[Client, list[float]]:
    """A client whose waits are recorded instead of slept."""
    waits: list[float] = []
    return Client(BASE, "rcp_x", timeout=1, retries=retries, sleep=waits.append), waits


@responses.activate
def test_a_get_is_retried_after_5xx_and_connection_errors():
    """502, a refused connection, a timeout, then the answer: four tries, growing waits."""
    url = f"{BASE}/bills/bil_1"
    responses.get(url, status=502, body="<html>bad gateway</html>")
    responses.get(url, body=requests.ConnectionError("refused"))
    responses.get(url, body=requests.ReadTimeout("slow"))
    responses.get(url, json={"id": "bil_1", "status": "open", "issuer": LEND,
                             "home_library": HOME, "infraction_date": "2026-01-02",
                             "deadline": "2027-01-02", "amount_due_cents": 1,
                             "amount_paid_cents": 0, "balance_cents": 1,
                             "liable_party": "patron"})
    client, waits = quick()
    assert client.get_bill("bil_1").deadline == date(2027, 1, 2)
    assert len(responses.calls) == 4 and len(waits) == 3
    assert all(0 <= wait <= 0.5 * 2 ** n for n, wait in enumerate(waits))


@responses.activate
def test_retries_give_up_with_the_last_error():
    """Always 503: the ProblemError after 1 + retries tries; always down: TransportError."""
    responses.get(f"{BASE}/blocks/blk_1", status=503,
                  json={"code": "unavailable", "detail": "Down for maintenance."})
    client, _ = quick(retries=2)
    with pytest.raises(ProblemError) as caught:
        client.get_block("blk_1")
    assert caught.value.code == "unavailable" and len(responses.calls) == 3
    responses.get(f"{BASE}/blocks/blk_2", body=requests.ConnectTimeout("no route"))
    with pytest.raises(TransportError):
        client.get_block("blk_2")


@responses.activate
def test_retry_after_is_obeyed_on_429_and_503():
    """The server's Retry-After (seconds) is the wait, capped by max_wait."""
    url = f"{BASE}/statements"
    responses.get(url, status=429, headers={"Retry-After": "7"}, json={"code": "rate_limited"})
    responses.get(url, status=503, headers={"Retry-After": "120"}, json={"code": "x"})
    responses.get(url, json={"rows": []})
    client, waits = quick()
    assert client.statement("2026-Q4") == {"rows": []}
    assert waits == [7.0, 30.0]


@responses.activate
def test_a_retried_creating_post_sends_the_same_idempotency_key():
    """Timeout, 500, then 201: three tries carrying one uuid4 key, the bill created once."""
    url = f"{BASE}/bills"
    responses.post(url, body=requests.ReadTimeout("slow"))
    responses.post(url, status=500, json={"code": "internal_error"})
    responses.post(url, status=201, json={"id": "bil_9", "status": "open"})
    client, _ = quick()
    bill = client.issue_bill(CARD, HOME, "2026-01-02", [book()])
    assert bill.id == "bil_9"
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert len(responses.calls) == 3 and len(keys) == 1
    assert len(keys.pop()) == 36
    assert json.loads(responses.calls[0].request.body)["card_number"] == CARD
    responses.post(url, status=201, json={"id": "bil_10", "status": "open"})
    client.issue_bill(CARD, HOME, "2026-01-02", [book()])
    assert responses.calls[-1].request.headers["Idempotency-Key"] not in keys


@responses.activate
def test_actions_without_a_key_are_not_retried():
    """Honor, void, payments' siblings: one try; the caller decides what to do."""
    responses.post(f"{BASE}/blocks/blk_1/honor", status=503, json={"code": "unavailable"})
    responses.post(f"{BASE}/bills/bil_1/void", body=requests.ConnectionError("reset"))
    client, waits = quick()
    with pytest.raises(ProblemError):
        client.honor_block("blk_1")
    with pytest.raises(TransportError):
        client.void_bill("bil_1", "found")
    assert len(responses.calls) == 2 and waits == []


@responses.activate
def test_every_call_has_a_timeout():
    """The configured timeout reaches requests for each call."""
    seen = []
    responses.add_callback(responses.GET, f"{BASE}/events",
                           callback=lambda request: (seen.append(request.req_kwargs["timeout"])
                                                     or (200, {}, json.dumps(
                                                         {"items": [], "next_cursor": "0"}))))
    client, _ = quick()
    assert list(client.events()) == []
    assert seen == [1]


@responses.activate
def test_following_the_feed_polls_until_told_to_stop():
    """follow=True: an empty page waits poll_interval and asks again from the same cursor."""
    url = f"{BASE}/events"
    event = {"id": "evt_1", "seq": 1, "type": "bill.issued", "data": {"bill_id": "bil_1"},
             "occurred_at": "2026-11-24T10:00:00Z"}
    responses.get(url, json={"items": [], "next_cursor": "0"})
    responses.get(url, json={"items": [event], "next_cursor": "1"})
    responses.get(url, json={"items": [], "next_cursor": "1"})
    client, waits = quick()
    stream = client.events(follow=True, poll_interval=2.5)
    assert next(stream).data == {"bill_id": "bil_1"}
    assert waits == [2.5]
    assert "after" not in responses.calls[0].request.url
    assert responses.calls[1].request.url.endswith("after=0")
