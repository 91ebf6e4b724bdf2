"""R15 as an invariant: libraries claim prefixes and register cards at random, honestly and
not; every card keeps one home, and only that home registers it (on SQLite and PostgreSQL)."""

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.libraries.rules import home_of, overlapping
from tests.stateful import MACHINE_SETTINGS, Corner

NAMES = ("A", "B", "C")
DIGITS = {"A": "1", "B": "2", "C": "3"}


class PrefixesAndCards(RuleBasedStateMachine):
    """Three public libraries, each with one prefix; they add prefixes and register cards."""

    app = client = None

    @initialize()
    def setup(self):
        self.corner = Corner(self.app, self.client)
        self.codes = {name: self.corner.admit(name, DIGITS[name]) for name in NAMES}
        self.prefixes = {name: [self.corner.base + DIGITS[name]] for name in NAMES}
        self.registered: dict[str, str] = {}  # card -> the library that registered it

    def _owner(self, card: str) -> str | None:
        homes = {prefix: name for name, own in self.prefixes.items() for prefix in own}
        return home_of(card, homes)

    @rule(name=st.sampled_from(NAMES), inside=st.sampled_from(NAMES + ("",)),
          tail=st.sampled_from(["", "0", "05", "00000", "9"]))
    def add_prefix(self, name, inside, tail):
        """A library adds a prefix: in its own range, inside another's, or covering others."""
        prefix = self.corner.base + (DIGITS[inside] if inside else "") + tail
        if len(prefix) <= len(self.corner.base):
            prefix = self.corner.base[:-1]  # a prefix covering every library of the example
        wanted = [*self.prefixes[name], prefix] if prefix not in self.prefixes[name] \
            else self.prefixes[name]
        response = self.corner.patch(f"/libraries/{self.codes[name]}", self.codes[name],
                                     {"card_prefixes": wanted})
        others = [p for other, own in self.prefixes.items() if other != name for p in own]
        if overlapping(prefix, others):
            assert response.status_code == 409, response.get_json()
            assert response.get_json()["code"] in ("prefix_overlaps", "prefix_taken")
        else:
            assert response.status_code == 200, response.get_json()
            self.prefixes[name] = sorted(set(wanted))

    @rule(name=st.sampled_from(NAMES))
    def drop_prefixes(self, name):
        """A library tries to drop its prefixes (so another could claim its patrons' range)."""
        response = self.corner.patch(f"/libraries/{self.codes[name]}", self.codes[name],
                                     {"card_prefixes": []})
        assert response.status_code == 409
        assert response.get_json()["code"] == "prefix_retired_by_office"

    @rule(name=st.sampled_from(NAMES), range_of=st.sampled_from(NAMES),
          tail=st.sampled_from(["0000001", "0500002", "9000003", "0000004"]))
    def register(self, name, range_of, tail):
        """A library registers a card from its own range or another library's."""
        card = self.corner.base + DIGITS[range_of] + tail
        response = self.corner.post("/patrons", self.codes[name],
                                    {"card_number": card, "expires_on": "2099-12-31"})
        owner = self._owner(card)
        if owner is not None and owner != name:
            assert response.status_code == 422, response.get_json()
            assert response.get_json()["code"] == "card_of_another_library"
        else:
            assert response.status_code in (200, 201), response.get_json()
            self.registered.setdefault(card, name)

    @rule(name=st.sampled_from(NAMES), data=st.data())
    def verify(self, name, data):
        """A desk verifies a registered card without naming a home: the prefix names it."""
        if not self.registered:
            return
        card = data.draw(st.sampled_from(sorted(self.registered)))
        body = self.corner.post("/verifications", self.codes[name],
                                {"card_number": card}).get_json()
        assert body["home_library"]["code"] == self.codes[self.registered[card]]
        assert body["decision"] == "eligible"

    @invariant()
    def every_card_has_one_home(self):
        """No two libraries' prefixes overlap, and each card's prefix names who registered it."""
        if not hasattr(self, "corner"):
            return
        for name, own in self.prefixes.items():
            others = [p for other, theirs in self.prefixes.items() if other != name
                      for p in theirs]
            assert not any(overlapping(prefix, others) for prefix in own)
        for card, name in self.registered.items():
            assert self._owner(card) == name


def test_prefixes_and_cards_keep_one_home(app, client):
    """R15 from every member's side: no move makes a card another library's."""
    PrefixesAndCards.app, PrefixesAndCards.client = app, client
    PrefixesAndCards.TestCase.settings = MACHINE_SETTINGS
    PrefixesAndCards.TestCase().runTest()
