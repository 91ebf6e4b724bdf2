"""The wire format for blocks: the requester and home see the block; verifiers never do (R16)."""

from marshmallow import Schema, fields, validate

from app.blocks.models import KINDS, STATES
from app.libraries.schemas import CODE
from app.pagination import PageQuerySchema, PageSchema
from app.patrons.schemas import CardNumberField

BILL_ID = validate.Regexp(r"^bil_[0-9a-z]{20}\Z", error="Not a bill id.")


class BlockRequestSchema(Schema):
    """A lending library's request (R8)."""

    card_number = CardNumberField(required=True, load_only=True,
                                  validate=validate.Length(max=80))
    home_library = fields.String(required=True, validate=CODE)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    bill_ids = fields.List(fields.String(validate=BILL_ID), required=True,
                           validate=validate.Length(min=1, max=100), metadata={
                               "description": "Your unpaid bills for this patron that the "
                                              "block is for."})
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class RefuseSchema(Schema):
    """Why the home library refuses."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class BlockSchema(Schema):
    """A block as its two parties (and the federation office) see it."""

    id = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS)})
    status = fields.String(metadata={"enum": list(STATES)})
    requester = fields.Function(lambda b: b.requester.code)
    home_library = fields.Function(lambda b: b.home.code)
    card_last4 = fields.String(allow_none=True, metadata={
        "description": "Shown to the block's two parties only (R16)."})
    # The home library's own reference, so its staff can find the patron (shown to it only).
    external_ref = fields.String(allow_none=True)
    bill_ids = fields.Function(lambda b: [bill.id for bill in b.bills])
    note = fields.String(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    release_reason = fields.String(allow_none=True)
    response_due_on = fields.Date()
    overdue = fields.Boolean(metadata={"description": "Still unanswered after response_due_on."})
    requested_at = fields.DateTime(format="iso")
    answered_at = fields.DateTime(format="iso", allow_none=True)
    closed_at = fields.DateTime(format="iso", allow_none=True)


class BlockPageSchema(PageSchema):
    """A page of blocks."""

    items = fields.List(fields.Nested(BlockSchema), required=True)


class BlockListQuerySchema(PageQuerySchema):
    """Which blocks to list."""

    as_ = fields.String(data_key="as", load_default=None,
                        validate=validate.OneOf(["requester", "home"]))
    status = fields.String(load_default=None, validate=validate.OneOf(STATES))
    overdue = fields.Boolean(load_default=None)
