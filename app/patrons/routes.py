"""HTTP views for the patron registry (home library only)."""

import io

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from app.auth import requires
from app.errors import DomainError, RuleError, accepts_body
from app.pagination import paged
from app.patrons import service
from app.patrons.roster import (
    MEDIA_TYPES,
    READERS,
    RosterFormatError,
    UnsupportedEncodingError,
    roster_encoding,
)
from app.patrons.schemas import (
    CardLookupSchema,
    ImportSummarySchema,
    PatronListQuerySchema,
    PatronPageSchema,
    PatronSchema,
    PatronUpdateSchema,
    PatronUpsertSchema,
    ReplaceCardSchema,
)

blp = Blueprint("patrons", __name__, url_prefix="/api/v1/patrons",
                description="A home library's own patrons. Card numbers and surnames are kept "
                            "only as keyed hashes (R16).")


def hmac_key() -> bytes:
    """The key that hashes card numbers and surnames."""
    return current_app.config["HMAC_KEY"].encode("utf-8")


class UnsupportedRosterError(DomainError):
    """A roster in a format we do not read."""

    status = 415
    code = "unsupported_media_type"


class RosterTooLargeError(DomainError):
    """A roster longer than the federation accepts in one request (413)."""

    status = 413
    code = "roster_too_large"


class ImportInterruptedError(DomainError):
    """An import that failed after some of its batches were stored (500)."""

    status = 500
    code = "import_interrupted"


def _capped(rows, max_lines: int, max_rejected: int):
    """Pass parsed lines through, refusing the roster past `max_lines` lines or past
    `max_rejected` bad lines (0: no cap): a file of commas is not worth a worker's minute."""
    rejected = 0
    for row in rows:
        if max_lines and row[0] > max_lines:
            raise RosterTooLargeError(
                f"A roster sent in one request has at most {max_lines:,} lines; send the rest "
                "in another request, or import it with the command line.")
        if row[2] is not None:
            rejected += 1
            if max_rejected and rejected > max_rejected:
                raise RuleError(f"More than {max_rejected:,} lines of this roster are not "
                                f"patron records (the last at line {row[0]:,}): is it the "
                                "right file, in the right format and encoding?",
                                code="too_many_bad_lines")
        yield row


def _committed(summary) -> dict:
    """What the committed batches of an import stored, for an answer that stops early."""
    return {"created": summary.created, "updated": summary.updated,
            "unchanged": summary.unchanged, "rejected": summary.rejected,
            "errors": list(summary.errors[:20]), "errors_truncated": summary.rejected > 20}


@blp.route("")
class Patrons(MethodView):
    """The caller's patrons."""

    @requires("member")
    @blp.arguments(PatronListQuerySchema(), location="query")
    @blp.response(200, PatronPageSchema)
    def get(self, query, caller):
        """List your own patrons."""
        return service.list_patrons(caller.library_id, **paged(query, current_app.config))

    @requires("member")
    @blp.arguments(PatronUpsertSchema())
    @blp.response(200, PatronSchema)
    @blp.alt_response(201, schema=PatronSchema, description="A new patron was created.")
    def post(self, data, caller):
        """Create or update one of your patrons by card number (201 new, 200 updated)."""
        patron, created = service.upsert_patron(caller.library_id, data, hmac_key())
        return patron, 201 if created else 200


@blp.route("/<patron_id>")
class PatronDetail(MethodView):
    """One of the caller's patrons."""

    @requires("member")
    @blp.response(200, PatronSchema)
    def get(self, patron_id, caller):
        """Show one of your patrons."""
        return service.get_patron(caller.library_id, patron_id)

    @requires("member")
    @blp.arguments(PatronUpdateSchema())
    @blp.response(200, PatronSchema)
    def patch(self, data, patron_id, caller):
        """Change one of your patrons (the card changes through replace-card)."""
        return service.update_patron(caller.library_id, patron_id, data, hmac_key())

    @requires("member")
    @blp.response(204)
    def delete(self, patron_id, caller):
        """Remove one of your patrons."""
        service.delete_patron(caller.library_id, patron_id)


@blp.route("/lookup", methods=["POST"])
@requires("member")
@blp.arguments(CardLookupSchema())
@blp.response(200, PatronSchema)
def lookup(data, caller):
    """Find one of your patrons by card number (sent in the body, never the URL)."""
    return service.lookup_patron(caller.library_id, data["card_number"], hmac_key())


@blp.route("/<patron_id>/replace-card", methods=["POST"])
@requires("member")
@blp.arguments(ReplaceCardSchema())
@blp.response(200, PatronSchema)
def replace_card(data, patron_id, caller):
    """Give a patron a new card; the old card then verifies as `card_replaced`."""
    return service.replace_card(caller.library_id, patron_id, data["new_card_number"],
                                hmac_key())


@blp.route("/import", methods=["POST"])
@requires("member")
@blp.response(200, ImportSummarySchema)
@blp.doc(requestBody={"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "example":
                 "card_number,expires_on,standing,block_reasons,category,surname,external_ref\n"
                 "20003 1234 5678,2027-06-30,good,,adult,Garcia,P-1001\n"},
    "application/x-ndjson": {"schema": {"type": "string"}, "example":
                             '{"card_number": "2000312345678", "expires_on": "2027-06-30"}\n'}}})
@accepts_body(*MEDIA_TYPES)
def import_roster(caller):
    """Import a roster (CSV with a header, or NDJSON): streams, upserts, reports bad lines.

    The body is UTF-8 unless its Content-Type declares another charset (`text/csv;
    charset=windows-1252`); a line that does not decode is reported with its number.
    """
    fmt = MEDIA_TYPES.get(request.mimetype)
    if fmt is None:
        raise UnsupportedRosterError("Send the roster as text/csv or application/x-ndjson.")
    try:
        encoding = roster_encoding(request.mimetype_params.get("charset"))
    except UnsupportedEncodingError as error:
        raise UnsupportedRosterError(str(error), code="unsupported_charset") from None
    # Rosters are large: lift the body limit for this route only and read it as a stream.
    # Werkzeug refuses a declared length over it at once, and a chunked body once it gets there.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    committed = None  # the summary as of the last committed batch

    def on_batch(summary):
        nonlocal committed
        committed = _committed(summary) | {"through_line": summary.through_line}

    try:
        # Buffered: readline in C, not line by line through werkzeug's stream wrapper.
        stream = io.BufferedReader(request.stream, 64 * 1024)
        rows = _capped(READERS[fmt](stream, encoding),
                       int(current_app.config["IMPORT_MAX_LINES"]),
                       int(current_app.config["IMPORT_MAX_REJECTED"]))
        summary = service.import_roster(caller.library_id, rows, hmac_key(),
                                        batch_size=current_app.config["IMPORT_BATCH_SIZE"],
                                        on_batch=on_batch)
    except RosterFormatError as error:
        raise RuleError(str(error), code="invalid_roster") from None
    except Exception as error:
        if not committed or not committed["through_line"]:
            raise  # nothing was stored: the error's own answer says so
        # Earlier batches are stored: say what they stored and where the import stopped.
        through = committed.pop("through_line")
        stored = (f"Lines 1-{through:,} were imported ({committed['created']:,} created, "
                  f"{committed['updated']:,} updated, {committed['unchanged']:,} unchanged, "
                  f"{committed['rejected']:,} rejected); nothing after line {through:,} was. "
                  "Sending the same roster again finishes it: the stored lines come back "
                  "unchanged.")
        if isinstance(error, DomainError):
            error.detail = f"{error.detail} {stored}"
            error.extra.update(imported=committed, stopped_after_line=through)
            raise
        status = getattr(error, "code", None) if isinstance(error, HTTPException) else None
        if status == 413:
            raise RosterTooLargeError(
                "The roster is larger than a request may be "
                f"({current_app.config['IMPORT_MAX_BYTES']:,} bytes). {stored}",
                imported=committed, stopped_after_line=through) from error
        current_app.logger.exception("roster import failed after line %d", through)
        raise ImportInterruptedError(f"The import failed. {stored}", imported=committed,
                                     stopped_after_line=through) from error
    return {**summary.__dict__, "encoding": encoding}
