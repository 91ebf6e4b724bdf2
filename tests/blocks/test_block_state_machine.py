"""A stateful property test of blocks (R8): random requests, answers, payments and releases.

Hypothesis drives the real HTTP API in random order. A small model predicts each answer;
after every step the invariants are checked against what the API shows:
- every block is in exactly one known state, and moved only along a legal transition;
- a bill's liability moved to the home library only through a refusal covering it;
- verification says `federation_block` / `delinquent` exactly when an honored, unreleased
  block of that kind exists (and never names the library that asked, R16).

Each example's patron belongs to a home library of its own (admitted through the service
layer, with a card prefix of its own), so the home library's lists of bills and blocks hold
exactly the example's records and each invariant reads them in one request.
"""

import itertools
import os
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.blocks.models import STATES
from app.extensions import db
from app.libraries.service import admit_library, issue_library_key
from app.timestamps import today_in

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# 150 examples of 12 steps per database in CI (derandomized: the same ones each run). Blocks,
# bills and payments are also the family of tests/bills/test_stateful_money.py, which runs 300
# per database with every party acting; at 300 this one test was a fifth of the suite's time.
# More by hand: BLOCK_STATE_MACHINE_EXAMPLES=2000.
EXAMPLES = int(os.environ.get("BLOCK_STATE_MACHINE_EXAMPLES", 150 if IN_CI else 60))
LENDERS = ("LENDA", "LENDB")
LEGAL = {("requested", "honored"), ("requested", "refused"), ("requested", "withdrawn"),
         ("honored", "released")}
SETTLED = ("paid", "void")
homes = itertools.count(1)


def make_machine(federation):
    """A state machine class bound to a federation of two lenders and a desk."""
    client = federation.client

    def admit_home():
        """A home library of the example's own, with a card prefix no other example has."""
        number = next(homes)
        code, prefix = f"HOME{number}", f"8{number:05d}"
        with federation.app.app_context():
            admit_library({"code": code, "name": f"Home library {number}", "type": "public",
                           "membership": "full", "card_prefixes": [prefix],
                           "contact": {"email": f"home{number}@example.org"}, "address": {},
                           "active": True})
            _, federation.keys[code] = issue_library_key(code, "block state machine")
            db.session.remove()
        return code, prefix + "000000001"
    infraction = (today_in("America/Chicago") - timedelta(days=10)).isoformat()

    class Blocks(RuleBasedStateMachine):
        """One home library and its patron per example; lenders bill, block, get paid,
        release."""

        bills = Bundle("bills")
        blocks = Bundle("blocks")

        def __init__(self):
            super().__init__()
            self.home, self.card = admit_home()
            federation.register(self.home, self.card)
            self.bill_state = {}  # bill id -> [issuer, status, liable_party]
            self.block_state = {}  # block id -> [requester, kind, status, bill ids]
            self.seen = {}  # block id -> status last seen through the API

        # -- actions --------------------------------------------------------------------

        @rule(target=bills, lender=st.sampled_from(LENDERS))
        def issue_bill(self, lender):
            """A lender bills HOME for a lost book."""
            response = client.post("/api/v1/bills", headers=federation.headers(lender), json={
                "card_number": self.card, "home_library": self.home,
                "infraction_date": infraction,
                "items": [{"title": "A book", "barcode": "3100", "format": "book",
                           "kind": "lost", "in_print": True, "list_price_cents": 1000}]})
            assert response.status_code == 201, response.get_json()
            bill_id = response.get_json()["id"]
            self.bill_state[bill_id] = [lender, "open", "patron"]
            return bill_id

        @rule(target=blocks, lender=st.sampled_from(LENDERS),
              kind=st.sampled_from(["block", "delinquent"]), chosen=st.lists(bills, min_size=1,
                                                                              max_size=3))
        def request_block(self, lender, kind, chosen):
            """A lender asks HOME to block; the model predicts 201, 409 or 422."""
            response = client.post("/api/v1/blocks", headers=federation.headers(lender), json={
                "card_number": self.card, "home_library": self.home, "kind": kind,
                "bill_ids": sorted(set(chosen))})
            body = response.get_json()
            if any(self.bill_state[b][0] != lender for b in chosen):
                expected = (422, "bill_not_covered")
            elif any(self.bill_state[b][1] in SETTLED for b in chosen):
                expected = (422, "bill_not_unpaid")
            elif any(s[0] == lender and s[1] == kind and s[2] in ("requested", "honored")
                     for s in self.block_state.values()):
                expected = (409, "block_exists")
            else:
                expected = (201, None)
            assert (response.status_code, body.get("code")) == expected, body
            if response.status_code != 201:
                return "none"
            self.block_state[body["id"]] = [lender, kind, "requested", sorted(set(chosen))]
            self.seen[body["id"]] = "requested"
            return body["id"]

        def _act(self, block_id, action, by, json=None):
            """Take an action as `by` (right or wrong party) and check the predicted answer."""
            if block_id == "none":
                return
            requester, kind, status, covered = self.block_state[block_id]
            actor = "HOME" if action in ("honor", "refuse") else requester
            response = client.post(f"/api/v1/blocks/{block_id}/{action}", json=json,
                                   headers=federation.headers(self.home if by == "HOME" else by))
            target = {("honor", "requested"): "honored", ("refuse", "requested"): "refused",
                      ("withdraw", "requested"): "withdrawn",
                      ("release", "honored"): "released"}.get((action, status))
            if by not in (requester, "HOME"):
                assert response.status_code == 404  # a third library: not found (R16)
            elif by != actor:
                assert (response.status_code, response.get_json()["code"]) == (
                    403, "not_your_block")
            elif target is None:
                assert response.status_code == 409
            else:
                assert response.status_code == 200, response.get_json()
                assert response.get_json()["status"] == target
                self.block_state[block_id][2] = target
                if target == "refused":
                    for bill_id in covered:  # R8: liable for the covered bills still unpaid
                        if self.bill_state[bill_id][1] not in SETTLED:
                            self.bill_state[bill_id][2] = "home_library"

        @rule(block=blocks, by=st.sampled_from(["HOME", *LENDERS]))
        def honor(self, block, by):
            """The home library (or someone else, refused) honors."""
            self._act(block, "honor", by)

        @rule(block=blocks, by=st.sampled_from(["HOME", *LENDERS]))
        def refuse(self, block, by):
            """The home library refuses, becoming liable (R8)."""
            self._act(block, "refuse", by, json={"reason": "not our policy"})

        @rule(block=blocks, by=st.sampled_from(["HOME", *LENDERS]))
        def release(self, block, by):
            """The requester releases an honored block."""
            self._act(block, "release", by)

        @rule(block=blocks, by=st.sampled_from(["HOME", *LENDERS]))
        def withdraw(self, block, by):
            """The requester withdraws an unanswered request."""
            self._act(block, "withdraw", by)

        @rule(bill=bills, how=st.sampled_from(["pay", "void"]))
        def settle_bill(self, bill, how):
            """A bill is paid in full or voided; blocks it alone kept open are released."""
            issuer, status, _ = self.bill_state[bill]
            if how == "pay":
                # The lender records money it received: confirmed, it settles (R8).
                response = client.post(f"/api/v1/bills/{bill}/payments",
                                       json={"amount_cents": 1000, "paid_by": "patron"},
                                       headers=federation.headers(issuer))
            else:
                response = client.post(f"/api/v1/bills/{bill}/void", json={"reason": "found"},
                                       headers=federation.headers(issuer))
            if status in SETTLED:
                assert response.status_code == 409
                return
            assert response.status_code in (200, 201), response.get_json()
            self.bill_state[bill][1] = "paid" if how == "pay" else "void"
            for state in self.block_state.values():
                if state[2] in ("requested", "honored") and all(
                        self.bill_state[b][1] in SETTLED for b in state[3]):
                    state[2] = "released" if state[2] == "honored" else "withdrawn"

        # -- invariants -----------------------------------------------------------------

        def _listed(self, path):
            """Everything at `path` the home library is party to: the example's own records."""
            answer = client.get(f"/api/v1/{path}", query_string={"limit": 100},
                                headers=federation.headers(self.home))
            assert answer.status_code == 200, answer.get_json()
            return {item["id"]: item for item in answer.get_json()["items"]}

        @precondition(lambda self: self.block_state)
        @invariant()
        def blocks_are_where_the_model_says_and_moved_legally(self):
            """Each block is in one known state, the predicted one, reached legally; none
            disappears."""
            shown = self._listed("blocks")
            assert set(shown) == set(self.block_state)
            for block_id, (_, _, status, _) in self.block_state.items():
                now = shown[block_id]["status"]
                assert now in STATES and now == status
                before = self.seen[block_id]
                assert before == now or (before, now) in LEGAL
                self.seen[block_id] = now

        @precondition(lambda self: self.bill_state)
        @invariant()
        def liability_moves_only_on_refusal(self):
            """A bill's liable party is the home library exactly when a refusal covered it."""
            shown = self._listed("bills")
            assert set(shown) == set(self.bill_state)
            refused = {b for s in self.block_state.values() if s[2] == "refused" for b in s[3]}
            for bill_id, (_, status, liable) in self.bill_state.items():
                assert shown[bill_id]["status"] == status
                assert shown[bill_id]["liable_party"] == liable
                assert (liable == "home_library") == (bill_id in refused)

        @invariant()
        def verification_agrees_with_the_honored_blocks(self):
            """federation_block / delinquent exactly when such a block is honored (R8, R14)."""
            answer = client.post("/api/v1/verifications", json={"card_number": self.card},
                                 headers=federation.headers("DESK"))
            body = answer.get_json()
            honored = {s[1] for s in self.block_state.values() if s[2] == "honored"}
            assert ("federation_block" in body["reasons"]) == ("block" in honored)
            assert ("delinquent" in body["reasons"]) == ("delinquent" in honored)
            if "block" in honored:
                assert body["decision"] == "not_eligible"
            elif "delinquent" in honored:
                assert body["decision"] == "refer"
            else:
                assert body["decision"] == "eligible"
            text = answer.get_data(as_text=True)
            assert not any(code in text for code in LENDERS)  # R16: never who asked

    return Blocks


def test_blocks_keep_their_invariants_under_any_sequence_of_actions(federation):
    """R8 as a state machine: 150 examples per database in CI (BLOCK_STATE_MACHINE_EXAMPLES)."""
    for code in (*LENDERS, "DESK"):
        federation.admit(code)
    run_state_machine_as_test(
        make_machine(federation),
        settings=settings(max_examples=EXAMPLES, stateful_step_count=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]))
