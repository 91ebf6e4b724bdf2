"""The wire format for live home endpoints, peer federations and the peer-facing calls."""

from marshmallow import Schema, fields, validate

from app.fields import StrictBoolean
from app.libraries.schemas import CODE, ContactSchema
from app.pagination import PageSchema
from app.patrons.schemas import CardNumberField
from app.reach.models import PROTOCOLS

_SHORT = validate.Length(min=1, max=100)
_SECRET = validate.Length(min=1, max=200)


class CircuitSchema(Schema):
    """A circuit breaker's state: closed (asking), open (not asking) or half_open (trying)."""

    state = fields.String(metadata={"enum": ["closed", "open", "half_open"]})
    failures = fields.Integer(metadata={"description": "Consecutive failures."})
    opened_at = fields.DateTime(format="iso", allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = fields.DateTime(format="iso", allow_none=True)
    last_ok_at = fields.DateTime(format="iso", allow_none=True)


class HomeEndpointInputSchema(Schema):
    """A library's own system, asked live about its cards (R14)."""

    protocol = fields.String(required=True, validate=validate.OneOf(PROTOCOLS), metadata={
        "description": "ncip: NCIP 2 LookupUser over HTTP(S) POST; sip2: SIP2 over TCP "
                       "(login 93, patron status 23); json: the signed JSON check the SDK "
                       "hosts (federation/home_system.py)."})
    address = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                            metadata={"description": "https:// URL (ncip, json) or host:port "
                                                     "(sip2)."})
    to_agency_id = fields.String(validate=_SHORT, metadata={
        "description": "ncip: the library's NCIP agency id (required)."})
    from_agency_id = fields.String(validate=_SHORT, metadata={
        "description": "ncip: the agency id the federation sends as (default RECIPROCITY)."})
    agency_password = fields.String(validate=_SECRET, load_only=True, metadata={
        "description": "ncip: FromAgencyAuthentication, if the responder wants one."})
    institution_id = fields.String(validate=_SHORT, metadata={
        "description": "sip2: the institution id (AO) (required)."})
    login_user = fields.String(validate=_SHORT, metadata={
        "description": "sip2: the login user id (CN); without it no login is sent."})
    login_password = fields.String(validate=_SECRET, load_only=True)
    location_code = fields.String(validate=_SHORT)
    terminal_password = fields.String(validate=_SECRET, load_only=True)


class HomeEndpointSchema(Schema):
    """A registered endpoint: passwords never shown; the JSON secret only when issued."""

    library = fields.String()
    protocol = fields.String(metadata={"enum": list(PROTOCOLS)})
    address = fields.String()
    enabled = fields.Boolean()
    credentials = fields.Dict(metadata={"description": "The ids sent (no passwords)."})
    passwords_set = fields.List(fields.String())
    secret = fields.String(allow_none=True, metadata={
        "description": "json: the whsec_ secret to sign with, shown once."})
    circuit = fields.Nested(CircuitSchema)
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")


class HomeEndpointPageSchema(PageSchema):
    """A page of endpoints, by library code."""

    items = fields.List(fields.Nested(HomeEndpointSchema), required=True)


class PeerCreateSchema(Schema):
    """A peer federation (another Reciprocity service) to forward its cards to (R17)."""

    code = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9-]{1,31}\Z", error="Lower-case letters, digits and '-'."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    base_url = fields.String(required=True, validate=validate.Length(max=2000), metadata={
        "description": "The peer's root URL (https://...), before /api/v1."})
    outgoing_key = fields.String(load_default=None, load_only=True, validate=validate.Regexp(
        r"^rcpeer_[A-Za-z0-9_-]{20,100}\Z"), metadata={
        "description": "The peer key the peer issued to this federation (set it later with "
                       "PATCH when the peer has not issued it yet)."})


class PeerUpdateSchema(Schema):
    """Change a peer: name, address, the key we use there, or take it out of use."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    base_url = fields.String(validate=validate.Length(max=2000))
    outgoing_key = fields.String(load_only=True, validate=validate.Regexp(
        r"^rcpeer_[A-Za-z0-9_-]{20,100}\Z"))
    active = StrictBoolean()


class PeerSchema(Schema):
    """A peer federation as the office sees it."""

    code = fields.String()
    name = fields.String()
    base_url = fields.String()
    active = fields.Boolean()
    incoming_key = fields.String(allow_none=True, metadata={
        "description": "The key the peer uses here (peer calls only): shown once."})
    incoming_key_prefix = fields.String(allow_none=True)
    outgoing_key_set = fields.Boolean(metadata={"description": "Whether we hold a key there."})
    libraries = fields.Integer(metadata={"description": "Libraries synced from the peer."})
    synced_at = fields.DateTime(format="iso", allow_none=True)
    sync_error = fields.String(allow_none=True)
    circuit = fields.Nested(CircuitSchema)
    created_at = fields.DateTime(format="iso")


class PeerListSchema(Schema):
    """The registered peers."""

    items = fields.List(fields.Nested(PeerSchema))


class SyncSchema(Schema):
    """What a sync read from the peer."""

    peer = fields.String()
    libraries = fields.Integer()
    skipped = fields.Integer(metadata={"description": "Codes already used here or by "
                                                      "another peer."})
    prefixes = fields.Integer()
    synced_at = fields.DateTime(format="iso")


class PeerQuestionSchema(Schema):
    """A verification forwarded by a peer federation (one hop, R17)."""

    card_number = CardNumberField(required=True, validate=validate.Length(max=80))
    home_library = fields.String(load_default=None, validate=CODE)
    surname = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    lending_library = fields.Dict(required=True, metadata={
        "description": "The asking desk's library at the peer: {code, name}."})
    budget_ms = fields.Integer(load_default=None, validate=validate.Range(min=0, max=60_000),
                               metadata={"description": "Milliseconds the caller still waits."})


class PeerLibrarySchema(Schema):
    """A participating library, as a peer federation syncs it."""

    code = fields.String()
    name = fields.String()
    card_prefixes = fields.List(fields.String())
    contact = fields.Nested(ContactSchema)


class PeerLibraryPageSchema(PageSchema):
    """A page of participating libraries."""

    items = fields.List(fields.Nested(PeerLibrarySchema), required=True)


class PeerTrafficRowSchema(Schema):
    """Verifications that crossed to (out) or from (in) a peer in a month (R19)."""

    month = fields.String()
    peer = fields.String()
    direction = fields.String(metadata={"enum": ["in", "out"]})
    library = fields.String(metadata={"description": "The library here: the lender (out) or "
                                                     "the home library (in)."})
    remote_library = fields.String()
    eligible = fields.Integer()
    not_eligible = fields.Integer()
    refer = fields.Integer()


class PeerTrafficSchema(Schema):
    """A year of crossings."""

    year = fields.Integer()
    items = fields.List(fields.Nested(PeerTrafficRowSchema))


class PeerRefSchema(Schema):
    """Which peer federation a library belongs to."""

    code = fields.String()
    name = fields.String()


class PeerEntrySchema(Schema):
    """A peer library in the directory, marked as the peer's (its review date and staleness
    as the peer published them, R5)."""

    code = fields.String()
    name = fields.String()
    peer = fields.Nested(PeerRefSchema)
    synced_at = fields.DateTime(format="iso")
    published = fields.Boolean()
    reviewed_on = fields.String(allow_none=True)
    stale = fields.Boolean(allow_none=True)
    participates = fields.Boolean(allow_none=True)
    items_at_a_time = fields.Integer(allow_none=True)
    lends_formats = fields.List(fields.String())
    contact = fields.Dict()
    city = fields.String(allow_none=True)
    county = fields.String(allow_none=True)
    system = fields.String(allow_none=True)


class PeerEntryPageSchema(PageSchema):
    """A page of peer libraries."""

    items = fields.List(fields.Nested(PeerEntrySchema), required=True)


class PeerAnswerQuerySchema(Schema):
    """May I borrow this format at the peer library?"""

    format = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PeerAnswerSchema(Schema):
    """The peer's own answer, marked with the peer."""

    code = fields.String()
    name = fields.String()
    format = fields.String()
    question = fields.String()
    may_borrow = fields.Boolean(allow_none=True)
    items_at_a_time = fields.Integer(allow_none=True)
    loan_days = fields.Integer(allow_none=True)
    renewals = fields.Integer(allow_none=True)
    conditions = fields.List(fields.String())
    answer = fields.String()
    reviewed_on = fields.String(allow_none=True)
    stale = fields.Boolean(allow_none=True)
    peer = fields.Nested(PeerRefSchema)


class YearQuerySchema(Schema):
    """Which year."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))

