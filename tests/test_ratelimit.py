"""Rate limits per key and route family, shared across processes through a real Redis.

Limits here are per hour so that no test depends on how fast the machine runs: a window of
a minute could slide during a slow run and let one more request through.
"""

import logging
import sys
import uuid

import pytest
import requests

from app import create_app
from app.extensions import db
from app.ratelimit import limit_value, route_family
from tests.conftest import IN_CI, base_config
from tests.problems import assert_problem
from tests.redis_server import RedisServer, RedisUnavailable
from tests.serving import served

HOME, LEND, OTHER = "IL0001", "IL0002", "IL0003"
LIMIT = 5


@pytest.fixture(scope="module")
def redis_server():
    """One Redis for the module (each test keeps to its own key prefix)."""
    try:
        server = RedisServer().start()
    except RedisUnavailable as error:
        if IN_CI:
            pytest.fail(f"Redis is required in CI and could not start: {error}")
        print(f"Redis tests skipped: {error}", file=sys.stderr)
        pytest.skip(f"Redis tests skipped: {error}")
    yield server
    server.stop()


def limits(storage: str = "memory://", **extra) -> dict:
    """Settings with every family limited to LIMIT an hour, in `storage`."""
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            **dict.fromkeys(("VERIFY_RATE_LIMIT", "CARD_RATE_LIMIT", "IMPORT_RATE_LIMIT",
                             "WRITE_RATE_LIMIT", "READ_RATE_LIMIT", "PUBLIC_RATE_LIMIT"),
                            f"{LIMIT}/hour"),
            **extra}


@pytest.fixture
def app_config(request):
    """Memory storage unless the test asks for the module's Redis (`redis` in its name)."""
    if "redis" in request.node.name or "two_" in request.node.name:
        return limits(request.getfixturevalue("redis_server").url)
    return limits()


@pytest.fixture
def members(app, federation):
    """HOME (cards 20001...), LEND and OTHER, each with a key (admitted without limits)."""
    limiter = app.extensions["reciprocity.limiter"]
    limiter.enabled = False
    for code, prefix in ((HOME, "20001"), (LEND, "20002"), (OTHER, "20003")):
        federation.admit(code, prefixes=[prefix])
    limiter.enabled = True
    return federation


def card(n: int) -> str:
    """The n-th card number of HOME's range."""
    return f"20001{n:08}"


def card_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route a key uses with a card number: verify and `cards`."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if route_family(rule.endpoint, method, True) in ("verify", "cards"):
                    path = rule.rule
                    for argument in rule.arguments:
                        path = path.replace(f"<{argument}>", "pat_unknown")
                    found.append((method, path))
    return found


# --- One process ------------------------------------------------------------------------------

def test_a_key_past_its_limit_gets_429_with_retry_after_and_the_draft_fields(members):
    """The sixth verification in the hour: a problem with Retry-After; each answer says what
    is left (RateLimit, RateLimit-Policy); another library's key is not affected."""
    answers = [members.verify(LEND, card(n)) for n in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    assert answers[0].headers["RateLimit-Policy"] == f'"verify";q={LIMIT};w=3600'
    assert answers[0].headers["RateLimit"].startswith(f'"verify";r={LIMIT - 1};t=')
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    refused = assert_problem(answers[-1], 429, "rate_limited")
    assert "verifications" in refused["detail"] and refused["family"] == "verify"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 3601
    assert members.verify(OTHER, card(1)).status_code == 200


def test_the_same_key_written_differently_is_still_one_key(members):
    """"bearer  KEY " authenticates as "Bearer KEY": it must not start a fresh count."""
    key = members.keys[LEND]
    spellings = [f"Bearer {key}", f"bearer  {key} ", f"BEARER {key}\t", f"Bearer   {key}",
                 f"bearer {key}", f"Bearer {key} "]
    answers = [members.client.post("/api/v1/verifications", json={"card_number": card(n)},
                                   headers={"Authorization": spelling})
               for n, spelling in enumerate(spellings)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429]


def test_each_family_has_its_own_limit(members):
    """Spent verifications leave reads, writes and other card routes untouched, and each of
    those runs out on its own; health checks are never limited."""
    client, lend = members.client, members.headers(LEND)
    for n in range(LIMIT):
        members.verify(LEND, card(n))
    assert members.verify(LEND, card(9)).status_code == 429
    reads = [client.get("/api/v1/events", headers=lend).status_code for _ in range(LIMIT + 1)]
    assert reads == [200] * LIMIT + [429]
    lookups = [client.post("/api/v1/patrons/lookup", json={"card_number": card(n)},
                           headers=lend).status_code for n in range(LIMIT + 1)]
    assert lookups == [404] * LIMIT + [429]
    assert client.get("/api/v1/directory").headers["RateLimit-Policy"].startswith('"public"')
    assert all(client.get("/healthz").status_code == 200 for _ in range(LIMIT * 3))
    assert "RateLimit" not in client.get("/healthz").headers


def test_every_route_that_takes_a_card_number_is_limited_like_verification(app, members):
    """Blocks, bills and the patron registry take card numbers: one `cards` family per key
    (R16), found from the routes' schemas, so a new such route is limited too."""
    routes = card_routes(app)
    assert ("POST", "/api/v1/verifications") in routes
    for expected in ("/api/v1/blocks", "/api/v1/bills", "/api/v1/patrons",
                     "/api/v1/patrons/lookup", "/api/v1/patrons/pat_unknown/replace-card"):
        assert ("POST", expected) in routes


# --- Several processes, one Redis ---------------------------------------------------------------

@pytest.fixture
def two_servers(app, database_url, app_config):
    """The test's app and a second app on the same database and Redis, each on its own port."""
    second = create_app(base_config(database_url, **app_config))
    with served(app) as first_root, served(second) as second_root:
        yield first_root, second_root
    with second.app_context():
        db.engine.dispose()


def test_two_app_servers_share_one_keys_limit_through_redis(members, two_servers):
    """Alternating between two servers on two ports, a key still gets LIMIT verifications,
    then 429 from both; the remaining count runs down across them."""
    headers = members.headers(LEND)
    answers = [requests.post(f"{two_servers[n % 2]}/api/v1/verifications",
                             json={"card_number": card(n)}, headers=headers, timeout=30)
               for n in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers[:LIMIT]] == [
        str(LIMIT - 1 - n) for n in range(LIMIT)]


def test_two_servers_bound_the_cards_a_key_can_probe_to_the_configured_limit(app, members,
                                                                             two_servers):
    """The enumeration bound (R16): through every route that takes a card number, spread
    over two servers, a key gets exactly LIMIT answers per family; the rest are 429."""
    headers = members.headers(LEND)
    probed = {}
    for method, path in card_routes(app):
        answered = 0
        for n in range(LIMIT + 3):
            body = {"card_number": card(n), "new_card_number": card(n + 100),
                    "home_library": HOME, "kind": "block", "bill_ids": ["bil_unknown"]}
            response = requests.request(method, f"{two_servers[n % 2]}{path}", json=body,
                                        headers=headers, timeout=30)
            assert response.status_code != 500, response.text
            answered += response.status_code != 429
        probed[(method, path)] = answered
    # Families, not routes, are counted: all `cards` routes share one budget.
    verify = probed.pop(("POST", "/api/v1/verifications"))
    assert verify == LIMIT
    assert sum(probed.values()) == LIMIT, probed


# --- Redis down ---------------------------------------------------------------------------------

@pytest.fixture
def own_redis():
    """A Redis of the test's own, which the test stops."""
    try:
        server = RedisServer().start()
    except RedisUnavailable as error:
        if IN_CI:
            pytest.fail(f"Redis is required in CI and could not start: {error}")
        pytest.skip(f"Redis tests skipped: {error}")
    yield server
    server.stop()


def test_with_redis_down_fail_open_serves_and_logs_a_warning(database_url, own_redis, caplog):
    """RATELIMIT_FAIL_OPEN (the default): requests are served unlimited, and each says so in
    the log at WARNING, until Redis is back."""
    app = create_app(base_config(database_url, **limits(own_redis.url)))
    client = app.test_client()
    assert client.get("/api/v1/directory").headers["RateLimit-Remaining"] == str(LIMIT - 1)
    own_redis.stop()
    with caplog.at_level(logging.WARNING):
        answers = [client.get("/api/v1/directory") for _ in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [200] * (LIMIT + 2)
    warnings = [r for r in caplog.records if "serving without rate limits" in r.getMessage()]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    with app.app_context():
        db.engine.dispose()


def test_with_redis_down_fail_closed_refuses_with_503(database_url, own_redis, caplog):
    """RATELIMIT_FAIL_OPEN = False: every limited request is a 503 problem with Retry-After
    while Redis is down; health checks still answer (a load balancer must see the host)."""
    app = create_app(base_config(database_url, **limits(own_redis.url,
                                                        RATELIMIT_FAIL_OPEN=False)))
    client = app.test_client()
    assert client.get("/api/v1/directory").status_code == 200
    own_redis.stop()
    refused = client.get("/api/v1/directory")
    assert_problem(refused, 503, "rate_limit_unavailable")
    assert refused.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200
    assert any("fail closed" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db.engine.dispose()



def test_a_limit_setting_is_per_minute_as_an_int_or_in_the_limits_notation(tmp_path):
    """120 is 120 a minute, "20/hour" as written, 0 turns a family off; a malformed setting
    stops the app at start-up rather than on a request."""
    assert limit_value(120) == "120/minute" and limit_value("120") == "120/minute"
    assert limit_value("20/hour") == "20/hour"
    assert limit_value(0) is None and limit_value(None) is None
    with pytest.raises(ValueError):
        create_app(base_config(f"sqlite:///{tmp_path}/x.db", RATELIMIT_ENABLED=True,
                               READ_RATE_LIMIT="lots"))
