"""API keys: issued by the office, shown once, stored only as a hash, revocable; and who may
call what with them."""

import hashlib

from sqlalchemy import text

from app.extensions import db
from tests.problems import assert_problem

LIBRARIES = "/api/v1/libraries"


def issue(federation, code: str, **body):
    """Issue a key for library `code` as the office; return the response."""
    return federation.client.post(f"{LIBRARIES}/{code}/keys", json=body,
                                  headers=federation.headers())


def bearer(key: str) -> dict:
    """Authorization headers for a raw key."""
    return {"Authorization": f"Bearer {key}"}


def works(federation, key: str) -> bool:
    """True when the key is accepted for an ordinary member read."""
    return federation.client.get(LIBRARIES, headers=bearer(key)).status_code == 200


def test_an_issued_key_is_a_random_rcp_key_that_works_at_once(federation):
    federation.admit("IL0003")
    response = issue(federation, "IL0003", label="circulation desk")
    assert response.status_code == 201
    body = response.get_json()
    assert body["key"].startswith("rcp_") and len(body["key"]) >= 40
    assert body["prefix"] == body["key"][:len(body["prefix"])]
    assert body["id"] and body["id"] not in body["key"]
    assert body["label"] == "circulation desk"
    assert works(federation, body["key"])
    another = issue(federation, "IL0003").get_json()
    assert another["key"] != body["key"] and another["id"] != body["id"]


def test_a_key_is_shown_once_and_never_listed(federation):
    federation.admit("IL0003")
    issued = issue(federation, "IL0003", label="ILL office").get_json()
    listed = federation.client.get(f"{LIBRARIES}/IL0003/keys", headers=federation.headers())
    assert listed.status_code == 200
    entry = next(item for item in listed.get_json() if item["id"] == issued["id"])
    assert set(entry) == {"id", "prefix", "label", "scope", "created_at", "revoked_at"}
    assert (entry["prefix"], entry["label"], entry["revoked_at"]) == (issued["prefix"],
                                                                      "ILL office", None)
    secret = issued["key"][len(issued["prefix"]):]
    assert secret not in listed.get_data(as_text=True)
    # Nor does any other answer about the library repeat it.
    shown = federation.client.get(f"{LIBRARIES}/IL0003", headers=federation.headers())
    assert secret not in shown.get_data(as_text=True)


def test_only_the_sha256_of_a_key_is_stored(app, federation):
    """Keys are stored only as a hash: nothing in api_keys holds the key or its secret part."""
    federation.admit("IL0003")
    issued = issue(federation, "IL0003").get_json()
    key, secret = issued["key"], issued["key"][len(issued["prefix"]):]
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM api_keys")).mappings().all()
        stored = db.session.execute(text("SELECT key_hash FROM api_keys WHERE id = :id"),
                                    {"id": issued["id"]}).scalar_one()
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    for row in rows:
        for column, value in row.items():
            assert secret not in str(value), column


def test_a_revoked_key_stops_working(federation):
    federation.admit("IL0003")
    first = issue(federation, "IL0003").get_json()
    second = issue(federation, "IL0003").get_json()
    url = f"{LIBRARIES}/IL0003/keys/{first['id']}"
    revoked = federation.client.delete(url, headers=federation.headers())
    assert revoked.status_code == 204
    refused = federation.client.get(LIBRARIES, headers=bearer(first["key"]))
    assert_problem(refused, 401, "invalid_key")
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    # The library's other key carries on; the list shows when the first was revoked.
    assert works(federation, second["key"])
    listed = federation.client.get(f"{LIBRARIES}/IL0003/keys",
                                   headers=federation.headers()).get_json()
    revoked_at = {item["id"]: item["revoked_at"] for item in listed}
    assert revoked_at[first["id"]] is not None and revoked_at[second["id"]] is None
    # Revoking again changes nothing.
    assert federation.client.delete(url, headers=federation.headers()).status_code == 204
    assert not works(federation, first["key"])


def test_revoking_another_librarys_key_is_not_found(federation):
    federation.admit("IL0001")
    other_key = federation.admit("IL0002")
    other_id = federation.client.get(f"{LIBRARIES}/IL0002/keys",
                                     headers=federation.headers()).get_json()[0]["id"]
    response = federation.client.delete(f"{LIBRARIES}/IL0001/keys/{other_id}",
                                        headers=federation.headers())
    assert_problem(response, 404, "key_not_found")
    assert works(federation, other_key)
    unknown = federation.client.delete(f"{LIBRARIES}/IL0001/keys/key_nosuchkey",
                                       headers=federation.headers())
    assert_problem(unknown, 404, "key_not_found")


def test_keys_for_an_unknown_library_are_not_found(federation):
    assert_problem(issue(federation, "NOPE"), 404, "library_not_found")
    listed = federation.client.get(f"{LIBRARIES}/NOPE/keys", headers=federation.headers())
    assert_problem(listed, 404, "library_not_found")


def test_member_keys_cannot_do_the_offices_work(federation):
    """A known caller outside its rights gets 403 `forbidden_role`, and nothing happens."""
    member = federation.admit("IL0003")
    own_key_id = federation.client.get(f"{LIBRARIES}/IL0003/keys",
                                       headers=federation.headers()).get_json()[0]["id"]
    attempts = [
        ("post", LIBRARIES, {"code": "IL0009", "name": "x", "type": "public",
                             "membership": "full"}),
        ("post", f"{LIBRARIES}/IL0003/keys", {}),
        ("get", f"{LIBRARIES}/IL0003/keys", None),
        ("delete", f"{LIBRARIES}/IL0003/keys/{own_key_id}", None),
    ]
    for method, url, body in attempts:
        response = getattr(federation.client, method)(url, json=body, headers=bearer(member))
        assert_problem(response, 403, "forbidden_role")
    codes = [item["code"] for item in federation.client.get(
        LIBRARIES, headers=federation.headers()).get_json()["items"]]
    assert codes == ["IL0003"]
    keys = federation.client.get(f"{LIBRARIES}/IL0003/keys",
                                 headers=federation.headers()).get_json()
    assert [(item["id"], item["revoked_at"]) for item in keys] == [(own_key_id, None)]


def test_a_request_without_a_key_is_told_how_to_send_one(federation):
    response = federation.client.get(LIBRARIES)
    body = assert_problem(response, 401, "missing_key")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in body["detail"]


GARBLED_HEADERS = [
    "Basic aWw6cGFzcw==",
    "Bearer",
    "Bearer ",
    "Bearer not-a-key",
    "rcp_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
    "Token rcp_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
    "Bearer rcp_" + "x" * 300,
    "Bearer rcp_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",  # well-formed, never issued
]


def test_a_garbled_or_unknown_key_is_refused(federation):
    """A key that is malformed or was never issued is 401 `invalid_key`, never a 403/500."""
    for header in GARBLED_HEADERS:
        response = federation.client.get(LIBRARIES, headers={"Authorization": header})
        assert_problem(response, 401, "invalid_key")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), header
