"""The wire format for patrons: card numbers and surnames go in, never come out (R16)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.pagination import PageQuerySchema, PageSchema
from app.patrons.models import STANDINGS
from app.patrons.rules import (
    CARD_PATTERN,
    InvalidCardNumber,
    check_typed_card,
    is_plain_text,
    normalize_card,
)

REASON_CODE = validate.Regexp(r"^[a-z0-9_]{1,40}\Z",
                              error="A block reason is a code such as 'fines' or 'lost_items'.")


def _plain_text(value: str) -> None:
    """Refuse control characters: PostgreSQL cannot store a NUL, and a 500 is never right."""
    if not is_plain_text(value):
        raise ValidationError("Must not contain control characters.")


SHORT_TEXT = [validate.Length(min=1, max=100), _plain_text]


class CardNumberField(fields.String):
    """A card number, checked to normalise (spaces and dashes are ignored).

    Its pattern in the OpenAPI document is the one the field checks (CARD_PATTERN), so a
    client's validation and the service's agree.
    """

    def __init__(self, **kwargs):
        metadata = {"pattern": CARD_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            check_typed_card(text)
            normalize_card(text)
        except InvalidCardNumber as error:
            raise ValidationError(str(error)) from None
        return text


class PatronFieldsSchema(Schema):
    """The fields a home library keeps about a patron."""

    # _reasons_only_when_blocked, for the OpenAPI document.
    OPENAPI_RULES = {
        "if": {"properties": {"standing": {"const": "good"}}, "required": ["standing"]},
        "then": {"properties": {"block_reasons": {"maxItems": 0}}},
    }

    expires_on = fields.Date(metadata={"description": "Last day the card is valid."})
    standing = fields.String(validate=validate.OneOf(STANDINGS))
    block_reasons = fields.List(fields.String(validate=REASON_CODE),
                                validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=[validate.Length(max=40), _plain_text])
    surname = fields.String(allow_none=True, load_only=True, validate=SHORT_TEXT, metadata={
        "description": "Used only for identity checks; stored as a keyed hash, never shown."})
    external_ref = fields.String(allow_none=True, validate=SHORT_TEXT, metadata={
        "description": "The home library's own id for the patron."})

    @validates_schema
    def _reasons_only_when_blocked(self, data, **kwargs):
        """Block reasons describe a block: a patron in good standing has none."""
        if data.get("standing") == "good" and data.get("block_reasons"):
            raise ValidationError("Only a blocked patron has block reasons.", "block_reasons")


class PatronUpsertSchema(PatronFieldsSchema):
    """Create or update a patron by card number.

    `standing` has no default here: a new patron starts in good standing, but an update that
    leaves it out keeps the patron's standing, as a roster line does (R2: only the home library
    unblocks, and only by saying so).
    """

    card_number = CardNumberField(required=True, load_only=True,
                                  validate=validate.Length(max=80))
    expires_on = fields.Date(required=True, metadata={
        "description": "Last day the card is valid."})


class PatronUpdateSchema(PatronFieldsSchema):
    """Change a patron; the card number changes only through replace-card."""


class CardLookupSchema(Schema):
    """A card number to look up among the caller's own patrons."""

    card_number = CardNumberField(required=True, validate=validate.Length(max=80))


class ReplaceCardSchema(Schema):
    """A patron's new card."""

    new_card_number = CardNumberField(required=True, validate=validate.Length(max=80))


class PatronSchema(Schema):
    """A patron as the home library sees it: the last four of the card, never the rest."""

    id = fields.String()
    card_last4 = fields.String()
    expires_on = fields.Date()
    standing = fields.String()
    block_reasons = fields.List(fields.String())
    category = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)
    identity_check = fields.Function(lambda p: p.surname_hmac is not None, metadata={
        "description": "True when a surname is on file for identity checks."})
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")


class PatronPageSchema(PageSchema):
    """A page of patrons."""

    items = fields.List(fields.Nested(PatronSchema), required=True)


class PatronListQuerySchema(PageQuerySchema):
    """Filters for the list of the caller's patrons."""

    standing = fields.String(validate=validate.OneOf(STANDINGS))
    external_ref = fields.String(validate=SHORT_TEXT)


class ImportErrorSchema(Schema):
    """A line of a roster that was not imported."""

    line = fields.Integer()
    code = fields.String()
    detail = fields.String()


class ImportSummarySchema(Schema):
    """What an import did."""

    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    rejected = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))
    errors_truncated = fields.Boolean(metadata={
        "description": "True when more lines were rejected than `errors` lists."})
    encoding = fields.String(metadata={
        "description": "The encoding the roster was read in: the Content-Type's charset, "
                       "else utf-8."})


