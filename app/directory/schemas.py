"""The wire format of the directory: a structured policy in, directory entries out.

R3 by construction: no field of a policy can hold another library's code or name, and unknown
fields are refused (marshmallow's default, RAISE), so a restriction cannot target a library.
Free text is still checked for member codes and names by `rules.validate_policy`.
"""

from marshmallow import Schema, ValidationError, fields, validate

from app.bills.schemas import StrictBoolean
from app.directory import rules
from app.libraries.models import LIBRARY_TYPES
from app.pagination import PageQuerySchema, PageSchema

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


class IllContactSchema(Schema):
    """Whom to ask about interlibrary loan."""

    name = fields.String(load_default=None, allow_none=True, validate=SHORT)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    url = fields.Url(load_default=None, allow_none=True, validate=validate.Length(max=500))
    hours = fields.String(load_default=None, allow_none=True, validate=SHORT)


class LostMaterialsSchema(Schema):
    """What a borrowing library pays when a loaned item is lost (R5, R10)."""

    replacement = fields.String(load_default="list_price", validate=validate.OneOf(
        ["list_price", "list_price_or_equivalent_title", "replacement_copy", "by_agreement"]))
    processing_fee_cents = Count(maximum=1_000_000, metadata={
        "description": "Bills for lost items may not charge more (see POST /bills)."})
    notes = Text()


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


class PolicySchema(Schema):
    """A library's whole published policy: reciprocal borrowing, fees, ILL, services, cards."""

    reviewed_on = PolicyDate(required=True, metadata={
        "description": "Last reviewed; more than 12 months ago shows as stale (R5)."})
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


class EntrySchema(LibraryCardSchema):
    """A library in the directory, with its current policy's key facts."""

    published = fields.Boolean()
    version = fields.Integer(allow_none=True)
    published_at = fields.DateTime(format="iso", allow_none=True)
    reviewed_on = fields.Date(allow_none=True)
    stale = fields.Boolean(metadata={"description": "Reviewed more than 12 months ago (R5)."})
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
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class HistoryPageSchema(PageSchema):
    """A page of a library's versions, newest first."""

    code = fields.String()
    items = fields.List(fields.Nested(VersionSchema), required=True)


class DirectoryQuestionSchema(Schema):
    """A visitor's question: may I borrow this format here?"""

    format = fields.String(required=True, validate=validate.OneOf(rules.VOCABULARY),
                           metadata={"description": VOCABULARY_DOC})


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
    answer = fields.String()
    reviewed_on = fields.Date(allow_none=True)
    stale = fields.Boolean()
