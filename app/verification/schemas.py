"""The wire format for card verification."""

from marshmallow import Schema, fields, validate

from app.libraries.schemas import CODE, ContactSchema
from app.patrons.schemas import CardNumberField


class VerificationRequestSchema(Schema):
    """A lending desk's question about a card."""

    card_number = CardNumberField(required=True, validate=validate.Length(max=80))
    home_library = fields.String(load_default=None, validate=CODE, metadata={
        "description": "The home library's code; optional when the card's prefix names it "
                       "(R15)."})
    surname = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                            metadata={"description": "Optional identity check."})


class HomeLibrarySchema(Schema):
    """The card's home library and how to reach it."""

    code = fields.String()
    name = fields.String()
    contact = fields.Nested(ContactSchema)


class PeerAnsweredSchema(Schema):
    """The peer federation that answered, and what it answered from."""

    code = fields.String()
    name = fields.String()
    source = fields.String(allow_none=True, metadata={"enum": ["registry", "home_system"]})


class VerificationSchema(Schema):
    """The answer: eligible, not_eligible or refer, with reasons and the home's contact."""

    decision = fields.String(metadata={"enum": ["eligible", "not_eligible", "refer"]})
    reasons = fields.List(fields.String())
    home_library = fields.Nested(HomeLibrarySchema)
    expires_on = fields.Date(allow_none=True)
    identity = fields.String(metadata={"enum": ["matched", "mismatched", "not_checked"]})
    checked_at = fields.DateTime(format="iso")
    source = fields.String(metadata={
        "enum": ["registry", "home_system", "peer", "none"],
        "description": "Who answered: the federation's registry, the home library's own "
                       "system (R14), a peer federation (R17), or none (a peer that could not "
                       "be asked: refer)."})
    as_of = fields.DateTime(format="iso", allow_none=True, metadata={
        "description": "When the source last knew: the home library's last upload to the "
                       "registry, or the moment its system answered."})
    peer = fields.Nested(PeerAnsweredSchema, allow_none=True, metadata={
        "description": "The peer federation asked, for a peer library's card."})
    advice = fields.String()


class TrafficQuerySchema(Schema):
    """Which year of the traffic survey."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class TrafficRowSchema(Schema):
    """Verifications one lending library made of one home library's cards in a month."""

    month = fields.String()
    lending_library = fields.String()
    home_library = fields.String()
    eligible = fields.Integer()
    not_eligible = fields.Integer()
    refer = fields.Integer()


class TrafficSchema(Schema):
    """A year of verification traffic (R19); no card numbers are kept."""

    year = fields.Integer()
    items = fields.List(fields.Nested(TrafficRowSchema))
