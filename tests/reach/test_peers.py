"""Peer federations (R17): three Reciprocity services side by side on loopback, each with its
own database, forwarding verifications one hop and counting them on both sides (R19).

The services are started once per module and backend: A (libraries with prefix 61), B (62)
and C (63). A peers with B and C; B peers with A and C. Each test uses its own cards.
"""

import shutil
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
import requests
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.timestamps import utcnow
from tests.conftest import BACKENDS, Federation, base_config
from tests.console.conftest import axe_source, axe_violations  # noqa: F401 (a fixture)
from tests.directory.conftest import policy
from tests.directory.test_pages_browser import shoot
from tests.problems import assert_problem
from tests.reach.conftest import LIVE_CONFIG
from tests.serving import served

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("peers")

BUDGET = 0.3
MARGIN = 0.5
YEAR = utcnow().year


class Service:
    """One running Reciprocity service: its app, its root URL and its office's helpers."""

    def __init__(self, name: str, app, root: str):
        self.name, self.app, self.root = name, app, root
        self.fed = Federation(app, app.test_client())
        self.client = self.fed.client

    def office(self, method: str, path: str, **kwargs):
        """Call the API as this federation's office."""
        return getattr(self.client, method)(f"/api/v1{path}", headers=self.fed.headers(),
                                            **kwargs)

    def verify(self, library: str, card: str, **fields) -> dict:
        """A desk of this federation verifies a card; the answer."""
        response = self.fed.verify(library, card, **fields)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def sql(self, statement: str, **params) -> None:
        """Change this service's database directly (for states the API cannot reach)."""
        with self.app.app_context():
            db.session.execute(text(statement), params)
            db.session.commit()


def peer(local: Service, remote: Service, code: str, outgoing_key: str | None = None) -> str:
    """`local`'s office registers `remote` as a peer; the key `remote` should use here."""
    body = {"code": code, "name": f"Federation {remote.name}", "base_url": remote.root}
    if outgoing_key:
        body["outgoing_key"] = outgoing_key
    response = local.office("post", "/peers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["incoming_key"]


def pair(one: Service, other: Service) -> None:
    """Peer two services both ways, the way two offices would, exchanging keys."""
    key_for_other = peer(one, other, f"fed-{other.name.lower()}")
    key_for_one = peer(other, one, f"fed-{one.name.lower()}", outgoing_key=key_for_other)
    response = one.office("patch", f"/peers/fed-{other.name.lower()}",
                          json={"outgoing_key": key_for_one})
    assert response.status_code == 200 and response.get_json()["outgoing_key_set"]


def copy_database(request, backend: str, tmp_path, name: str) -> str:
    """A fresh migrated database for one service of the module."""
    if backend == "sqlite":
        path = tmp_path / f"{name}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    database = f"peers_{name.lower()}_{int(time.time() * 1000) % 10**9}"
    cluster.create_database(database, template=template)
    return cluster.url(database)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory, ils):
    """Services A, B and C, peered and synced, on one backend."""
    tmp = tmp_path_factory.mktemp(f"peers-{request.param}")
    with ExitStack() as stack:
        services = {}
        for name in ("A", "B", "C"):
            url = copy_database(request, request.param, tmp, name)
            app = create_app(base_config(url, **LIVE_CONFIG))
            stack.callback(_dispose, app)
            services[name] = Service(name, app, stack.enter_context(served(app)))
        a, b, c = services["A"], services["B"], services["C"]
        a.fed.admit("A-DESK", prefixes=["61"], name="Alton Public Library")
        b.fed.admit("B-HOME", prefixes=["62"], name="Bloomington Public Library")
        b.fed.admit("B-OTHER", prefixes=["629"], name="Bourbonnais Public Library")
        b.fed.admit("B-DESK", prefixes=["68"], name="Belvidere Public Library")
        c.fed.admit("C-HOME", prefixes=["63"], name="Carbondale Public Library")
        pair(a, b)
        pair(a, c)
        pair(b, c)
        for service, peers in ((a, ("fed-b", "fed-c")), (b, ("fed-a", "fed-c"))):
            for code in peers:
                response = service.office("post", f"/peers/{code}/sync")
                assert response.status_code == 200, response.get_json()
        services["ils"] = ils
        yield services


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_peer_federations_card_is_verified_at_a_desk_here(world):
    """R17: a card of B's library, verified at A's desk, is answered by B (source peer)."""
    a, b = world["A"], world["B"]
    b.fed.register("B-HOME", "6200000000001", surname="Novak")
    b.fed.register("B-HOME", "6200000000002", standing="blocked", block_reasons=["fines"])
    good = a.verify("A-DESK", "6200000000001", surname="Novak")
    assert (good["decision"], good["source"], good["identity"]) == (
        "eligible", "peer", "matched")
    assert good["peer"] == {"code": "fed-b", "name": "Federation B", "source": "registry"}
    assert good["home_library"]["code"] == "B-HOME"
    assert good["home_library"]["name"] == "Bloomington Public Library"
    assert good["as_of"] is not None and good["expires_on"] == "2099-12-31"
    blocked = a.verify("A-DESK", "6200000000002")
    assert (blocked["decision"], blocked["reasons"]) == ("not_eligible", ["home_block"])
    # The longest prefix wins across the peer's libraries too (R15), and a code names one.
    assert a.verify("A-DESK", "6290000000001")["home_library"]["code"] == "B-OTHER"
    named = a.verify("A-DESK", "7700000000001", home_library="B-HOME")
    assert (named["decision"], named["reasons"], named["source"]) == (
        "refer", ["unknown_card"], "peer")

    # Both sides count the crossing (R19): A as out, by its desk; B as in, by A's desk.
    out = [r for r in a.office("get", f"/peers/traffic?year={YEAR}").get_json()["items"]
           if r["remote_library"] == "B-HOME"]
    assert len(out) == 1 and (out[0]["peer"], out[0]["direction"], out[0]["library"]) == (
        "fed-b", "out", "A-DESK")
    assert out[0]["eligible"] >= 1 and out[0]["not_eligible"] >= 1 and out[0]["refer"] >= 1
    incoming = b.office("get", f"/peers/traffic?year={YEAR}").get_json()["items"]
    mine = [r for r in incoming if r["direction"] == "in" and r["library"] == "B-HOME"]
    assert mine and mine[0]["peer"] == "fed-a" and mine[0]["remote_library"] == "A-DESK"
    assert mine[0]["eligible"] >= 1 and mine[0]["not_eligible"] >= 1
    # A member sees only its own rows.
    desk = a.client.get(f"/api/v1/peers/traffic?year={YEAR}", headers=a.fed.headers("A-DESK"))
    assert {r["library"] for r in desk.get_json()["items"]} == {"A-DESK"}


def test_three_federations_each_answer_for_their_own(world):
    """A asks C directly about C's cards; B's cards still go to B."""
    a, b, c = world["A"], world["B"], world["C"]
    c.fed.register("C-HOME", "6300000000001")
    b.fed.register("B-HOME", "6200000000011")
    from_c = a.verify("A-DESK", "6300000000001")
    assert (from_c["decision"], from_c["peer"]["code"]) == ("eligible", "fed-c")
    assert a.verify("A-DESK", "6200000000011")["peer"]["code"] == "fed-b"
    # B's desks reach C as well.
    assert b.verify("B-DESK", "6300000000001")["peer"]["code"] == "fed-c"


def test_a_forwarded_question_is_never_forwarded_again(world):
    """One hop: a stale claim that a card is B's, when B knows it is C's, ends at B."""
    a, b, c = world["A"], world["B"], world["C"]
    c.fed.register("C-HOME", "6390000000001")
    # A wrongly believes prefix 639 belongs to B's library (a directory out of date).
    a.sql("INSERT INTO peer_prefixes (prefix, peer_library_id) SELECT '639', id "
          "FROM peer_libraries WHERE code = 'B-HOME'")
    before = c.office("get", f"/peers/traffic?year={YEAR}").get_json()["items"]
    answer = a.verify("A-DESK", "6390000000001")
    assert (answer["decision"], answer["reasons"], answer["source"]) == (
        "refer", ["unknown_card"], "peer")
    assert c.office("get", f"/peers/traffic?year={YEAR}").get_json()["items"] == before
    # A loop built on purpose (A and B each claim the other holds a prefix) ends at once too.
    b.sql("INSERT INTO peer_libraries (peer_id, code, name, contact, synced_at) "
          "SELECT id, 'A-GHOST', 'Ghost', '{}', CURRENT_TIMESTAMP FROM peers "
          "WHERE code = 'fed-a'")
    b.sql("INSERT INTO peer_prefixes (prefix, peer_library_id) SELECT '6555', id "
          "FROM peer_libraries WHERE code = 'A-GHOST'")
    a.sql("INSERT INTO peer_prefixes (prefix, peer_library_id) SELECT '6555', id "
          "FROM peer_libraries WHERE code = 'B-HOME'")
    looped = a.verify("A-DESK", "6555000000001")
    assert (looped["decision"], looped["reasons"]) == ("refer", ["unknown_card"])
    # A question that says it has already crossed a federation is refused outright.
    key = peer(b, c, "fed-probe")
    try:
        refused = requests.post(f"{b.root}/api/v1/peer/verifications", timeout=10,
                                headers={"Authorization": f"Bearer {key}",
                                         "Reciprocity-Hops": "2"},
                                json={"card_number": "6200000000001",
                                      "lending_library": {"code": "C-HOME"}})
        assert refused.status_code == 422 and refused.json()["code"] == "forwarding_loop"
    finally:
        b.office("delete", "/peers/fed-probe/incoming-key")


def test_a_peer_down_slow_or_talking_nonsense_gets_a_refer_within_the_budget(world):
    """R14 across federations: when the peer cannot answer, the desk is told to call."""
    a, ils = world["A"], world["ils"]
    tight = create_app(base_config(a.app.config["DATABASE_URL"], **{
        **LIVE_CONFIG, "VERIFY_BUDGET_SECONDS": BUDGET, "CIRCUIT_FAILURES": 100}))
    desk = tight.test_client()
    try:
        for label, base in (("hang", ils.http + "/badpeer/hang"),
                            ("garbage", ils.http + "/badpeer/garbage"),
                            ("down", "http://127.0.0.1:9")):
            a.office("patch", "/peers/fed-c", json={"base_url": base})
            started = time.monotonic()
            response = desk.post("/api/v1/verifications", json={"card_number": "6300000000077"},
                                 headers=a.fed.headers("A-DESK"))
            elapsed = time.monotonic() - started
            answer = response.get_json()
            assert (answer["decision"], answer["reasons"], answer["source"]) == (
                "refer", ["peer_unavailable"], "none"), label
            assert answer["home_library"]["code"] == "C-HOME"
            assert "Carbondale Public Library" in answer["advice"]
            assert elapsed < BUDGET + MARGIN, (label, elapsed)
        circuit = a.office("get", "/peers/fed-c").get_json()["circuit"]
        assert circuit["failures"] >= 3 and circuit["last_error"]
    finally:
        a.office("patch", "/peers/fed-c", json={"base_url": world["C"].root})
        _dispose(tight)
    a.sql("UPDATE circuits SET failures = 0, opened_at = NULL WHERE name LIKE 'peer:%'")


def test_a_revoked_peer_key_stops_forwarding_at_once(world):
    """B revokes A's key mid-way: A's next question is refused, and A's desk is told to call."""
    a, b = world["A"], world["B"]
    b.fed.register("B-HOME", "6200000000021")
    assert a.verify("A-DESK", "6200000000021")["decision"] == "eligible"
    assert b.office("delete", "/peers/fed-a/incoming-key").status_code == 204
    refused = a.verify("A-DESK", "6200000000021")
    assert (refused["decision"], refused["reasons"]) == ("refer", ["peer_unavailable"])
    assert "refused this federation's key" in a.office(
        "get", "/peers/fed-b").get_json()["circuit"]["last_error"]
    # B issues a new key, A's office sets it, and forwarding works again.
    new_key = b.office("post", "/peers/fed-a/incoming-key").get_json()["incoming_key"]
    a.office("patch", "/peers/fed-b", json={"outgoing_key": new_key})
    assert a.verify("A-DESK", "6200000000021")["source"] == "peer"


def test_only_the_office_manages_peers_and_only_peer_keys_call_peer_doors(world):
    """Members cannot register peers; member keys cannot call the peer doors; nor can no key."""
    a, b = world["A"], world["B"]
    member = a.fed.headers("A-DESK")
    assert_problem(a.client.post("/api/v1/peers", json={"code": "x", "name": "X",
                                                        "base_url": b.root}, headers=member),
                   403)
    assert_problem(a.client.get("/api/v1/peers", headers=member), 403)
    assert_problem(a.client.post("/api/v1/peers", json={"code": "fed-b", "name": "B",
                                                        "base_url": b.root},
                                 headers=a.fed.headers()), 409, "peer_exists")
    assert_problem(a.client.post("/api/v1/peers", json={"code": "fed-z", "name": "Z",
                                                        "base_url": "http://example.org"},
                                 headers=a.fed.headers()), 422, "invalid_address")
    body = {"card_number": "6100000000001", "lending_library": {"code": "B-DESK"}}
    assert_problem(a.client.post("/api/v1/peer/verifications", json=body, headers=member),
                   401, "invalid_key")
    assert_problem(a.client.post("/api/v1/peer/verifications", json=body), 401)
    assert_problem(a.client.get("/api/v1/peer/libraries"), 401)
    listed = a.office("get", "/peers").get_json()["items"]
    assert {p["code"] for p in listed} >= {"fed-b", "fed-c"}
    assert all(p["incoming_key"] is None for p in listed)  # shown once, at issue


def test_the_directory_shows_peer_libraries_and_answers_may_i_borrow_it_there(world):
    """R5, R17: a peer library's published policy, marked as the peer's, and its own answer."""
    a, b = world["A"], world["B"]
    published = b.client.put("/api/v1/libraries/B-HOME/policy", json=policy(),
                             headers=b.fed.headers("B-HOME"))
    assert published.status_code in (200, 201), published.get_json()
    assert a.office("post", "/peers/fed-b/sync").get_json()["libraries"] == 3
    listed = a.client.get("/api/v1/peer-directory").get_json()["items"]
    entry = next(item for item in listed if item["code"] == "B-HOME")
    assert entry["peer"] == {"code": "fed-b", "name": "Federation B"}
    assert entry["published"] is True and entry["stale"] is False
    assert entry["reviewed_on"] == policy()["reviewed_on"]
    detail = a.client.get("/api/v1/peer-directory/B-HOME").get_json()
    assert detail["name"] == "Bloomington Public Library"
    answer = a.client.get("/api/v1/peer-directory/B-HOME/answers?format=dvd").get_json()
    assert answer["may_borrow"] is True and answer["peer"]["code"] == "fed-b"
    assert answer["items_at_a_time"] == 2 and answer["loan_days"] == 7
    assert_problem(a.client.get("/api/v1/peer-directory/NOPE"), 404)
    # A peer library's code is not one of A's own.
    assert_problem(a.client.get("/api/v1/directory/B-HOME"), 404)


def test_a_stale_registry_is_reported_across_the_peer(world):
    """R14 at the peer: B's registry is old, so B's answer, relayed by A, says refer."""
    a, b = world["A"], world["B"]
    b.fed.register("B-HOME", "6200000000031")
    b.sql("UPDATE registry_freshness SET as_of = :old", old=utcnow() - timedelta(days=30))
    try:
        answer = a.verify("A-DESK", "6200000000031")
        assert (answer["decision"], answer["reasons"], answer["source"]) == (
            "refer", ["registry_stale"], "peer")
    finally:
        b.sql("UPDATE registry_freshness SET as_of = :now", now=utcnow())


def _publish_and_sync(a, b) -> None:
    """B-HOME publishes its policy at B; A copies B's directory."""
    published = b.client.put("/api/v1/libraries/B-HOME/policy", json=policy(),
                             headers=b.fed.headers("B-HOME"))
    assert published.status_code in (200, 201), published.get_json()
    assert a.office("post", "/peers/fed-b/sync").status_code == 200


def test_the_directory_pages_list_peer_libraries_with_the_same_filters(world):
    """R5, R17: A's public directory page lists B's libraries after A's own, marked as B's,
    with B's review date and the day they were copied; the page's filters apply to them."""
    a, b = world["A"], world["B"]
    _publish_and_sync(a, b)

    def page(query: str) -> str:
        response = a.client.get(f"/directory?{query}")
        assert response.status_code == 200, query
        return response.get_data(as_text=True)

    found = page("q=Bloomington")
    assert "0 libraries found in this federation" in found
    assert "1 library found in peer federations" in found
    assert "Bloomington Public Library" in found and "Federation B (peer federation)" in found
    assert "Copied from Federation B on" in found and "Last reviewed" in found
    assert "Bloomington Public Library" not in page("q=Bloomington&federation=here")
    # Only one peer's libraries; the same filters as for A's own.
    only_b = page("federation=fed-b")
    assert "Bourbonnais Public Library" in only_b and "Carbondale" not in only_b
    assert "Alton Public Library" not in only_b
    dvd = page("federation=fed-b&lends_format=dvd")
    assert "Bloomington Public Library" in dvd and "Bourbonnais" not in dvd
    unpublished = page("federation=fed-b&status=not_published")
    assert "Bourbonnais Public Library" in unpublished and "Bloomington" not in unpublished
    assert "Bloomington" not in page("federation=fed-b&status=stale")
    assert "Bloomington Public Library" in page("federation=fed-b&status=current")
    # Pages of peer libraries follow their own cursor.
    first = page("federation=fed-b&limit=1")
    assert "Belvidere Public Library" in first and "Bloomington" not in first
    assert "Next page of peer federations" in first
    assert "Bloomington Public Library" in a.client.get(
        "/directory?federation=fed-b&limit=1&peer_cursor=" + first.split(
            "peer_cursor=")[1].split('"')[0].split("&")[0]).get_data(as_text=True)
    wrong = a.client.get("/directory?federation=fed-nope")
    assert wrong.status_code == 400
    assert "Choose a federation from the list." in wrong.get_data(as_text=True)


def test_a_peer_librarys_page_shows_its_policy_and_asks_the_peer(world):
    """R5, R17: the page of B's library on A's directory reads B's policy in plain words, says
    it is B's and when it was copied, and "may I borrow it here?" is answered by B."""
    a, b = world["A"], world["B"]
    _publish_and_sync(a, b)
    response = a.client.get("/directory/B-HOME")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Bloomington Public Library" in text and "Federation B (peer federation)" in text
    assert "as Federation B published it, copied here on" in text
    assert f'href="{b.root}/directory/B-HOME"' in text
    assert "Borrowing here with another library&#39;s card" in text
    asked = a.client.get("/directory/B-HOME?format=dvd").get_data(as_text=True)
    assert "Answered by Federation B." in asked and "In person, with your home library card" \
        in asked
    assert a.client.get("/directory/B-HOME?format=spaceship").status_code == 400
    missing = a.client.get("/directory/B-NOPE")
    assert missing.status_code == 404
    # The peer down: the page still reads; the question says it could not be asked.
    a.sql("UPDATE peers SET base_url = :url WHERE code = 'fed-b'",
          url=world["ils"].http + "/badpeer/fail")
    try:
        down = a.client.get("/directory/B-HOME?format=dvd")
        assert down.status_code == 503
        assert "could not be asked about Bloomington Public Library" in down.get_data(
            as_text=True)
    finally:
        a.sql("UPDATE peers SET base_url = :url WHERE code = 'fed-b'", url=b.root)


def test_peer_libraries_in_a_browser_are_accessible_and_fit_a_phone(world, chromium,
                                                                     axe_source):
    """The directory with peer libraries in Chromium: found by a search, opened, asked,
    axe-core clean, and nothing scrolls sideways on a 375-pixel phone."""
    a, b = world["A"], world["B"]
    _publish_and_sync(a, b)
    for width in (1280, 375):
        context = chromium.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(f"{a.root}/directory")
        page.get_by_label("Library name, city or code").fill("Bloomington")
        page.get_by_label("Federation", exact=True).select_option(
            label="Federation B (peer federation) only")
        page.get_by_role("button", name="Search").click()
        assert page.get_by_role("heading", name="1 library found in peer federations").count()
        assert axe_violations(page, axe_source) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"peer-list-{width}.png")
        page.get_by_role("link", name="Bloomington Public Library").click()
        assert page.locator("h1").inner_text() == "Bloomington Public Library"
        page.get_by_label("What would you like to borrow?").select_option("dvd")
        page.get_by_role("button", name="Ask").click()
        assert "Answered by Federation B." in page.get_by_role("status").inner_text()
        assert axe_violations(page, axe_source) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"peer-detail-{width}.png")
        context.close()


def test_a_peer_call_without_a_peer_key_is_401_before_its_body_is_read(client, federation):
    """The document requires the peer key: without one, even a malformed question is a 401
    (never a 422 that describes the body to a caller who may not ask)."""
    for body in ({}, {"card_number": ""}, {"card_number": "1", "lending_library": "x"}):
        response = client.post("/api/v1/peer/verifications", json=body)
        assert response.status_code == 401, response.get_json()
        assert response.get_json()["code"] == "invalid_key"
        assert response.headers["WWW-Authenticate"] == "Bearer"
