"""The whole directory as flat rows: one per library, every policy field in a named column.

Each column says which policy fields it holds (`paths`, dotted; a list of objects is one
column), so a test can show that no field of the policy schema is left out of the CSV. Lists
are joined with ";" and yes/no is `True`/`False` (as the CSV always wrote them), money is in
cents, dates are ISO dates in the federation's calendar, and a field the policy leaves empty is
an empty cell.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A CSV column: its name, what it holds, the policy fields it comes from, how to read it."""

    name: str
    description: str
    paths: tuple[str, ...]
    read: Callable[[dict, dict], object]


def _at(policy: dict, path: str):
    """The value at a dotted path of the policy, None when any part is missing."""
    value = policy
    for name in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _terms(values) -> str:
    """A list of terms or phrases as one cell."""
    return ";".join(str(value) for value in values or [])


def _group(item: dict) -> str:
    """'consortium:CUNY'."""
    return f"{item['kind']}:{item['name']}"


def _field(path: str, description: str, name: str | None = None, join: bool = False) -> Column:
    """A column holding one policy field (a list of terms joined when `join`)."""
    reader = ((lambda item, policy: _terms(_at(policy, path))) if join
              else (lambda item, policy: _at(policy, path)))
    return Column(name or path.replace("interlibrary_loan.", "ill_").replace(".", "_"),
                  description, (path,), reader)


def _entry(name: str, description: str) -> Column:
    """A column holding a fact of the directory entry rather than of the policy."""
    return Column(name, description, (), lambda item, policy: item.get(name))


def _address(part: str) -> Column:
    return Column(part, f"The library's {part}.", (), lambda item, policy: (
        item.get("address") or {}).get(part))


def _fees(item, policy) -> str:
    return ";".join(
        f"{fee['name']} | {fee.get('applies_to') or 'reciprocal_borrowing'} | "
        f"{fee['amount_cents']} | {fee['basis']} | "
        + ("own patrons pay it too" if fee["also_charged_to_own_patrons"]
           else f"since {fee.get('in_effect_since')}")
        + (f" | {fee['notes']}" if fee.get("notes") else "")
        for fee in policy.get("fees") or [])


def _format_limits(item, policy) -> str:
    cells = []
    for limit in (policy.get("reciprocal_borrowing") or {}).get("format_limits") or []:
        terms = [f"{limit[key]} {words}" for key, words in (
            ("items_at_a_time", "at a time"), ("loan_days", "days"), ("renewals", "renewals"))
            if limit.get(key) is not None]
        cells.append(f"{limit['format']}: {', '.join(terms)}")
    return ";".join(cells)


def _conditional(item, policy) -> str:
    terms = _at(policy, "interlibrary_loan.conditional_formats") or []
    return ";".join(
        f"{term['format']}={term['lends']}"
        + (f" ({', '.join(_group(group) for group in term.get('groups') or [])})"
           if term.get("groups") else "")
        + (f" {term['notes']}" if term.get("notes") else "")
        for term in terms)


def _services(item, policy) -> str:
    return ";".join(
        f"{service['service']}={'offered' if service['offered'] else 'not offered'}"
        + (f" ({service['limits']})" if service.get("limits") else "")
        for service in policy.get("services") or [])


def _hours(item, policy) -> str:
    return ";".join(f"{','.join(hours['days'])} {hours['opens']}-{hours['closes']}"
                     for hours in policy.get("opening_hours") or [])


def _priorities(item, policy) -> str:
    return ";".join(_group(group) for group in
                     _at(policy, "interlibrary_loan.priorities") or [])


COLUMNS: tuple[Column, ...] = (
    _entry("code", "The library's code."),
    _entry("name", "The library's name."),
    _entry("type", "public, academic, school or special."),
    _address("street"), _entry("city", "The library's city."), _address("zip"),
    _entry("county", "The library's county."),
    _entry("system", "The regional library system it belongs to."),
    _entry("map_url", "A map of the street address (OpenStreetMap)."),
    _entry("published", "Whether the library has published a policy."),
    _entry("version", "The current version's number."),
    _entry("published_at", "When the current version was published (an instant, UTC)."),
    _entry("published_on", "The federation's calendar date of that publish."),
    _field("reviewed_on", "When the library last reviewed the policy.", "reviewed_on"),
    _entry("stale", "Not reviewed in the last 12 months (R5)."),
    _field("review_cycle_months", "How often the library reviews it (its own cycle).",
           "review_cycle_months"),
    _entry("review_due_on", "The next review by the library's own cycle."),
    _entry("review_overdue", "Past the review its own cycle calls for."),
    _field("reciprocal_borrowing.participates", "Takes part in reciprocal borrowing (R1).",
           "participates"),
    _field("reciprocal_borrowing.items_at_a_time", "Cap for a visiting patron (R4).",
           "items_at_a_time"),
    _field("reciprocal_borrowing.loan_days", "Loan period for visiting patrons, days.",
           "loan_days"),
    _field("reciprocal_borrowing.renewals", "Renewals for visiting patrons.", "renewals"),
    _entry("lends_formats", "Formats a visiting patron may take home."),
    _field("reciprocal_borrowing.excluded_formats", "Formats and collections not lent to "
           "visiting patrons.", "excluded_formats", join=True),
    Column("format_limits", "Per-format terms: 'format: N at a time, N days, N renewals'.",
           ("reciprocal_borrowing.format_limits",), _format_limits),
    _field("reciprocal_borrowing.register_in_person", "Register in person first.",
           "register_in_person"),
    _field("reciprocal_borrowing.holds_allowed", "Visiting patrons may place holds.",
           "holds_allowed"),
    _field("reciprocal_borrowing.notes", "Notes on reciprocal borrowing.",
           "reciprocal_borrowing_notes"),
    Column("fees", "Fees: 'name | applies to | cents | basis | own patrons pay it too or since "
           "date | notes'.", ("fees",), _fees),
    _field("interlibrary_loan.contact.name", "ILL contact: name."),
    _field("interlibrary_loan.contact.email", "ILL contact: email."),
    _field("interlibrary_loan.contact.phone", "ILL contact: phone."),
    _field("interlibrary_loan.contact.url", "ILL contact: web page."),
    _field("interlibrary_loan.contact.hours", "ILL contact: hours."),
    _field("interlibrary_loan.formats_lent", "Lent by ILL to every library.", join=True),
    _field("interlibrary_loan.formats_not_lent", "Not lent by ILL.", join=True),
    Column("ill_conditional_formats", "Lent only to some groups or by special agreement: "
           "'format=groups_only (kind:name, ...) notes' or 'format=special_agreement notes'.",
           ("interlibrary_loan.conditional_formats",), _conditional),
    _field("interlibrary_loan.loan_days", "ILL loan period, days."),
    _field("interlibrary_loan.loan_days_may_vary", "The lending library may set another "
           "period."),
    _field("interlibrary_loan.renewals", "ILL renewals."),
    _field("interlibrary_loan.renewal_days", "Length of a renewal, days."),
    _field("interlibrary_loan.renew_days_before_due", "Ask this many days before the due "
           "date."),
    _field("interlibrary_loan.no_renewal_if_on_hold", "No renewal when another patron holds "
           "the item."),
    _field("interlibrary_loan.no_renewal_when_overdue_days", "No renewal this many days "
           "overdue."),
    _field("interlibrary_loan.renewals_at_lender_discretion", "Renewals at the lender's "
           "discretion."),
    _field("interlibrary_loan.recall_any_time", "Loans may be recalled at any time."),
    _field("interlibrary_loan.subject_limit", "May limit items on a single subject."),
    _field("interlibrary_loan.borrowing_library_limits.items_at_a_time",
           "Items a borrowing library may have at a time.", "ill_library_items_at_a_time"),
    _field("interlibrary_loan.borrowing_library_limits.requests_per_week",
           "Requests a borrowing library may send a week.", "ill_library_requests_per_week"),
    _field("interlibrary_loan.lends_to", "Kinds of institutions it lends to.", join=True),
    _field("interlibrary_loan.does_not_lend_to", "Kinds it does not lend to.", join=True),
    Column("ill_priorities", "Groups served first, in order: 'kind:name; ...'.",
           ("interlibrary_loan.priorities",), _priorities),
    _field("interlibrary_loan.request_methods", "How requests are sent.", join=True),
    _field("interlibrary_loan.oclc_symbol", "OCLC symbol."),
    _field("interlibrary_loan.request_email", "Where requests are emailed."),
    _field("interlibrary_loan.request_url", "The request form."),
    _field("interlibrary_loan.charge_cents", "What a request costs, cents (0: free)."),
    _field("interlibrary_loan.lost_materials.methods", "Accepted ways to make good a lost "
           "item.", "ill_lost_methods", join=True),
    _field("interlibrary_loan.lost_materials.replacement", "The first of those (older "
           "column).", "ill_lost_replacement"),
    _field("interlibrary_loan.lost_materials.processing_fee", "fixed, none or unstated.",
           "ill_processing_fee"),
    _field("interlibrary_loan.lost_materials.processing_fee_cents", "A fixed processing fee, "
           "cents.", "ill_processing_fee_cents"),
    _field("interlibrary_loan.lost_materials.notes", "Notes on lost materials.",
           "ill_lost_notes"),
    _field("interlibrary_loan.photocopy.provided", "Supplies photocopies and scans.",
           "ill_photocopy_provided"),
    _field("interlibrary_loan.photocopy.charge_cents_per_page", "Cents a page.",
           "ill_photocopy_cents_per_page"),
    _field("interlibrary_loan.photocopy.notes", "Notes on copies.", "ill_photocopy_notes"),
    _field("interlibrary_loan.own_patrons.items_at_a_time", "Its own patrons: items at a "
           "time.", "own_patrons_items_at_a_time"),
    _field("interlibrary_loan.own_patrons.requests_per_week", "Its own patrons: requests a "
           "week.", "own_patrons_requests_per_week"),
    _field("interlibrary_loan.own_patrons.eligible", "Its own patrons who may request.",
           "own_patrons_eligible", join=True),
    _field("interlibrary_loan.own_patrons.not_eligible", "Its own patrons who may not.",
           "own_patrons_not_eligible", join=True),
    _field("interlibrary_loan.own_patrons.notes", "Notes for its own patrons.",
           "own_patrons_notes"),
    _field("interlibrary_loan.notes", "Notes on interlibrary loan.", "ill_notes"),
    Column("services", "Services: 'service=offered (limits)' or 'service=not offered'.",
           ("services",), _services),
    _field("confidentiality.records_confidential", "Records are confidential.",
           "records_confidential"),
    _field("confidentiality.released_only_by", "What alone opens them.",
           "records_released_only_by", join=True),
    _field("confidentiality.notes", "Notes on confidentiality.", "confidentiality_notes"),
    Column("opening_hours", "Opening hours: 'days opens-closes; ...' (24-hour).",
           ("opening_hours",), _hours),
    _field("opening_hours_notes", "Notes on the hours.", "opening_hours_notes"),
    _entry("nonresident_cards", "Sells nonresident cards today: a programme in effect (R18)."),
    _field("nonresident_cards.participates", "The board decided to sell nonresident cards.",
           "nonresident_participates"),
    _field("nonresident_cards.fee_cents", "The card's fee, cents.", "nonresident_fee_cents"),
    _field("nonresident_cards.fee_formula", "How the fee is worked out.",
           "nonresident_fee_formula"),
    _field("nonresident_cards.effective_from", "The programme's first day.",
           "nonresident_effective_from"),
    _field("nonresident_cards.effective_until", "Its last day.", "nonresident_effective_until"),
    _field("nonresident_cards.board_decision_on", "The board's decision.",
           "nonresident_board_decision_on"),
    _field("nonresident_cards.reported_on", "The day the directory received it (R18).",
           "nonresident_reported_on"),
    _entry("nonresident_report_late", "Reported more than 30 days after the decision (R18)."),
)
NAMES = tuple(column.name for column in COLUMNS)


def _cell(value):
    """A value as the CSV writes it: dates ISO, yes/no as true/false, None empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return _terms(value)
    return value


def row(item: dict) -> dict:
    """One library (an entry with its `policy`) as a CSV row, by column name."""
    policy = item.get("policy") or {}
    return {column.name: _cell(column.read(item, policy)) for column in COLUMNS}
