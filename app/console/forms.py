"""The console's forms (Flask-WTF): each carries a CSRF token checked on submit.

Forms check only what a person can get wrong in typing (a required box, a number); the rules
themselves are the services', whose errors the pages show next to the field they name.
"""

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth import SCOPE_WORDS
from app.console import rules
from app.libraries.models import KEY_SCOPES, LIBRARY_TYPES, MEMBERSHIPS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (easier on a phone and for a screen reader than a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def cents(text: str | None) -> int | None:
    """Dollars as typed ("12", "12.5", "$1,234.50") to integer cents; None when not money."""
    if text is None or not str(text).strip():
        return None
    cleaned = str(text).strip().replace("$", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if value != value.quantize(Decimal("0.01")) or value < 0 or value > Decimal("10000000"):
        return None
    return int(value * 100)


class ForgotPasswordForm(FlaskForm):
    """Ask for a one-time password link by email."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address."),
                                                    Length(max=254)])


class SignInForm(FlaskForm):
    """Sign in with an email address and a password."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address."),
                                                    Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=rules.PASSWORD_MAX)])


class SetPasswordForm(FlaskForm):
    """Choose a new password (from a one-time link)."""

    password = PasswordField("New password", validators=[DataRequired("Choose a password.")])
    confirm = PasswordField("The same password again",
                            validators=[DataRequired("Type the password again.")])

    def validate_confirm(self, field):
        """Both boxes must hold the same password."""
        if field.data != self.password.data:
            from wtforms.validators import ValidationError

            raise ValidationError("The two passwords are not the same.")


class VerifyForm(FlaskForm):
    """The desk: a typed or scanned card, and optionally the surname the patron gives."""

    card_number = StringField("Card number", validators=[
        DataRequired("Type or scan the card number."), Length(max=64)])
    surname = StringField("Surname (optional)", validators=[Optional(), Length(max=100)])


class StaffForm(FlaskForm):
    """A library administrator adds a colleague."""

    name = StringField("Name", validators=[DataRequired("Enter the person's name."),
                                           Length(max=200)])
    email = EmailField("Email address", validators=[DataRequired("Enter an email address."),
                                                    Length(max=254)])
    role = SelectField("Role", choices=[(role, rules.ROLE_WORDS[role])
                                        for role in rules.LIBRARY_ROLES])


class KeyForm(FlaskForm):
    """Issue an API key for a system of the library."""

    label = StringField("Name of the key", validators=[
        DataRequired("Name the key after where it is used, like 'Front desk terminal'."),
        Length(max=200)])
    scope = SelectField("What the key may do", default="verify",
                        choices=[(scope, SCOPE_WORDS[scope].capitalize())
                                 for scope in KEY_SCOPES])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RefuseForm(FlaskForm):
    """Refuse a block request, saying why."""

    reason = TextAreaField("Why your library refuses", validators=[
        DataRequired("Say why: the lending library reads it."), Length(max=2000)])
    understood = BooleanField("I understand that my library becomes responsible for paying "
                              "the bills this request covers (R8).",
                              validators=[DataRequired("Confirm that you understand.")])


class PaymentForm(FlaskForm):
    """Record money received for a bill."""

    amount = StringField("Amount in dollars", validators=[DataRequired("Enter the amount.")])
    paid_by = SelectField("Paid by", choices=[("patron", "The patron"),
                                              ("home_library", "The home library")])
    reference = StringField("Receipt or reference (optional)",
                            validators=[Optional(), Length(max=200)])


class ReasonForm(FlaskForm):
    """A reason, for disputing or voiding a bill."""

    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."),
                                                 Length(max=2000)])


class PolicyForm(FlaskForm):
    """The published policy, in the directory's sections, as a person fills it in."""

    reviewed_on = DateField("Date your library last reviewed this policy",
                            validators=[InputRequired("Enter the review date.")])
    # Reciprocal borrowing (R3, R4)
    participates = BooleanField("Our library lends to patrons of other member libraries")
    items_at_a_time = IntegerField("Items a visiting patron may have at a time",
                                   validators=[Optional(), NumberRange(min=-1000, max=1000)])
    loan_days = IntegerField("Loan period in days", validators=[Optional(),
                                                                NumberRange(min=-1, max=365)])
    renewals = IntegerField("Renewals allowed", validators=[Optional(),
                                                            NumberRange(min=-1, max=99)])
    excluded_formats = MultiCheckboxField("Formats not lent to visiting patrons")
    holds_allowed = BooleanField("Visiting patrons may place holds")
    register_in_person = BooleanField("Visiting patrons register in person before the first "
                                      "loan")
    notes = TextAreaField("Notes for visiting patrons (optional)",
                          validators=[Optional(), Length(max=2000)])
    # Interlibrary loan (R5)
    ill_email = EmailField("Interlibrary loan email", validators=[Optional(), Length(max=254)])
    ill_phone = StringField("Interlibrary loan phone (optional)",
                            validators=[Optional(), Length(max=40)])
    formats_lent = MultiCheckboxField("Formats you lend through interlibrary loan")
    ill_loan_days = IntegerField("Interlibrary loan period in days",
                                 validators=[Optional(), NumberRange(min=-1, max=365)])
    replacement = SelectField("A borrowing library that loses an item pays", choices=[
        ("list_price", "The current list price"),
        ("list_price_or_equivalent_title", "The list price, or an equivalent title"),
        ("replacement_copy", "A replacement copy"), ("by_agreement", "As agreed each time")])
    processing_fee = StringField("Processing fee for a lost item, in dollars (optional)",
                                 validators=[Optional()])
    photocopy = BooleanField("We provide photocopies")
    photocopy_charge = StringField("Photocopy charge per page, in dollars (optional)",
                                   validators=[Optional()])
    # Nonresident cards (R18)
    nonresident = BooleanField("Our library sells nonresident cards this year")
    fee_formula = StringField("Nonresident card fee formula (optional)",
                              validators=[Optional(), Length(max=500)])
    board_decision_on = DateField("Date of the board's decision", validators=[Optional()])
    reported_on = DateField("Date reported to the directory", validators=[Optional()])


class LookupForm(FlaskForm):
    """Find one of the library's patrons by card."""

    card_number = StringField("Card number", validators=[
        DataRequired("Type or scan the card number."), Length(max=80)])


class _PatronFields(FlaskForm):
    """What a home library keeps about a patron (the API's fields)."""

    expires_on = DateField("Card expires on", validators=[InputRequired("Enter the date.")])
    standing = SelectField("Standing", choices=[("good", "In good standing"),
                                                ("blocked", "Blocked by our library")])
    block_reasons = StringField("Block reasons (when blocked)", validators=[Optional()])
    category = StringField("Category (optional)", validators=[Optional(), Length(max=40)])
    surname = StringField("Surname (optional)", validators=[Optional(), Length(max=100)])
    external_ref = StringField("Your reference for the patron (optional)",
                               validators=[Optional(), Length(max=100)])


class PatronForm(_PatronFields):
    """Register a patron (or update the one with this card)."""

    card_number = StringField("Card number", validators=[
        DataRequired("Type or scan the card number."), Length(max=80)])


class PatronChangeForm(_PatronFields):
    """Change a patron's record (the card changes only by replacing it)."""


class ReplaceCardForm(FlaskForm):
    """Give a patron a new card."""

    new_card_number = StringField("New card number", validators=[
        DataRequired("Type or scan the new card."), Length(max=80)])


class RosterForm(FlaskForm):
    """Upload a roster file."""

    roster = FileField("Roster file (CSV with a header line)",
                       validators=[FileRequired("Choose a CSV file.")])


class BillForm(FlaskForm):
    """Bill a home library for one lost or damaged item."""

    card_number = StringField("Patron's card number", validators=[
        DataRequired("Type or scan the card number."), Length(max=80)])
    home_library = StringField("Home library code (optional: the card's prefix names it)",
                               validators=[Optional(), Length(max=16)])
    infraction_date = DateField("Day the item was declared lost or found damaged",
                                validators=[InputRequired("Enter the date.")])
    title = StringField("Title", validators=[DataRequired("Enter the title."),
                                             Length(max=300)])
    barcode = StringField("Item barcode", validators=[DataRequired("Enter the barcode."),
                                                      Length(max=64)])
    format = SelectField("Format", choices=[
        ("book", "Book"), ("large_print", "Large-print book"), ("audiobook", "Audiobook"),
        ("music_cd", "Music CD"), ("dvd", "DVD"), ("blu_ray", "Blu-ray disc"),
        ("video_game", "Video game"), ("magazine", "Magazine"), ("equipment", "Equipment"),
        ("kit", "Kit"), ("other", "Other")])
    kind = SelectField("Lost or damaged", choices=[("lost", "Lost"), ("damaged", "Damaged")])
    in_print = BooleanField("Still in print", default=True)
    list_price = StringField("List price, in dollars", validators=[Optional()])
    equivalent_title = StringField("Equivalent title agreed (out of print only)",
                                   validators=[Optional(), Length(max=300)])
    processing_fee = StringField("Processing fee, in dollars (out of print only)",
                                 validators=[Optional()])
    note = TextAreaField("Note for the home library (optional)",
                         validators=[Optional(), Length(max=2000)])


class AdmitForm(FlaskForm):
    """The federation office admits a library."""

    code = StringField("Code (the FSCS id, like IL0003)", validators=[
        DataRequired("Enter the library's code."), Length(max=16)])
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=200)])
    type = SelectField("Type", choices=[(t, t.capitalize()) for t in LIBRARY_TYPES])
    membership = SelectField("Membership", choices=[(m, m.capitalize()) for m in MEMBERSHIPS])
    card_prefixes = StringField("Card number prefixes (separated by commas)",
                                validators=[Optional()])
    email = EmailField("Staff email", validators=[Optional(), Length(max=254)])
    phone = StringField("Staff phone", validators=[Optional(), Length(max=40)])
    city = StringField("City", validators=[Optional(), Length(max=100)])
    county = StringField("County", validators=[Optional(), Length(max=100)])
    system = StringField("Regional system (optional)", validators=[Optional(), Length(max=64)])


class MembershipForm(FlaskForm):
    """The federation office changes a library's membership."""

    active = BooleanField("An active member (off: taken out of the federation, R1)")
    type = SelectField("Type", choices=[(t, t.capitalize()) for t in LIBRARY_TYPES])
    membership = SelectField("Membership", choices=[(m, m.capitalize()) for m in MEMBERSHIPS])


class VoidForm(FlaskForm):
    """The lending library withdraws its bill, saying why."""

    void_reason = TextAreaField("Why your library voids this bill", validators=[
        DataRequired("Say why: the home library reads it."), Length(max=2000)])


class AnswerForm(FlaskForm):
    """The lending library answers the home library's dispute of a bill."""

    answer = TextAreaField("Your answer to the home library", validators=[
        DataRequired("Write your answer."), Length(max=2000)])


class ResolutionForm(FlaskForm):
    """Alternate terms for settling a bill, for the other library to accept (R6)."""

    terms = SelectField("What you propose", choices=[
        ("replacement_copy", "The patron brings a replacement copy"),
        ("equivalent_title", "The patron brings an equivalent title"),
        ("waiver", "The lending library waives the bill"),
        ("other", "Other terms, described below")])
    detail = TextAreaField("The terms in your words", validators=[
        DataRequired("Describe the terms: the other library accepts exactly these."),
        Length(max=2000)])


class OpenDisputeForm(FlaskForm):
    """Open a dispute with the other library about a record both are party to (R13)."""

    summary = TextAreaField("What is in dispute", validators=[
        DataRequired("Say what is in dispute."), Length(max=4000)])


class MessageForm(FlaskForm):
    """Write in a dispute: a message, an escalation to the office, or a withdrawal."""

    body = TextAreaField("Your message", validators=[
        DataRequired("Write the message."), Length(max=4000)])


class BlockFromBillForm(FlaskForm):
    """The lending library asks the home library to block the patron of an unpaid bill."""

    block_card = StringField("The patron's card number", validators=[
        DataRequired("Type or scan the card number: the bill keeps only its last four "
                     "digits (R16)."), Length(max=40)])
    kind = SelectField("What you ask for", choices=[
        ("block", "Block the patron at every member library"),
        ("delinquent", "Mark the patron delinquent (a warning at the desk)")])
    note = TextAreaField("Note for the home library (optional)",
                         validators=[Optional(), Length(max=500)])
