"""The wire format for letters: what each party may see of them (never patron data, R16)."""

from marshmallow import Schema, fields

from app.mail.rules import MAIL_KINDS
from app.pagination import PageQuerySchema, PageSchema
from app.timestamps import isoformat_utc


class LetterSchema(Schema):
    """A letter as its parties and the federation office see it in a list."""

    reference = fields.String(metadata={"description": "Stable reference, e.g. RS-2026-000123."})
    kind = fields.String(metadata={"description": "The event that caused it (notice.sent, "
                                                  "suspension.imposed, ...)."})
    title = fields.String()
    subject_type = fields.String(metadata={"description": "notice, suspension, dispute or "
                                                          "membership."})
    subject_id = fields.String()
    libraries = fields.Method("_libraries", metadata={
        "description": "The codes of the libraries it concerns."})
    created_at = fields.Function(lambda letter: isoformat_utc(letter.created_at))
    pdf_url = fields.Function(lambda letter: f"/api/v1/letters/{letter.reference}",
                              metadata={"description": "Where to download the PDF."})

    def _libraries(self, letter) -> list[str]:
        """The concerned libraries' codes (the office writes as itself, not as a library)."""
        return [code for code in (letter.first_code, letter.second_code) if code]


class LetterListQuerySchema(PageQuerySchema):
    """Paging through one's letters, newest first."""


class LetterPageSchema(PageSchema):
    """A page of letters."""

    items = fields.List(fields.Nested(LetterSchema))


class MailKindSchema(Schema):
    """One kind of email and whether the library takes it."""

    enabled = fields.Boolean()
    default = fields.Boolean(metadata={"description": "On or off unless the library chose."})
    letter = fields.Boolean(metadata={"description": "A letter the Plan requires in writing: "
                                                     "always mailed."})
    description = fields.String()


# One field per kind (app/mail/rules.py MAIL_KINDS): a new kind appears here by itself.
MailSettingsSchema = Schema.from_dict(
    {kind: fields.Nested(MailKindSchema, metadata={"description": description})
     for kind, (description, _) in MAIL_KINDS.items()}, name="MailSettingsSchema")
MailSettingsChangeSchema = Schema.from_dict(
    {kind: fields.Boolean(metadata={"description": f"{description} Default: "
                                                   f"{'on' if default else 'off'}."})
     for kind, (description, default) in MAIL_KINDS.items()},
    name="MailSettingsChangeSchema")
