"""The wire format for webhook endpoints and their delivery log. The secret is shown only in
the answers to creating an endpoint and rotating its secret."""

from marshmallow import Schema, fields, validate

from app.bills.schemas import StrictBoolean
from app.pagination import PageQuerySchema, PageSchema
from app.webhooks.models import DELIVERY_STATES

URL = validate.Length(min=1, max=2000)
DESCRIPTION = validate.Length(max=500)


class EndpointCreateSchema(Schema):
    """A URL to receive the library's events."""

    url = fields.String(required=True, validate=URL, metadata={
        "description": "An https:// URL whose host resolves to public addresses only."})
    description = fields.String(load_default=None, allow_none=True, validate=DESCRIPTION)


class EndpointUpdateSchema(Schema):
    """What a library may change on its endpoint."""

    url = fields.String(validate=URL)
    description = fields.String(allow_none=True, validate=DESCRIPTION)
    enabled = StrictBoolean(metadata={"description": "false stops delivery; true resumes it "
                                                     "from the first unacknowledged event."})


class EndpointSchema(Schema):
    """An endpoint and where its delivery stands (never its secret)."""

    id = fields.String()
    url = fields.String()
    description = fields.String(allow_none=True)
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True, metadata={
        "description": "gone (answered 410), failing (kept failing past the retry schedule) "
                       "or by_library."})
    disabled_at = fields.DateTime(format="iso", allow_none=True)
    delivered_seq = fields.Integer(metadata={
        "description": "The last position of your feed this endpoint acknowledged."})
    failures = fields.Integer(metadata={"description": "Consecutive failed attempts."})
    next_attempt_at = fields.DateTime(format="iso", allow_none=True)
    previous_secret_expires_at = fields.DateTime(format="iso", allow_none=True, metadata={
        "description": "During a rotation: until when the previous secret also signs."})
    created_at = fields.DateTime(format="iso")


class EndpointWithSecretSchema(EndpointSchema):
    """An endpoint with its signing secret: shown this once, keep it."""

    secret = fields.String(attribute="shown_secret", metadata={
        "description": "whsec_ + base64 of 32 bytes: verify deliveries with it. Shown once."})


class EndpointPageSchema(PageSchema):
    """A page of endpoints."""

    items = fields.List(fields.Nested(EndpointSchema), required=True)


class DeliverySchema(Schema):
    """One attempt to deliver one event."""

    id = fields.String()
    event_id = fields.String()
    event_seq = fields.Integer()
    event_type = fields.String()
    status = fields.String(metadata={"enum": list(DELIVERY_STATES)})
    response_status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    attempted_at = fields.DateTime(format="iso")
    redelivery_requested = fields.Function(lambda d: d.redeliver_requested_at is not None)


class DeliveryPageSchema(PageSchema):
    """A page of the attempts log, newest first."""

    items = fields.List(fields.Nested(DeliverySchema), required=True)


class DeliveryQuerySchema(PageQuerySchema):
    """Paging through the attempts log."""
