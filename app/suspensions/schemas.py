"""The wire format for suspensions (R12): between libraries, never patron data (R16)."""

from flask import current_app
from marshmallow import Schema, fields, validate

from app.libraries.schemas import CODE
from app.pagination import PageQuerySchema, PageSchema
from app.suspensions import rules
from app.suspensions.models import MEASURES, SERVICES
from app.timestamps import today_in

NOTICE_ID = validate.Regexp(r"^ntc_[0-9a-z]{20}\Z", error="Not a notice id.")
TEXT = validate.Length(min=1, max=4000)


class SuspensionCreateSchema(Schema):
    """The terms of a suspension or restriction (R12, Plan VIII.1.d)."""

    suspended_library = fields.String(required=True, validate=CODE, metadata={
        "description": "The code of the library whose patrons' service you suspend."})
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES), metadata={
        "description": "`suspension` stops the services; `restriction` caps them."})
    services = fields.String(required=True, validate=validate.OneOf(SERVICES))
    item_cap = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000),
                              metadata={"description": "A restriction's item cap (R4: at "
                                                       "least 1)."})
    terms = fields.String(load_default=None, validate=TEXT, metadata={
        "description": "Further terms in words (no patron names or card numbers, R16)."})
    reason = fields.String(required=True, validate=TEXT)
    notice_ids = fields.List(fields.String(validate=NOTICE_ID), required=True,
                             validate=validate.Length(min=1, max=20), metadata={
                                 "description": "Your notices of non-compliance to this "
                                                "library that the suspension rests on."})
    starts_on = fields.Date(load_default=None, metadata={
        "description": "Default: today in the federation's time zone."})
    ends_on = fields.Date(required=True, metadata={
        "description": "The last day in force (no open-ended suspension; renewable)."})


class RenewSchema(Schema):
    """A later end date, and why."""

    ends_on = fields.Date(required=True)
    reason = fields.String(load_default=None, validate=TEXT)


class LiftSchema(Schema):
    """Why the suspension ends early."""

    reason = fields.String(load_default=None, validate=TEXT)


def _status(suspension) -> str:
    """Where the suspension stands today in the federation's time zone."""
    today = today_in(current_app.config["TIMEZONE"])
    return rules.status(suspension.starts_on, suspension.ends_on, suspension.lifted_on, today)


class SuspensionSchema(Schema):
    """A suspension as its two parties and the federation office see it."""

    id = fields.String()
    suspending_library = fields.Function(lambda s: s.suspending.code)
    suspended_library = fields.Function(lambda s: s.suspended.code)
    measure = fields.String(metadata={"enum": list(MEASURES)})
    services = fields.String(metadata={"enum": list(SERVICES)})
    item_cap = fields.Integer(allow_none=True)
    terms = fields.String(allow_none=True)
    reason = fields.String()
    notice_ids = fields.Function(lambda s: [notice.id for notice in s.notices])
    starts_on = fields.Date()
    ends_on = fields.Date()
    renewals = fields.Integer()
    status = fields.Function(_status, metadata={"enum": list(rules.STATUSES), "description":
                             "scheduled, in_force (through ends_on), ended, or lifted."})
    lifted_on = fields.Date(allow_none=True)
    lift_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")


class SuspensionPageSchema(PageSchema):
    """A page of suspensions."""

    items = fields.List(fields.Nested(SuspensionSchema), required=True)


class SuspensionListQuerySchema(PageQuerySchema):
    """Which suspensions to list."""

    as_ = fields.String(data_key="as", load_default=None,
                        validate=validate.OneOf(["suspending", "suspended"]))
    in_force = fields.Boolean(load_default=None)


class DirectorySuspensionsQuerySchema(PageQuerySchema):
    """Paging for a library's suspensions in force."""
