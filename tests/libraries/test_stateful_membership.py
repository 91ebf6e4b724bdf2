"""R1 as an invariant: the office admits libraries and changes their membership, libraries
opt in and out and try to act anyway (on SQLite and PostgreSQL). After every step each
library record, the directory and every answer agree on who takes part, and a library that
does not take part can do nothing reciprocal."""

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.libraries.rules import must_participate
from app.libraries.service import issue_admin_key
from tests.dates import today
from tests.directory.conftest import policy
from tests.stateful import MACHINE_SETTINGS, Corner

TYPES = ("public", "academic", "school", "special")
NAMES = ("A", "B", "C", "D")


def takes_part(library: dict) -> bool:
    """R1, as the rulebook says it (independently of the service's code)."""
    if not library["active"] or library["membership"] != "full":
        return False
    return library["type"] == "public" or library["opted_in"]


class Membership(RuleBasedStateMachine):
    """Libraries join, opt in and out, are made associates or inactive, and keep trying."""

    app = client = None

    @initialize()
    def setup(self):
        self.corner = Corner(self.app, self.client)
        with self.app.app_context():
            _, self.office_key = issue_admin_key("stateful")
        self.libraries: dict[str, dict] = {}
        self.touched: set[str] = set()
        self._join("A", "public", "full", None)

    def _office(self, method: str, path: str, body: dict):
        return getattr(self.client, method)(f"/api/v1{path}", json=body, headers={
            "Authorization": f"Bearer {self.office_key}"})

    def _join(self, name, type_, membership, opt_in):
        code = self.corner.code(name)
        body = {"code": code, "name": f"Library {name}", "type": type_,
                "membership": membership, "card_prefixes": [self.corner.base + str(
                    NAMES.index(name) + 1)], "contact": {"email": "desk@example.org"}}
        if opt_in is not None:
            body["reciprocal_borrowing"] = opt_in
        response = self._office("post", "/libraries", body)
        if membership == "associate" and opt_in:
            assert response.status_code == 422
            assert response.get_json()["code"] == "associates_take_no_part"
            return
        if must_participate(type_, membership) and opt_in is False:
            assert response.status_code == 422
            return
        assert response.status_code == 201, response.get_json()
        key = self._office("post", f"/libraries/{code}/keys", {}).get_json()["key"]
        self.corner.keys[code] = key
        card = self.corner.base + str(NAMES.index(name) + 1) + "000001"
        assert self.corner.post("/patrons", code, {"card_number": card,
                                                   "expires_on": "2099-12-31"}
                                ).status_code == 201
        self.libraries[name] = {"code": code, "type": type_, "membership": membership,
                                "opted_in": bool(opt_in) or must_participate(type_,
                                                                             membership),
                                "active": True, "card": card}
        self.touched.add(name)

    @precondition(lambda self: len(self.libraries) < len(NAMES))
    @rule(type_=st.sampled_from(TYPES), membership=st.sampled_from(["full", "associate"]),
          opt_in=st.sampled_from([None, True, False]))
    def join(self, type_, membership, opt_in):
        """The office admits a library, which may or may not ask to take part."""
        name = next(name for name in NAMES if name not in self.libraries)
        self._join(name, type_, membership, opt_in)

    @rule(data=st.data(), change=st.sampled_from([
        {"reciprocal_borrowing": True}, {"reciprocal_borrowing": False},
        {"membership": "associate"}, {"membership": "full"}, {"type": "academic"},
        {"type": "public"}, {"active": False}, {"active": True}]))
    def office_changes(self, data, change):
        """The office records an opt-in or out, a change of membership or type, a departure."""
        name = data.draw(st.sampled_from(sorted(self.libraries)))
        library = self.libraries[name]
        after = {**library, **{key: value for key, value in change.items()
                               if key != "reciprocal_borrowing"}}
        response = self._office("patch", f"/libraries/{library['code']}", change)
        asked = change.get("reciprocal_borrowing")
        if asked is False and must_participate(after["type"], after["membership"]):
            assert response.status_code == 422
            return
        if asked is True and after["membership"] == "associate":
            assert response.status_code == 422
            return
        assert response.status_code == 200, response.get_json()
        if asked is not None:
            after["opted_in"] = asked
        if must_participate(after["type"], after["membership"]):
            after["opted_in"] = True
        if after["membership"] == "associate":
            after["opted_in"] = False
        self.libraries[name] = after
        self.touched.add(name)

    @rule(data=st.data(), opt_in=st.booleans())
    def library_changes_its_own_participation(self, data, opt_in):
        """A library may not opt itself in or out: the office records it."""
        library = self.libraries[data.draw(st.sampled_from(sorted(self.libraries)))]
        if not library["active"]:
            return
        response = self.corner.patch(f"/libraries/{library['code']}", library["code"],
                                     {"reciprocal_borrowing": opt_in})
        assert response.status_code == 403
        assert response.get_json()["code"] == "field_not_yours"

    @rule(data=st.data())
    def verify_and_bill(self, data):
        """A desk verifies another library's card and bills for it."""
        lender = self.libraries[data.draw(st.sampled_from(sorted(self.libraries)))]
        home = self.libraries[data.draw(st.sampled_from(sorted(self.libraries)))]
        if lender is home:
            return
        verified = self.corner.post("/verifications", lender["code"],
                                    {"card_number": home["card"]})
        billed = self.corner.post("/bills", lender["code"], {
            "card_number": home["card"], "home_library": home["code"],
            "infraction_date": (today() - timedelta(days=3)).isoformat(),
            "items": [{"title": "Atlas", "barcode": "3123400000001", "format": "book",
                       "kind": "lost", "in_print": True, "list_price_cents": 900}]})
        if not lender["active"]:
            assert verified.status_code == billed.status_code == 401
            return
        if not takes_part(lender):
            assert verified.status_code == billed.status_code == 403
            assert verified.get_json()["code"] == billed.get_json()["code"] \
                == "not_participating"
            return
        assert verified.status_code == 200 and billed.status_code == 201, billed.get_json()
        answer = verified.get_json()
        assert (answer["decision"] == "eligible") == takes_part(home), answer
        if not takes_part(home):
            assert "home_not_participating" in answer["reasons"]

    @rule(data=st.data())
    def publish_a_policy(self, data):
        """A library publishes a policy saying it takes part, whether or not it does."""
        library = self.libraries[data.draw(st.sampled_from(sorted(self.libraries)))]
        if not library["active"]:
            return
        response = self.client.put(f"/api/v1/libraries/{library['code']}/policy",
                                   json=policy(), headers=self.corner.headers(library["code"]))
        assert response.status_code in (200, 201), response.get_json()
        self.touched.add(next(name for name, lib in self.libraries.items() if lib is library))

    @invariant()
    def the_record_and_the_directory_say_who_takes_part(self):
        """R1: one answer to 'does it take part?' wherever it is read."""
        if not hasattr(self, "corner"):
            return
        for name in sorted(self.touched):
            library = self.libraries[name]
            record = self._office("get", f"/libraries/{library['code']}", None).get_json()
            assert record["participates"] is takes_part(library), (library, record)
            entry = self.client.get(f"/api/v1/directory/{library['code']}")
            if library["active"] and entry.get_json()["published"]:
                assert entry.get_json()["participates"] is takes_part(library)
        self.touched.clear()


def test_only_libraries_that_take_part_act_under_reciprocal_borrowing(app, client):
    """R1 from the office's side, each library's, and every desk's."""
    Membership.app, Membership.client = app, client
    Membership.TestCase.settings = MACHINE_SETTINGS
    Membership.TestCase().runTest()
