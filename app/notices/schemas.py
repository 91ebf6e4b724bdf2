"""The wire format for notices of non-compliance: between libraries, never patron data (R16)."""

from marshmallow import Schema, fields, validate

from app.libraries.schemas import CODE
from app.notices.models import STATES
from app.pagination import PageQuerySchema, PageSchema

TEXT = validate.Length(min=1, max=4000)


class NoticeCreateSchema(Schema):
    """What a library tells another (Plan VIII.1.b)."""

    to = fields.String(required=True, validate=CODE, metadata={
        "description": "The code of the library that failed to observe your policy."})
    what_happened = fields.String(required=True, validate=TEXT, metadata={
        "description": "What happened, without patron names or card numbers (R16)."})
    policy = fields.String(required=True, validate=TEXT, metadata={
        "description": "Which of your published policies was not observed."})
    policy_version = fields.Integer(load_default=None, validate=validate.Range(min=1),
                                    metadata={"description": "The version of your directory "
                                                             "entry that published it."})
    asks = fields.String(required=True, validate=TEXT, metadata={
        "description": "What you ask the other library to do."})


class NoticeAnswerSchema(Schema):
    """The written answer of the library told."""

    answer = fields.String(required=True, validate=TEXT)


class NoticeSchema(Schema):
    """A notice as its two parties and the federation office see it."""

    id = fields.String()
    sender = fields.Function(lambda n: n.sender.code)
    recipient = fields.Function(lambda n: n.recipient.code)
    what_happened = fields.String()
    policy = fields.String()
    policy_version = fields.Integer(allow_none=True)
    asks = fields.String()
    status = fields.String(metadata={"enum": list(STATES)})
    answer = fields.String(allow_none=True)
    sent_on = fields.Date()
    acknowledged_at = fields.DateTime(format="iso", allow_none=True)
    answered_at = fields.DateTime(format="iso", allow_none=True)
    withdrawn_at = fields.DateTime(format="iso", allow_none=True)


class NoticePageSchema(PageSchema):
    """A page of notices."""

    items = fields.List(fields.Nested(NoticeSchema), required=True)


class NoticeListQuerySchema(PageQuerySchema):
    """Which notices to list."""

    as_ = fields.String(data_key="as", load_default=None,
                        validate=validate.OneOf(["sender", "recipient"]))
    status = fields.String(load_default=None, validate=validate.OneOf(STATES))
