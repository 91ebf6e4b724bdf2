"""Blocks over HTTP (R8): a lending library asks, the home library honors or refuses, the lender
releases; what verification then says (R2, R14); who may see and touch a block (R16).

Each test walks one behaviour through several requests: a fresh database per test is the
expensive part, so related refusals share a test rather than each paying for their own.
"""

from datetime import timedelta

from tests.blocks.conftest import CARD, HOME, LEND, LEND2, LEND_NAME, OTHER_CARD, THIRD
from tests.dates import today
from tests.problems import assert_problem

ACTIONS = ("honor", "refuse", "release", "withdraw")


# Requesting ------------------------------------------------------------------------------------

def test_a_lender_asks_the_home_library_to_block_or_mark_delinquent_for_its_unpaid_bills(
        parties, patron):
    """R8: 201 requested, covering the bills named, with the day the answer is due."""
    first, second = parties.bill(), parties.bill(cents=2500)
    response = parties.request([second, first, first], note="Two atlases, never returned.")
    assert response.status_code == 201, response.get_json()
    block = response.get_json()
    assert block["id"].startswith("blk_")
    assert block["status"] == "requested" and block["kind"] == "block"
    assert (block["requester"], block["home_library"]) == (LEND, HOME)
    assert sorted(block["bill_ids"]) == sorted([first, second])
    assert block["response_due_on"] == (today() + timedelta(days=14)).isoformat()
    assert block["overdue"] is False
    assert block["card_last4"] == "4321" and "card_number" not in block
    assert block["note"] == "Two atlases, never returned."
    assert block["answered_at"] is None and block["closed_at"] is None
    assert parties.get(block["id"]).get_json() == block

    delinquent = parties.request([first], kind="delinquent")
    assert delinquent.status_code == 201, delinquent.get_json()
    assert delinquent.get_json()["kind"] == "delinquent"
    assert delinquent.get_json()["status"] == "requested"


def test_a_second_open_request_of_the_same_kind_for_the_same_patron_is_a_conflict(
        parties, patron):
    """R8: one open request per lender, patron and kind; another kind or lender may ask."""
    bill = parties.bill()
    first = parties.block([bill])
    again = assert_problem(parties.request([bill]), 409, "block_exists")
    assert again["existing_block_id"] == first["id"]
    # Another bill does not make it a different request: the patron and kind are the same.
    assert_problem(parties.request([parties.bill()]), 409, "block_exists")

    parties.moved(first["id"], "honor", HOME)
    honored = assert_problem(parties.request([bill]), 409, "block_exists")
    assert honored["existing_block_id"] == first["id"]

    assert parties.request([bill], kind="delinquent").status_code == 201
    assert parties.request([parties.bill(LEND2)], lender=LEND2).status_code == 201
    # Once the first is released the lender may ask again.
    parties.moved(first["id"], "release", LEND)
    assert parties.request([bill]).status_code == 201
    statuses = sorted(b["status"] for b in parties.listed(HOME, **{"as": "home"}))
    assert statuses == ["released", "requested", "requested", "requested"]


def test_a_block_covers_only_the_requesters_own_unpaid_bills_for_that_patron(parties, patron):
    """R8: another library's bill, another patron's, a paid or void one: 422, nothing written."""
    parties.federation.register(HOME, OTHER_CARD)
    mine = parties.bill()
    theirs = parties.bill(LEND2)
    other_patron = parties.bill(card=OTHER_CARD)
    paid = parties.bill()
    assert parties.pay(paid).status_code == 201
    void = parties.bill()
    assert parties.void(void).status_code == 200
    unknown = "bil_" + "0" * 20

    for bill_ids in ([theirs], [mine, theirs], [other_patron], [unknown]):
        body = assert_problem(parties.request(bill_ids), 422, "bill_not_covered")
        assert "bill_ids" in body["errors"]
    for bill_ids in ([paid], [mine, void]):
        body = assert_problem(parties.request(bill_ids), 422, "bill_not_unpaid")
        assert "bill_ids" in body["errors"]
    # The other lender cannot cover LEND's bill either.
    assert_problem(parties.request([mine], lender=LEND2), 422, "bill_not_covered")
    assert parties.listed(LEND) == [] and parties.listed(HOME) == []
    assert parties.events(HOME, "block.") == []

    # A disputed bill is still unpaid.
    assert parties.client.post(f"/api/v1/bills/{mine}/dispute", headers=parties.headers(HOME),
                               json={"reason": "Returned in June."}).status_code == 200
    assert parties.request([mine]).status_code == 201


def test_a_bill_sent_before_the_card_was_registered_or_replaced_is_still_the_patrons(parties):
    """R8: the lender billed the card; the home library registered it later, then replaced it.
    The lender's request with the card it billed covers the bill, and blocks the new card."""
    bill = parties.bill()  # the home library has not registered CARD yet
    patron = parties.federation.register(HOME, CARD)
    new_card = "20001 0000 5555"
    replaced = parties.client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                                   json={"new_card_number": new_card},
                                   headers=parties.headers(HOME))
    assert replaced.status_code == 200, replaced.get_json()
    block = parties.block([bill], card=CARD)
    assert block["bill_ids"] == [bill] and block["card_last4"] == "5555"
    parties.moved(block["id"], "honor", HOME)
    body = parties.verify(new_card).get_json()
    assert (body["decision"], body["reasons"]) == ("not_eligible", ["federation_block"])
    assert parties.pay(bill).status_code == 201
    assert parties.status(block["id"]) == "released"


def test_a_block_is_for_a_registered_patron_of_another_member_library(parties, patron):
    """R8, R14: a billed card the home library never registered, your own patron, an unknown
    home library: 422."""
    unregistered = "2000100009999"
    bill = parties.bill(card=unregistered)
    body = assert_problem(parties.request([bill], card=unregistered), 422,
                          "patron_not_registered")
    assert "card_number" in body["errors"]
    assert_problem(parties.request([bill], home=LEND), 422, "own_patron")
    body = assert_problem(parties.request([bill], home="IL9999"), 422, "unknown_home_library")
    assert "home_library" in body["errors"]
    assert parties.listed(LEND) == []


def test_a_block_request_does_not_tell_whether_a_card_it_has_not_billed_is_registered(
        parties, patron):
    """R16: whatever bills a member names (none of its own, another library's, its own for
    another card), a registered and an unregistered card get the very same answer."""
    own_other_card = parties.bill(card="2000100007777")
    theirs = parties.bill(LEND2)
    made_up = "bil_" + "0" * 20
    for bill_ids in ([made_up], [theirs], [own_other_card]):
        registered = parties.request(bill_ids, card=CARD)
        unregistered = parties.request(bill_ids, card="2000100009999")
        body = assert_problem(registered, 422, "bill_not_covered")
        assert unregistered.status_code == registered.status_code
        assert unregistered.get_json() == body
    assert parties.listed(LEND) == [] and parties.events(HOME, "block.") == []


def test_a_malformed_request_is_a_validation_error_naming_its_fields(parties, patron):
    """Missing or invalid fields: 422 validation_failed with `errors` by field."""
    bill = parties.bill()
    cases = [
        ({"home_library": HOME, "kind": "block", "bill_ids": [bill]}, "card_number"),
        ({"card_number": CARD, "kind": "block", "bill_ids": [bill]}, "home_library"),
        ({"card_number": CARD, "home_library": HOME, "bill_ids": [bill]}, "kind"),
        ({"card_number": CARD, "home_library": HOME, "kind": "ban", "bill_ids": [bill]}, "kind"),
        ({"card_number": CARD, "home_library": HOME, "kind": "block"}, "bill_ids"),
        ({"card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": []},
         "bill_ids"),
        ({"card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": ["42"]},
         "bill_ids.0"),
        ({"card_number": "20001/4321", "home_library": HOME, "kind": "block",
          "bill_ids": [bill]}, "card_number"),
        ({"card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": [bill],
          "status": "honored"}, "status"),
    ]
    for body, field in cases:
        problem = assert_problem(parties.client.post("/api/v1/blocks", json=body,
                                                     headers=parties.headers(LEND)),
                                 422, "validation_failed")
        assert field in problem["errors"], (body, problem)
    block = parties.block([bill])
    for body in ({}, {"reason": ""}, {"reason": None}):
        problem = assert_problem(parties.act(block["id"], "refuse", HOME, body), 422,
                                 "validation_failed")
        assert "reason" in problem["errors"]
    assert parties.status(block["id"]) == "requested"
    # The office takes no part in asking: only a member library requests.
    assert_problem(parties.client.post("/api/v1/blocks", headers=parties.headers(), json={
        "card_number": CARD, "home_library": HOME, "kind": "block", "bill_ids": [bill]}),
        403, "forbidden_role")
    assert_problem(parties.client.get("/api/v1/blocks"), 401, "missing_key")


def test_repeating_a_request_with_its_idempotency_key_answers_the_same_block(parties, patron):
    """The same Idempotency-Key and body replay the first answer; a new body is a 409."""
    bill = parties.bill()
    key = {"Idempotency-Key": "block-req-1"}
    first = parties.request([bill], headers=key)
    again = parties.request([bill], headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(parties.listed(LEND)) == 1
    assert_problem(parties.request([bill], kind="delinquent", headers=key), 409,
                   "idempotency_key_reused")


# Answering -------------------------------------------------------------------------------------

def test_the_home_library_honors_a_request(parties, patron):
    """R8: the home library honors; both parties see the block honored."""
    block = parties.block()
    honored = parties.moved(block["id"], "honor", HOME)
    assert honored["status"] == "honored"
    assert honored["answered_at"] is not None and honored["closed_at"] is None
    assert honored["refusal_reason"] is None
    for viewer in (HOME, LEND):
        assert parties.status(block["id"], viewer) == "honored"


def test_refusing_a_block_makes_the_home_library_liable_for_every_bill_it_covers(
        parties, patron):
    """R8: a refusal says why, and moves liability for the covered bills (only) to HOME."""
    covered = [parties.bill(), parties.bill(cents=2200)]
    uncovered = parties.bill()
    block = parties.block(covered)
    refused = parties.moved(block["id"], "refuse", HOME, {"reason": "Not our policy."})
    assert refused["status"] == "refused"
    assert refused["refusal_reason"] == "Not our policy."
    assert refused["answered_at"] is not None and refused["closed_at"] is not None
    for bill_id in covered:
        for viewer in (HOME, LEND):
            assert parties.get_bill(bill_id, viewer)["liable_party"] == "home_library"
    assert parties.get_bill(uncovered)["liable_party"] == "patron"
    for code in (HOME, LEND):
        changed = [data for kind, data in parties.events(code) if kind == "bill.liability_changed"]
        assert sorted(data["bill_id"] for data in changed) == sorted(covered)
        assert {data["block_id"] for data in changed} == {block["id"]}
    assert parties.events(THIRD) == []


def test_refusing_moves_liability_only_for_bills_still_unpaid(parties, patron):
    """R8: a covered bill already paid or voided needs no one to pay it: it stays as it was."""
    open_bill, paid, void = parties.bill(), parties.bill(), parties.bill()
    block = parties.block([open_bill, paid, void])
    assert parties.pay(paid).status_code == 201
    assert parties.void(void).status_code == 200
    parties.moved(block["id"], "refuse", HOME)
    assert parties.get_bill(open_bill)["liable_party"] == "home_library"
    assert parties.get_bill(paid)["liable_party"] == "patron"
    assert parties.get_bill(void)["liable_party"] == "patron"
    changed = [data["bill_id"] for kind, data in parties.events(LEND)
               if kind == "bill.liability_changed"]
    assert changed == [open_bill]


def test_only_the_home_library_answers_a_request_and_only_once(parties, patron):
    """R8: the requester cannot honor or refuse (403); a second answer is a 409."""
    block = parties.block()
    for action in ("honor", "refuse"):
        assert_problem(parties.act(block["id"], action, LEND), 403, "not_your_block")
    assert parties.status(block["id"]) == "requested"

    parties.moved(block["id"], "honor", HOME)
    body = assert_problem(parties.act(block["id"], "honor", HOME), 409, "block_honored")
    assert body["status_now"] == "honored"
    assert_problem(parties.act(block["id"], "refuse", HOME), 409, "block_honored")

    withdrawn = parties.block(kind="delinquent")
    parties.moved(withdrawn["id"], "withdraw", LEND)
    assert_problem(parties.act(withdrawn["id"], "honor", HOME), 409, "block_withdrawn")
    assert_problem(parties.act(withdrawn["id"], "refuse", HOME), 409, "block_withdrawn")
    assert parties.status(withdrawn["id"]) == "withdrawn"

    refused = parties.block(lender=LEND2)
    parties.moved(refused["id"], "refuse", HOME)
    assert_problem(parties.act(refused["id"], "honor", HOME), 409, "block_refused")
    assert parties.status(refused["id"], LEND2) == "refused"


def test_only_the_home_library_sees_its_own_reference_for_the_patron(parties, patron):
    """R16: HOME sees its external_ref; the requester and the office see null."""
    block = parties.block()
    assert block["external_ref"] is None  # the requester's own answer
    assert parties.get(block["id"], HOME).get_json()["external_ref"] == "P-77"
    assert parties.get(block["id"], LEND).get_json()["external_ref"] is None
    assert parties.get(block["id"], None).get_json()["external_ref"] is None
    assert parties.moved(block["id"], "honor", HOME)["external_ref"] == "P-77"
    assert [b["external_ref"] for b in parties.listed(HOME)] == ["P-77"]
    assert [b["external_ref"] for b in parties.listed(LEND)] == [None]
    assert [b["external_ref"] for b in parties.listed(None)] == [None]
    assert parties.moved(block["id"], "release", LEND)["external_ref"] is None
    for view in (parties.get(block["id"], LEND), parties.client.get(
            "/api/v1/blocks", headers=parties.headers(LEND))):
        assert "P-77" not in view.get_data(as_text=True)


# Releasing -------------------------------------------------------------------------------------

def test_the_requester_releases_an_honored_block_and_withdraws_an_unanswered_one(
        parties, patron):
    """R8: release (honored → released), withdraw (requested → withdrawn); others are 409."""
    block = parties.block()
    assert_problem(parties.act(block["id"], "release", LEND), 409, "block_requested")
    assert_problem(parties.act(block["id"], "release", HOME), 403, "not_your_block")
    parties.moved(block["id"], "honor", HOME)
    assert_problem(parties.act(block["id"], "withdraw", LEND), 409, "block_honored")
    assert_problem(parties.act(block["id"], "release", HOME), 403, "not_your_block")
    released = parties.moved(block["id"], "release", LEND)
    assert released["status"] == "released" and released["release_reason"] == "requester"
    assert released["closed_at"] is not None
    assert_problem(parties.act(block["id"], "release", LEND), 409, "block_released")

    pending = parties.block(kind="delinquent")
    assert_problem(parties.act(pending["id"], "withdraw", HOME), 403, "not_your_block")
    withdrawn = parties.moved(pending["id"], "withdraw", LEND)
    assert withdrawn["status"] == "withdrawn" and withdrawn["closed_at"] is not None
    assert_problem(parties.act(pending["id"], "withdraw", LEND), 409, "block_withdrawn")
    assert_problem(parties.act(pending["id"], "release", LEND), 409, "block_withdrawn")


def test_settling_every_covered_bill_releases_the_block_for_both_parties(parties, patron):
    """R8: paid in full, voided, or resolved by agreement (R6): the block is no longer needed."""
    settle = {"void": parties.void, "resolved": parties.resolve}
    blocks = {}
    for index, how in enumerate(("paid", "void", "resolved")):
        card = f"2000100001{index:03d}"
        parties.federation.register(HOME, card)
        bill = parties.bill(card=card)
        blocks[how] = (parties.block([bill], card=card)["id"], bill)
        parties.moved(blocks[how][0], "honor", HOME)
    for how, (block_id, bill) in blocks.items():
        assert parties.pay(bill, 400).status_code == 201  # part of it first: still needed
        assert parties.status(block_id) == "honored"
        settled = parties.pay(bill, 600) if how == "paid" else settle[how](bill)
        assert settled.status_code in (200, 201), settled.get_json()
        assert parties.get_bill(bill)["status"] == how
        for viewer in (LEND, HOME):
            shown = parties.get(block_id, viewer).get_json()
            assert (shown["status"], shown["release_reason"]) == ("released", "bills_settled")
            assert shown["closed_at"] is not None
    for code in (LEND, HOME):
        released = [data for kind, data in parties.events(code) if kind == "block.released"]
        assert sorted(data["block_id"] for data in released) == sorted(
            block_id for block_id, _ in blocks.values())
        assert {data["reason"] for data in released} == {"bills_settled"}
    assert parties.events(THIRD) == []
    # The patron is in good standing again as far as the federation knows.
    assert parties.verify(f"2000100001{0:03d}").get_json()["decision"] == "eligible"


def test_a_block_covering_two_bills_stays_honored_until_the_second_is_settled(parties, patron):
    """R8: one bill paid is not all of them."""
    first, second = parties.bill(), parties.bill()
    block = parties.block([first, second])
    parties.moved(block["id"], "honor", HOME)
    assert parties.pay(first).status_code == 201
    assert parties.status(block["id"]) == "honored"
    assert parties.verify().get_json()["decision"] == "not_eligible"
    assert parties.void(second).status_code == 200
    shown = parties.get(block["id"]).get_json()
    assert (shown["status"], shown["release_reason"]) == ("released", "bills_settled")


def test_an_unanswered_request_whose_bills_are_all_settled_is_withdrawn(parties, patron):
    """R8: nothing is left for the home library to answer; an answer now is a 409."""
    first, second = parties.bill(), parties.bill()
    block = parties.block([first, second], kind="delinquent")
    assert parties.pay(first).status_code == 201
    assert parties.status(block["id"], HOME) == "requested"
    assert parties.resolve(second).status_code == 200
    shown = parties.get(block["id"], HOME).get_json()
    assert (shown["status"], shown["release_reason"]) == ("withdrawn", "bills_settled")
    assert_problem(parties.act(block["id"], "honor", HOME), 409, "block_withdrawn")
    for code in (LEND, HOME):
        assert ("block.withdrawn", {"block_id": block["id"], "reason": "bills_settled"}) in \
            parties.events(code)


def test_a_settled_bill_releases_only_the_blocks_it_alone_kept_open(parties, patron):
    """R8: another lender's block, and a block also covering an unpaid bill, stay honored."""
    mine, shared_other = parties.bill(), parties.bill()
    theirs = parties.bill(LEND2)
    only_mine = parties.block([mine])
    both = parties.block([mine, shared_other], kind="delinquent")
    other_lender = parties.block([theirs], lender=LEND2)
    for block in (only_mine, both, other_lender):
        parties.moved(block["id"], "honor", HOME)
    assert parties.pay(mine).status_code == 201
    assert parties.status(only_mine["id"]) == "released"
    assert parties.status(both["id"]) == "honored"
    assert parties.status(other_lender["id"], LEND2) == "honored"
    assert parties.events(LEND2, "block.released") == []


# Verification ----------------------------------------------------------------------------------

def test_an_honored_block_makes_the_patron_not_eligible_without_naming_who_asked(
        parties, patron):
    """R8, R2: federation_block → not_eligible; R16: the answer never names the requester."""
    bill = parties.bill()
    block = parties.block([bill], note=f"Asked by {LEND_NAME}")
    requested = parties.verify()
    assert requested.get_json()["decision"] == "eligible"  # asking alone changes nothing
    parties.moved(block["id"], "honor", HOME)
    for desk in (THIRD, LEND2, LEND):
        answer = parties.verify(desk=desk)
        body = answer.get_json()
        assert body["decision"] == "not_eligible"
        assert body["reasons"] == ["federation_block"]
        raw = answer.get_data(as_text=True)
        for secret in (LEND, LEND_NAME, block["id"], bill, "Lakeshore"):
            assert secret not in raw, secret
    parties.moved(block["id"], "release", LEND)
    body = parties.verify().get_json()
    assert (body["decision"], body["reasons"]) == ("eligible", [])


def test_an_honored_delinquent_mark_refers_the_lender_to_the_home_library(parties, patron):
    """R8, R14: delinquent → refer, with advice to contact the home library; R16 as above."""
    block = parties.block(kind="delinquent")
    parties.moved(block["id"], "honor", HOME)
    answer = parties.verify()
    body = answer.get_json()
    assert (body["decision"], body["reasons"]) == ("refer", ["delinquent"])
    assert "Contact Prairie Home Library" in body["advice"]
    assert f"{HOME.lower()}@example.org" in body["advice"]
    assert body["home_library"]["code"] == HOME
    raw = answer.get_data(as_text=True)
    assert LEND not in raw and LEND_NAME not in raw and block["id"] not in raw
    # Both kinds honored: the block decides, and the delinquency is still reported.
    parties.moved(parties.block(kind="block")["id"], "honor", HOME)
    body = parties.verify().get_json()
    assert (body["decision"], body["reasons"]) == ("not_eligible",
                                                   ["federation_block", "delinquent"])


def test_requested_refused_withdrawn_and_released_blocks_leave_the_patron_eligible(
        parties, patron):
    """R8: only an honored block has an effect on verification."""
    def eligible():
        body = parties.verify().get_json()
        return (body["decision"], body["reasons"]) == ("eligible", [])

    refused = parties.block(kind="block")
    assert eligible()
    parties.moved(refused["id"], "refuse", HOME)
    assert eligible()
    withdrawn = parties.block(kind="delinquent")
    assert eligible()
    parties.moved(withdrawn["id"], "withdraw", LEND)
    assert eligible()
    released = parties.block(kind="block", lender=LEND2)
    parties.moved(released["id"], "honor", HOME)
    assert not eligible()
    parties.moved(released["id"], "release", LEND2)
    assert eligible()


# Who may see and touch a block -----------------------------------------------------------------

def test_a_library_party_to_nothing_cannot_see_or_touch_a_block(parties, patron):
    """R16: a third library gets 404 block_not_found on GET and on every action."""
    block = parties.block()
    assert_problem(parties.get(block["id"], THIRD), 404, "block_not_found")
    for action in ACTIONS:
        assert_problem(parties.act(block["id"], action, THIRD), 404, "block_not_found")
    assert parties.listed(THIRD) == []
    for side in ("requester", "home"):
        assert parties.listed(THIRD, **{"as": side}) == []
    assert_problem(parties.get("blk_" + "0" * 20, LEND), 404, "block_not_found")
    assert parties.status(block["id"]) == "requested"


def test_the_federation_office_sees_every_block_but_answers_none(parties, patron):
    """The office can read any block and list all, but it cannot honor, refuse or release."""
    first = parties.block()
    second = parties.block(lender=LEND2)
    assert parties.get(first["id"], None).get_json()["status"] == "requested"
    assert sorted(b["id"] for b in parties.listed(None)) == sorted([first["id"], second["id"]])
    assert [b["id"] for b in parties.listed(None, status="requested", limit=1)] == sorted(
        [first["id"], second["id"]])
    for action in ACTIONS:
        response = parties.act(first["id"], action, None)
        assert response.status_code == 403, response.get_json()
        assert response.mimetype == "application/problem+json"
    assert parties.status(first["id"]) == "requested"


def test_lists_show_each_side_its_blocks_by_status_a_page_at_a_time(parties, patron):
    """`?as=requester|home&status=` filter; `limit` and `cursor` walk every page once."""
    mine = [parties.block(kind=kind)["id"] for kind in ("block", "delinquent")]
    theirs = [parties.block(lender=LEND2, kind=kind)["id"] for kind in ("block", "delinquent")]
    parties.moved(mine[0], "honor", HOME)
    parties.moved(theirs[1], "refuse", HOME)

    def ids(by, **params):
        return [b["id"] for b in parties.listed(by, limit=1, **params)]

    assert ids(LEND) == sorted(mine)
    assert ids(LEND, **{"as": "requester"}) == sorted(mine)
    assert ids(LEND, **{"as": "home"}) == []
    assert ids(HOME, **{"as": "home"}) == sorted(mine + theirs)
    assert ids(HOME, **{"as": "requester"}) == []
    assert ids(HOME, **{"as": "home", "status": "requested"}) == sorted([mine[1], theirs[0]])
    assert ids(HOME, **{"as": "home", "status": "honored"}) == [mine[0]]
    assert ids(LEND2, status="refused") == [theirs[1]]
    assert ids(LEND2, status="released") == []

    page = parties.client.get("/api/v1/blocks", query_string={"as": "home", "limit": 3},
                              headers=parties.headers(HOME)).get_json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    for params in ({"as": "both"}, {"status": "lost"}, {"limit": 0}, {"limit": 501}):
        assert_problem(parties.client.get("/api/v1/blocks", query_string=params,
                                          headers=parties.headers(HOME)),
                       422, "validation_failed")


# Events ----------------------------------------------------------------------------------------

def test_every_change_to_a_block_is_an_event_for_its_two_parties_only(parties, patron):
    """Requested, honored, refused, withdrawn, released: in both parties' feeds, nobody else's."""
    released = parties.block(kind="block")
    parties.moved(released["id"], "honor", HOME)
    parties.moved(released["id"], "release", LEND)
    refused = parties.block(kind="delinquent")
    parties.moved(refused["id"], "refuse", HOME)
    withdrawn = parties.block(kind="delinquent")
    parties.moved(withdrawn["id"], "withdraw", LEND)
    expected = [
        ("block.requested", {"block_id": released["id"]}),
        ("block.honored", {"block_id": released["id"]}),
        ("block.released", {"block_id": released["id"]}),
        ("block.requested", {"block_id": refused["id"]}),
        ("block.refused", {"block_id": refused["id"]}),
        ("block.requested", {"block_id": withdrawn["id"]}),
        ("block.withdrawn", {"block_id": withdrawn["id"]}),
    ]
    assert parties.events(LEND, "block.") == expected
    assert parties.events(HOME, "block.") == expected
    for code in (LEND2, THIRD):
        assert parties.events(code) == []
    # A refused or failed action writes nothing.
    parties.act(released["id"], "release", LEND)
    parties.act(released["id"], "honor", THIRD)
    assert parties.events(LEND, "block.") == expected
