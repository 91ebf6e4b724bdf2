"""The wire format for bills: money is integer cents, never floats (R10)."""

import re

from marshmallow import Schema, ValidationError, fields, validate

from app.bills.models import BILL_STATES, ITEM_KINDS, PAYERS, PAYMENT_STATES, RESOLUTION_TERMS
from app.bills.rules import MAX_ITEM_CENTS, MAX_ITEMS
from app.fields import FORMATS, StrictBoolean
from app.libraries.schemas import CODE
from app.pagination import PageQuerySchema, PageSchema
from app.patrons.schemas import CardNumberField

REASON = validate.Length(min=1, max=2000)
_PERIOD = re.compile(r"^([0-9]{4})-Q([1-4])\Z")
# The same, for the OpenAPI document (ECMA-262 regex): years 0001 to 9998.
PERIOD_PATTERN = r"^(?!0000|9999)[0-9]{4}-Q[1-4]$"


class Cents(fields.Integer):
    """A positive whole number of cents: 12.5, "1250" and true are refused, not rounded.

    JSON has one kind of number: 1250.0 is the same number as 1250, and JSON Schema's
    `integer` (the OpenAPI document's type here) includes it, so it is read as 1250 cents.
    """

    def __init__(self, *, maximum: int = MAX_ITEM_CENTS, **kwargs):
        super().__init__(strict=True, validate=validate.Range(
            min=1, max=maximum, error=f"Must be a whole number of cents from 1 to {maximum}."),
            **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1250.0 is 1250: no fraction of a cent is lost
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Give a whole number of cents (1250 for $12.50), not "
                                  f"{type(value).__name__}.")
        return super()._deserialize(value, attr, data, **kwargs)


class BillItemInSchema(Schema):
    """A lost or damaged item on a new bill."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    barcode = fields.String(required=True, validate=validate.Length(min=1, max=64))
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    in_print = StrictBoolean(required=True)
    list_price_cents = Cents(load_default=None, allow_none=True)
    equivalent_title = fields.String(load_default=None, allow_none=True,
                                     validate=validate.Length(min=1, max=300))
    processing_fee_cents = Cents(load_default=None, allow_none=True)


class BillCreateSchema(Schema):
    """A new bill to a patron's home library (R9: within a year of the infraction)."""

    card_number = CardNumberField(required=True, load_only=True,
                                  validate=validate.Length(max=80))
    home_library = fields.String(required=True, validate=CODE)
    infraction_date = fields.Date(required=True, metadata={
        "description": "The day the item was declared lost or found damaged."})
    items = fields.List(fields.Nested(BillItemInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class BillItemSchema(Schema):
    """An item as billed."""

    title = fields.String()
    barcode = fields.String()
    format = fields.String()
    kind = fields.String()
    in_print = fields.Boolean()
    list_price_cents = fields.Integer(allow_none=True)
    equivalent_title = fields.String(allow_none=True)
    processing_fee_cents = fields.Integer(allow_none=True)
    amount_cents = fields.Integer()


class PaymentInSchema(Schema):
    """A payment toward a bill."""

    amount_cents = Cents(required=True, maximum=MAX_ITEM_CENTS * MAX_ITEMS)
    paid_by = fields.String(required=True, validate=validate.OneOf(PAYERS))
    reference = fields.String(load_default=None, validate=validate.Length(max=200))


class PaymentSchema(Schema):
    """A recorded payment."""

    id = fields.String()
    bill_id = fields.String()
    amount_cents = fields.Integer()
    currency = fields.Constant("USD")
    paid_by = fields.String()
    reference = fields.String(allow_none=True)
    recorded_by = fields.Function(lambda p: p.recorded_by.code)
    paid_on = fields.Date()
    status = fields.String(metadata={
        "enum": list(PAYMENT_STATES),
        "description": "confirmed: the lending library received it (it recorded or confirmed "
                       "it); reported: the home library says it collected it, awaiting the "
                       "lender's confirmation; declined: the lender says it never arrived. "
                       "Only confirmed money settles a bill (R8)."})
    confirmed_on = fields.Date(allow_none=True)
    declined_on = fields.Date(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")


class DisputeSchema(Schema):
    """A dispute and its answer."""

    id = fields.String()
    reason = fields.String()
    opened_at = fields.DateTime(format="iso")
    answer = fields.String(allow_none=True)
    answered_at = fields.DateTime(format="iso", allow_none=True)
    closed_at = fields.DateTime(format="iso", allow_none=True)
    closed_because = fields.String(allow_none=True)


class ResolutionInSchema(Schema):
    """Alternate terms proposed to the other party (R6)."""

    terms = fields.String(required=True, validate=validate.OneOf(RESOLUTION_TERMS))
    detail = fields.String(required=True, validate=REASON, metadata={
        "description": "What is offered, e.g. 'A new copy of the same edition by 1 March'."})


class ResolutionSchema(Schema):
    """A proposal and whether it was accepted."""

    id = fields.String()
    bill_id = fields.String()
    proposed_by = fields.Function(lambda r: r.proposed_by.code)
    terms = fields.String()
    detail = fields.String()
    status = fields.String()
    created_at = fields.DateTime(format="iso")
    accepted_at = fields.DateTime(format="iso", allow_none=True)


class BillSchema(Schema):
    """A bill as its two parties see it: the card's last four digits, never the number."""

    id = fields.String()
    status = fields.String(metadata={"enum": list(BILL_STATES)})
    issuer = fields.Function(lambda b: b.issuer.code)
    home_library = fields.Function(lambda b: b.home.code)
    card_last4 = fields.String(allow_none=True, metadata={
        "description": "Null once removed from a bill closed past RETENTION_DAYS (R16)."})
    # R16: the issuer learns nothing of the home library's records (the service leaves it out).
    patron_id = fields.String(allow_none=True, metadata={
        "description": "The home library's own patron id; shown to it only."})
    infraction_date = fields.Date()
    sent_on = fields.Date()
    deadline = fields.Date(metadata={"description": "The last day the bill could be sent (R9)."})
    currency = fields.Constant("USD")
    amount_due_cents = fields.Integer()
    amount_paid_cents = fields.Integer(metadata={
        "description": "Confirmed: money the lending library has received (R8)."})
    amount_reported_cents = fields.Integer(metadata={
        "description": "Reported by the home library, not yet confirmed by the lender (R7)."})
    balance_cents = fields.Integer(metadata={
        "description": "amount_due - amount_paid: reported money does not reduce it."})
    liable_party = fields.String(metadata={"enum": ["patron", "home_library"]})
    note = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(BillItemSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    disputes = fields.List(fields.Nested(DisputeSchema))
    resolutions = fields.List(fields.Nested(ResolutionSchema))
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")


class BillPageSchema(PageSchema):
    """A page of bills."""

    items = fields.List(fields.Nested(BillSchema), required=True)


class BillListQuerySchema(PageQuerySchema):
    """Which bills to list."""

    as_ = fields.String(data_key="as", load_default=None,
                        validate=validate.OneOf(["issuer", "home"]))
    status = fields.String(load_default=None, validate=validate.OneOf(BILL_STATES))


class ReasonSchema(Schema):
    """A reason, for voiding or disputing."""

    reason = fields.String(required=True, validate=REASON)


class AnswerSchema(Schema):
    """The issuer's answer to a dispute."""

    answer = fields.String(required=True, validate=REASON)


def parse_period(value: str) -> tuple[int, int]:
    """'2026-Q4' -> (2026, 4); a year the calendar cannot hold (0000, 9999-Q4's end) is refused."""
    match = _PERIOD.match(value)
    if not match or not 1 <= int(match.group(1)) <= 9998:
        raise ValidationError("Use a quarter such as 2026-Q4 (years 0001 to 9998).")
    return int(match.group(1)), int(match.group(2))


class StatementQuerySchema(Schema):
    """Which quarter, and in which format."""

    period = fields.String(required=True, validate=parse_period, metadata={
        "description": "A quarter: 2026-Q4.", "pattern": PERIOD_PATTERN})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class StatementRowSchema(Schema):
    """What passed between the caller and one other library in the quarter."""

    library = fields.String()
    name = fields.String()
    billed_by_you_cents = fields.Integer()
    billed_to_you_cents = fields.Integer()
    received_cents = fields.Integer(metadata={"description": "Paid in the quarter on bills "
                                                             "you issued to them."})
    paid_cents = fields.Integer(metadata={"description": "Paid in the quarter on their "
                                                         "bills to you."})
    owed_to_you_cents = fields.Integer(metadata={"description": "Balance at the quarter's "
                                                                "end of your bills to them."})
    you_owe_cents = fields.Integer(metadata={"description": "Balance at the quarter's end of "
                                                            "their bills to you."})
    you_owe_as_liable_cents = fields.Integer(metadata={
        "description": "Of that, bills you are liable for (a refused block, R8)."})
    reported_to_you_cents = fields.Integer(metadata={
        "description": "At the quarter's end, money they reported collecting on your bills "
                       "that you had not confirmed (not in owed_to_you: it is not received)."})
    reported_by_you_cents = fields.Integer(metadata={
        "description": "At the quarter's end, money you reported on their bills that they had "
                       "not confirmed (still in you_owe until they confirm it, R8)."})
    net_cents = fields.Integer(metadata={"description": "owed_to_you - you_owe."})


class StatementSchema(Schema):
    """A quarter's statement, one row per counterparty."""

    library = fields.String()
    period = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    currency = fields.Constant("USD")
    rows = fields.List(fields.Nested(StatementRowSchema))
