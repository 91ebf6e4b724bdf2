"""The wire format for libraries and keys: separate input and output schemas."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.fields import StrictBoolean
from app.libraries.models import KEY_SCOPES, LIBRARY_TYPES, MEMBERSHIP_ACTIONS, MEMBERSHIPS
from app.pagination import PageQuerySchema, PageSchema

# \Z, not $: `$` also matches before a final newline, which let "IL0003\n" through as a new
# code (and, 16 characters long plus the newline, overflow the column on PostgreSQL).
CODE = validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,15}\Z",
                       error="Use 2-16 capital letters, digits, '-' or '_' (e.g. IL0003).")
PREFIX = re.compile(r"^[0-9]{1,16}\Z")
# A prefix as the OpenAPI document states it (_check_prefixes checks it).
PREFIX_ITEM = {"pattern": "^[0-9]{1,16}$"}


class ContactSchema(Schema):
    """How to reach a library's staff."""

    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))


class AddressSchema(Schema):
    """A library's postal address."""

    street = fields.String(allow_none=True, validate=validate.Length(max=200))
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    zip = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9]{5}(-[0-9]{4})?\Z", error="Use a ZIP code such as 60101 or 60101-1234."))
    county = fields.String(allow_none=True, validate=validate.Length(max=100))


def _check_prefixes(value: list[str]) -> None:
    """Card prefixes are digit strings, each listed once."""
    bad = [p for p in value if not PREFIX.match(p)]
    if bad:
        raise ValidationError(f"Card prefixes are 1-16 digits: {', '.join(bad[:5])}.")
    if len(set(value)) != len(value):
        raise ValidationError("A prefix is listed twice.")


class LibraryCreateSchema(Schema):
    """What the federation office sends to admit a library."""

    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(LIBRARY_TYPES))
    membership = fields.String(required=True, validate=validate.OneOf(MEMBERSHIPS))
    reciprocal_borrowing = StrictBoolean(load_default=None, metadata={
        "description": "Forced true for public full members (R1); others opt in."})
    card_prefixes = fields.List(fields.String(metadata=PREFIX_ITEM), load_default=list,
                                validate=validate.Length(max=50),
                                metadata={"uniqueItems": True})
    contact = fields.Nested(ContactSchema, load_default=dict)
    address = fields.Nested(AddressSchema, load_default=dict)
    system = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = StrictBoolean(load_default=True)

    @validates("card_prefixes")
    def _prefixes(self, value, **kwargs):
        """Card prefixes are digit strings."""
        _check_prefixes(value)


class LibraryUpdateSchema(Schema):
    """What may change about a library (the library itself: contact and card prefixes)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    type = fields.String(validate=validate.OneOf(LIBRARY_TYPES))
    membership = fields.String(validate=validate.OneOf(MEMBERSHIPS))
    reciprocal_borrowing = StrictBoolean()
    card_prefixes = fields.List(fields.String(metadata=PREFIX_ITEM),
                                validate=validate.Length(max=50),
                                metadata={"uniqueItems": True})
    contact = fields.Nested(ContactSchema)
    address = fields.Nested(AddressSchema)
    system = fields.String(allow_none=True, validate=validate.Length(max=64))
    active = StrictBoolean()

    @validates("card_prefixes")
    def _prefixes(self, value, **kwargs):
        """Card prefixes are digit strings."""
        _check_prefixes(value)


class LibrarySchema(Schema):
    """A library as callers see it."""

    code = fields.String()
    name = fields.String()
    type = fields.String()
    membership = fields.String()
    reciprocal_borrowing = fields.Boolean()
    active = fields.Boolean()
    participates = fields.Boolean(metadata={
        "description": "Active and taking part in reciprocal borrowing (R1)."})
    card_prefixes = fields.List(fields.String())
    contact = fields.Nested(ContactSchema)
    address = fields.Nested(AddressSchema)
    system = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")


class LibraryPageSchema(PageSchema):
    """A page of libraries."""

    items = fields.List(fields.Nested(LibrarySchema), required=True)


class LibraryListQuerySchema(PageQuerySchema):
    """Filters for the list of libraries."""

    active = fields.Boolean()
    type = fields.String(validate=validate.OneOf(LIBRARY_TYPES))
    system = fields.String(validate=validate.Length(max=64))


class KeyCreateSchema(Schema):
    """Options when issuing a key."""

    label = fields.String(load_default=None, validate=validate.Length(max=200))
    scope = fields.String(load_default="full", validate=validate.OneOf(KEY_SCOPES), metadata={
        "description": "verify: card verification only; read: verification and reads (GET); "
                       "full (default): everything the library may do."})


class IssuedKeySchema(Schema):
    """A newly issued key: the only time the key itself is shown."""

    id = fields.String()
    key = fields.String(metadata={"description": "Shown once; store it now."})
    prefix = fields.String()
    label = fields.String(allow_none=True)
    scope = fields.String()
    created_at = fields.DateTime(format="iso")


class KeySchema(Schema):
    """A key as listed: never the key itself."""

    id = fields.String()
    prefix = fields.String()
    label = fields.String(allow_none=True)
    scope = fields.String()
    created_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)


class MembershipActionCreateSchema(Schema):
    """The federation office's action on a library's membership (Plan VIII.2.c)."""

    action = fields.String(required=True, validate=validate.OneOf(MEMBERSHIP_ACTIONS),
                           metadata={"description": "`removed`: out of full membership (an "
                                                    "associate member, taking no part, R1); "
                                                    "`reinstated`: back to what it was."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                           metadata={"description": "Why, as the letter will say."})
    requirements = fields.String(load_default=None, validate=validate.Length(min=1, max=4000),
                                 metadata={"description": "What the library must do (to be "
                                                          "reinstated, say)."})


class MembershipActionSchema(Schema):
    """A membership action as the office and the library see it."""

    id = fields.String()
    library = fields.Function(lambda a: a.library.code)
    action = fields.String(metadata={"enum": list(MEMBERSHIP_ACTIONS)})
    reason = fields.String()
    requirements = fields.String(allow_none=True)
    membership_before = fields.String()
    reciprocal_borrowing_before = fields.Boolean()
    created_at = fields.DateTime(format="iso")
