"""Key scopes: a verification-only key (a desk terminal, an ILS) verifies cards and nothing else;
a read-only key also reads; a full key, and every key issued before scopes existed, keeps all
of its library's rights. Enforced for every API route, whatever the method."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.problems import assert_problem

LIBRARIES = "/api/v1/libraries"


@pytest.fixture
def scoped(federation):
    """IL0001 with a key of each scope, IL0002 with a patron to verify."""
    federation.admit("IL0001", prefixes=["21"])
    federation.admit("IL0002", prefixes=["22"])
    federation.register("IL0002", "2200000001")
    keys = {}
    for scope in ("verify", "read", "full"):
        issued = federation.client.post(f"{LIBRARIES}/IL0001/keys", json={
            "label": scope, "scope": scope}, headers=federation.headers())
        assert issued.status_code == 201 and issued.get_json()["scope"] == scope
        keys[scope] = {"Authorization": f"Bearer {issued.get_json()['key']}"}
    return federation, keys


def test_every_scope_may_verify_a_card(scoped):
    federation, keys = scoped
    for scope, headers in keys.items():
        answer = federation.client.post("/api/v1/verifications",
                                        json={"card_number": "2200000001"}, headers=headers)
        assert answer.status_code == 200, scope
        assert answer.get_json()["decision"] == "eligible"


ROUTES = [
    ("get", "/api/v1/bills", None),
    ("get", "/api/v1/blocks", None),
    ("get", "/api/v1/events?after=0", None),
    ("get", f"{LIBRARIES}/IL0001", None),
    ("get", "/api/v1/traffic?year=2026", None),
    ("post", "/api/v1/patrons", {"card_number": "2100000001", "expires_on": "2099-01-01"}),
    ("post", "/api/v1/patrons/lookup", {"card_number": "2100000001"}),
    ("patch", f"{LIBRARIES}/IL0001", {"contact": {"phone": "555-0199"}}),
    ("put", f"{LIBRARIES}/IL0001/policy", {}),
    ("post", "/api/v1/webhooks/endpoints", {"url": "https://example.org/hook"}),
]


def test_a_verification_only_key_does_nothing_else(scoped):
    federation, keys = scoped
    for method, path, body in ROUTES:
        response = getattr(federation.client, method)(path, json=body, headers=keys["verify"])
        problem = assert_problem(response, 403, "key_scope")
        assert "limited to card verification only" in problem["detail"], path


def test_a_read_only_key_reads_but_changes_nothing(scoped):
    federation, keys = scoped
    for path in ("/api/v1/bills", "/api/v1/blocks", f"{LIBRARIES}/IL0001",
                 "/api/v1/events?after=0"):
        assert federation.client.get(path, headers=keys["read"]).status_code == 200, path
    created = federation.client.post("/api/v1/patrons", json={
        "card_number": "2100000001", "expires_on": "2099-01-01"}, headers=keys["read"])
    assert_problem(created, 403, "key_scope")
    assert federation.client.post("/api/v1/patrons", json={
        "card_number": "2100000001", "expires_on": "2099-01-01"},
        headers=keys["full"]).status_code == 201


def test_a_key_issued_before_scopes_keeps_full_rights(app, scoped):
    """The migration carries existing keys over as full keys (the column's server default)."""
    from flask_migrate import downgrade, upgrade

    federation, keys = scoped
    with app.app_context():
        db.session.remove()
        downgrade(revision="fede0a110006")  # before scopes: the column is gone
        upgrade()
        scopes = set(db.session.execute(text("SELECT scope FROM api_keys")).scalars())
        db.session.remove()
        db.engine.dispose()
    assert scopes == {"full"}
    created = federation.client.post("/api/v1/patrons", json={
        "card_number": "2100000002", "expires_on": "2099-01-01"}, headers=keys["verify"])
    assert created.status_code == 201


def test_an_unknown_scope_is_refused_when_issuing(scoped):
    federation, _ = scoped
    response = federation.client.post(f"{LIBRARIES}/IL0001/keys", json={"scope": "admin"},
                                      headers=federation.headers())
    body = assert_problem(response, 422, "validation_failed")
    assert "scope" in body["errors"]
