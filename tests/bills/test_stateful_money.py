"""R6-R8 and R16 as invariants: lenders bill and ask for blocks, the home library answers,
pays and reports payments, and every party also tries what it may not (on SQLite and
PostgreSQL). After every step: an honored block stands until its requester releases it or
its bills are settled by confirmed money; nothing a library is party to disappears; only the
home library sees its patron's id."""

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.dates import today
from tests.stateful import MACHINE_SETTINGS, Corner

LIBRARIES = ("H", "L1", "L2", "T")  # the home library, two lenders, a third party
LENDERS = ("L1", "L2")
SETTLED = ("paid", "void", "resolved")


class BlocksBillsPayments(RuleBasedStateMachine):
    """One home library's patron, two lenders, and a library party to nothing."""

    app = client = None

    @initialize()
    def setup(self):
        self.corner = Corner(self.app, self.client)
        self.codes = {name: self.corner.admit(name, str(index + 1))
                      for index, name in enumerate(LIBRARIES)}
        self.card = self.corner.base + "1" + "0000001"
        registered = self.corner.post("/patrons", self.codes["H"],
                                      {"card_number": self.card, "expires_on": "2099-12-31"})
        assert registered.status_code == 201
        self.bills: dict[str, dict] = {}     # id -> issuer, due, paid, reported, status
        self.payments: dict[str, dict] = {}  # id -> bill, amount, status
        self.blocks: dict[str, dict] = {}    # id -> requester, bills, status

    def _expect(self, response, allowed: bool, party: bool, state_ok: bool = True):
        """403 for a party the rules exclude, 404 for a stranger, 409 for a wrong state."""
        status = response.status_code
        if not party:
            assert status == 404, response.get_json()
        elif not allowed:
            assert status == 403, response.get_json()
        elif not state_ok:
            assert status == 409, response.get_json()
        else:
            assert status in (200, 201), response.get_json()
        return status in (200, 201)

    def _settle_blocks(self):
        """Blocks whose every bill is settled go: released if honored, withdrawn if pending."""
        for block in self.blocks.values():
            if block["status"] in ("requested", "honored") and all(
                    self.bills[bill_id]["status"] in SETTLED for bill_id in block["bills"]):
                block["status"] = "released" if block["status"] == "honored" else "withdrawn"

    # Bills -----------------------------------------------------------------------------------

    @rule(lender=st.sampled_from(LENDERS), cents=st.sampled_from([500, 1200]))
    def bill(self, lender, cents):
        """A lender bills the home library for a lost book."""
        response = self.corner.post("/bills", self.codes[lender], {
            "card_number": self.card, "home_library": self.codes["H"],
            "infraction_date": (today() - timedelta(days=20)).isoformat(),
            "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                       "kind": "lost", "in_print": True, "list_price_cents": cents}]})
        assert response.status_code == 201, response.get_json()
        self.bills[response.get_json()["id"]] = {
            "issuer": lender, "due": cents, "paid": 0, "reported": 0, "status": "open"}

    @precondition(lambda self: self.bills)
    @rule(actor=st.sampled_from(LIBRARIES), data=st.data(),
          whole=st.booleans())
    def pay(self, actor, data, whole):
        """Anyone records a payment: the issuer's is confirmed, the home's only reported."""
        bill_id = data.draw(st.sampled_from(sorted(self.bills)))
        bill = self.bills[bill_id]
        left = bill["due"] - bill["paid"] - bill["reported"]
        amount = max(left, 1) if whole else 100
        response = self.corner.post(f"/bills/{bill_id}/payments", self.codes[actor],
                                    {"amount_cents": amount, "paid_by": "patron"})
        party = actor in (bill["issuer"], "H")
        if not party:
            assert response.status_code == 404
            return
        if bill["status"] not in ("open", "disputed") or amount > left:
            assert response.status_code == 409, response.get_json()
            return
        assert response.status_code == 201, response.get_json()
        confirmed = actor == bill["issuer"]
        assert response.get_json()["status"] == ("confirmed" if confirmed else "reported")
        self.payments[response.get_json()["id"]] = {
            "bill": bill_id, "amount": amount,
            "status": "confirmed" if confirmed else "reported"}
        bill["paid" if confirmed else "reported"] += amount
        if bill["paid"] == bill["due"]:
            bill["status"] = "paid"
            self._settle_blocks()

    @precondition(lambda self: self.payments)
    @rule(actor=st.sampled_from(LIBRARIES), data=st.data(), confirm=st.booleans())
    def answer_payment(self, actor, data, confirm):
        """Only the issuer confirms or declines what the home library reported."""
        payment_id = data.draw(st.sampled_from(sorted(self.payments)))
        payment = self.payments[payment_id]
        bill = self.bills[payment["bill"]]
        action = "confirm" if confirm else "decline"
        response = self.corner.post(f"/bills/{payment['bill']}/payments/{payment_id}/{action}",
                                    self.codes[actor], {"reason": "Checked the account."})
        state_ok = payment["status"] == "reported" and bill["status"] in ("open", "disputed")
        if self._expect(response, actor == bill["issuer"], actor in (bill["issuer"], "H"),
                        state_ok):
            payment["status"] = "confirmed" if confirm else "declined"
            bill["reported"] -= payment["amount"]
            if confirm:
                bill["paid"] += payment["amount"]
                if bill["paid"] == bill["due"]:
                    bill["status"] = "paid"
                    self._settle_blocks()

    @precondition(lambda self: self.bills)
    @rule(actor=st.sampled_from(LIBRARIES), data=st.data())
    def void(self, actor, data):
        """Only the issuer voids its bill."""
        bill_id = data.draw(st.sampled_from(sorted(self.bills)))
        bill = self.bills[bill_id]
        response = self.corner.post(f"/bills/{bill_id}/void", self.codes[actor],
                                    {"reason": "Found on the shelf."})
        if self._expect(response, actor == bill["issuer"], actor in (bill["issuer"], "H"),
                        bill["status"] in ("open", "disputed")):
            bill["status"] = "void"
            self._settle_blocks()

    # Blocks ----------------------------------------------------------------------------------

    @rule(lender=st.sampled_from(LENDERS))
    def request_block(self, lender):
        """A lender asks for a block covering its unpaid bills for the patron."""
        mine = sorted(bill_id for bill_id, bill in self.bills.items()
                      if bill["issuer"] == lender and bill["status"] in ("open", "disputed"))
        if not mine:
            return
        response = self.corner.post("/blocks", self.codes[lender], {
            "card_number": self.card, "home_library": self.codes["H"], "kind": "block",
            "bill_ids": mine})
        pending = any(block["requester"] == lender and block["status"] in ("requested",
                                                                            "honored")
                      for block in self.blocks.values())
        if pending:
            assert response.status_code == 409, response.get_json()
            return
        assert response.status_code == 201, response.get_json()
        self.blocks[response.get_json()["id"]] = {"requester": lender, "bills": mine,
                                                  "status": "requested"}

    @precondition(lambda self: self.blocks)
    @rule(actor=st.sampled_from(LIBRARIES), data=st.data(),
          action=st.sampled_from(["honor", "refuse", "release", "withdraw"]))
    def act_on_block(self, actor, data, action):
        """Only the home library answers a request; only its requester releases or withdraws."""
        block_id = data.draw(st.sampled_from(sorted(self.blocks)))
        block = self.blocks[block_id]
        body = {"reason": "Not our patron's loan."} if action == "refuse" else None
        response = self.corner.post(f"/blocks/{block_id}/{action}", self.codes[actor], body)
        side = "H" if action in ("honor", "refuse") else block["requester"]
        source = {"honor": "requested", "refuse": "requested", "withdraw": "requested",
                  "release": "honored"}[action]
        if self._expect(response, actor == side, actor in (block["requester"], "H"),
                        block["status"] == source):
            block["status"] = {"honor": "honored", "refuse": "refused",
                               "withdraw": "withdrawn", "release": "released"}[action]

    @rule()
    def home_deletes_the_patron(self):
        """The home library tries to delete its patron to be rid of the lenders' records."""
        found = self.corner.post("/patrons/lookup", self.codes["H"],
                                 {"card_number": self.card}).get_json()
        response = self.client.delete(f"/api/v1/patrons/{found['id']}",
                                      headers=self.corner.headers(self.codes["H"]))
        held = self.blocks or any(bill["status"] in ("open", "disputed")
                                  for bill in self.bills.values())
        if held:
            assert response.status_code == 409
            return
        assert response.status_code == 204
        again = self.corner.post("/patrons", self.codes["H"],
                                 {"card_number": self.card, "expires_on": "2099-12-31"})
        assert again.status_code == 201

    @rule(lender=st.sampled_from(LENDERS))
    def lender_lists_its_bills(self, lender):
        """A lender sees its own bills, all of them, and never the home's patron id (R16)."""
        own = self.corner.get("/bills", self.codes[lender], limit=100).get_json()["items"]
        assert {bill["id"] for bill in own} == {
            bill_id for bill_id, bill in self.bills.items() if bill["issuer"] == lender}
        assert all(bill["patron_id"] is None for bill in own)

    # Invariants ------------------------------------------------------------------------------

    @invariant()
    def what_each_party_sees_is_what_happened(self):
        """Every bill and block is still there, as the rules left it; R16 on every answer."""
        if not hasattr(self, "corner"):
            return
        bills = {bill["id"]: bill for bill in self.corner.get(
            "/bills", self.codes["H"], limit=100).get_json()["items"]}
        assert set(bills) == set(self.bills)  # nothing the home is party to disappears
        for bill_id, expected in self.bills.items():
            seen = bills[bill_id]
            assert (seen["status"], seen["amount_paid_cents"], seen["amount_reported_cents"]) \
                == (expected["status"], expected["paid"], expected["reported"])
            assert seen["patron_id"] is not None  # the home library sees its own patron
        blocks = {block["id"]: block for block in self.corner.get(
            "/blocks", self.codes["H"], limit=100).get_json()["items"]}
        assert {block_id: block["status"] for block_id, block in blocks.items()} == {
            block_id: block["status"] for block_id, block in self.blocks.items()}

    @invariant()
    def an_honored_block_keeps_the_card_from_lending(self):
        """R8: while any honored block stands, no desk may lend on the card."""
        if not hasattr(self, "corner"):
            return
        answer = self.corner.post("/verifications", self.codes["T"],
                                  {"card_number": self.card}).get_json()
        blocked = any(block["status"] == "honored" for block in self.blocks.values())
        assert (answer["decision"] == "not_eligible") == blocked, answer
        assert set(answer) == {"decision", "reasons", "home_library", "expires_on",
                               "identity", "checked_at", "source", "advice", "as_of", "peer"}


def test_blocks_bills_and_payments_hold_against_every_party(app, client):
    """R6, R7, R8, R16 from every member's side, honest and not."""
    BlocksBillsPayments.app, BlocksBillsPayments.client = app, client
    BlocksBillsPayments.TestCase.settings = MACHINE_SETTINGS
    BlocksBillsPayments.TestCase().runTest()
