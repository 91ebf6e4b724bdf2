"""The wire format for disputes (R13): between libraries and the office, never patron data."""

from marshmallow import Schema, fields, validate

from app.disputes.models import KINDS, OUTCOMES, STATES, SUBJECTS
from app.pagination import PageQuerySchema, PageSchema

TEXT = validate.Length(min=1, max=8000)
RECORD_ID = validate.Regexp(r"^[a-z]{3}_[0-9a-z]{20}\Z", error="Not a record id.")


class LibraryDisputeCreateSchema(Schema):
    """What is in dispute."""

    subject_type = fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    subject_id = fields.String(required=True, validate=RECORD_ID, metadata={
        "description": "The id of the bill, block, suspension or notice you are party to."})
    summary = fields.String(required=True, validate=TEXT, metadata={
        "description": "What you dispute and why, in writing (no patron names or card "
                       "numbers, R16)."})


class DisputeWriteSchema(Schema):
    """A written message, request for help, answer or decision."""

    body = fields.String(required=True, validate=TEXT)


class DisputeMessageSchema(Schema):
    """One written message; `author` is a library's code, or null for the office."""

    id = fields.String()
    author = fields.Function(lambda m: m.author.code if m.author else None)
    kind = fields.String(metadata={"enum": list(KINDS)})
    body = fields.String()
    created_at = fields.DateTime(format="iso")


class LibraryDisputeSchema(Schema):
    """A dispute as its two parties and the federation office see it."""

    id = fields.String()
    subject_type = fields.String(metadata={"enum": list(SUBJECTS)})
    subject_id = fields.String()
    opened_by = fields.Function(lambda d: d.opened_by.code)
    other_library = fields.Function(lambda d: d.other.code)
    status = fields.String(metadata={"enum": list(STATES)})
    escalated_by = fields.Function(lambda d: d.escalated_by.code if d.escalated_by else None)
    escalated_at = fields.DateTime(format="iso", allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    decision = fields.String(allow_none=True)
    closed_at = fields.DateTime(format="iso", allow_none=True)
    created_at = fields.DateTime(format="iso")
    messages = fields.List(fields.Nested(DisputeMessageSchema))


class LibraryDisputePageSchema(PageSchema):
    """A page of disputes."""

    items = fields.List(fields.Nested(LibraryDisputeSchema), required=True)


class LibraryDisputeListQuerySchema(PageQuerySchema):
    """Which disputes to list."""

    status = fields.String(load_default=None, validate=validate.OneOf(STATES))
    subject_type = fields.String(load_default=None, validate=validate.OneOf(SUBJECTS))
    subject_id = fields.String(load_default=None, validate=RECORD_ID)
