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
from app.directory import service
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
from app.timestamps import today_in

blp = Blueprint("policies", __name__, url_prefix="/api/v1/libraries",
                description="Publishing a library's policy in the directory (R3, R4, R11, R18).")
directory_blp = Blueprint("directory", __name__, url_prefix="/api/v1/directory",
                          description="The shared directory of member policies: public, no key "
                                      "needed (R5, R18).")
csv_blp = Blueprint("directory_csv", __name__, url_prefix="/api/v1",
                    description="The shared directory as CSV.")

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
                                page_size=current_app.config["PAGE_SIZE"])
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
    page = service.history(code, **query)
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


CSV_COLUMNS = ("code", "name", "type", "city", "county", "system", "published", "version",
               "published_at", "reviewed_on", "stale", "participates", "items_at_a_time",
               "loan_days", "renewals", "lends_formats", "excluded_formats",
               "register_in_person", "holds_allowed", "fees", "ill_contact_email",
               "ill_contact_phone", "ill_formats_lent", "ill_formats_not_lent",
               "ill_processing_fee_cents", "nonresident_cards", "nonresident_report_late")


def _csv_row(item: dict) -> dict:
    """One library as a CSV row: lists joined with ';', money in cents."""
    policy = item["policy"] or {}
    borrowing = policy.get("reciprocal_borrowing") or {}
    ill = policy.get("interlibrary_loan") or {}
    row = {name: item.get(name) for name in CSV_COLUMNS}
    row.update(
        published_at=item["published_at"].isoformat() if item["published_at"] else None,
        reviewed_on=item["reviewed_on"].isoformat() if item["reviewed_on"] else None,
        loan_days=borrowing.get("loan_days"), renewals=borrowing.get("renewals"),
        lends_formats=";".join(item["lends_formats"]),
        excluded_formats=";".join(borrowing.get("excluded_formats") or []),
        register_in_person=borrowing.get("register_in_person"),
        holds_allowed=borrowing.get("holds_allowed"),
        fees=";".join(f"{fee['name']} {fee['amount_cents']} {fee['basis']}"
                      for fee in policy.get("fees") or []),
        ill_contact_email=(ill.get("contact") or {}).get("email"),
        ill_contact_phone=(ill.get("contact") or {}).get("phone"),
        ill_formats_lent=";".join(ill.get("formats_lent") or []),
        ill_formats_not_lent=";".join(ill.get("formats_not_lent") or []),
        ill_processing_fee_cents=(ill.get("lost_materials") or {}).get("processing_fee_cents"))
    return row


@csv_blp.route("/directory.csv", methods=["GET"])
@csv_blp.arguments(DirectoryQuerySchema(), location="query")
@csv_blp.response(200, content_type="text/csv", description="One row per library, streamed.")
@csv_blp.alt_response(304, description=NOT_MODIFIED)
@csv_blp.doc(**PUBLIC)
@conditional_get
def directory_csv(query):
    """The whole directory (or the filtered part) as CSV, streamed."""
    query.pop("limit"), query.pop("cursor")
    day = today()
    last_modified = service.directory_last_modified(day, zone())
    # The CSV streams, so its ETag is a weak one from what it is made of, not its bytes.
    fingerprint = json.dumps([sorted((k, str(v)) for k, v in query.items()), str(day),
                              str(last_modified), service.directory_size()])
    headers = {"Content-Disposition": 'attachment; filename="directory.csv"',
               "Cache-Control": "no-cache"}
    probe = Response(status=200, headers=headers, mimetype="text/csv")
    probe.set_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32], weak=True)
    if last_modified is not None:
        probe.last_modified = last_modified
    probe.make_conditional(request)
    if probe.status_code == 304:
        return probe

    def lines():
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for item in service.iter_entries(query, day):
            writer.writerow(_csv_row(item))
            if buffer.tell() > 16_384:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(lines()), mimetype="text/csv", headers=headers)
    response.headers["ETag"] = probe.headers["ETag"]
    if last_modified is not None:
        response.last_modified = last_modified
    return response

