"""Schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

- The roster import reads NDJSON (`application/x-ndjson`), which schemathesis has no
  serializer for: its body is a string in the document, sent as it is.
- A check that sharpens `positive_data_acceptance`. A request the document calls valid may
  still be refused by the federation's rules, which no schema can state (a library code that
  is no member's, a bill the caller is not party to, a cursor this service never gave out):
  those are 400 and 422 with a code of their own, and the run allows them. What it does not
  allow is the answer that means the document is looser than the service's own field
  validation: 422 `validation_failed` or 400 `bad_request` on a request the document allows.
"""

import json

import schemathesis
from schemathesis import Case, CheckContext, Response

# Codes of a refusal of the request's shape, not of a rule (app/errors.py).
SHAPE_CODES = frozenset({"validation_failed", "bad_request"})


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The body as its lines: a string as it is, anything else as one JSON line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return (json.dumps(value) + "\n").encode("utf-8")


@schemathesis.check
def valid_requests_meet_only_rules(ctx: CheckContext, response: Response, case: Case):
    """A request the document allows is never refused for its shape (400/422 shape codes)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    if code is None or code in SHAPE_CODES:
        raise AssertionError(
            f"A request the OpenAPI document allows was refused for its shape: "
            f"{response.status_code} {code}: {response.text[:500]}")
    return None
