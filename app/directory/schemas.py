"""The wire format of the directory: a structured policy in, directory entries out.

R3 by construction: no field of a policy can hold another library's code or name, and unknown
fields are refused (marshmallow's default, RAISE), so a restriction cannot target a library.
Free text is still checked for member codes and names by `rules.validate_policy`.
"""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from app.bills.schemas import StrictBoolean
from app.directory import rules
from app.fields import WebAddress
from app.libraries.models import LIBRARY_TYPES
from app.pagination import PageQuerySchema, PageSchema, cursor_field

TEXT = validate.Length(min=1, max=2000)
SHORT = validate.Length(min=1, max=200)
VOCABULARY_DOC = ("Formats: " + ", ".join(rules.FORMATS) + ". Collections: "
                  + ", ".join(rules.COLLECTIONS) + ".")


class Count(fields.Integer):
    """A whole number in a range: 2.5, "2" and true are refused, not coerced."""

    def __init__(self, *, minimum: int = 0, maximum: int = 10_000, **kwargs):
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", None)
            kwargs.setdefault("allow_none", True)
        super().__init__(strict=True, validate=validate.Range(min=minimum, max=maximum),
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Give a whole number, not {type(value).__name__}.")
        return super()._deserialize(value, attr, data, **kwargs)


class PolicyDate(fields.Date):
    """An ISO date; stored policies keep dates as ISO text, dumped as they are."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


def Text(**kwargs):
    """Optional free text (checked for member library codes and names, R3)."""
    return fields.String(load_default=None, allow_none=True, validate=TEXT, **kwargs)


def Terms(choices, description: str, **kwargs):
    """A set of terms from a fixed vocabulary."""
    return fields.List(fields.String(validate=validate.OneOf(choices)), load_default=list,
                       validate=validate.Length(max=len(choices)),
                       metadata={"description": description}, **kwargs)


class FormatLimitSchema(Schema):
    """Terms for one format: how many at a time, for how long, how many renewals."""

    format = fields.String(required=True, validate=validate.OneOf(rules.VOCABULARY),
                           metadata={"description": VOCABULARY_DOC})
    items_at_a_time = Count(metadata={"description": "At least 1 (R4); null: the overall cap."})
    loan_days = Count(minimum=1, maximum=365)
    renewals = Count(maximum=99)


class ReciprocalBorrowingSchema(Schema):
    """What a visiting patron of another member library may borrow here (R1, R3, R4)."""

    participates = StrictBoolean(required=True, metadata={
        "description": "Taking part; required true for public full members (R1)."})
    items_at_a_time = Count(metadata={
        "description": "The cap for reciprocal borrowers, at least 1 (R4); null: no cap."})
    loan_days = Count(minimum=1, maximum=365, metadata={
        "description": "Usual loan period in days; null: as for the library's own patrons."})
    renewals = Count(maximum=99)
    format_limits = fields.List(fields.Nested(FormatLimitSchema), load_default=list,
                                validate=validate.Length(max=len(rules.VOCABULARY)))
    excluded_formats = Terms(rules.VOCABULARY, "Formats and collections not lent to reciprocal "
                             "borrowers. " + VOCABULARY_DOC)
    holds_allowed = StrictBoolean(load_default=None, allow_none=True)
    register_in_person = StrictBoolean(load_default=None, allow_none=True, metadata={
        "description": "The patron registers at the desk, in person, before the first loan."})
    notes = Text()


class FeeSchema(Schema):
    """A fee charged to reciprocal borrowers (R11: also charged to own patrons, or old)."""

    name = fields.String(required=True, validate=SHORT)
    applies_to = fields.String(load_default="reciprocal_borrowing",
                               validate=validate.OneOf(rules.FEE_APPLIES_TO))
    amount_cents = Count(required=True, minimum=1, maximum=1_000_000)
    basis = fields.String(required=True, validate=validate.OneOf(rules.FEE_BASES))
    also_charged_to_own_patrons = StrictBoolean(required=True)
    in_effect_since = PolicyDate(load_default=None, allow_none=True, metadata={
        "description": "Required on or before 2014-07-01 when own patrons do not pay it (R11)."})
    notes = Text()


class GroupSchema(Schema):
    """A group of borrowing libraries: a consortium, a type of library, a state or a region.
    Never one library (R3): a consortium's or region's name is checked like free text."""

    # _name_fits_kind, for the OpenAPI document (app/openapi.py SchemaRulesPlugin).
    OPENAPI_RULES = {"allOf": [
        {"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
         "then": {"properties": {"name": {"enum": sorted(names)}}}}
        for kind, names in (("library_type", rules.BORROWER_KINDS), ("state", rules.US_STATES))]}

    kind = fields.String(required=True, validate=validate.OneOf(rules.GROUP_KINDS))
    name = fields.String(required=True, validate=SHORT, metadata={
        "description": "consortium, region: its name (CUNY); library_type: one of "
                       + ", ".join(rules.BORROWER_KINDS) + "; state: a two-letter code (NY)."})

    @validates_schema
    def _name_fits_kind(self, data, **kwargs):
        if data["kind"] == "library_type" and data["name"] not in rules.BORROWER_KINDS:
            raise ValidationError("One of: " + ", ".join(rules.BORROWER_KINDS) + ".", "name")
        if data["kind"] == "state" and data["name"] not in rules.US_STATES:
            raise ValidationError("A two-letter state code, such as NY.", "name")


class ConditionalFormatSchema(Schema):
    """A format lent by interlibrary loan only to named groups, or only by special agreement."""

    # _groups_fit, for the OpenAPI document (app/openapi.py SchemaRulesPlugin).
    OPENAPI_RULES = {"allOf": [
        {"if": {"properties": {"lends": {"const": "groups_only"}}, "required": ["lends"]},
         "then": {"properties": {"groups": {"minItems": 1}}, "required": ["groups"]}},
        {"if": {"properties": {"lends": {"const": "special_agreement"}}, "required": ["lends"]},
         "then": {"properties": {"groups": {"maxItems": 0}}}}]}

    format = fields.String(required=True, validate=validate.OneOf(rules.VOCABULARY),
                           metadata={"description": VOCABULARY_DOC})
    lends = fields.String(required=True, validate=validate.OneOf(
        ["groups_only", "special_agreement"]), metadata={
        "description": "groups_only: to the listed groups only; special_agreement: not on a "
                       "usual basis, but by agreement with the lending library."})
    groups = fields.List(fields.Nested(GroupSchema), load_default=list,
                         validate=validate.Length(max=20))
    notes = Text()

    @validates_schema
    def _groups_fit(self, data, **kwargs):
        if data["lends"] == "groups_only" and not data.get("groups"):
            raise ValidationError("Name the groups this format is lent to.", "groups")
        if data["lends"] == "special_agreement" and data.get("groups"):
            raise ValidationError("A format lent by special agreement names no group; use "
                                  "groups_only for a format lent to some groups.", "groups")


class BorrowingLibraryLimitsSchema(Schema):
    """Caps for each borrowing library (as own_patrons caps each patron)."""

    items_at_a_time = Count(minimum=1)
    requests_per_week = Count(minimum=1)


class IllContactSchema(Schema):
    """Whom to ask about interlibrary loan."""

    name = fields.String(load_default=None, allow_none=True, validate=SHORT)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    url = WebAddress(load_default=None, allow_none=True)
    hours = fields.String(load_default=None, allow_none=True, validate=SHORT)


class LostMaterialsSchema(Schema):
    """What a borrowing library pays when a loaned item is lost (R5, R10): the ways the
    lender accepts, and its processing fee (an amount, none, or one that may apply)."""

    methods = Terms(rules.LOST_METHODS, "Every way the lender accepts to make good a lost "
                    "item (R10).")
    replacement = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(rules.LOST_METHODS), metadata={
        "description": "Older form of `methods` with one way; still accepted, and shown as "
                       "the first of `methods`."})
    processing_fee = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(rules.PROCESSING_FEE), metadata={
        "description": "fixed: `processing_fee_cents`, and bills may not charge more; none: "
                       "bills may charge none; unstated: a fee may apply with no amount "
                       "published, so a bill itemises it and the home library may dispute it. "
                       "Left out: fixed when an amount is given, otherwise unstated."})
    processing_fee_cents = Count(maximum=1_000_000, metadata={
        "description": "Bills for lost items may not charge more (see POST /bills)."})
    notes = Text()

    @post_load
    def _one_form(self, data, **kwargs):
        """`replacement` and `methods` say the same thing; `processing_fee` is always set."""
        methods = list(data.get("methods") or [])
        if data.get("replacement") and data["replacement"] not in methods:
            methods.insert(0, data["replacement"])
        data["methods"] = methods or ["list_price"]
        data["replacement"] = data["methods"][0]
        if data.get("processing_fee") is None:
            cents = data.get("processing_fee_cents")
            data["processing_fee"] = ("unstated" if cents is None
                                      else "none" if cents == 0 else "fixed")
        if data["processing_fee"] == "none" and data.get("processing_fee_cents") == 0:
            data["processing_fee_cents"] = None
        return data


class PhotocopySchema(Schema):
    """Whether copies and scans are supplied, and on what terms (R5)."""

    provided = StrictBoolean(required=True)
    charge_cents_per_page = Count(maximum=10_000)
    notes = Text()


class OwnPatronsSchema(Schema):
    """Interlibrary loan for the library's own patrons: who may ask and how much."""

    items_at_a_time = Count(minimum=1)
    requests_per_week = Count(minimum=1)
    eligible = fields.List(fields.String(validate=SHORT), load_default=list,
                           validate=validate.Length(max=30))
    not_eligible = fields.List(fields.String(validate=SHORT), load_default=list,
                               validate=validate.Length(max=30))
    notes = Text()


class InterlibraryLoanSchema(Schema):
    """The interlibrary loan policy (R5): contact, formats, costs, photocopies, terms."""

    contact = fields.Nested(IllContactSchema, required=True)
    formats_lent = Terms(rules.VOCABULARY, "What it lends. " + VOCABULARY_DOC)
    formats_not_lent = Terms(rules.VOCABULARY, "What it does not lend. " + VOCABULARY_DOC)
    loan_days = Count(minimum=1, maximum=365)
    renewals = Count(maximum=99)
    lends_to = Terms(rules.BORROWER_KINDS, "Kinds of institutions it lends to.")
    does_not_lend_to = Terms(rules.BORROWER_KINDS, "Kinds of institutions it does not lend to.")
    request_methods = Terms(rules.REQUEST_METHODS, "How other libraries send requests.")
    conditional_formats = fields.List(
        fields.Nested(ConditionalFormatSchema), load_default=list,
        validate=validate.Length(max=len(rules.VOCABULARY)), metadata={
            "description": "Formats lent only to some groups or only by special agreement; "
                           "`formats_lent` are lent to every library, `formats_not_lent` to "
                           "none."})
    loan_days_may_vary = StrictBoolean(load_default=None, allow_none=True, metadata={
        "description": "The loan period is the usual one unless the lending library sets "
                       "another."})
    renewal_days = Count(minimum=1, maximum=365, metadata={"description": "How long a renewal "
                                                           "lasts."})
    renew_days_before_due = Count(maximum=60, metadata={
        "description": "A renewal is asked for at least this many days before the due date."})
    no_renewal_if_on_hold = StrictBoolean(load_default=None, allow_none=True, metadata={
        "description": "No renewal when another patron holds the item."})
    no_renewal_when_overdue_days = Count(maximum=365, metadata={
        "description": "No renewal once the item is this many days overdue."})
    renewals_at_lender_discretion = StrictBoolean(load_default=None, allow_none=True)
    recall_any_time = StrictBoolean(load_default=None, allow_none=True, metadata={
        "description": "Loans may be recalled at any time."})
    subject_limit = StrictBoolean(load_default=None, allow_none=True, metadata={
        "description": "The lender may limit how many items on a single subject it lends."})
    borrowing_library_limits = fields.Nested(BorrowingLibraryLimitsSchema, load_default=None,
                                             allow_none=True)
    priorities = fields.List(fields.Nested(GroupSchema), load_default=list,
                             validate=validate.Length(max=20), metadata={
        "description": "Groups of borrowing libraries served first, in order."})
    oclc_symbol = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[A-Z0-9]{3,8}\Z", error="An OCLC symbol: 3 to 8 capital letters or digits."))
    request_email = fields.Email(load_default=None, allow_none=True,
                                 validate=validate.Length(max=254))
    request_url = WebAddress(load_default=None, allow_none=True, metadata={
        "description": "The request form other libraries use."})
    charge_cents = Count(maximum=1_000_000, metadata={
        "description": "What a request costs the borrowing library; 0: free."})
    lost_materials = fields.Nested(LostMaterialsSchema, load_default=None, allow_none=True)
    photocopy = fields.Nested(PhotocopySchema, load_default=None, allow_none=True)
    own_patrons = fields.Nested(OwnPatronsSchema, load_default=None, allow_none=True)
    notes = Text()


class ServiceSchema(Schema):
    """A service open to reciprocal patrons, and its limits (applied equally, R3)."""

    service = fields.String(required=True, validate=validate.OneOf(rules.SERVICES))
    offered = StrictBoolean(required=True)
    limits = Text()


class NonresidentCardsSchema(Schema):
    """The board's yearly nonresident card decision and its report (R18)."""

    participates = StrictBoolean(required=True)
    fee_formula = Text()
    fee_cents = Count(maximum=10_000_000)
    effective_from = PolicyDate(load_default=None, allow_none=True)
    effective_until = PolicyDate(load_default=None, allow_none=True)
    board_decision_on = PolicyDate(required=True, metadata={
        "description": "The board's decision: not after today (R18)."})
    reported_on = PolicyDate(load_default=None, allow_none=True, metadata={
        "description": "Set by the directory: the day it received this decision (R18); a value "
                       "sent is replaced, with a warning. More than 30 days after the decision "
                       "is accepted but flagged late."})


class ConfidentialitySchema(Schema):
    """How the library keeps circulation and ILL records confidential (R16)."""

    records_confidential = StrictBoolean(required=True)
    released_only_by = Terms(rules.RECORD_RELEASE, "What alone opens the records.")
    notes = Text()


class OpeningHoursSchema(Schema):
    """Days and hours the library is open (closing after opening is checked with the policy's
    rules: no schema can compare two fields)."""

    # _in_order's first check, for the OpenAPI document.
    OPENAPI_RULES = {"allOf": [{"required": ["days"], "properties": {"days": {"minItems": 1}}}]}

    days = Terms(rules.WEEKDAYS, "The days these hours apply to.")
    opens = fields.String(required=True, validate=validate.Regexp(
        r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z", error="A time as HH:MM, 24-hour."))
    closes = fields.String(required=True, validate=validate.Regexp(
        r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z|^24:00\Z", error="A time as HH:MM, 24-hour."))

    @validates_schema
    def _in_order(self, data, **kwargs):
        if not data.get("days"):
            raise ValidationError("Give at least one day.", "days")


class PolicySchema(Schema):
    """A library's whole published policy: reciprocal borrowing, fees, ILL, services, cards."""

    reviewed_on = PolicyDate(required=True, metadata={
        "description": "Last reviewed; more than 12 months ago shows as stale (R5)."})
    review_cycle_months = Count(minimum=1, maximum=60, metadata={
        "description": "How often the library reviews its policy; shown beside the 12-month "
                       "stale flag (R5), which stays."})
    confidentiality = fields.Nested(ConfidentialitySchema, load_default=None, allow_none=True)
    opening_hours = fields.List(fields.Nested(OpeningHoursSchema), load_default=list,
                                validate=validate.Length(max=14))
    opening_hours_notes = Text()
    reciprocal_borrowing = fields.Nested(ReciprocalBorrowingSchema, required=True)
    fees = fields.List(fields.Nested(FeeSchema), load_default=list,
                       validate=validate.Length(max=50))
    interlibrary_loan = fields.Nested(InterlibraryLoanSchema, required=True)
    services = fields.List(fields.Nested(ServiceSchema), load_default=list,
                           validate=validate.Length(max=len(rules.SERVICES)))
    nonresident_cards = fields.Nested(NonresidentCardsSchema, load_default=None,
                                      allow_none=True)


class WarningSchema(Schema):
    """Something accepted but worth knowing (a late nonresident report, R18)."""

    code = fields.String()
    path = fields.String()
    message = fields.String()


class LibraryCardSchema(Schema):
    """Who the library is, as the directory shows it."""

    code = fields.String()
    name = fields.String()
    type = fields.String(metadata={"enum": list(LIBRARY_TYPES)})
    city = fields.String(allow_none=True)
    county = fields.String(allow_none=True)
    system = fields.String(allow_none=True)
    contact = fields.Dict()


class DirectoryAddressSchema(Schema):
    """Where the library is."""

    street = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    zip = fields.String(allow_none=True)
    county = fields.String(allow_none=True)


class EntrySchema(LibraryCardSchema):
    """A library in the directory, with its current policy's key facts."""

    address = fields.Nested(DirectoryAddressSchema)
    map_url = fields.String(allow_none=True, metadata={
        "description": "A map of the street address (OpenStreetMap); null without a street."})
    published = fields.Boolean()
    version = fields.Integer(allow_none=True)
    published_at = fields.DateTime(format="iso", allow_none=True)
    published_on = fields.Date(allow_none=True, metadata={
        "description": "The federation's calendar date of `published_at` (its time zone)."})
    reviewed_on = fields.Date(allow_none=True)
    stale = fields.Boolean(metadata={"description": "Reviewed more than 12 months ago (R5)."})
    review_cycle_months = fields.Integer(allow_none=True, metadata={
        "description": "The library's own review cycle, when it states one."})
    review_due_on = fields.Date(allow_none=True, metadata={
        "description": "The next review by the library's own cycle."})
    review_overdue = fields.Boolean(metadata={
        "description": "Past the review its own cycle calls for (the 12-month flag is "
                       "`stale`)."})
    participates = fields.Boolean(allow_none=True)
    items_at_a_time = fields.Integer(allow_none=True)
    lends_formats = fields.List(fields.String())
    nonresident_cards = fields.Boolean(allow_none=True, metadata={
        "description": "Sells nonresident cards today: a programme in effect (R18)."})
    nonresident_report_late = fields.Boolean(allow_none=True)


class EntryDetailSchema(EntrySchema):
    """A library's directory page: the policy, and the same in plain words."""

    policy = fields.Nested(PolicySchema, allow_none=True)
    summary = fields.Dict(metadata={"description": "The policy in plain sentences, by section."})


class PublishedSchema(Schema):
    """The answer to a publish: the version, whether it changed, and any warnings."""

    code = fields.String()
    version = fields.Integer()
    changed = fields.Boolean()
    published_at = fields.DateTime(format="iso")
    reviewed_on = fields.Date()
    stale = fields.Boolean()
    nonresident_report_late = fields.Boolean()
    warnings = fields.List(fields.Nested(WarningSchema))
    policy = fields.Nested(PolicySchema)


class DirectoryQuerySchema(PageQuerySchema):
    """Search and filters for the directory list and CSV."""

    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "Words in the library's name, city or code."})
    type = fields.String(load_default=None, validate=validate.OneOf(LIBRARY_TYPES))
    county = fields.String(load_default=None, validate=validate.Length(max=100))
    system = fields.String(load_default=None, validate=validate.Length(max=64))
    lends_format = fields.String(load_default=None, validate=validate.OneOf(rules.FORMATS),
                                 metadata={"description": "Lends this format to reciprocal "
                                                          "borrowers."})
    nonresident_cards = fields.Boolean(load_default=None, metadata={
        "description": "Sells nonresident cards today (a programme in effect, R18), or not."})
    stale = fields.Boolean(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["current", "stale", "not_published", "not_published_or_stale"]), metadata={
        "description": "current: reviewed in the last 12 months; stale: not (R5); "
                       "not_published: no policy yet; not_published_or_stale: either."})


class EntryPageSchema(PageSchema):
    """A page of the directory."""

    items = fields.List(fields.Nested(EntrySchema), required=True)
    total = fields.Integer(metadata={"description": "How many libraries match, in all pages."})


class ChangeSchema(Schema):
    """One field that changed between two versions."""

    path = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class VersionSchema(Schema):
    """A published version and what it changed from the one before."""

    version = fields.Integer()
    published_at = fields.DateTime(format="iso")
    reviewed_on = fields.Date()
    changes = fields.List(fields.Nested(ChangeSchema))


class HistoryQuerySchema(Schema):
    """Paging through a history, newest first."""

    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=500))
    cursor = cursor_field()


class HistoryPageSchema(PageSchema):
    """A page of a library's versions, newest first."""

    code = fields.String()
    items = fields.List(fields.Nested(VersionSchema), required=True)


class DirectoryQuestionSchema(Schema):
    """A visitor's question: may I borrow this format here?"""

    format = fields.String(required=True, validate=validate.OneOf(rules.VOCABULARY),
                           metadata={"description": VOCABULARY_DOC})


class IllAnswerSchema(Schema):
    """Whether the patron's own library can get the format from this one by ILL."""

    lends = fields.String(metadata={"enum": [*rules.LENDING, "not_stated"]})
    groups = fields.List(fields.Nested(GroupSchema))
    loan_days = fields.Integer(allow_none=True)
    renewals = fields.Integer(allow_none=True)
    contact = fields.Dict(allow_none=True)
    answer = fields.String()


class DirectoryAnswerSchema(Schema):
    """The answer in plain words, with the structured facts behind it."""

    code = fields.String()
    name = fields.String()
    format = fields.String()
    question = fields.String()
    may_borrow = fields.Boolean(allow_none=True, metadata={
        "description": "null when the library has not published a policy."})
    items_at_a_time = fields.Integer(allow_none=True)
    loan_days = fields.Integer(allow_none=True)
    renewals = fields.Integer(allow_none=True)
    conditions = fields.List(fields.String())
    answer = fields.String(metadata={"description": "In person, with a home card (reciprocal "
                                                    "borrowing)."})
    interlibrary_loan = fields.Nested(IllAnswerSchema, allow_none=True, metadata={
        "description": "Through the patron's own library, by interlibrary loan."})
    reviewed_on = fields.Date(allow_none=True)
    stale = fields.Boolean()
