"""HTTP views for letters: the written record of what libraries and the office did."""

from flask import Response, current_app
from flask_smorest import Blueprint

from app.auth import requires
from app.mail import service
from app.mail.schemas import LetterListQuerySchema, LetterPageSchema
from app.pagination import paged

blp = Blueprint("letters", __name__, url_prefix="/api/v1/letters",
                description="Letters (PDF) for notices, suspensions, escalations, the office's "
                            "answers and decisions, and membership actions: only their two "
                            "libraries and the federation office may read them.")


@blp.route("", methods=["GET"])
@requires("member", "admin")
@blp.arguments(LetterListQuerySchema(), location="query")
@blp.response(200, LetterPageSchema)
def letters(query, caller):
    """List the letters concerning your library, newest first; the office: all."""
    return service.list_letters(caller, **paged(query, current_app.config))


@blp.route("/<reference>", methods=["GET"])
@requires("member", "admin")
@blp.response(200, content_type="application/pdf",
              description="The letter as PDF, exactly as it was mailed.")
def letter(reference, caller):
    """Download a letter's PDF by its reference (404 unless your library is party to it)."""
    found = service.find_letter(caller, reference)
    response = Response(service.letter_pdf(found), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.reference}.pdf"'
    return response
