"""Every error is RFC 9457 problem details (`application/problem+json`) with a stable `code`,
never a 500 for anything a caller sent, and a request that fails changes nothing."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import create_app
from app.extensions import db
from tests.directory.conftest import policy
from tests.problems import assert_problem

LIBRARIES = "/api/v1/libraries"


def library_codes(federation) -> list[str]:
    """Every library code, as the office lists them."""
    response = federation.client.get(f"{LIBRARIES}?limit=500", headers=federation.headers())
    return [item["code"] for item in response.get_json()["items"]]


@pytest.fixture
def routing_client(tmp_path):
    """A client for errors the router answers before any database work (one backend is enough)."""
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                              "HMAC_KEY": "test", "SECRET_KEY": "test"})
    yield application.test_client()
    with application.app_context():
        db.engine.dispose()


# --- The plain HTTP errors -------------------------------------------------------------------

def test_an_unknown_path_is_a_404_problem(routing_client):
    for path in ("/nowhere", "/api/v1/nothing-here", "/api/v1/libraries/IL0001/shelves"):
        assert_problem(routing_client.get(path), 404, "not_found")
    # Also when the unknown path is sent a body that is not JSON.
    response = routing_client.post("/api/v2/libraries", data=b"{",
                                   content_type="application/json")
    assert_problem(response, 404, "not_found")


def test_a_wrong_method_is_a_405_problem_that_says_what_is_allowed(routing_client):
    for method, path, allowed in [("delete", LIBRARIES, {"GET", "POST"}),
                                  ("put", f"{LIBRARIES}/IL0001", {"GET", "PATCH"}),
                                  ("get", "/api/v1/verifications", {"POST"})]:
        response = getattr(routing_client, method)(path)
        assert_problem(response, 405, "method_not_allowed")
        listed = {name.strip() for name in response.headers["Allow"].split(",")}
        assert allowed <= listed, (path, listed)


def test_an_oversized_body_is_a_413_and_admits_nothing(federation):
    """Bodies over 1 MiB are refused on JSON endpoints before they are parsed."""
    body = {"code": "IL0009", "name": "x" * (1024 * 1024), "type": "public",
            "membership": "full"}
    response = federation.client.post(LIBRARIES, json=body, headers=federation.headers())
    assert_problem(response, 413, "payload_too_large")
    assert library_codes(federation) == []


def test_an_oversized_chunked_body_is_a_413_not_a_malformed_400(federation):
    """A body without Content-Length (Transfer-Encoding: chunked) is cut at the limit by the
    server: the answer says it was too large, not that the JSON was broken."""
    body = json.dumps({"code": "IL0009", "name": "x" * (20 * 1024 * 1024), "type": "public",
                       "membership": "full"}).encode()
    response = federation.client.post(
        LIBRARIES, input_stream=io.BytesIO(body), environ_overrides={"wsgi.input_terminated": True},
        headers={**federation.headers(), "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"})
    assert_problem(response, 413, "payload_too_large")
    assert library_codes(federation) == []


@pytest.mark.parametrize("content_type, raw", [
    ("text/plain", b'{"code": "IL0009", "name": "x", "type": "public", "membership": "full"}'),
    ("application/x-www-form-urlencoded", b"code=IL0009&name=x&type=public&membership=full"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; "
                                         b'name="code"\r\n\r\nIL0009\r\n--b--\r\n'),
    (None, b'{"code": "IL0009"}'),
])
def test_a_body_that_is_not_json_is_a_415_naming_what_the_route_reads(federation, content_type,
                                                                      raw):
    """Not a 422 blaming fields the caller did send, only in the wrong form."""
    headers = federation.headers()
    if content_type:
        headers["Content-Type"] = content_type
    response = federation.client.post(LIBRARIES, data=raw, headers=headers)
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert response.headers["Accept-Post"] == "application/json"
    assert library_codes(federation) == []


def test_a_json_body_with_a_charset_or_a_json_suffix_type_is_read(federation):
    """application/json; charset=utf-8 and application/merge-patch+json are JSON."""
    response = federation.client.post(
        LIBRARIES, data=json.dumps({"code": "IL0009", "name": "Nine", "type": "public",
                                    "membership": "full"}),
        headers={**federation.headers(), "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201, response.get_json()
    response = federation.client.patch(
        f"{LIBRARIES}/IL0009", data=json.dumps({"name": "Nine Again"}),
        headers={**federation.headers(), "Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.get_json()


def test_malformed_json_is_a_400(federation):
    for raw in (b'{"code": ', b"{'code': 'IL0009'}", b"\xff\xfe{}", b"[1, 2,]"):
        response = federation.client.post(LIBRARIES, data=raw, content_type="application/json",
                                          headers=federation.headers())
        assert_problem(response, 400, "malformed_body")
    assert library_codes(federation) == []


def test_json_the_service_cannot_hold_is_a_400_not_a_500(federation):
    """Valid JSON that fails later (deep nesting, giant numbers, NUL, lone surrogates) is
    refused up front as malformed, on every backend."""
    valid = '"code": "IL0009", "type": "academic", "membership": "full"'
    bodies = [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's recursion limit
        ('{"name": 1%s, %s}' % ("0" * 5000, valid)).encode(),  # int longer than 4300 digits
        ('{"name": "Nul\\u0000Library", %s}' % valid).encode(),  # PostgreSQL cannot store NUL
        ('{"name": "\\ud800", %s}' % valid).encode(),  # an unpaired surrogate is not UTF-8
        ('{"\\udfff": 1, "name": "x", %s}' % valid).encode(),
    ]
    for raw in bodies:
        response = federation.client.post(LIBRARIES, data=raw, content_type="application/json",
                                          headers=federation.headers())
        assert_problem(response, 400, "malformed_body")
    assert library_codes(federation) == []
    # A surrogate *pair* is an ordinary character (here U+1F4DA, a stack of books).
    accepted = federation.client.post(
        LIBRARIES, data=('{"name": "Books \\ud83d\\udcda", %s}' % valid).encode(),
        content_type="application/json", headers=federation.headers())
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["name"] == "Books \U0001F4DA"


def test_a_nul_in_the_path_or_query_is_refused_not_a_500(federation):
    """PostgreSQL cannot compare text with a NUL in it: refuse it before the database does."""
    federation.admit("IL0001")
    headers = federation.headers()
    assert_problem(federation.client.get(f"{LIBRARIES}/IL%000001", headers=headers), 404)
    assert_problem(federation.client.delete(f"{LIBRARIES}/IL0001/keys/key%00",
                                            headers=headers), 404)
    assert_problem(federation.client.get(f"{LIBRARIES}?system=a%00b", headers=headers), 400)


def test_a_validation_failure_is_a_422_naming_each_field(federation):
    body = {"code": "lower", "name": "", "type": "museum", "membership": "full",
            "contact": {"email": "nope"}, "colour": "blue"}
    response = federation.client.post(LIBRARIES, json=body, headers=federation.headers())
    problem = assert_problem(response, 422, "validation_failed")
    assert set(problem["errors"]) == {"code", "name", "type", "contact.email", "colour"}
    assert all(isinstance(message, str) and message for message in problem["errors"].values())
    for field in problem["errors"]:
        assert field in problem["detail"]


def test_auth_and_state_errors_are_problems_too(federation):
    """401 no/bad key, 403 outside one's rights, 404 unknown object, 409 state conflict."""
    federation.admit("IL0001", prefixes=["20001"])
    member = federation.headers("IL0001")
    unauthorized = assert_problem(federation.client.get(LIBRARIES), 401, "missing_key")
    assert unauthorized["type"] == "/problems/missing_key"
    assert_problem(federation.client.get(LIBRARIES, headers={"Authorization": "Bearer x"}),
                   401, "invalid_key")
    assert_problem(federation.client.post(f"{LIBRARIES}/IL0001/keys", json={}, headers=member),
                   403, "forbidden_role")
    assert_problem(federation.client.get(f"{LIBRARIES}/IL0404", headers=member), 404,
                   "library_not_found")
    duplicate = {"code": "IL0001", "name": "Again", "type": "public", "membership": "full"}
    assert_problem(federation.client.post(LIBRARIES, json=duplicate,
                                          headers=federation.headers()),
                   409, "library_exists")


def test_a_failed_admit_leaves_the_federation_as_it_was(app, federation):
    """Refusals at every stage (validation, R1, prefix conflict, duplicate) change nothing."""
    federation.admit("IL0001", prefixes=["20001"])
    before = snapshot(app)
    refusals = [
        ({"code": "IL0002", "name": "x", "type": "public", "membership": "full",
          "card_prefixes": ["20002", "bad"]}, 422),
        ({"code": "IL0002", "name": "x", "type": "public", "membership": "full",
          "reciprocal_borrowing": False, "card_prefixes": ["20002"]}, 422),
        ({"code": "IL0002", "name": "x", "type": "public", "membership": "full",
          "card_prefixes": ["20002", "20001"]}, 409),
        ({"code": "IL0001", "name": "x", "type": "public", "membership": "full",
          "card_prefixes": ["20009"]}, 409),
    ]
    for body, status in refusals:
        response = federation.client.post(LIBRARIES, json=body, headers=federation.headers())
        assert_problem(response, status)
        assert snapshot(app) == before, body
    assert library_codes(federation) == ["IL0001"]


# --- Fuzz: arbitrary bodies to every POST/PATCH endpoint ------------------------------------

def snapshot(app) -> dict:
    """Every row of every table, to compare before and after a request."""
    with app.app_context():
        return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
                for table in db.metadata.sorted_tables}


# Field names from the contract, so that generated objects reach past "unknown field".
FIELD_NAMES = ["code", "name", "type", "membership", "reciprocal_borrowing", "card_prefixes",
               "contact", "email", "phone", "address", "zip", "system", "active", "label",
               "card_number", "new_card_number", "expires_on", "standing", "block_reasons",
               "category", "surname", "external_ref", "home_library"]
PLAUSIBLE = ["IL0001", "IL0002", "public", "academic", "full", "good", "blocked", "adult",
             "2099-12-31", "2000-02-30", "20001", "2000100001234", "a@example.org", ""]
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=20) | st.sampled_from(PLAUSIBLE))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8),
                                     inner, max_size=6)),
    max_leaves=16)
BODIES = st.one_of(JSON_VALUES.map(lambda value: json.dumps(value).encode()),
                   st.binary(max_size=300),
                   st.text(max_size=300).map(lambda text: text.encode("utf-8")))
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=latin-1",
                                 "application/problem+json", "text/plain", "text/csv",
                                 "application/x-ndjson", "application/x-www-form-urlencoded",
                                 "multipart/form-data", "application/octet-stream", ""])
PATH_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# A valid body per endpoint: the fuzz also sends these with one field changed, removed or added,
# so that it gets past validation into the rules (R1, prefixes, upserts) as well.
VALID_BODIES = {
    ("POST", "/api/v1/libraries"): {
        "code": "IL0100", "name": "New Library", "type": "public", "membership": "full",
        "card_prefixes": ["20100"], "contact": {"email": "new@example.org", "phone": "555"},
        "address": {"zip": "60101", "county": "DuPage"}, "system": "RAILS"},
    ("PATCH", "/api/v1/libraries/<code>"): {
        "contact": {"email": "ill@example.org"}, "card_prefixes": ["20001", "20101"]},
    ("POST", "/api/v1/libraries/<code>/keys"): {"label": "desk"},
    ("POST", "/api/v1/patrons"): {
        "card_number": "2000100005678", "expires_on": "2099-12-31", "standing": "good",
        "category": "adult", "surname": "Garcia", "external_ref": "P-1"},
    ("PATCH", "/api/v1/patrons/<patron_id>"): {"standing": "blocked",
                                               "block_reasons": ["fines"]},
    ("POST", "/api/v1/patrons/lookup"): {"card_number": "2000100001234"},
    ("POST", "/api/v1/patrons/<patron_id>/replace-card"): {"new_card_number": "2000100009999"},
    ("POST", "/api/v1/verifications"): {"card_number": "2000100001234",
                                        "home_library": "IL0001", "surname": "Garcia"},
    ("POST", "/api/v1/bills"): {
        "card_number": "2000100001234", "home_library": "IL0001",
        "infraction_date": (date.today() - timedelta(days=5)).isoformat(),
        "items": [{"title": "Dune", "barcode": "31000001", "format": "book", "kind": "lost",
                   "in_print": True, "list_price_cents": 1000}]},
    ("POST", "/api/v1/bills/<bill_id>/payments"): {"amount_cents": 100, "paid_by": "patron"},
    ("POST", "/api/v1/blocks"): {"card_number": "2000100001234", "home_library": "IL0001",
                                 "kind": "block", "bill_ids": ["bil_00000000000000000000"]},
    ("PUT", "/api/v1/libraries/<code>/policy"): policy(),
    # An address literal: registering checks the host's addresses and makes no connection.
    ("POST", "/api/v1/webhooks/endpoints"): {"url": "https://93.184.216.34/reciprocity"},
}
_REMOVE = object()


def near_valid(method: str, rule: str):
    """The endpoint's valid body with one field replaced, removed or added (or as is)."""
    valid = VALID_BODIES.get((method, rule))
    if valid is None:
        return BODIES

    def mutate(field, value):
        body = dict(valid)
        if value is _REMOVE:
            body.pop(field, None)
        elif field is not None:
            body[field] = value
        return json.dumps(body).encode()

    return st.builds(mutate, st.sampled_from([None, *valid, *FIELD_NAMES]),
                     st.just(_REMOVE) | JSON_VALUES)


# Protocol doors answer errors in their protocol's own form (NCIP Problems in XML), and the
# staff console answers people with HTML pages (its forms' errors sit next to the field);
# their bad input is tested in tests/ncip and tests/console.
PROTOCOL_DOORS = {"/ncip"}
PAGES_FOR_PEOPLE = "/console/"


def writing_endpoints(app) -> list[tuple[str, str]]:
    """(method, rule) for every POST, PUT and PATCH route of the JSON API."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  for method in rule.methods & {"POST", "PUT", "PATCH"}
                  if rule.rule not in PROTOCOL_DOORS
                  and not rule.rule.startswith(PAGES_FOR_PEOPLE))


@pytest.fixture
def populated(app, federation):
    """Two libraries with keys, a patron: real ids for path parameters, and fake ones."""
    federation.admit("IL0001", prefixes=["20001"])
    federation.admit("IL0002", prefixes=["20002"])
    patron = federation.register("IL0001", "2000100001234")
    keys = federation.client.get(f"{LIBRARIES}/IL0001/keys",
                                 headers=federation.headers()).get_json()
    bill = federation.client.post("/api/v1/bills", headers=federation.headers("IL0002"),
                                  json=VALID_BODIES[("POST", "/api/v1/bills")])
    assert bill.status_code == 201, bill.get_json()
    ids = {"code": ["IL0001", "IL0002", "ZZ9999"],
           "key_id": [keys[0]["id"], "key_00000000000000000000"],
           "patron_id": [patron["id"], "pat_00000000000000000000"],
           "bill_id": [bill.get_json()["id"], "bil_00000000000000000000"]}
    return federation, ids


def test_the_fuzz_reaches_every_writing_endpoint(app):
    """Guard for the fuzz below: it really has the contract's write endpoints to pick from."""
    endpoints = writing_endpoints(app)
    for expected in [("POST", "/api/v1/libraries"), ("PATCH", "/api/v1/libraries/<code>"),
                     ("POST", "/api/v1/libraries/<code>/keys"),
                     ("POST", "/api/v1/patrons"), ("POST", "/api/v1/verifications")]:
        assert expected in endpoints


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_body_makes_any_writing_endpoint_fail_badly(app, populated, data):
    """Whatever arrives, the answer is never a 500, every error is problem+json, and an
    error leaves every table as it was."""
    federation, ids = populated
    method, rule = data.draw(st.sampled_from(writing_endpoints(app)), label="endpoint")
    path = PATH_ARGUMENT.sub(
        lambda match: data.draw(st.sampled_from(ids.get(match.group(1), ["x", "0"])),
                                label=match.group(1)), rule)
    caller = data.draw(st.sampled_from(["IL0001", "office", "IL0001", "office", "IL0002",
                                        None]), label="caller")
    headers = {} if caller is None else federation.headers(None if caller == "office"
                                                           else caller)
    if data.draw(st.booleans(), label="near valid"):
        content_type = data.draw(st.just("application/json") | CONTENT_TYPES,
                                 label="content type")
        body = data.draw(near_valid(method, rule), label="body")
    else:
        content_type = data.draw(CONTENT_TYPES, label="content type")
        body = data.draw(BODIES, label="body")
    if content_type:
        headers["Content-Type"] = content_type

    before = snapshot(app)
    response = federation.client.open(path, method=method, data=body, headers=headers)

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
        assert snapshot(app) == before
