"""Every route, every kind of caller, real objects, both databases (tests/authorization.py).

The test fails when a route of `app.url_map` has no entry, so a new route cannot ship
without someone saying who may use it.
"""

import pytest

from tests.authorization import CALLERS, ENTRIES
from tests.blocks.conftest import CARD, HOME, LEND, OTHER_CARD, THIRD, Parties
from tests.directory.conftest import policy

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def app_config():
    """Webhook endpoints on loopback are accepted (no network is needed to register one)."""
    return {"WEBHOOK_ALLOW_LOOPBACK": True}


class World:
    """The objects the entries act on, made through the API as the libraries would."""

    def __init__(self, federation, client):
        self.parties = Parties(federation, client)
        self.federation = federation
        self.client = client
        self.ids = {"lender_code": LEND, "delivery": "dlv_unknown"}
        self.ids["patron"] = federation.register(HOME, CARD)["id"]
        self.ids["spare_patron"] = federation.register(HOME, "20001 0000 7777")["id"]
        federation.register(HOME, OTHER_CARD)
        p = self.parties
        self.ids["bill"] = p.bill()
        self.ids["void_bill"] = p.bill()
        self.ids["resolved_bill"] = p.bill()
        proposed = client.post(f"/api/v1/bills/{self.ids['resolved_bill']}/resolutions",
                               headers=p.headers(LEND),
                               json={"terms": "replacement_copy", "detail": "A new copy."})
        assert proposed.status_code == 201, proposed.get_json()
        self.ids["resolution"] = proposed.get_json()["id"]
        asked = client.post("/api/v1/assistance", headers=p.headers(LEND), json={
            "home_library": HOME, "kind": "collect_bill", "bill_id": self.ids["bill"],
            "message": "Please help us collect this bill."})
        assert asked.status_code == 201, asked.get_json()
        self.ids["assistance"] = asked.get_json()["id"]
        self.ids["block"] = p.block(kind="block")["id"]
        self.ids["refused_block"] = p.block(kind="delinquent")["id"]
        self.ids["withdrawn_block"] = p.block(kind="block", card=OTHER_CARD)["id"]
        endpoint = client.post("/api/v1/webhooks/endpoints", headers=p.headers(LEND),
                               json={"url": "https://127.0.0.1/hook"})
        assert endpoint.status_code == 201, endpoint.get_json()
        self.ids["endpoint"] = endpoint.get_json()["id"]
        spare = client.post(f"/api/v1/libraries/{LEND}/keys", json={"label": "spare"},
                            headers=federation.headers())
        assert spare.status_code == 201, spare.get_json()
        self.ids["spare_key"] = spare.get_json()["id"]
        published = client.put(f"/api/v1/libraries/{LEND}/policy", json=policy(),
                               headers=p.headers(LEND))
        assert published.status_code in (200, 201), published.get_json()

    def headers(self, caller: str) -> dict:
        """The caller's Authorization header (none for anonymous)."""
        code = {"lender": LEND, "home": HOME, "third": THIRD}.get(caller)
        if caller == "anonymous":
            return {}
        return self.federation.headers(code)

    def request(self, entry, caller: str):
        """Send the entry's request as `caller`; the response."""
        path = entry.rule.replace("<path:", "<")
        for argument, name in entry.path.items():
            path = path.replace(f"<{argument}>", self.ids.get(name, name))
        headers = self.headers(caller)
        if entry.body == "roster":
            return self.client.post(path, data=b"card_number,expires_on\n", headers={
                **headers, "Content-Type": "text/csv"})
        body = policy() if entry.body == "policy" else entry.body
        return self.client.open(path, method=entry.method, query_string=entry.query,
                                json=body, headers=headers)


def routes(app) -> set[tuple[str, str]]:
    """Every (method, rule) the app serves."""
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - IGNORED_METHODS}


def test_every_route_has_an_entry_and_every_entry_a_route(app):
    """A route nobody has described fails here, naming it."""
    described = {(entry.method, entry.rule) for entry in ENTRIES}
    assert sorted(routes(app) - described) == [], "routes without an authorization entry"
    assert sorted(described - routes(app)) == [], "entries for routes that do not exist"
    for entry in ENTRIES:
        assert set(entry.expect) == set(CALLERS), entry


def test_each_caller_gets_what_the_matrix_says(federation, client):
    """Anonymous, the office, both parties and a third library, on every route (R16, R8)."""
    world = World(federation, client)
    wrong = []
    for entry in ENTRIES:
        for caller in CALLERS:
            expected = entry.expect[caller]
            expected = expected if isinstance(expected, tuple) else (expected,)
            response = world.request(entry, caller)
            text = response.get_data(as_text=True)  # reads a streamed answer to its end
            response.close()
            if response.status_code not in expected:
                wrong.append(f"{entry.method} {entry.rule} as {caller}: "
                             f"{response.status_code} not in {expected} {text[:160]}")
    assert wrong == [], "\n".join(wrong)
