"""Domain errors and the one handler that renders every error as RFC 9457 problem details."""

import json
import re
from http import HTTPStatus

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"

# Stable codes for plain HTTP errors that carry no domain code of their own.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class DomainError(Exception):
    """A refusal a caller can act on: an HTTP status, a stable code and a sentence."""

    status = 400
    code = "bad_request"
    title = None

    def __init__(self, detail: str, *, code: str | None = None, errors: dict | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class BadRequestError(DomainError):
    """The request is malformed (400)."""

    status = 400
    code = "bad_request"


class InvalidCursorError(BadRequestError):
    """A paging cursor this service did not give out (400)."""

    code = "invalid_cursor"

    def __init__(self, detail: str = "The cursor is not one this service gave out.", **kwargs):
        super().__init__(detail, **kwargs)


class UnauthorizedError(DomainError):
    """No key, or a key that does not work (401)."""

    status = 401
    code = "unauthorized"


class ForbiddenError(DomainError):
    """A known caller acting outside its rights (403)."""

    status = 403
    code = "forbidden"


class NotFoundError(DomainError):
    """Not found, or not the caller's to know about (404)."""

    status = 404
    code = "not_found"


class ConflictError(DomainError):
    """The object's state does not allow this (409)."""

    status = 409
    code = "conflict"


class RuleError(DomainError):
    """A well-formed request that the federation's rules refuse (422)."""

    status = 422
    code = "rule_violation"


class UnsupportedMediaTypeError(DomainError):
    """A body in a media type the route does not read (415)."""

    status = 415
    code = "unsupported_media_type"


class RateLimitedError(DomainError):
    """Too many requests for this key (429)."""

    status = 429
    code = "rate_limited"


def problem(status: int, code: str, detail: str | None = None, *, title: str | None = None,
            errors: dict | None = None, headers: dict | None = None, **extra):
    """Build a problem+json response."""
    body = {
        "type": f"/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages) -> dict:
    """Turn webargs' {location: {field: [msg]}} into {field: "msg; msg"} for `errors`."""
    flat: dict[str, str] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                name = key if key != "_schema" else "_body"
                walk(f"{prefix}.{name}" if prefix else str(name), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[prefix or "_body"] = "; ".join(value)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            flat[prefix or "_body"] = str(value)

    if isinstance(messages, dict) and set(messages) <= {"json", "query", "headers", "form",
                                                         "files", "view_args", "path"}:
        for location in messages.values():
            walk("", location)
    else:
        walk("", messages)
    return flat


def handle_domain_error(error: DomainError):
    """Render a DomainError."""
    return problem(error.status, error.code, error.detail, title=error.title,
                   errors=error.errors, headers=error.headers, **error.extra)


def handle_http_exception(error: HTTPException):
    """Render werkzeug and flask-smorest HTTP errors (404, 405, 413, 422 from webargs, ...)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {}
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    for name, value in (data.get("headers") or {}).items():
        headers[name] = value
    messages = data.get("messages")
    if status == 422 and messages:
        errors = flatten_messages(messages)
        fields = ", ".join(sorted(errors))
        return problem(422, "validation_failed", f"The request has invalid fields: {fields}.",
                       title="Validation failed", errors=errors, headers=headers)
    if status == 400 and messages:
        return problem(400, "malformed_body", "The request body is not valid JSON.",
                       errors=flatten_messages(messages), headers=headers)
    detail = data.get("message") or error.description
    if status == 413:
        detail = "The request body is larger than this endpoint accepts."
    return problem(status, HTTP_CODES.get(status, f"http_{status}"), detail, headers=headers)


def handle_unexpected(error: Exception):
    """Log an unexpected failure and answer 500 without leaking internals."""
    current_app.logger.exception("unhandled error")
    return problem(500, "internal_error", "The service failed to handle this request; "
                   "nothing was changed. Please report it if it persists.")


# A JSON escape that can decode to text no field accepts: NUL (PostgreSQL cannot store it) or a
# UTF-16 surrogate, which is fine in a pair but cannot be encoded on its own.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_UNSTORABLE_CHAR = re.compile("[\x00\ud800-\udfff]")


def _has_unstorable_text(value) -> bool:
    """True when a decoded JSON value holds a NUL or an unpaired surrogate in any string."""
    pending = [value]  # a loop, not recursion: the JSON may nest almost to the recursion limit
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE_CHAR.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def accepts_body(*media_types: str):
    """Mark a view as reading a body other than JSON (a roster): the 415 check lets it by.

    Put it closest to the function: functools.wraps carries the mark out through the others.
    """

    def decorator(view):
        view.accepted_media_types = media_types
        return view

    return decorator


def _has_body() -> bool:
    """True when the request carries a body (a length above 0, or chunked)."""
    if request.content_length is not None:
        return request.content_length > 0
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _refuse_other_media_types():
    """A body on an API route is JSON (or what the view declares): else 415, not a 422 that
    blames missing fields the caller did send, in the wrong form."""
    if (request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api/")
            or request.is_json or not _has_body()):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "accepted_media_types", None):
        return
    sent = request.mimetype or "no Content-Type"
    raise UnsupportedMediaTypeError(f"This route reads application/json, not {sent}.",
                                    headers={"Accept-Post": "application/json"}
                                    if request.method == "POST" else None)


def reject_unreadable_input():
    """Refuse, as problem+json, input that would otherwise fail deep inside the app with a 500.

    webargs turns ordinary JSON syntax errors into a 400, but not JSON that Python's decoder
    refuses with another error (nesting deeper than the recursion limit, an integer literal
    longer than 4300 digits), nor text that decodes but cannot be stored: NUL characters
    (PostgreSQL refuses them) and unpaired surrogates (not encodable as UTF-8). No id, code or
    filter contains a NUL either, so one in the path or the query string is refused here too.
    """
    if request.routing_exception is not None:
        return None  # 404/405: the router's answer comes first
    if "\x00" in request.path:
        raise NotFoundError("No such resource.", code="not_found")
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        raise BadRequestError("A query parameter contains a NUL character.",
                              code="bad_request")
    _refuse_other_media_types()
    if not request.is_json:
        return None
    data = request.get_data(cache=True)  # webargs reads the same cached bytes afterwards
    if not data:
        return None
    if (request.content_length is None and request.max_content_length is not None
            and len(data) >= request.max_content_length):
        # A chunked body is cut at the limit without a word: one byte more says it is over
        # (the stream raises 413), where webargs would call the cut JSON malformed.
        request.stream.read(1)
    try:
        value = json.loads(data.decode("utf-8"))  # UTF-8 only, as webargs reads it
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # webargs answers these itself (400 malformed_body)
    except (RecursionError, ValueError):
        raise BadRequestError("The request body is not JSON this service can read (nested "
                              "too deeply, or a number too long).",
                              code="malformed_body") from None
    if _SUSPECT_ESCAPE.search(data) and _has_unstorable_text(value):
        raise BadRequestError("The request body contains a NUL character or an unpaired "
                              "surrogate (\\u0000, \\ud800-\\udfff), which no field accepts.",
                              code="malformed_body")
    return None


def register_error_handlers(app: Flask) -> None:
    """Make problem+json the only error shape the app produces."""
    app.before_request(reject_unreadable_input)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
