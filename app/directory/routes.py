"""HTTP views for the directory: publish (the library itself), read (anyone, no key)."""

import csv
import hashlib
import io
import json
from copy import deepcopy
from datetime import date

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.directory import export, service
from app.directory.schemas import (
    DirectoryAnswerSchema,
    DirectoryQuerySchema,
    DirectoryQuestionSchema,
    EntryDetailSchema,
    EntryPageSchema,
    HistoryPageSchema,
    HistoryQuerySchema,
    PolicySchema,
    PublishedSchema,
)
from app.pagination import paged
from app.timestamps import today_in

blp = Blueprint("policies", __name__, url_prefix="/api/v1/libraries",
                description="Publishing a library's policy in the directory (R3, R4, R11, R18).")
directory_blp = Blueprint("directory", __name__, url_prefix="/api/v1/directory",
                          description="The shared directory of member policies: public, no key "
                                      "needed (R5, R18).")
csv_blp = Blueprint("directory_csv", __name__, url_prefix="/api/v1",
                    description="The shared directory as CSV and JSON Lines.")

PUBLIC = {"security": []}  # directory reads need no key
CONDITIONAL_HEADERS = (
    {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"}},
    {"in": "header", "name": "If-Modified-Since", "required": False,
     "schema": {"type": "string"}})
NOT_MODIFIED = "Not modified since the ETag or date you sent."


def conditional_get(view):
    """Document If-None-Match and If-Modified-Since beside the view's generated parameters.

    Put it above @arguments: `@doc(parameters=...)` would replace the query parameters
    flask-smorest generates from the schema, where this adds to them.
    """
    view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    view._apidoc.setdefault("arguments", {}).setdefault("parameters", []).extend(
        dict(header) for header in CONDITIONAL_HEADERS)
    return view


def today() -> date:
    """Today in the federation's time zone (R5: staleness counts calendar days)."""
    pinned = current_app.config.get("DIRECTORY_TODAY")
    if pinned:  # a date the directory reads as today: previews and tests of staleness
        return pinned if isinstance(pinned, date) else date.fromisoformat(str(pinned))
    return today_in(zone())


def zone() -> str:
    """The federation's time zone: a day turns stale at its midnight there (R5)."""
    return current_app.config["TIMEZONE"]


def conditional(body: dict, last_modified) -> Response:
    """JSON with an ETag (hash of the body) and Last-Modified; 304 when the client has it."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    response = Response(text, mimetype="application/json")
    response.set_etag(hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = "no-cache"  # may store, must revalidate
    # Werkzeug follows RFC 9110 13.2.2: with If-None-Match, If-Modified-Since is ignored.
    return response.make_conditional(request)


@blp.route("/<code>/policy")
class LibraryPolicy(MethodView):
    """A library's published policy."""

    @requires("member", "admin")
    @blp.arguments(PolicySchema())
    @blp.response(201, PublishedSchema)
    @blp.alt_response(200, schema=PublishedSchema, success=True,
                      description="The same policy again: nothing changed (`changed: false`).")
    def put(self, policy, code, caller):
        """Publish your library's whole policy: 201 a new version, 200 if nothing changed."""
        result = service.publish_policy(code, policy, caller, today())
        return result, (201 if result["changed"] else 200)


@directory_blp.route("", methods=["GET"])
@directory_blp.arguments(DirectoryQuerySchema(), location="query")
@directory_blp.response(200, EntryPageSchema)
@directory_blp.alt_response(304, description=NOT_MODIFIED)
@directory_blp.doc(**PUBLIC)
@conditional_get
def directory_list(query):
    """Search the directory: name, county, type, system, formats lent, nonresident cards, stale."""
    limit, cursor, day = query.pop("limit"), query.pop("cursor"), today()
    page = service.list_entries(query, day, limit=limit, cursor=cursor,
                                page_size=current_app.config["PAGE_SIZE"], zone=zone())
    return conditional(EntryPageSchema().dump(page), service.directory_last_modified(day, zone()))


@directory_blp.route("/<code>", methods=["GET"])
@directory_blp.response(200, EntryDetailSchema)
@directory_blp.alt_response(304, description=NOT_MODIFIED)
@directory_blp.doc(**PUBLIC)
@conditional_get
def directory_detail(code):
    """A library's current policy, structured and in plain words, with when it was reviewed."""
    detail = service.entry_detail(code, today(), zone())
    return conditional(EntryDetailSchema().dump(detail), detail["last_modified"])


@directory_blp.route("/<code>/history", methods=["GET"])
@directory_blp.arguments(HistoryQuerySchema(), location="query")
@directory_blp.response(200, HistoryPageSchema)
@directory_blp.alt_response(304, description=NOT_MODIFIED)
@directory_blp.doc(**PUBLIC)
@conditional_get
def directory_history(query, code):
    """A library's versions, newest first, with the fields each one changed."""
    page = service.history(code, **paged(query, current_app.config))
    return conditional(HistoryPageSchema().dump(page), page["last_modified"])


@directory_blp.route("/<code>/answers", methods=["GET"])
@directory_blp.arguments(DirectoryQuestionSchema(), location="query")
@directory_blp.response(200, DirectoryAnswerSchema)
@directory_blp.alt_response(304, description=NOT_MODIFIED)
@directory_blp.doc(**PUBLIC)
@conditional_get
def directory_answer(query, code):
    """Ask 'may I borrow DVDs here, how many, for how long?' of a library's published policy."""
    result = service.answer(code, query["format"], today(), zone())
    return conditional(DirectoryAnswerSchema().dump(result), result["last_modified"])


def _probe(query: dict, day: date, mimetype: str, filename: str):
    """The headers a streamed export answers with, and a 304 when the client has it."""
    last_modified = service.directory_last_modified(day, zone())
    # A streamed body's ETag is a weak one from what it is made of, not its bytes.
    fingerprint = json.dumps([mimetype, sorted((k, str(v)) for k, v in query.items()),
                              str(day), str(last_modified), service.directory_size()])
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "Cache-Control": "no-cache"}
    probe = Response(status=200, headers=headers, mimetype=mimetype)
    probe.set_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32], weak=True)
    if last_modified is not None:
        probe.last_modified = last_modified
    probe.make_conditional(request)
    return probe


def _streamed(probe: Response, chunks) -> Response:
    """The export streamed, with the probe's validators."""
    response = Response(stream_with_context(chunks), mimetype=probe.mimetype,
                        headers={"Content-Disposition": probe.headers["Content-Disposition"],
                                 "Cache-Control": "no-cache"})
    response.headers["ETag"] = probe.headers["ETag"]
    if probe.last_modified is not None:
        response.last_modified = probe.last_modified
    return response


def _batched(lines, size: int = 16_384):
    """Lines gathered into chunks of about `size` characters: few writes, bounded memory."""
    buffer, length = [], 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    yield "".join(buffer)


@csv_blp.route("/directory.csv", methods=["GET"])
@csv_blp.arguments(DirectoryQuerySchema(), location="query")
@csv_blp.response(200, content_type="text/csv", description="One row per library, streamed.")
@csv_blp.alt_response(304, description=NOT_MODIFIED)
@csv_blp.doc(**PUBLIC)
@conditional_get
def directory_csv(query):
    """The whole directory (or the filtered part) as CSV, streamed: one row per library, every
    policy field in its own column (listed in docs/directory.md)."""
    query.pop("limit"), query.pop("cursor")
    day = today()
    probe = _probe(query, day, "text/csv", "directory.csv")
    if probe.status_code == 304:
        return probe

    def lines():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=export.NAMES)
        writer.writeheader()
        yield buffer.getvalue()
        for item in service.iter_entries(query, day, zone=zone()):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(export.row(item))
            yield buffer.getvalue()

    return _streamed(probe, _batched(lines()))


@csv_blp.route("/directory.jsonl", methods=["GET"])
@csv_blp.arguments(DirectoryQuerySchema(), location="query")
@csv_blp.response(200, content_type="application/jsonl",
                  description="One JSON object per line and library: the entry as "
                              "GET /directory/{code} gives it (without `summary`), streamed.")
@csv_blp.alt_response(304, description=NOT_MODIFIED)
@csv_blp.doc(**PUBLIC)
@conditional_get
def directory_jsonl(query):
    """The whole directory (or the filtered part) as JSON Lines, streamed."""
    query.pop("limit"), query.pop("cursor")
    day = today()
    probe = _probe(query, day, "application/jsonl", "directory.jsonl")
    if probe.status_code == 304:
        return probe
    schema = EntryDetailSchema(exclude=("summary",))

    def lines():
        for item in service.iter_entries(query, day, zone=zone()):
            yield json.dumps(schema.dump(item), ensure_ascii=False, sort_keys=True) + "\n"

    return _streamed(probe, _batched(lines()))
