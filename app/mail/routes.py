"""HTTP views for letters: the written record of what libraries and the office did."""

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.errors import ForbiddenError
from app.libraries.service import member_by_code
from app.mail import service
from app.mail.schemas import (
    LetterListQuerySchema,
    LetterPageSchema,
    MailSettingsChangeSchema,
    MailSettingsSchema,
)
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


settings_blp = Blueprint("mail_settings", __name__, url_prefix="/api/v1/libraries",
                         description="Which kinds of email reach a library's contact address.")


def _own(code: str, caller, *, office_reads: bool) -> int:
    """The library in the path, when it is the caller's own (or, to read, the office's)."""
    library = member_by_code(code)
    if caller.library_id != library.id and not (office_reads and caller.is_admin):
        raise ForbiddenError("A library reads and chooses only its own mail settings.",
                             code="not_your_library")
    return library.id


@settings_blp.route("/<code>/mail-settings")
class MailSettings(MethodView):
    """A library's choice of emails, one setting per kind."""

    @requires("member", "admin")
    @settings_blp.response(200, MailSettingsSchema)
    def get(self, code, caller):
        """Which kinds of email reach your contact address (the office may read them)."""
        return service.mail_settings(_own(code, caller, office_reads=True))

    @requires("member")
    @settings_blp.arguments(MailSettingsChangeSchema())
    @settings_blp.response(200, MailSettingsSchema)
    def patch(self, data, code, caller):
        """Turn kinds of email on or off; letters (notices, suspensions) are always mailed."""
        return service.change_mail_settings(_own(code, caller, office_reads=False), data)
