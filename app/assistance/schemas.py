"""The wire format for assistance requests (R7); patron details only to the requester (R16)."""

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from app.assistance.models import CLOSED_BECAUSE, KINDS, RESPONSES, STATES
from app.libraries.schemas import CODE
from app.pagination import PageQuerySchema, PageSchema

TEXT = validate.Length(min=1, max=4000)
RECORD_ID = validate.Regexp(r"^[a-z]{3}_[0-9a-z]{20}$", error="Not a record id.")


class AssistanceCreateSchema(Schema):
    """What a lending library asks the home library to help with (R7)."""

    home_library = fields.String(required=True, validate=CODE, metadata={
        "description": "The code of the patron's home library."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        "description": "`retrieve_materials`: help get delinquent material back; "
                       "`collect_bill`: help collect a bill (Plan V.1.b.iii-iv)."})
    bill_id = fields.String(load_default=None, validate=RECORD_ID, metadata={
        "description": "Your bill to the home library this concerns (or give `block_id`)."})
    block_id = fields.String(load_default=None, validate=RECORD_ID, metadata={
        "description": "Your block request to the home library this concerns."})
    message = fields.String(required=True, validate=TEXT, metadata={
        "description": "What you ask, without patron names or card numbers (R16)."})

    @validates_schema
    def one_subject(self, data, **kwargs):
        """Exactly one of bill_id and block_id."""
        if bool(data.get("bill_id")) == bool(data.get("block_id")):
            raise ValidationError("Give either bill_id or block_id.", "bill_id")


class AssistanceAnswerSchema(Schema):
    """The home library's answer."""

    response = fields.String(required=True, validate=validate.OneOf(RESPONSES), metadata={
        "description": "`contacted_patron`: you verified the contact information and "
                       "contacted the patron yourself; `details_passed`: you pass what the "
                       "lending library needs, where your own policy allows; `declined`."})
    note = fields.String(load_default=None, validate=TEXT, metadata={
        "description": "What you did, or why you decline (required to decline)."})
    patron_details = fields.String(load_default=None, validate=validate.Length(max=2000),
                                   metadata={"description": (
        "With `details_passed` only: the patron's contact details as free text. Stored "
        "encrypted, shown to the requesting library alone, never in an event or webhook, "
        "and purged ASSISTANCE_PURGE_DAYS after the request closes (R16).")})


class AssistanceSchema(Schema):
    """An assistance request as one viewer sees it."""

    id = fields.String()
    requester = fields.Function(lambda a: a.request.requester.code)
    home_library = fields.Function(lambda a: a.request.home.code)
    kind = fields.String(metadata={"enum": list(KINDS)})
    bill_id = fields.String(allow_none=True)
    block_id = fields.String(allow_none=True)
    message = fields.String()
    status = fields.String(metadata={"enum": list(STATES)})
    response_due_on = fields.Date()
    overdue = fields.Boolean(metadata={"description": "Unanswered past its due date."})
    response = fields.String(allow_none=True, metadata={"enum": list(RESPONSES)})
    note = fields.String(attribute="answer_note", allow_none=True)
    patron_details = fields.String(allow_none=True, metadata={
        "description": "What the home library passed: shown to the requesting library alone, "
                       "null for everyone else and once purged (R16)."})
    details_purged = fields.Boolean(metadata={
        "description": "The patron details were purged after the request closed."})
    closed_because = fields.String(allow_none=True, metadata={"enum": list(CLOSED_BECAUSE)})
    requested_at = fields.DateTime(format="iso")
    answered_at = fields.DateTime(format="iso", allow_none=True)
    closed_at = fields.DateTime(format="iso", allow_none=True)


class AssistancePageSchema(PageSchema):
    """A page of assistance requests."""

    items = fields.List(fields.Nested(AssistanceSchema), required=True)


class AssistanceListQuerySchema(PageQuerySchema):
    """Which assistance requests to list."""

    as_ = fields.String(data_key="as", load_default=None,
                        validate=validate.OneOf(["requester", "home"]))
    status = fields.String(load_default=None, validate=validate.OneOf(STATES))
    overdue = fields.Boolean(load_default=None)
