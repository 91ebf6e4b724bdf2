"""Rate limits per API key and per route family, shared by every worker and host.

Flask-Limiter (on the `limits` library) counts requests in a moving window, in memory for a
single process or in Redis (`RATELIMIT_STORAGE_URI=redis://...`) when there are several
workers or hosts: then a key's limit is the same however many processes serve it.

Each request belongs to one family, and each family has its own limit per key:

- `verify`: card verification (R2, R14);
- `cards`: every other route that takes a card number in its body (blocks, bills, the
  patron registry): with `verify`, these bound how many cards a key can probe (R16);
- `imports`: roster imports;
- `writes`, `reads`: everything else a key does, by method;
- `public`: requests without a key (the directory, the documents), per client address.

Health checks are never limited. A refused request is a 429 problem with `Retry-After`; every
limited answer carries the IETF draft's `RateLimit` and `RateLimit-Policy` fields (and the
older `RateLimit-Limit`, `-Remaining`, `-Reset` that many clients read).

When the storage is unreachable, RATELIMIT_FAIL_OPEN decides: serve without limits and log a
warning for each request (the default), or refuse with 503 until it is back.
"""

import hashlib
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.errors import StorageError

from app.errors import problem

FAMILIES = ("verify", "cards", "imports", "writes", "reads", "public")
_SETTING = {"verify": "VERIFY_RATE_LIMIT", "cards": "CARD_RATE_LIMIT",
            "imports": "IMPORT_RATE_LIMIT", "writes": "WRITE_RATE_LIMIT",
            "reads": "READ_RATE_LIMIT", "public": "PUBLIC_RATE_LIMIT"}
EXEMPT_BLUEPRINTS = ("health",)  # load balancers probe these many times a second
CARD_FIELDS = ("card_number", "new_card_number")


def limit_value(setting) -> str | None:
    """A setting as a limits string: an int is per minute, 0 or None turns the limit off."""
    if setting in (None, 0, "", "0"):
        return None
    if isinstance(setting, int) or (isinstance(setting, str) and setting.isdigit()):
        return f"{int(setting)}/minute"
    parse_many(setting)  # refuse a malformed setting at start-up, not on a request
    return setting


def _view_method(view, method: str):
    """The function serving `method` on a view (a MethodView's method, or the view)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, method.lower(), None) or view
    return view


def _takes_card(function) -> bool:
    """True when the view's body schema has a card number field (flask-smorest's doc info)."""
    parameters = getattr(function, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    for parameter in parameters:
        schema = parameter.get("schema") if isinstance(parameter, dict) else None
        fields = getattr(schema, "fields", None) or getattr(schema, "_declared_fields", {})
        if any(name in fields for name in CARD_FIELDS):
            return True
    return False


def route_family(endpoint: str | None, method: str, has_key: bool) -> str | None:
    """The family of a request to `endpoint`; None when it is not limited."""
    if endpoint is None or endpoint.split(".")[0] in EXEMPT_BLUEPRINTS:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return None
    if not has_key:
        return "public"
    view = current_app.view_functions.get(endpoint)
    function = _view_method(view, method) if view is not None else None
    if endpoint == "verifications.verify":
        return "verify"
    if endpoint.startswith("ncip."):
        # NCIP counts in the door (app/verification/doors.py), in the key's verify bucket,
        # so a client over its limit gets an NCIP Problem rather than a JSON one.
        return None
    if getattr(function, "accepted_media_types", None):
        return "imports"
    if function is not None and _takes_card(function):
        return "cards"
    return "reads" if method in ("GET", "HEAD", "OPTIONS") else "writes"


def _family() -> str | None:
    """This request's family, cached per endpoint and method for the app's life."""
    cache = current_app.extensions["reciprocity.limit_families"]
    has_key = bool(request.headers.get("Authorization"))
    index = (request.endpoint, request.method, has_key)
    if index not in cache:
        cache[index] = route_family(request.endpoint, request.method, has_key)
    return cache[index]


def key_identity(family: str, token: str) -> str:
    """The identity a key is counted under in `family`: a keyed digest of the key itself."""
    secret = current_app.extensions["reciprocity.limit_secret"]
    who = hashlib.blake2b(token.encode("utf-8", "surrogateescape"), key=secret,
                          digest_size=16).hexdigest()
    return f"{family}:{who}"


def charge(identity: str) -> int | None:
    """Count one request of the family `identity` names outside an HTTP route's limit (the
    protocol doors): None while under the limit, else the seconds to wait. The bucket is the
    one the route's own limit uses, so a key's verifications count together whatever the door.
    """
    family = identity.partition(":")[0]
    value = current_app.extensions["reciprocity.limit_values"].get(family)
    limiter = current_app.extensions.get("reciprocity.limiter")
    if value is None or limiter is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    try:
        for item in parse_many(value):
            if not limiter.limiter.hit(item, identity, "global"):
                stats = limiter.limiter.get_window_stats(item, identity, "global")
                return max(1, math.ceil(stats.reset_time - time.time()))
    except StorageError as error:
        if not current_app.config["RATELIMIT_FAIL_OPEN"]:
            raise
        current_app.logger.warning("rate limit storage unreachable: serving without rate "
                                   "limits (RATELIMIT_FAIL_OPEN): %s", error)
    return None


def _identity() -> str:
    """Who is counted: a keyed digest of the presented key, or the client's address.

    A digest of the key itself, not its database id: the limit is checked before the key is
    looked up, so a flood is refused without a database round trip. It is keyed with the
    app's secret, so the storage holds nothing that matches the stored key hashes.
    """
    family = _family()
    header = request.headers.get("Authorization", "")
    if header:
        # The token as app.auth reads it, so "bearer  KEY " counts as "Bearer KEY".
        return key_identity(family, header.partition(" ")[2].strip() or header)
    return f"{family}:{request.remote_addr or 'unknown'}"


def _current_limit() -> str:
    """The limit of this request's family (evaluated per request by Flask-Limiter)."""
    return current_app.extensions["reciprocity.limit_values"][_family()]


def _exempt() -> bool:
    """Requests of no family, or of a family whose limit is off, are not counted."""
    family = _family()
    return family is None or current_app.extensions["reciprocity.limit_values"].get(
        family) is None


def _headers(limiter: Limiter) -> dict:
    """The RateLimit fields for this request's limit (after counting it)."""
    current = limiter.current_limit
    if current is None:
        return {}
    family = _family() or "default"
    item = current.limit
    window = item.get_expiry()
    try:
        remaining = current.remaining
        reset = max(0, math.ceil(current.reset_at - time.time()))
    except Exception:  # the storage went away after the check: answer without the fields
        return {}
    return {
        # draft-ietf-httpapi-ratelimit-headers: the policy, and what is left of it.
        "RateLimit-Policy": f'"{family}";q={item.amount};w={window}',
        "RateLimit": f'"{family}";r={remaining};t={reset}',
        # The earlier draft's fields, which many client libraries read.
        "RateLimit-Limit": str(item.amount),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }


def init_rate_limits(app: Flask) -> Limiter:
    """Set up Flask-Limiter from the *_RATE_LIMIT settings; call before the other hooks."""
    values = {family: limit_value(app.config.get(_SETTING[family])) for family in FAMILIES}
    app.extensions["reciprocity.limit_values"] = values
    app.extensions["reciprocity.limit_families"] = {}
    app.extensions["reciprocity.limit_secret"] = hashlib.sha256(
        ("ratelimit\0" + app.config["SECRET_KEY"]).encode("utf-8")).digest()
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    fail_open = bool(app.config["RATELIMIT_FAIL_OPEN"])
    if not app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        # Storage errors as limits' StorageError, and a dead Redis found out quickly.
        options.setdefault("wrap_exceptions", True)
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 1)
    limiter = Limiter(
        key_func=_identity,
        application_limits=[_current_limit],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        storage_options=options,
        strategy=app.config["RATELIMIT_STRATEGY"],
        swallow_errors=fail_open,
        headers_enabled=False,  # ours below: the current draft's fields, and on 429 too
    )
    limiter.request_filter(_exempt)
    limiter.init_app(app)
    if fail_open:
        # Flask-Limiter logs a swallowed error at ERROR with a traceback; say what it means.
        limiter.logger.addFilter(_explain_fail_open)

    @app.after_request
    def add_rate_limit_headers(response):
        if not _exempt():
            for name, value in _headers(limiter).items():
                response.headers[name] = value
            if response.status_code == 429 and "RateLimit-Reset" in response.headers:
                response.headers["Retry-After"] = str(
                    max(1, int(response.headers["RateLimit-Reset"])))
        return response

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error):
        family = _family()
        what = {"verify": "verifications", "cards": "requests with card numbers",
                "imports": "roster imports", "writes": "changes", "reads": "reads",
                "public": "requests from this address"}.get(family, "requests")
        return problem(429, "rate_limited",
                       f"Too many {what} with this key ({error.description}); try again "
                       "after Retry-After seconds.", limit=error.description, family=family)

    @app.errorhandler(StorageError)
    def storage_down(error):
        current_app.logger.error("rate limit storage unreachable: refusing (fail closed): %s",
                                 error)
        return problem(503, "rate_limit_unavailable", "The service cannot check rate limits "
                       "right now, so it refuses requests; try again shortly.",
                       headers={"Retry-After": "5"})

    app.extensions["reciprocity.limiter"] = limiter
    return limiter


def _explain_fail_open(record) -> bool:
    """Turn Flask-Limiter's swallowed-error log into a warning that says what happens."""
    if "Swallowing error" in record.getMessage():
        record.levelname = "WARNING"
        record.levelno = 30
        record.msg = ("rate limit storage unreachable: serving without rate limits "
                      "(RATELIMIT_FAIL_OPEN): %s")
        record.args = (record.exc_info[1] if record.exc_info else "unknown error",)
        record.exc_info = None
        record.exc_text = None
    return True
