"""The wire format of the event feed."""

from marshmallow import Schema, fields, validate

from app.events.types import EVENT_TYPES

TYPES = sorted(EVENT_TYPES)


class FeedQuerySchema(Schema):
    """Where to read from."""

    after = fields.String(load_default=None, validate=[
        validate.Length(max=200),
        validate.Regexp(r"^[0-9]*\Z", error="`after` is a `next_cursor` of this feed: digits.")],
        metadata={"description": "The `next_cursor` of the previous read; omit to start at "
                                 "the first. A position this feed did not give out is refused "
                                 "with 400 `invalid_cursor`."})
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=500))
    type = fields.List(fields.String(validate=validate.OneOf(TYPES)), load_default=None,
                       metadata={"description": "Only these event types (repeat the "
                                                "parameter for several)."})


class EventSchema(Schema):
    """One event: its type and the ids of what changed, never patron data (R16)."""

    id = fields.String()
    seq = fields.Integer(metadata={"description": "Position in your feed."})
    type = fields.String(validate=validate.OneOf(TYPES), metadata={
        "description": "What happened; one of the registered event types."})
    occurred_at = fields.DateTime(format="iso")
    data = fields.Dict()


class FeedSchema(Schema):
    """A page of the feed; poll again with `after=next_cursor` (it is never null)."""

    items = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String()
