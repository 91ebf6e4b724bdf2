"""The OpenAPI document (the contract's authoritative description) and the interactive docs."""

import re
from urllib.parse import urljoin

import pytest

from app import create_app
from app.extensions import db

# The v1 contract's paths and methods, as published to members.
PROTOCOL_DOORS = ("/ncip",)

CONTRACT = {
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/api/v1/libraries": {"get", "post"},
    "/api/v1/libraries/{code}": {"get", "patch"},
    "/api/v1/libraries/{code}/keys": {"post"},
    "/api/v1/libraries/{code}/keys/{key_id}": {"delete"},
    "/api/v1/patrons": {"post"},
    "/api/v1/patrons/{patron_id}": {"get", "patch", "delete"},
    "/api/v1/patrons/lookup": {"post"},
    "/api/v1/patrons/{patron_id}/replace-card": {"post"},
    "/api/v1/patrons/import": {"post"},
    "/api/v1/verifications": {"post"},
    "/api/v1/libraries/{code}/policy": {"put"},
    "/api/v1/directory": {"get"},
    "/api/v1/directory/{code}": {"get"},
    "/api/v1/directory/{code}/history": {"get"},
    "/api/v1/directory.csv": {"get"},
    "/api/v1/directory.jsonl": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def docs_client(tmp_path_factory):
    """The documents need no database: one app for the module, on a file nobody opens."""
    path = tmp_path_factory.mktemp("openapi") / "unused.db"
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}",
                              "HMAC_KEY": "test", "SECRET_KEY": "test"})
    yield application.test_client()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def spec(docs_client):
    """The served OpenAPI document, fetched without a key."""
    response = docs_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] == "Reciprocity"
    assert spec["info"]["version"] == "v1"


def test_the_document_lists_the_contracts_paths_and_methods(spec):
    for path, methods in CONTRACT.items():
        assert path in spec["paths"], path
        documented = set(spec["paths"][path]) & HTTP_METHODS
        assert methods <= documented, (path, documented)


def test_every_operation_has_a_summary_and_responses(spec):
    """Each route's docstring becomes its summary; a reader knows what every call does."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation.get("summary"), (method, path)
            assert operation.get("responses"), (method, path)


def test_keys_are_bearer_tokens_and_health_needs_none(spec):
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"bearer": []} in spec["security"]
    for path in ("/healthz", "/readyz"):
        assert spec["paths"][path]["get"]["security"] == [], path


def test_the_admit_request_is_described_field_by_field(spec):
    """The document shows what a caller sends, with R1's rule on reciprocal_borrowing."""
    body = spec["paths"]["/api/v1/libraries"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert {"code", "name", "type", "membership", "reciprocal_borrowing", "card_prefixes",
            "contact", "address", "system"} <= set(schema["properties"])
    assert set(schema["required"]) == {"code", "name", "type", "membership"}
    assert "R1" in schema["properties"]["reciprocal_borrowing"]["description"]


def test_the_interactive_docs_are_served_and_their_assets_can_load(docs_client):
    response = docs_client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "SwaggerUIBundle" in page
    assert "/api/v1/openapi.json" in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        url = urljoin("http://localhost/api/docs", asset)
        if url.startswith("http://localhost/"):
            # Served by the app itself: it must really be there.
            assert docs_client.get(url).status_code == 200, asset
        else:
            assert url.startswith("https://"), asset  # a CDN, over TLS


def test_directory_reads_need_no_key_and_document_the_vocabulary(spec):
    """R5: anyone reads the directory; the fixed format vocabulary is in the schema."""
    from app.directory.rules import VOCABULARY

    for path in ("/api/v1/directory", "/api/v1/directory/{code}",
                 "/api/v1/directory/{code}/history", "/api/v1/directory/{code}/answers",
                 "/api/v1/directory.csv"):
        operation = spec["paths"][path]["get"]
        assert operation["security"] == [] and operation["summary"], path
        assert "304" in operation["responses"], path
    put = spec["paths"]["/api/v1/libraries/{code}/policy"]["put"]
    assert {"200", "201", "422"} <= set(put["responses"])
    borrowing = spec["components"]["schemas"]["ReciprocalBorrowing"]["properties"]
    assert borrowing["excluded_formats"]["items"]["enum"] == list(VOCABULARY)


def test_the_directorys_query_parameters_are_documented_with_its_conditional_headers(spec):
    """The filters a reader can use are in the document, beside If-None-Match (R5, R18)."""
    for path in ("/api/v1/directory", "/api/v1/directory.csv"):
        names = {(p["in"], p["name"]) for p in spec["paths"][path]["get"]["parameters"]}
        for name in ("q", "type", "county", "system", "lends_format", "nonresident_cards",
                     "stale"):
            assert ("query", name) in names, (path, name)
        assert {("header", "If-None-Match"), ("header", "If-Modified-Since")} <= names
    listed = {(p["in"], p["name"]) for p in spec["paths"]["/api/v1/directory"]["get"][
        "parameters"]}
    assert {("query", "limit"), ("query", "cursor")} <= listed


def _resolve(spec, response: dict) -> dict:
    """A response object, following a $ref into components."""
    ref = response.get("$ref")
    return spec["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response


def test_every_error_is_documented_as_problem_json_with_a_code(spec):
    """Errors are served as application/problem+json with `code`: documented as served."""
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "Error" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    content = _resolve(spec, response).get("content", {})
                    served = ["application/problem+json"]
                    if path in PROTOCOL_DOORS and status not in ("default", "503"):
                        served = ["application/xml"]  # an NCIP Problem message
                    assert list(content) == served, (path, method, status)


def test_every_limited_operation_documents_429_with_its_headers(spec):
    """Rate limits (app/ratelimit.py): 429 with Retry-After and the draft's RateLimit fields;
    health checks are never limited."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            if path in ("/healthz", "/readyz"):
                assert "429" not in operation["responses"]
                continue
            if path in PROTOCOL_DOORS:  # an NCIP Problem, with Retry-After
                assert "429" in operation["responses"]
                continue
            response = _resolve(spec, operation["responses"]["429"])
            assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= set(response["headers"])
            if "requestBody" in operation:
                assert {"413", "415"} <= set(operation["responses"]), (path, method)
def test_event_types_are_one_enum_from_the_registry(spec):
    """Integrators read the event types from the document: the registry, nothing else."""
    from app.events.types import EVENT_TYPES

    event = spec["components"]["schemas"]["Event"]["properties"]["type"]
    assert sorted(event["enum"]) == sorted(EVENT_TYPES)
    feed = spec["paths"]["/api/v1/events"]["get"]["parameters"]
    type_param = next(p for p in feed if p["name"] == "type")
    assert sorted(type_param["schema"]["items"]["enum"]) == sorted(EVENT_TYPES)


# Where the service refuses what the document allows, clients and the service disagree:
# the document states the service's own limits (checked in full by tests/test_schemathesis.py).

def _schemas_in(node):
    """Every dict in a JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas_in(value)


def test_patterns_are_ecma_262_regexes_anchored_with_a_dollar(spec):
    """Python's `\\Z` means nothing in an OpenAPI pattern: the document writes it `$`."""
    patterns = [node["pattern"] for node in _schemas_in(spec) if isinstance(
        node.get("pattern"), str)]
    assert len(patterns) > 10
    for pattern in patterns:
        assert "\\Z" not in pattern, pattern
        assert re.compile(pattern)  # Python reads it too: schemathesis generates from it
        assert pattern.startswith("^") and pattern.endswith("$"), pattern


def test_every_paginated_list_documents_its_cursor_and_the_400_for_a_made_up_one(spec):
    """A cursor has the shape the service gives out; one it never gave out is a 400."""
    lists = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in ("cursor", "after"):
                    lists += 1
                    assert parameter["schema"]["pattern"] in (
                        "^[A-Za-z0-9_-]*$", "^[0-9]*$"), (path, parameter)
                    assert "invalid_cursor" in parameter["description"], (path, parameter)
                    assert "400" in operation["responses"], path
    assert lists >= 12


def test_card_numbers_periods_prefixes_and_addresses_have_their_patterns(spec):
    """What a field's validation checks, the document says (lengths, patterns, rules)."""
    from app.fields import WEB_ADDRESS
    from app.patrons.rules import CARD_PATTERN

    schemas = spec["components"]["schemas"]
    for name, field in (("PatronUpsert", "card_number"), ("CardLookup", "card_number"),
                        ("ReplaceCard", "new_card_number"), ("VerificationRequest",
                                                             "card_number")):
        assert schemas[name]["properties"][field]["pattern"] == CARD_PATTERN, name
    period = next(p for p in spec["paths"]["/api/v1/statements"]["get"]["parameters"]
                  if p["name"] == "period")
    assert period["schema"]["pattern"] == "^(?!0000|9999)[0-9]{4}-Q[1-4]$"
    for name in ("LibraryCreate", "LibraryUpdate"):
        prefixes = schemas[name]["properties"]["card_prefixes"]
        assert prefixes["items"]["pattern"] == "^[0-9]{1,16}$" and prefixes["uniqueItems"]
        assert schemas[name]["properties"]["active"]["type"] == "boolean"
    contact = schemas["IllContact"]["properties"]["url"]
    assert contact["pattern"] == WEB_ADDRESS.replace("\\Z", "$")
    # PatronFieldsSchema's rule between fields: in good standing, no block reasons.
    assert schemas["PatronUpdate"]["then"] == {
        "properties": {"block_reasons": {"maxItems": 0}}}
    conditional = schemas["ConditionalFormat"]["allOf"]
    assert conditional[0]["then"]["properties"]["groups"] == {"minItems": 1}
    assert schemas["OpeningHours"]["allOf"][0]["properties"]["days"] == {"minItems": 1}
    password = schemas["SipPassword"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (10, 128)


def test_a_peer_call_and_ncip_say_how_their_key_is_given(spec):
    """Peer calls need the peer key; NCIP takes the key in the header or in the message."""
    assert spec["paths"]["/api/v1/peer/verifications"]["post"]["security"] == [{"bearer": []}]
    assert spec["paths"]["/ncip"]["post"]["security"] == [{"bearer": []}, {}]
