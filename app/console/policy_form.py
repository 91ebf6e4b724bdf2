"""Between the policy editor's form and the directory's policy document.

The form shows the fields a library changes most, grouped as the directory shows them; the
parts it does not show (per-format limits, fees, services, ...) are carried over unchanged
from the published policy, so saving the form never loses them. Errors come back keyed by the
API's dotted paths (`reciprocal_borrowing.items_at_a_time`) and are shown at the form's field.
"""

import copy
from datetime import date

from app.console.forms import cents
from app.directory import rules, wording

# The API's path of each form field.
PATHS = {
    "reviewed_on": "reviewed_on",
    "participates": "reciprocal_borrowing.participates",
    "items_at_a_time": "reciprocal_borrowing.items_at_a_time",
    "loan_days": "reciprocal_borrowing.loan_days",
    "renewals": "reciprocal_borrowing.renewals",
    "excluded_formats": "reciprocal_borrowing.excluded_formats",
    "holds_allowed": "reciprocal_borrowing.holds_allowed",
    "register_in_person": "reciprocal_borrowing.register_in_person",
    "notes": "reciprocal_borrowing.notes",
    "ill_email": "interlibrary_loan.contact.email",
    "ill_phone": "interlibrary_loan.contact.phone",
    "formats_lent": "interlibrary_loan.formats_lent",
    "ill_loan_days": "interlibrary_loan.loan_days",
    "replacement": "interlibrary_loan.lost_materials.replacement",
    "processing_fee": "interlibrary_loan.lost_materials.processing_fee_cents",
    "photocopy": "interlibrary_loan.photocopy.provided",
    "photocopy_charge": "interlibrary_loan.photocopy.charge_cents_per_page",
    "nonresident": "nonresident_cards.participates",
    "fee_formula": "nonresident_cards.fee_formula",
    "board_decision_on": "nonresident_cards.board_decision_on",
    "reported_on": "nonresident_cards.reported_on",
}
_FIELD_OF = {path: field for field, path in PATHS.items()}

EMPTY_POLICY = {
    "reviewed_on": None,
    "reciprocal_borrowing": {"participates": True, "format_limits": [], "excluded_formats": []},
    "fees": [],
    "interlibrary_loan": {"contact": {}, "formats_lent": [], "formats_not_lent": []},
    "services": [],
}


def set_choices(form) -> None:
    """The format checkboxes, in the directory's words."""
    form.excluded_formats.choices = [(term, _sentence(wording.label(term)))
                                     for term in rules.VOCABULARY]
    form.formats_lent.choices = [(term, _sentence(wording.label(term))) for term in rules.FORMATS]


def _sentence(words: str) -> str:
    """The directory's words with a capital first letter ("DVDs" stays "DVDs")."""
    return words[:1].upper() + words[1:]


def _dollars(value) -> str | None:
    """Cents as a dollars string for a form box."""
    return None if value is None else f"{value / 100:.2f}"


def _date(value):
    """An ISO date (as stored) for a date box."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def form_data(policy: dict | None, today: date) -> dict:
    """The form's starting values: the published policy, or sensible blanks."""
    policy = policy or EMPTY_POLICY
    rb = policy["reciprocal_borrowing"]
    ill = policy.get("interlibrary_loan") or {}
    lost = ill.get("lost_materials") or {}
    copy_ = ill.get("photocopy") or {}
    cards = policy.get("nonresident_cards") or {}
    return {
        "reviewed_on": today, "participates": rb.get("participates", True),
        "items_at_a_time": rb.get("items_at_a_time"), "loan_days": rb.get("loan_days"),
        "renewals": rb.get("renewals"), "excluded_formats": rb.get("excluded_formats") or [],
        "holds_allowed": bool(rb.get("holds_allowed")),
        "register_in_person": bool(rb.get("register_in_person")), "notes": rb.get("notes"),
        "ill_email": (ill.get("contact") or {}).get("email"),
        "ill_phone": (ill.get("contact") or {}).get("phone"),
        "formats_lent": ill.get("formats_lent") or [], "ill_loan_days": ill.get("loan_days"),
        "replacement": lost.get("replacement") or "list_price",
        "processing_fee": _dollars(lost.get("processing_fee_cents")),
        "photocopy": bool(copy_.get("provided")),
        "photocopy_charge": _dollars(copy_.get("charge_cents_per_page")),
        "nonresident": bool(cards.get("participates")), "fee_formula": cards.get("fee_formula"),
        "board_decision_on": _date(cards.get("board_decision_on")),
        "reported_on": _date(cards.get("reported_on")),
    }


def _money_field(form, name: str, errors: dict):
    """A dollars box as cents; an error when it is not money."""
    raw = getattr(form, name).data
    if raw is None or not str(raw).strip():
        return None
    value = cents(raw)
    if value is None:
        errors[name] = "Enter dollars and cents, like 5.00."
    return value


def document(form, current: dict | None) -> tuple[dict, dict]:
    """The policy document the form describes, over the published one; and typing errors."""
    errors: dict[str, str] = {}
    doc = copy.deepcopy(current or EMPTY_POLICY)
    doc["reviewed_on"] = form.reviewed_on.data.isoformat()
    rb = doc["reciprocal_borrowing"]
    rb.update(participates=form.participates.data, items_at_a_time=form.items_at_a_time.data,
              loan_days=form.loan_days.data, renewals=form.renewals.data,
              excluded_formats=list(form.excluded_formats.data or []),
              holds_allowed=form.holds_allowed.data,
              register_in_person=form.register_in_person.data,
              notes=(form.notes.data or "").strip() or None)
    excluded = set(rb["excluded_formats"])
    # A per-format limit for a format now excluded would contradict it (R4): drop it.
    rb["format_limits"] = [limit for limit in rb.get("format_limits") or []
                           if limit["format"] not in excluded]
    ill = doc.setdefault("interlibrary_loan", {})
    contact = dict(ill.get("contact") or {})
    contact["email"] = (form.ill_email.data or "").strip() or None
    contact["phone"] = (form.ill_phone.data or "").strip() or None
    ill["contact"] = {k: v for k, v in contact.items() if v is not None}
    ill["formats_lent"] = list(form.formats_lent.data or [])
    ill["formats_not_lent"] = [term for term in ill.get("formats_not_lent") or []
                               if term not in ill["formats_lent"]]
    ill["loan_days"] = form.ill_loan_days.data
    lost = dict(ill.get("lost_materials") or {})
    lost["replacement"] = form.replacement.data
    lost["processing_fee_cents"] = _money_field(form, "processing_fee", errors)
    ill["lost_materials"] = lost
    ill["photocopy"] = {**(ill.get("photocopy") or {}), "provided": form.photocopy.data,
                        "charge_cents_per_page": _money_field(form, "photocopy_charge",
                                                              errors)}
    if form.board_decision_on.data or form.reported_on.data or form.nonresident.data:
        cards = dict(doc.get("nonresident_cards") or {})
        cards.update(participates=form.nonresident.data,
                     fee_formula=(form.fee_formula.data or "").strip() or None,
                     board_decision_on=form.board_decision_on.data.isoformat()
                     if form.board_decision_on.data else None,
                     reported_on=form.reported_on.data.isoformat()
                     if form.reported_on.data else None)
        doc["nonresident_cards"] = cards
    else:
        doc["nonresident_cards"] = None
    return _without_nones(doc), errors


def _without_nones(value):
    """Drop keys whose value is None (the schema reads an absent optional field as None)."""
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {dotted.path: text}."""
    flat = {}
    if isinstance(messages, dict):
        for key, inner in messages.items():
            flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix] = " ".join(messages)
    elif isinstance(messages, list):
        for index, inner in enumerate(messages):
            flat.update(_flatten(inner, f"{prefix}.{index}"))
    else:
        flat[prefix] = str(messages)
    return flat


def form_errors(messages, *, fallback: str | None = None) -> dict[str, str]:
    """Errors by the form's field names; those of parts the form does not show under `_form`."""
    flat = messages if all(isinstance(v, str) for v in messages.values()) \
        else _flatten(messages)
    errors: dict[str, str] = {}
    for path, text in flat.items():
        field = _FIELD_OF.get(path)
        if field is None:
            for known, name in _FIELD_OF.items():
                if path.startswith(known + "."):
                    field = name
                    break
        if field is None:
            errors.setdefault("_form", "")
            errors["_form"] = (errors["_form"] + f" {path}: {text}").strip()
        else:
            errors[field] = text
    if not errors and fallback:
        errors["_form"] = fallback
    return errors
