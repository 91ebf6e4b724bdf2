"""Racing block requests over real HTTP (R8): answers that arrive together cannot both win.

Each race starts its requests at one moment (a threading.Barrier) against the app served by a
threaded server, as in production, and asserts what both libraries see afterwards: exactly one
winner, the final state the winner's, and no 500 for anything a caller sent.
"""


import pytest
import requests

from tests.blocks.conftest import HOME, LEND
from tests.racing import race

ROUNDS = 3  # each race runs on a few fresh patrons: one round can miss the window


class Racer:
    """Sets a race up through the test client, then fires it at the live server."""

    def __init__(self, parties, base: str):
        self.parties = parties
        self.base = base
        self.cards = iter(f"2000100002{n:03d}" for n in range(1000))

    def fresh_block(self, kind: str = "block", bills: int = 1) -> tuple[str, list[str], str]:
        """A new patron of HOME, `bills` bills from LEND and a request covering them."""
        card = next(self.cards)
        self.parties.federation.register(HOME, card)
        bill_ids = [self.parties.bill(card=card) for _ in range(bills)]
        block = self.parties.block(bill_ids, card=card, kind=kind)
        return block["id"], bill_ids, card

    def post(self, path: str, by: str, body=None):
        """A call for race(): POST `path` as `by`."""
        return lambda session: session.post(f"{self.base}{path}", json=body or {},
                                            headers=self.parties.headers(by), timeout=30)

    def answer(self, block_id: str, action: str):
        """A call for race(): HOME honors or refuses."""
        body = {"reason": "Not our policy."} if action == "refuse" else {}
        return self.post(f"/blocks/{block_id}/{action}", HOME, body)

    def pay(self, bill_id: str):
        """A call for race(): LEND records the whole bill paid (confirmed money, R8)."""
        return self.post(f"/bills/{bill_id}/payments", LEND,
                         {"amount_cents": 1000, "paid_by": "patron"})

    def block(self, block_id: str) -> dict:
        """The block as its requester sees it now."""
        return requests.get(f"{self.base}/blocks/{block_id}", headers=self.parties.headers(LEND),
                            timeout=30).json()

    def liable(self, bill_id: str) -> str:
        """Who is liable for a bill now."""
        return requests.get(f"{self.base}/bills/{bill_id}", headers=self.parties.headers(LEND),
                            timeout=30).json()["liable_party"]

    def events(self, code: str, type_: str) -> int:
        """How many events of this type a library's feed holds."""
        page = requests.get(f"{self.base}/events", params={"limit": 500, "type": type_},
                            headers=self.parties.headers(code), timeout=30).json()
        return len(page["items"])


@pytest.fixture
def racer(parties, patron, live_server) -> Racer:
    """HOME, LEND and friends on a live server."""
    return Racer(parties, live_server)


def test_an_honor_racing_a_refusal_lets_exactly_one_answer_stand(racer):
    """R8: one 200 and one 409; the block ends as the winner left it; liability moved only if
    the refusal won."""
    for round_ in range(ROUNDS):
        block_id, (bill_id,), _ = racer.fresh_block()
        honor, refuse = race([racer.answer(block_id, "honor"), racer.answer(block_id, "refuse")])
        assert sorted([honor.status_code, refuse.status_code]) == [200, 409], (
            honor.text, refuse.text)
        winner, loser = (honor, refuse) if honor.status_code == 200 else (refuse, honor)
        final = winner.json()["status"]
        assert loser.json()["code"] == f"block_{final}"
        assert racer.block(block_id)["status"] == final
        assert racer.liable(bill_id) == ("home_library" if final == "refused" else "patron")
        for code in (LEND, HOME):  # one answer recorded per round, for each party
            assert racer.events(code, "block.honored") + racer.events(
                code, "block.refused") == round_ + 1


def test_two_honors_at_once_honor_the_block_once(racer):
    """R8: one 200, one 409 block_honored, one block.honored event for each party."""
    for round_ in range(ROUNDS):
        block_id, _, _ = racer.fresh_block()
        results = race([racer.answer(block_id, "honor"), racer.answer(block_id, "honor")])
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        assert [r.json()["code"] for r in results if r.status_code == 409] == ["block_honored"]
        assert racer.block(block_id)["status"] == "honored"
        for code in (LEND, HOME):
            assert racer.events(code, "block.honored") == round_ + 1


def test_two_identical_requests_at_once_open_one_block(racer):
    """R8: one 201 and one 409 block_exists pointing at the block that was opened."""
    parties = racer.parties
    for round_ in range(ROUNDS):
        card = next(racer.cards)
        parties.federation.register(HOME, card)
        bill_id = parties.bill(card=card)
        body = {"card_number": card, "home_library": HOME, "kind": "block",
                "bill_ids": [bill_id]}
        results = race([racer.post("/blocks", LEND, body), racer.post("/blocks", LEND, body)])
        assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
        created = next(r.json() for r in results if r.status_code == 201)
        conflict = next(r.json() for r in results if r.status_code == 409)
        assert conflict["code"] == "block_exists"
        assert conflict["existing_block_id"] == created["id"]
        assert len(parties.listed(LEND)) == round_ + 1
        assert racer.events(HOME, "block.requested") == round_ + 1


def test_an_answer_racing_the_payment_that_settles_the_last_bill_leaves_no_stale_block(racer):
    """R8: the block ends released, withdrawn or refused, never honored for bills all paid;
    the payment always succeeds and neither caller gets a 500."""
    for action in ("honor", "refuse") * ROUNDS:
        block_id, (bill_id,), card = racer.fresh_block()
        answer, payment = race([racer.answer(block_id, action), racer.pay(bill_id)])
        assert payment.status_code == 201, payment.text
        assert answer.status_code in (200, 409), answer.text
        final = racer.block(block_id)
        if answer.status_code == 409:  # the payment came first: nothing left to answer
            assert answer.json()["code"] == "block_withdrawn"
            assert final["status"] == "withdrawn"
            assert racer.liable(bill_id) == "patron"
        elif action == "honor":  # honored first, then the payment released it
            assert (final["status"], final["release_reason"]) == ("released", "bills_settled")
        else:
            assert final["status"] == "refused"
        verification = racer.parties.verify(card).get_json()
        assert verification["decision"] == "eligible", (action, final, verification)


def test_a_request_racing_the_payment_of_its_only_bill_never_outlives_the_bill(racer):
    """R8: the request is refused as bill_not_unpaid, or opened and withdrawn by the payment;
    never left requested for a bill already paid."""
    parties = racer.parties
    for _ in range(ROUNDS):
        card = next(racer.cards)
        parties.federation.register(HOME, card)
        bill_id = parties.bill(card=card)
        body = {"card_number": card, "home_library": HOME, "kind": "block",
                "bill_ids": [bill_id]}
        request, payment = race([racer.post("/blocks", LEND, body), racer.pay(bill_id)])
        assert payment.status_code == 201, payment.text
        if request.status_code == 201:
            final = racer.block(request.json()["id"])
            assert (final["status"], final["release_reason"]) == ("withdrawn", "bills_settled")
        else:
            assert (request.status_code, request.json()["code"]) == (422, "bill_not_unpaid")
