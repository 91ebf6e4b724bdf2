"""The key cache: verified keys are remembered per process for KEY_CACHE_SECONDS, bounded in
size; a revoked key or a deactivated library (R1) stops working at once on the host that made
the change, and on every other host within the bound."""

import os
import time

import pytest
import requests
from sqlalchemy import event

from app import create_app
from app.auth import Caller, KeyCache
from app.extensions import db
from tests.conftest import Federation, base_config
from tests.hosts import AppHost
from tests.problems import assert_problem

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("hosts")

LIBRARIES = "/api/v1/libraries"


def key_lookups(app) -> list:
    """A list that fills with every statement that reads api_keys, while the app runs."""
    seen = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM api_keys" in statement:
            seen.append(statement)

    return seen


@pytest.fixture
def app_config():
    return {"KEY_CACHE_SECONDS": 300}


def test_a_verified_key_is_not_looked_up_again_within_the_bound(app, federation):
    federation.admit("IL0001")
    lookups = key_lookups(app)
    for _ in range(3):
        response = federation.client.get(LIBRARIES, headers=federation.headers("IL0001"))
        assert response.status_code == 200
    assert len(lookups) == 1


def test_an_unknown_key_is_looked_up_every_time_and_never_cached(app, federation):
    lookups = key_lookups(app)
    for _ in range(2):
        response = federation.client.get(LIBRARIES, headers={"Authorization": "Bearer rcp_x"})
        assert_problem(response, 401, "invalid_key")
    assert len(lookups) == 2


def test_revoking_a_key_stops_it_at_once_on_the_host_that_revoked_it(federation):
    federation.admit("IL0001")
    key = federation.keys["IL0001"]
    assert federation.client.get(LIBRARIES, headers=federation.headers("IL0001")).status_code \
        == 200
    key_id = federation.client.get(f"{LIBRARIES}/IL0001/keys",
                                   headers=federation.headers()).get_json()[0]["id"]
    revoked = federation.client.delete(f"{LIBRARIES}/IL0001/keys/{key_id}",
                                       headers=federation.headers())
    assert revoked.status_code == 204
    assert_problem(federation.client.get(LIBRARIES, headers={"Authorization": f"Bearer {key}"}),
                   401, "invalid_key")


def test_deactivating_a_library_stops_its_cached_keys_at_once_here(federation):
    """R1: the cached caller of a library the office deactivates is forgotten on commit."""
    federation.admit("IL0001")
    assert federation.client.get(LIBRARIES, headers=federation.headers("IL0001")).status_code \
        == 200
    federation.client.patch(f"{LIBRARIES}/IL0001", json={"active": False},
                            headers=federation.headers())
    assert_problem(federation.client.get(LIBRARIES, headers=federation.headers("IL0001")),
                   401, "library_inactive")


@pytest.mark.parametrize("app_config", [{"KEY_CACHE_SECONDS": 0}])
def test_with_the_cache_off_every_request_looks_its_key_up(app, federation):
    federation.admit("IL0001")
    lookups = key_lookups(app)
    for _ in range(3):
        assert federation.client.get(LIBRARIES, headers=federation.headers("IL0001")) \
            .status_code == 200
    assert len(lookups) == 3


def test_the_cache_holds_at_most_its_size_dropping_the_oldest_first():
    cache = KeyCache(seconds=60, size=3)
    for n in range(5):
        cache.put(f"digest{n}", Caller(key_id=f"key{n}", role="member"), cache.ticket())
    assert len(cache) == 3
    assert cache.get("digest0") is None and cache.get("digest1") is None
    assert cache.get("digest4").key_id == "key4"


def test_an_entry_expires_counting_from_before_its_look_up():
    cache = KeyCache(seconds=0.001, size=3)
    ticket = cache.ticket()
    time.sleep(0.002)  # the look-up took longer than the bound: the entry is born expired
    cache.put("digest", Caller(key_id="key", role="member"), ticket)
    assert cache.get("digest") is None


def test_a_look_up_that_raced_a_committed_change_is_not_cached():
    cache = KeyCache(seconds=60, size=3)
    ticket = cache.ticket()
    cache.clear()  # a revocation committed while the look-up was running
    cache.put("digest", Caller(key_id="key", role="member"), ticket)
    assert cache.get("digest") is None


# Two hosts: two gunicorn processes on two ports, one PostgreSQL.

BOUND = 1.0  # KEY_CACHE_SECONDS on both hosts: short, so the test is quick


@pytest.fixture(scope="module")
def hosts(pg_cluster, pg_template):
    """Host A and host B over one PostgreSQL database, and the office's Federation helper."""
    name = f"hosts_{os.getpid()}"
    url = pg_cluster.create_database(name, template=pg_template)
    office_app = create_app(base_config(url))
    federation = Federation(office_app, office_app.test_client())
    settings = {"DATABASE_URL": url, "HMAC_KEY": "test-hmac-key-not-secret",
                "SECRET_KEY": "test", "KEY_CACHE_SECONDS": BOUND, "VERIFY_RATE_LIMIT": 0}
    started = []
    try:
        for _ in range(2):
            started.append(AppHost(settings).start())
        yield federation, started[0], started[1]
    finally:
        for host in started:
            host.close()
        with office_app.app_context():
            db.engine.dispose()
        pg_cluster.drop_database(name)


def served_until_refused(root: str, key: str, filled_at: float) -> requests.Response:
    """Ask host `root` with `key` until it refuses; every 200 must be a request sent before the
    cached entry (filled by a response received at `filled_at`) expired. Returns the refusal."""
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(10_000):
        sent = time.monotonic()
        response = requests.get(f"{root}{LIBRARIES}", headers=headers, timeout=30)
        if response.status_code == 401:
            return response
        assert response.status_code == 200
        assert sent < filled_at + BOUND, "a key was still served past KEY_CACHE_SECONDS"
        time.sleep(0.05)
    raise AssertionError("the host never refused the key")


def test_a_key_revoked_on_one_host_stops_on_the_other_within_the_bound(hosts):
    federation, host_a, host_b = hosts
    key = federation.admit("IL0101")
    headers = {"Authorization": f"Bearer {key}"}
    assert requests.get(f"{host_a.root}{LIBRARIES}", headers=headers).status_code == 200
    assert requests.get(f"{host_b.root}{LIBRARIES}", headers=headers).status_code == 200
    filled_at = time.monotonic()  # host B's entry expires before filled_at + BOUND
    key_id = requests.get(f"{host_a.root}{LIBRARIES}/IL0101/keys",
                          headers=federation.headers()).json()[0]["id"]
    revoked = requests.delete(f"{host_a.root}{LIBRARIES}/IL0101/keys/{key_id}",
                              headers=federation.headers())
    assert revoked.status_code == 204
    refused = requests.get(f"{host_a.root}{LIBRARIES}", headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_key")
    refused = served_until_refused(host_b.root, key, filled_at)
    assert refused.json()["code"] == "invalid_key"
    assert requests.get(f"{host_b.root}{LIBRARIES}", headers=headers).status_code == 401


def test_a_library_deactivated_on_one_host_is_refused_on_the_other_within_the_bound(hosts):
    """R1 across hosts: the office deactivates a library on host A; host B follows."""
    federation, host_a, host_b = hosts
    key = federation.admit("IL0102")
    headers = {"Authorization": f"Bearer {key}"}
    assert requests.get(f"{host_b.root}{LIBRARIES}", headers=headers).status_code == 200
    filled_at = time.monotonic()
    changed = requests.patch(f"{host_a.root}{LIBRARIES}/IL0102", json={"active": False},
                             headers=federation.headers())
    assert changed.status_code == 200
    refused = served_until_refused(host_b.root, key, filled_at)
    assert refused.json()["code"] == "library_inactive"
