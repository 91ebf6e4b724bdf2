"""The OpenAPI document describes errors as they are served: RFC 9457 problem details.

flask-smorest documents every error as `application/json` with its own `Error` schema, and
only the 422 of validation. The service answers every error as `application/problem+json`
with a stable `code` (app/errors.py), and can answer 401, 403, 404, 409, 413, 415, 429 and
503 besides: the plugin below lists, on each operation, the ones that can happen there.
"""

import http
import threading

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields

from app.errors import PROBLEM_JSON

_STRING = {"schema": {"type": "string"}}
# Paths that answer errors in their own protocol's form, documented by their routes.
PROTOCOL_DOORS = ("/ncip",)
RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}},
    "RateLimit": {"description": 'What is left of the limit: `"family";r=<remaining>;'
                                 't=<seconds to reset>` (IETF draft).', **_STRING},
    "RateLimit-Policy": {"description": 'The limit: `"family";q=<requests>;w=<window '
                                        'seconds>` (IETF draft).', **_STRING},
}


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the service's stable `code`."""

    class Meta:
        unknown = INCLUDE  # some problems carry more (existing_block_id, imported, ...)

    type = fields.String(required=True, metadata={"example": "/problems/bill_past_deadline"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={
        "description": "Stable and machine-readable: act on this, not on the words."})
    errors = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Field name to message, for validation failures."})


class ProblemResponsesPlugin(BasePlugin):
    """Add to each operation the error answers it can give, as problem+json."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        """Called by apispec for each path, with its operations by method."""
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            wanted = []
            if path in PROTOCOL_DOORS:
                # NCIP documents its own answers (Problem messages in XML); only the limit
                # storage being down answers there as problem+json.
                responses.setdefault("503", http.HTTPStatus(503).name)
                continue
            if path not in ("/healthz", "/readyz"):
                wanted += [429, 503]  # rate limited; the limit storage down (fail closed)
            if operation.get("security") != []:
                wanted += [401, 403]
            if "{" in (path or ""):
                wanted.append(404)
            if operation.get("parameters") or operation.get("requestBody"):
                wanted += [400, 422]  # a NUL in the query, malformed JSON; invalid fields
            if method in ("post", "put", "patch"):
                wanted += [409, 413, 415]
            elif method == "delete":
                wanted.append(409)
            for status in wanted:
                responses.setdefault(str(status), http.HTTPStatus(status).name)


class SchemaRulesPlugin(BasePlugin):
    """Add to a schema's document the rules between its fields (`OPENAPI_RULES` on the class).

    A marshmallow `validates_schema` check is invisible to apispec; a schema that has one says
    the same in JSON Schema (`if`/`then`, ...), so the document refuses what the service does.
    """

    def schema_helper(self, name, definition, **kwargs):
        """Called by apispec for each schema component, after the marshmallow plugin."""
        schema = kwargs.get("schema")
        if schema is None:
            return None
        return getattr(resolve_schema_cls(schema), "OPENAPI_RULES", None)


# No field stores a NUL (PostgreSQL cannot): the service refuses one anywhere in a request
# (400 `malformed_body`, app/errors.py). Fields that also refuse other control characters
# (patron text: app/patrons/schemas.py) say so with the stricter pattern.
NO_NUL = "^[^\\u0000]*$"
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"


def string_patterns(self, field, ret, **kwargs) -> dict:
    """The pattern of a string field as an ECMA-262 regex, and the characters no field takes.

    Validators use `\\Z` because Python's `$` also matches before a final newline; OpenAPI
    patterns are ECMA-262 regexes, where `\\Z` is no anchor and `$` means what `\\Z` does.
    A free-text string states that it takes no NUL (nor control characters, where refused).
    """
    pattern = ret.get("pattern")
    if isinstance(pattern, str):
        return {"pattern": pattern.replace("\\Z", "$")} if "\\Z" in pattern else {}
    if not isinstance(field, fields.String) or "format" in ret or "enum" in ret:
        return {}
    plain = any(getattr(check, "__name__", "") == "_plain_text" for check in field.validators)
    return {"pattern": NO_CONTROL if plain else NO_NUL}


class ProblemApi(Api):
    """flask-smorest's Api, with errors documented as problem+json (ProblemSchema), and the
    document built when it is first read rather than when the app is made.

    Describing every operation (deep copies of each schema, for each route) is three quarters
    of the cost of `create_app`: every gunicorn worker paid it at start, and so does every test
    that makes an app. Blueprints are registered with Flask at once; their documentation is
    added to the spec the first time anything reads `spec` (the served openapi.json, the docs
    pages, a test), under a lock, in registration order, so the document is the same.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []
        self._documenting = threading.RLock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        """The OpenAPI document, with every registered blueprint's operations described."""
        if self._undocumented:
            with self._documenting:
                while self._undocumented:
                    blueprint, app, name, parameters = self._undocumented.pop(0)
                    blueprint.register_views_in_doc(self, app, self._spec, name=name,
                                                    parameters=parameters)
                    self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def init_app(self, app, *, spec_kwargs=None):
        """Bind to an app: a new spec, and nothing of an earlier app's left to describe."""
        self._undocumented = []
        super().init_app(app, spec_kwargs=spec_kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register `blp` with Flask now; describe its operations when the spec is read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, self._app, name, parameters))

    def _init_spec(self, *args, **kwargs):
        """flask-smorest's spec, with patterns written for ECMA-262 (see string_patterns)."""
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(string_patterns)

    def _register_responses(self):
        """Register a response per status: errors as problem+json, 429 with its headers."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            if status == 429:
                response["headers"] = RATE_LIMIT_HEADERS
            if status == 503:
                response["headers"] = {"Retry-After": RATE_LIMIT_HEADERS["Retry-After"]}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as RFC 9457 problem details.",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
