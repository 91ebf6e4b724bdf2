"""Test fixtures: every app test runs on SQLite and on a real PostgreSQL the session starts.

Each backend gets a template database migrated once per session (so migrations run for real);
each test gets a fresh copy of it: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on
PostgreSQL. With CI=true a test that needs PostgreSQL fails loudly when it cannot have it;
elsewhere it is skipped with the reason.
"""

import itertools
import os
import shutil
import sys

import pytest
from hypothesis import settings

from app import create_app
from app.extensions import db
from tests.pg_cluster import PostgresCluster, PostgresUnavailable
from tests.serving import served

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Fixtures shared across packages: one browser, and one loaded demo per backend, per session.
pytest_plugins = ["tests.browser", "tests.demo_template"]

# Property tests: randomized on a developer's machine, where they may find a new bug; in CI
# derandomized and without the example database, so a run is the same every time and a
# property test can never turn CI red by chance. No per-example deadline in either: time
# limits make property tests depend on the machine's load. HYPOTHESIS_PROFILE overrides.
settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True,
                          database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev"))
HMAC_KEY = "test-hmac-key-not-secret"
BACKENDS = ["sqlite", "postgresql"]


def base_config(url: str, **extra) -> dict:
    """The config every test app starts from."""
    return {"TESTING": True, "DATABASE_URL": url, "HMAC_KEY": HMAC_KEY,
            "SECRET_KEY": "test", "VERIFY_RATE_LIMIT": 0, "RATELIMIT_ENABLED": False,
            "TRAFFIC_FLUSH_SECONDS": 0, **extra}


def migrate_to_head(url: str) -> None:
    """Apply the real migrations to the database at `url`."""
    from flask_migrate import upgrade

    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole session, or a skip (a failure in CI)."""
    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and could not start: {error}")
        message = f"PostgreSQL tests skipped: {error}"
        print(message, file=sys.stderr)
        pytest.skip(message)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_replica(pg_cluster):
    """A streaming replica of the session's cluster (pg_basebackup), for the tests that ask."""
    try:
        replica = pg_cluster.start_replica()
    except PostgresUnavailable as error:
        if IN_CI:
            pytest.fail(f"A PostgreSQL replica is required in CI and could not start: {error}")
        message = f"Replica tests skipped: {error}"
        print(message, file=sys.stderr)
        pytest.skip(message)
    yield replica
    replica.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster):
    """A PostgreSQL database migrated to head, to copy for each test."""
    pg_cluster.create_database("template_reciprocity")
    migrate_to_head(pg_cluster.url("template_reciprocity"))
    return "template_reciprocity"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated to head, to copy for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate_to_head(f"sqlite:///{path}")
    return path


_counter = itertools.count()


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, migrated database for one test, on the backend the test is parametrized with."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_template")
    name = f"test_{os.getpid()}_{next(_counter)}"
    cluster.create_database(name, template=template)
    yield cluster.url(name)
    cluster.drop_database(name)


def pytest_generate_tests(metafunc):
    """Run every test that uses the database on both backends (a `postgres_only` mark: PG)."""
    if "database_url" in metafunc.fixturenames:
        backends = BACKENDS
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = ["postgresql"]
        metafunc.parametrize("database_url", backends, indirect=True)


@pytest.fixture
def app_config():
    """Per-test config overrides (override this fixture in a module to change settings)."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    """The app on a fresh database."""
    application = create_app(base_config(database_url, **app_config))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free loopback port (threaded, like production)."""
    with served(app) as root:
        yield f"{root}/api/v1"


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


class Federation:
    """Builds a federation through the real API, the way the federation office would."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.keys: dict[str, str] = {}
        with app.app_context():
            from app.libraries.service import issue_admin_key

            _, self.admin_key = issue_admin_key("tests")

    def headers(self, code: str | None = None) -> dict:
        """Authorization headers for a library's key, or the office's with no code."""
        key = self.keys[code] if code else self.admin_key
        return {"Authorization": f"Bearer {key}"}

    def admit(self, code: str, *, prefixes=(), type="public", membership="full",
              name=None, **fields) -> str:
        """Admit a library and issue it a key; return the key."""
        body = {"code": code, "name": name or f"Library {code}", "type": type,
                "membership": membership, "card_prefixes": list(prefixes),
                "contact": {"email": f"{code.lower()}@example.org", "phone": "555-0100"},
                **fields}
        response = self.client.post("/api/v1/libraries", json=body, headers=self.headers())
        assert response.status_code == 201, response.get_json()
        issued = self.client.post(f"/api/v1/libraries/{code}/keys", json={},
                                  headers=self.headers())
        assert issued.status_code == 201, issued.get_json()
        self.keys[code] = issued.get_json()["key"]
        return self.keys[code]

    def register(self, code: str, card: str, **fields) -> dict:
        """Register (upsert) a patron of library `code`; return the answer's body."""
        body = {"card_number": card, "expires_on": "2099-12-31", **fields}
        response = self.client.post("/api/v1/patrons", json=body, headers=self.headers(code))
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    def verify(self, code: str, card: str, **fields):
        """Verify a card as library `code`; return the response."""
        return self.client.post("/api/v1/verifications", json={"card_number": card, **fields},
                                headers=self.headers(code))


@pytest.fixture
def federation(app, client):
    """An empty federation with a federation-office key."""
    return Federation(app, client)
