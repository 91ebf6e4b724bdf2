"""Bills over HTTP: issuing (R9, R10), payments, void, disputes (R13), alternate resolution (R6),
and who may see or touch a bill (R16).

Each test walks one behaviour through several requests: a fresh database per test is the
expensive part, so related refusals share a test rather than each paying for their own.
"""

from datetime import timedelta

from tests.bills.conftest import CARD, CARD_PLAIN, HOME, LEND, in_print_item, out_of_print_item
from tests.dates import days_ago, today
from tests.problems import assert_problem


def one_year_after(day):
    """The same calendar date a year later (28 February for a leap day), for expectations."""
    if (day.month, day.day) == (2, 29):
        return day.replace(year=day.year + 1, day=28)
    return day.replace(year=day.year + 1)


# Issuing ----------------------------------------------------------------------------------------

def test_issuing_a_bill_answers_with_its_amounts_and_dates_and_hides_the_patron_from_the_issuer(
        parties, patron):
    """R9, R10, R16: 201, open, list prices plus fees, sent today; last4 only; the patron id
    shown to the home library alone."""
    infraction = days_ago(30)
    response = parties.issue(infraction_date=infraction, note="Returned with water damage.",
                             items=[in_print_item(2599), out_of_print_item(1800, 450)])
    assert response.status_code == 201, response.get_json()
    bill = response.get_json()
    assert bill["id"] and bill["status"] == "open"
    assert bill["issuer"] == LEND and bill["home_library"] == HOME
    assert bill["amount_due_cents"] == 2599 + 1800 + 450
    assert bill["amount_paid_cents"] == 0
    assert bill["balance_cents"] == 2599 + 1800 + 450
    assert bill["currency"] == "USD"
    assert bill["infraction_date"] == infraction.isoformat()
    assert bill["deadline"] == one_year_after(infraction).isoformat()
    assert bill["sent_on"] == today().isoformat()
    assert bill["liable_party"] == "patron"
    assert [item["amount_cents"] for item in bill["items"]] == [2599, 2250]
    assert bill["card_last4"] == "4321" and "card_number" not in bill
    # R16: the issuer sees neither the card number nor the home library's patron record.
    assert bill["patron_id"] is None
    issuer_views = [response, parties.get(bill["id"], parties.lend),
                    parties.client.get("/api/v1/bills", headers=parties.lend)]
    for view in issuer_views:
        for secret in (CARD, CARD_PLAIN, patron["id"], "P-77"):
            assert secret not in view.get_data(as_text=True), secret

    as_home = parties.get(bill["id"], parties.home)
    assert as_home.status_code == 200
    assert as_home.get_json()["patron_id"] == patron["id"]
    listed = parties.client.get("/api/v1/bills", headers=parties.home).get_json()
    assert [item["patron_id"] for item in listed["items"]] == [patron["id"]]
    assert CARD_PLAIN not in as_home.get_data(as_text=True)

    # A card the home library never registered here is billed all the same (R6).
    unregistered = parties.bill(card="20001 0000 9999")
    assert unregistered["card_last4"] == "9999"
    assert parties.get(unregistered["id"], parties.home).get_json()["patron_id"] is None


def test_a_bill_is_accepted_from_the_infraction_day_to_its_anniversary_and_refused_outside(
        parties):
    """R9: the deadline is the same date a year later, inclusive; the refusal states it."""
    assert parties.issue(infraction_date=today()).status_code == 201
    last_day = today()
    if (last_day.month, last_day.day) != (2, 29):  # today is the deadline of a year ago
        on_time = parties.issue(infraction_date=last_day.replace(year=last_day.year - 1))
        assert on_time.status_code == 201, on_time.get_json()
        assert on_time.get_json()["deadline"] == last_day.isoformat()

    infraction = days_ago(400)
    if (infraction.month, infraction.day) == (2, 29):
        infraction -= timedelta(days=1)
    deadline = one_year_after(infraction).isoformat()
    late = assert_problem(parties.issue(infraction_date=infraction), 422, "bill_past_deadline")
    assert deadline in late["detail"]
    assert late["deadline"] == deadline
    assert "infraction_date" in late["errors"]

    future = assert_problem(parties.issue(infraction_date=today() + timedelta(days=1)), 422,
                            "infraction_in_future")
    assert "infraction_date" in future["errors"]
    for far in ("9999-02-28", "9999-12-31"):  # no deadline the calendar can hold: still a 422
        assert_problem(parties.issue(infraction_date=far), 422, "infraction_in_future")


def test_billing_yourself_a_non_member_or_with_malformed_fields_is_refused_writing_nothing(
        parties, table_counts):
    """Your own patron (own_patron), an unknown home library, fields that do not parse."""
    before = table_counts()
    own = assert_problem(parties.issue(parties.home), 422, "own_patron")
    assert "home_library" in own["errors"]
    unknown = assert_problem(parties.issue(home_library="IL9999"), 422, "unknown_home_library")
    assert "home_library" in unknown["errors"]
    malformed = assert_problem(parties.client.post("/api/v1/bills", json={
        "card_number": "", "home_library": HOME, "infraction_date": "30/01/2026",
        "items": [{"title": "x", "barcode": "1", "format": "scroll", "kind": "stolen",
                   "in_print": "yes", "list_price_cents": 100}]}, headers=parties.lend),
        422, "validation_failed")
    assert {"card_number", "infraction_date", "items.0.format", "items.0.kind",
            "items.0.in_print"} <= set(malformed["errors"])
    assert table_counts() == before


# R10: replacement cost ------------------------------------------------------------------------

def test_replacement_costs_that_break_r10_are_refused_naming_the_item_and_field(
        parties, table_counts):
    """R10: in-print at list price and no fee; out-of-print needs its equivalent title and a
    price or fee (the fee alone will do)."""
    cases = [
        (in_print_item(list_price_cents=None), "items.1.list_price_cents"),
        (in_print_item(processing_fee_cents=300), "items.1.processing_fee_cents"),
        (out_of_print_item(equivalent_title=None), "items.1.equivalent_title"),
        (out_of_print_item(price=None, fee=None), "items.1.list_price_cents"),
    ]
    before = table_counts()
    for bad_item, field in cases:
        body = assert_problem(parties.issue(items=[in_print_item(), bad_item]), 422,
                              "invalid_replacement_cost")
        assert field in body["errors"], (bad_item, body)
        assert all(name.startswith("items.1.") for name in body["errors"]), body
    assert table_counts() == before

    fee_only = parties.bill(items=[out_of_print_item(price=None, fee=750)])
    assert fee_only["amount_due_cents"] == 750


def test_amounts_are_whole_positive_cents_and_a_bill_has_at_most_50_items(
        parties, table_counts):
    """R10: no floats, strings, booleans, zero or absurd sums; 50 items at $10,000 are fine
    and can be paid at once, 51 items are not."""
    before = table_counts()
    for bad in (0, -100, 12.5, "1250", True, False, 1_000_001, 10 ** 30):
        for field in ("list_price_cents", "processing_fee_cents"):
            item = (in_print_item(bad) if field == "list_price_cents"
                    else out_of_print_item(processing_fee_cents=bad))
            body = assert_problem(parties.issue(items=[item]), 422, "validation_failed")
            assert f"items.0.{field}" in body["errors"], (bad, body)
    too_many = assert_problem(parties.issue(items=[in_print_item()] * 51), 422,
                              "validation_failed")
    assert "items" in too_many["errors"]
    assert_problem(parties.issue(items=[]), 422, "validation_failed")
    assert table_counts() == before

    bill = parties.bill(items=[in_print_item(1_000_000)] * 50)
    assert bill["amount_due_cents"] == 50_000_000
    paid = parties.pay(bill["id"], 50_000_000, paid_by="home_library")
    assert paid.status_code == 201, paid.get_json()
    assert parties.get(bill["id"]).get_json()["status"] == "paid"


# Payments ---------------------------------------------------------------------------------------

def test_either_party_records_payments_until_the_bill_is_paid(parties):
    """R6, R7, R8: the home (the patron paid) reports a payment and the issuer confirms it; the
    issuer records what it received itself; the balance falls by confirmed money only; paying
    it all marks the bill paid."""
    bill = parties.bill(items=[in_print_item(3000)])
    by_home = parties.pay(bill["id"], 1000, parties.home, paid_by="patron", reference="R-1")
    assert by_home.status_code == 201, by_home.get_json()
    payment = by_home.get_json()
    assert payment["id"] and payment["bill_id"] == bill["id"]
    assert payment["amount_cents"] == 1000 and payment["currency"] == "USD"
    assert payment["paid_by"] == "patron" and payment["recorded_by"] == HOME
    assert payment["reference"] == "R-1" and payment["paid_on"] == today().isoformat()

    assert payment["status"] == "reported" and payment["confirmed_on"] is None

    by_issuer = parties.pay(bill["id"], 500, parties.lend, paid_by="home_library")
    assert by_issuer.status_code == 201
    assert by_issuer.get_json()["recorded_by"] == LEND
    assert by_issuer.get_json()["status"] == "confirmed"
    now = parties.get(bill["id"], parties.home).get_json()
    assert now["amount_paid_cents"] == 500 and now["amount_reported_cents"] == 1000
    assert now["balance_cents"] == 2500
    confirmed = parties.act(bill["id"], f"payments/{payment['id']}/confirm", parties.lend)
    assert confirmed.status_code == 200, confirmed.get_json()
    now = parties.get(bill["id"], parties.home).get_json()
    assert now["status"] == "open"
    assert now["amount_paid_cents"] == 1500 and now["balance_cents"] == 1500
    assert [(p["amount_cents"], p["paid_by"]) for p in now["payments"]] == [
        (1000, "patron"), (500, "home_library")]

    assert parties.pay(bill["id"], 1500, parties.lend).status_code == 201
    now = parties.get(bill["id"]).get_json()
    assert now["status"] == "paid" and now["balance_cents"] == 0


def test_a_payment_must_be_whole_cents_from_a_known_payer_within_the_balance(
        parties, table_counts):
    """422 for a malformed amount or payer; 409 overpayment naming the balance."""
    bill = parties.bill(items=[in_print_item(3000)])
    assert parties.pay(bill["id"], 1000).status_code == 201
    before = table_counts()
    for bad in (0, -5, 12.5, "100", True, None):
        body = assert_problem(parties.pay(bill["id"], bad), 422, "validation_failed")
        assert "amount_cents" in body["errors"], bad
    body = assert_problem(parties.pay(bill["id"], 100, paid_by="lending_library"), 422,
                          "validation_failed")
    assert "paid_by" in body["errors"]
    over = assert_problem(parties.pay(bill["id"], 2001), 409, "overpayment")
    assert over["balance_cents"] == 2000 and "2000" in over["detail"]
    assert table_counts() == before
    assert parties.get(bill["id"]).get_json()["amount_paid_cents"] == 1000


def test_a_disputed_bill_can_be_paid_but_a_void_paid_or_resolved_one_cannot(
        parties, table_counts):
    """Paying a disputed bill in full settles the dispute; closed bills answer 409."""
    disputed = parties.bill(items=[in_print_item(1000)])
    assert parties.act(disputed["id"], "dispute", parties.home,
                       {"reason": "Returned."}).status_code == 200
    assert parties.pay(disputed["id"], 1000).status_code == 201
    paid = parties.get(disputed["id"]).get_json()
    assert paid["status"] == "paid"
    assert paid["disputes"][0]["closed_because"] == "settled"

    void = parties.bill()
    assert parties.act(void["id"], "void", parties.lend, {"reason": "Found."}).status_code == 200
    resolved = parties.bill()
    proposal = parties.act(resolved["id"], "resolutions", parties.home,
                           {"terms": "replacement_copy", "detail": "A new copy."}).get_json()
    assert parties.act(resolved["id"], f"resolutions/{proposal['id']}/accept",
                       parties.lend).status_code == 200

    before = table_counts()
    for bill, state in ((void, "void"), (paid, "paid"), (resolved, "resolved")):
        body = assert_problem(parties.pay(bill["id"], 1), 409, f"bill_{state}")
        assert body["status_now"] == state
    assert table_counts() == before


# Void -------------------------------------------------------------------------------------------

def test_only_the_issuer_voids_an_unpaid_bill_and_must_say_why(parties):
    """403 only_issuer for the home; a reason is required; void or paid bills answer 409."""
    bill = parties.bill()
    assert_problem(parties.act(bill["id"], "void", parties.home, {"reason": "No."}), 403,
                   "only_issuer")
    body = assert_problem(parties.act(bill["id"], "void", parties.lend, {}), 422,
                          "validation_failed")
    assert "reason" in body["errors"]
    assert_problem(parties.act(bill["id"], "void", parties.lend, {"reason": ""}), 422,
                   "validation_failed")
    assert parties.get(bill["id"]).get_json()["status"] == "open"

    voided = parties.act(bill["id"], "void", parties.lend, {"reason": "Item found on shelf."})
    assert voided.status_code == 200
    assert voided.get_json()["status"] == "void"
    assert voided.get_json()["void_reason"] == "Item found on shelf."
    assert_problem(parties.act(bill["id"], "void", parties.lend, {"reason": "Again."}), 409,
                   "bill_void")

    paid = parties.bill(items=[in_print_item(1000)])
    assert parties.pay(paid["id"], 1000).status_code == 201
    assert_problem(parties.act(paid["id"], "void", parties.lend, {"reason": "Oops."}), 409,
                   "bill_paid")
    assert parties.get(paid["id"]).get_json()["status"] == "paid"


# Disputes (R13) ---------------------------------------------------------------------------------

def test_the_home_disputes_the_issuer_answers_and_the_home_withdraws(parties):
    """R13: the libraries work a dispute out between themselves; withdrawal reopens the bill."""
    bill = parties.bill()
    url = bill["id"]
    assert_problem(parties.act(url, "dispute", parties.lend, {"reason": "Mine."}), 403,
                   "only_home_library")
    assert_problem(parties.act(url, "dispute", parties.home, {}), 422, "validation_failed")
    assert_problem(parties.act(url, "dispute/answer", parties.lend, {"answer": "Early."}), 409,
                   "no_open_dispute")

    disputed = parties.act(url, "dispute", parties.home, {"reason": "It was returned."})
    assert disputed.status_code == 200
    assert disputed.get_json()["status"] == "disputed"
    assert disputed.get_json()["disputes"][0]["reason"] == "It was returned."
    assert_problem(parties.act(url, "dispute", parties.home, {"reason": "Again."}), 409,
                   "bill_disputed")

    assert_problem(parties.act(url, "dispute/answer", parties.home, {"answer": "Me."}), 403,
                   "only_issuer")
    answered = parties.act(url, "dispute/answer", parties.lend,
                           {"answer": "Our shelf check found nothing."})
    assert answered.status_code == 200
    assert answered.get_json()["status"] == "disputed"
    assert answered.get_json()["disputes"][0]["answer"] == "Our shelf check found nothing."

    assert_problem(parties.act(url, "dispute/withdraw", parties.lend), 403, "only_home_library")
    withdrawn = parties.act(url, "dispute/withdraw", parties.home)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "open"
    assert withdrawn.get_json()["disputes"][0]["closed_because"] == "withdrawn"
    assert_problem(parties.act(url, "dispute/withdraw", parties.home), 409, "no_open_dispute")

    again = parties.act(url, "dispute", parties.home, {"reason": "New evidence."})
    assert again.get_json()["status"] == "disputed"
    assert len(again.get_json()["disputes"]) == 2


# Alternate resolution (R6) ----------------------------------------------------------------------

def test_a_proposal_settles_the_bill_only_when_the_other_party_accepts(parties):
    """R6: either party proposes; the proposer cannot accept; the other's acceptance resolves
    the bill, and settles a dispute."""
    bill = parties.bill()
    parties.act(bill["id"], "dispute", parties.home, {"reason": "Too much."})
    proposed = parties.act(bill["id"], "resolutions", parties.lend,
                           {"terms": "equivalent_title", "detail": "The 2024 edition."})
    assert proposed.status_code == 201
    proposal = proposed.get_json()
    assert proposal["status"] == "proposed" and proposal["proposed_by"] == LEND
    assert parties.get(bill["id"]).get_json()["status"] == "disputed"  # R6: not yet agreed

    accept = f"resolutions/{proposal['id']}/accept"
    assert_problem(parties.act(bill["id"], accept, parties.lend), 403, "only_other_party")
    assert parties.get(bill["id"]).get_json()["status"] == "disputed"

    accepted = parties.act(bill["id"], accept, parties.home)
    assert accepted.status_code == 200
    resolved = accepted.get_json()
    assert resolved["status"] == "resolved"
    assert resolved["resolutions"][0]["status"] == "accepted"
    assert resolved["disputes"][0]["closed_because"] == "settled"
    assert_problem(parties.act(bill["id"], accept, parties.home), 409, "resolution_accepted")
    assert_problem(parties.act(bill["id"], "resolutions", parties.home,
                               {"terms": "waiver", "detail": "Never mind."}), 409,
                   "bill_resolved")
    assert_problem(parties.act(bill["id"], "resolutions", parties.home,
                               {"terms": "barter", "detail": ""}), 422, "validation_failed")


def test_only_the_latest_proposal_on_an_open_bill_can_be_accepted(parties):
    """R6: a newer proposal supersedes the older (409 to accept it); a proposal left over on a
    bill paid meanwhile resolves nothing."""
    bill = parties.bill()
    first = parties.act(bill["id"], "resolutions", parties.home,
                        {"terms": "replacement_copy", "detail": "A new copy by March."}).get_json()
    second = parties.act(bill["id"], "resolutions", parties.lend,
                         {"terms": "waiver", "detail": "Half now, rest waived."}).get_json()
    body = assert_problem(parties.act(bill["id"], f"resolutions/{first['id']}/accept",
                                      parties.lend), 409, "resolution_superseded")
    assert "superseded" in body["detail"]
    assert parties.get(bill["id"]).get_json()["status"] == "open"
    resolved = parties.act(bill["id"], f"resolutions/{second['id']}/accept", parties.home)
    assert resolved.get_json()["status"] == "resolved"
    assert {r["id"]: r["status"] for r in resolved.get_json()["resolutions"]} == {
        first["id"]: "superseded", second["id"]: "accepted"}

    paid = parties.bill(items=[in_print_item(1000)])
    leftover = parties.act(paid["id"], "resolutions", parties.lend,
                           {"terms": "waiver", "detail": "Waive it."}).get_json()
    assert parties.pay(paid["id"], 1000).status_code == 201
    assert_problem(parties.act(paid["id"], f"resolutions/{leftover['id']}/accept",
                               parties.home), 409, "bill_paid")
    assert parties.get(paid["id"]).get_json()["status"] == "paid"
    assert_problem(parties.act(paid["id"], "resolutions/res_unknown/accept", parties.home), 404,
                   "resolution_not_found")


# Who may see and touch a bill (R16) -------------------------------------------------------------

def test_a_library_not_party_to_a_bill_cannot_see_or_touch_it(parties, table_counts):
    """R16: for a third library someone else's bill does not exist: 404 for every action.
    Without a member key there is nothing to see at all."""
    bill = parties.bill()
    proposal = parties.act(bill["id"], "resolutions", parties.home,
                           {"terms": "waiver", "detail": "Waive it."}).get_json()
    before = table_counts()
    bill_id = bill["id"]
    attempts = [
        parties.client.get(f"/api/v1/bills/{bill_id}", headers=parties.third),
        parties.pay(bill_id, 100, parties.third),
        parties.act(bill_id, "void", parties.third, {"reason": "Mine now."}),
        parties.act(bill_id, "dispute", parties.third, {"reason": "Not ours."}),
        parties.act(bill_id, "dispute/answer", parties.third, {"answer": "Hello."}),
        parties.act(bill_id, "dispute/withdraw", parties.third),
        parties.act(bill_id, "resolutions", parties.third, {"terms": "waiver", "detail": "x"}),
        parties.act(bill_id, f"resolutions/{proposal['id']}/accept", parties.third),
    ]
    for response in attempts:
        body = assert_problem(response, 404, "bill_not_found")
        assert "4321" not in str(body)
    assert table_counts() == before
    assert parties.get(bill_id).get_json()["status"] == "open"
    listed = parties.client.get("/api/v1/bills", headers=parties.third).get_json()
    assert listed == {"items": [], "next_cursor": None}
    assert_problem(parties.client.get("/api/v1/bills/bil_doesnotexist", headers=parties.lend),
                   404, "bill_not_found")

    assert_problem(parties.client.get(f"/api/v1/bills/{bill_id}"), 401, "missing_key")
    office = parties.federation.headers()  # the federation office is party to no bill
    assert parties.client.get(f"/api/v1/bills/{bill_id}", headers=office).status_code == 403
    assert parties.issue(office).status_code == 403


def test_lists_show_only_the_callers_bills_by_role_and_status_page_by_page(parties):
    """R16: as=issuer lists bills you sent, as=home bills sent to you; status filters; pages
    of `limit` give each bill once and the last page has no next_cursor."""
    sent = parties.bill()
    sent_void = parties.bill()
    parties.act(sent_void["id"], "void", parties.lend, {"reason": "Found."})
    received = parties.bill(parties.home, card="20002 0000 1111", home_library=LEND)
    unrelated = parties.bill(parties.third)  # THIRD bills HOME: nothing to do with LEND
    more = {parties.bill()["id"] for _ in range(2)}

    def ids(headers, **query):
        response = parties.client.get("/api/v1/bills", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {bill["id"] for bill in response.get_json()["items"]}

    everything = {sent["id"], sent_void["id"], received["id"], *more}
    assert ids(parties.lend) == everything
    assert ids(parties.lend, **{"as": "issuer"}) == {sent["id"], sent_void["id"], *more}
    assert ids(parties.lend, **{"as": "home"}) == {received["id"]}
    assert ids(parties.lend, **{"as": "issuer", "status": "void"}) == {sent_void["id"]}
    assert ids(parties.lend, status="open") == {sent["id"], received["id"], *more}
    assert ids(parties.home, **{"as": "home"}) == {sent["id"], sent_void["id"],
                                                   unrelated["id"], *more}
    assert ids(parties.third) == {unrelated["id"]}
    for bad in ({"as": "lender"}, {"status": "overdue"}, {"limit": "0"}, {"limit": "501"}):
        assert_problem(parties.client.get("/api/v1/bills", query_string=bad,
                                          headers=parties.lend), 422, "validation_failed")

    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = parties.client.get("/api/v1/bills", query_string=query,
                                  headers=parties.lend).get_json()
        pages += 1
        assert len(page["items"]) <= 2
        seen.extend(bill["id"] for bill in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3  # 5 bills: 2 + 2 + 1
    assert sorted(seen) == sorted(everything)
    assert_problem(parties.client.get("/api/v1/bills", query_string={"cursor": "a"},
                                      headers=parties.lend), 400, "invalid_cursor")


def test_a_whole_number_of_cents_written_with_a_decimal_point_is_that_number(parties,
                                                                             table_counts):
    """R10: JSON has one kind of number, and the document's `integer` includes 2500.0: it is
    2500 cents. A fraction of a cent is still refused and writes nothing."""
    before = table_counts()
    body = assert_problem(parties.issue(items=[in_print_item(2500.5)]), 422,
                          "validation_failed")
    assert "items.0.list_price_cents" in body["errors"]
    assert table_counts() == before
    bill = parties.bill(items=[in_print_item(2500.0)])
    assert bill["amount_due_cents"] == 2500
    paid = parties.pay(bill["id"], 500.0)
    assert paid.status_code == 201, paid.get_json()
    assert parties.get(bill["id"]).get_json()["balance_cents"] == 2000


def test_a_statement_period_is_a_quarter_as_the_document_says(parties):
    """The `period` pattern in the document is the service's: an empty, newline-ended or
    year-0000 quarter is a 422 naming `period`."""
    for period in ("", "2026-Q4%0A", "0000-Q1", "9999-Q4", "2026-Q5", "2026-q4"):
        response = parties.client.get(f"/api/v1/statements?period={period}",
                                      headers=parties.lend)
        body = assert_problem(response, 422, "validation_failed")
        assert "period" in body["errors"], period
