"""HTTP views for the patron registry (home library only)."""

import io

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.errors import DomainError, RuleError
from app.pagination import paged
from app.patrons import service
from app.patrons.roster import MEDIA_TYPES, READERS, RosterFormatError
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
def import_roster(caller):
    """Import a roster (CSV with a header, or NDJSON): streams, upserts, reports bad lines."""
    fmt = MEDIA_TYPES.get(request.mimetype)
    if fmt is None:
        raise UnsupportedRosterError("Send the roster as text/csv or application/x-ndjson.")
    # Rosters are large: lift the body limit for this route only and read it as a stream.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
    text = io.TextIOWrapper(request.stream, encoding="utf-8-sig", errors="replace",
                            newline="")
    try:
        rows = READERS[fmt](text)
        summary = service.import_roster(caller.library_id, rows, hmac_key(),
                                        batch_size=current_app.config["IMPORT_BATCH_SIZE"])
    except RosterFormatError as error:
        raise RuleError(str(error), code="invalid_roster") from None
    return summary.__dict__
