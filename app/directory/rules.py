"""Pure rules for the shared directory: the vocabulary, validation by the rules, versions.

Validation (R1, R3, R4, R5, R11, R18) works on the plain dict a policy schema loads, and says
for each refusal which field (a dotted path) and which rule. Nothing here imports Flask or
SQLAlchemy: every decision is tested without an app.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.libraries.rules import must_participate  # R1, one definition for every capability

# Kinds of items a library lends. The bill formats (app/bills/schemas.py FORMATS, minus
# "other") are all here, so a bill's item and a policy speak of the same things.
FORMATS = (
    "book", "large_print", "audiobook", "music_cd", "dvd", "blu_ray", "video_game", "magazine",
    "equipment", "kit", "newspaper", "ebook", "hotspot", "museum_pass", "microfilm", "thesis",
    "article_copy", "transcript",
)
# Collections a library may keep from reciprocal borrowers or out of interlibrary loan.
COLLECTIONS = (
    "new_release", "reference", "rare", "special_collections", "genealogy", "local_history",
    "bulky_or_fragile", "in_demand", "non_circulating", "periodical_volume", "reserve",
    "interlibrary_loan",
)
VOCABULARY = FORMATS + COLLECTIONS
LABELS = {
    "book": "books", "large_print": "large-print books", "audiobook": "audiobooks",
    "music_cd": "music CDs", "dvd": "DVDs", "blu_ray": "Blu-ray discs",
    "video_game": "video games", "magazine": "magazines", "equipment": "equipment",
    "kit": "kits", "newspaper": "newspapers", "ebook": "e-books", "hotspot": "Wi-Fi hotspots",
    "museum_pass": "museum passes", "microfilm": "microfilm", "thesis": "theses and dissertations",
    "article_copy": "article copies and scans", "transcript": "trial transcripts",
    "new_release": "new releases", "reference": "reference works",
    "rare": "rare books and manuscripts",
    "special_collections": "special collections", "genealogy": "genealogy materials",
    "local_history": "local history materials", "bulky_or_fragile": "bulky or fragile items",
    "in_demand": "items in demand", "non_circulating": "non-circulating materials",
    "periodical_volume": "whole volumes or issues of periodicals", "reserve": "course reserves",
    "interlibrary_loan": "items borrowed from other libraries",
}
# Whom a library lends to by interlibrary loan: kinds of institutions, never one library (R3).
BORROWER_KINDS = ("public_libraries", "academic_libraries", "school_libraries",
                  "special_libraries", "nonprofit_institutions", "academic_institutions",
                  "commercial_firms", "law_firms", "libraries_abroad", "any_library")
REQUEST_METHODS = ("oclc", "ala_form", "email", "fax", "online_form", "phone", "mail",
                   "in_person", "courier")
# How a person reads each request method.
REQUEST_METHOD_LABELS = {"oclc": "OCLC", "ala_form": "the ALA request form", "email": "email",
                         "fax": "fax", "online_form": "an online form", "phone": "phone",
                         "mail": "mail", "in_person": "in person", "courier": "courier"}
SERVICES = ("computers", "wifi", "printing", "photocopying", "programs", "meeting_rooms",
            "study_rooms", "reference_help", "on_site_use", "makerspace")
FEE_BASES = ("per_day", "per_item", "per_loan", "per_request", "per_page", "per_year", "once")
FEE_APPLIES_TO = ("reciprocal_borrowing", "interlibrary_loan", "services", "nonresident_card")

R11_CUTOFF = date(2014, 7, 1)  # a fee in effect on this date may stay (R11)
R18_REPORT_DAYS = 30  # a nonresident decision is reported within 30 days of the board's (R18)
STALE_MONTHS = 12  # R5: a policy not reviewed in 12 months is stale

# Words that look like a library code (IL0029, VVJ): checked against member codes only.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{1,15}")


def label(term: str) -> str:
    """The plain-language words for a vocabulary term ('dvd' -> 'DVDs')."""
    return LABELS.get(term, term.replace("_", " "))


def stale_cutoff(today: date) -> date:
    """R5: the same date 12 months before today (28 February for a leap day)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return date(today.year - 1, 2, 28)


def is_stale(reviewed_on: date | None, today: date) -> bool:
    """R5: reviewed more than 12 months before today (a review a year ago to the day is not)."""
    return reviewed_on is not None and reviewed_on < stale_cutoff(today)


def stale_from(reviewed_on: date) -> date:
    """R5: the first day on which a policy reviewed on this date is stale."""
    day_after = reviewed_on + timedelta(days=1)
    try:
        return day_after.replace(year=day_after.year + 1)
    except ValueError:  # reviewed on 28 February before a leap day: stale from 1 March
        return date(day_after.year + 1, 3, 1)


def report_is_late(board_decision_on: date | None, reported_on: date | None) -> bool:
    """R18: reported more than 30 days after the board's decision (accepted, but flagged)."""
    if board_decision_on is None or reported_on is None:
        return False
    return (reported_on - board_decision_on).days > R18_REPORT_DAYS


@dataclass
class Verdict:
    """What validation found: refusals by field path, and warnings that do not refuse."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)


# Values from a fixed vocabulary are not free text: no need to look for library names in them.
ENUM_VALUES = frozenset(VOCABULARY + BORROWER_KINDS + REQUEST_METHODS + SERVICES + FEE_BASES
                        + FEE_APPLIES_TO)


def _free_texts(value, path: str = ""):
    """Every free-text string in a policy with its dotted path (vocabulary terms left out)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _free_texts(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _free_texts(inner, f"{path}.{index}")
    elif isinstance(value, str) and value not in ENUM_VALUES:
        yield path, value


def _words(text: str) -> list[str]:
    """Words folded for comparison, without the punctuation around them."""
    return [word.strip(".,;:!?()[]{}\"'") for word in text.casefold().split()]


class MemberIndex:
    """Member libraries' codes and distinctive names, to find them in free text (R3)."""

    def __init__(self, others: dict[str, str]):
        self.codes = {code.upper() for code in others}
        # Only names of two words or more and 8 characters: "Library" alone is everywhere.
        self.names = {}
        for code, name in others.items():
            key = " ".join(_words(name))
            if len(key) >= 8 and " " in key:
                self.names[key] = code.upper()
        self.longest = max((key.count(" ") + 1 for key in self.names), default=0)

    def named(self, text: str, own_code: str | None = None) -> list[str]:
        """The codes of member libraries a text names, by code or by full name (not `own_code`)."""
        found = [own_code.upper()] if own_code else []
        for token in _TOKEN.findall(text):
            if token.upper() in self.codes and token.upper() not in found:
                found.append(token.upper())
        words = _words(text)
        for start in range(len(words)):
            for size in range(2, self.longest + 1):
                code = self.names.get(" ".join(words[start:start + size]))
                if code and code not in found:
                    found.append(code)
        return found[1:] if own_code else found


def validate_policy(policy: dict, *, library_type: str, membership: str,
                    others, own_code: str | None = None) -> Verdict:
    """Check a loaded policy against R1, R3, R4, R11 and R18; `others`: code -> name."""
    verdict = Verdict()
    errors = verdict.errors
    borrowing = policy["reciprocal_borrowing"]
    participates = borrowing["participates"]
    if not participates and must_participate(library_type, membership):
        errors["reciprocal_borrowing.participates"] = (
            "R1: a public library with full membership must take part in reciprocal borrowing.")
    if participates:
        _check_restrictions(borrowing, errors)
    for index, fee in enumerate(policy.get("fees") or []):
        if not fee["also_charged_to_own_patrons"]:
            since = fee.get("in_effect_since")
            if since is None:
                errors[f"fees.{index}.in_effect_since"] = (
                    "R11: a fee not charged to your own patrons must give the date it took "
                    f"effect, on or before {R11_CUTOFF}.")
            elif since > R11_CUTOFF:
                errors[f"fees.{index}.in_effect_since"] = (
                    f"R11: a fee your own patrons do not pay may be charged only if it was in "
                    f"effect on {R11_CUTOFF}; this one began {since}.")
    _check_nonresident(policy.get("nonresident_cards"), verdict)
    ill = policy.get("interlibrary_loan") or {}
    lent, not_lent = set(ill.get("formats_lent") or ()), set(ill.get("formats_not_lent") or ())
    both = sorted(lent & not_lent)
    if both:
        errors["interlibrary_loan.formats_not_lent"] = (
            f"R5: listed both as lent and as not lent: {', '.join(both)}.")
    index = others if isinstance(others, MemberIndex) else MemberIndex(others)
    for path, text in _free_texts(policy):
        named = index.named(text, own_code)
        if named:
            errors[path] = (f"R3: a restriction applies equally to every reciprocal borrower and "
                            f"may not name a member library ({', '.join(named)}); only a formal "
                            "suspension (R12) treats one library's patrons differently.")
    return verdict


def _check_restrictions(borrowing: dict, errors: dict) -> None:
    """R4: restrict, never zero: a cap of at least one item and some format left to lend."""
    cap = borrowing.get("items_at_a_time")
    if cap is not None and cap < 1:
        errors["reciprocal_borrowing.items_at_a_time"] = (
            "R4: reciprocal borrowing may be restricted but not set to zero: lend at least "
            "1 item at a time.")
    excluded = set(borrowing.get("excluded_formats") or ())
    if set(FORMATS) <= excluded:
        errors["reciprocal_borrowing.excluded_formats"] = (
            "R4: not every format may be excluded; leave at least one format to lend.")
    seen = set()
    for index, limit in enumerate(borrowing.get("format_limits") or []):
        path = f"reciprocal_borrowing.format_limits.{index}"
        if limit["format"] in seen:
            errors[f"{path}.format"] = "Each format has one limit; this one is listed twice."
        seen.add(limit["format"])
        if limit["format"] in excluded:
            errors[f"{path}.format"] = (
                "R4: this format is excluded; a limit for it would say it is lent.")
        count = limit.get("items_at_a_time")
        if count is not None and count < 1:
            errors[f"{path}.items_at_a_time"] = (
                "R4: a per-format limit is at least 1; to stop lending a format, list it in "
                "excluded_formats.")
        elif count is not None and cap is not None and cap >= 1 and count > cap:
            errors[f"{path}.items_at_a_time"] = (
                f"Above the overall cap of {cap} items at a time.")


def _check_nonresident(cards: dict | None, verdict: Verdict) -> None:
    """R18: consistent dates; a report more than 30 days after the decision is only flagged."""
    if not cards:
        return
    start, end = cards.get("effective_from"), cards.get("effective_until")
    if start and end and end < start:
        verdict.errors["nonresident_cards.effective_until"] = (
            "R18: the effective dates end before they begin.")
    decided, reported = cards.get("board_decision_on"), cards.get("reported_on")
    if decided and reported and reported < decided:
        verdict.errors["nonresident_cards.reported_on"] = (
            "R18: the report cannot come before the board's decision.")
    elif report_is_late(decided, reported):
        days = (reported - decided).days
        verdict.warnings.append({
            "code": "nonresident_report_late", "path": "nonresident_cards.reported_on",
            "message": f"R18: reported {days} days after the board's decision; the rule asks "
                       f"for {R18_REPORT_DAYS}. Accepted, and shown as late."})


# Sets of vocabulary terms: their order carries no meaning, so the canonical form sorts them.
_SETS = {"excluded_formats", "formats_lent", "formats_not_lent", "lends_to",
         "does_not_lend_to", "request_methods"}


def canonical(policy: dict) -> dict:
    """The policy in one canonical form: sets sorted, per-format limits by format."""
    def walk(value, key=None):
        if isinstance(value, dict):
            return {name: walk(inner, name) for name, inner in value.items()}
        if isinstance(value, list):
            items = [walk(inner) for inner in value]
            if key in _SETS:
                return sorted(set(items))
            if key == "format_limits":
                return sorted(items, key=lambda item: item["format"])
            return items
        if isinstance(value, date):
            return value.isoformat()
        return value

    return walk(policy)


def policy_hash(canonical_policy: dict) -> str:
    """SHA-256 of the canonical JSON: the same policy published again has the same hash."""
    text = json.dumps(canonical_policy, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten(value, prefix: str = "") -> dict:
    """Leaves of a policy by dotted path; lists of plain values stay whole, as one field."""
    if isinstance(value, dict):
        flat = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(value, list) and any(isinstance(inner, dict) for inner in value):
        flat = {}
        for index, inner in enumerate(value):
            flat.update(flatten(inner, f"{prefix}.{index}"))
        return flat or {prefix: []}
    return {prefix: value}


def diff(before: dict | None, after: dict) -> list[dict]:
    """What changed between two versions, field by field: [{path, before, after}], by path."""
    old, new = flatten(before or {}), flatten(after)
    changes = []
    for path in sorted(set(old) | set(new)):
        if old.get(path) != new.get(path):
            changes.append({"path": path, "before": old.get(path), "after": new.get(path)})
    return changes


def lent_formats(policy: dict) -> list[str]:
    """The formats a reciprocal borrower may take home (none when the library takes no part)."""
    borrowing = policy["reciprocal_borrowing"]
    if not borrowing["participates"]:
        return []
    excluded = set(borrowing.get("excluded_formats") or ())
    return [name for name in FORMATS if name not in excluded]


# Plain language ---------------------------------------------------------------------------------

def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _money(cents: int) -> str:
    """1250 -> '$12.50'."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _days(days: int) -> str:
    """14 -> '2 weeks', 10 -> '10 days'."""
    if days % 7 == 0:
        weeks = days // 7
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    return "1 day" if days == 1 else f"{days} days"


def _renewals(count: int) -> str:
    """0 -> 'no renewals', 1 -> 'one renewal'."""
    return {0: "no renewals", 1: "one renewal"}.get(count, f"{count} renewals")


def _basis(basis: str) -> str:
    """'per_day' -> 'a day'."""
    return {"per_day": "a day", "per_item": "an item", "per_loan": "a loan",
            "per_request": "a request", "per_page": "a page", "per_year": "a year",
            "once": "once"}[basis]


def summarize(policy: dict) -> dict[str, list[str]]:
    """The policy in plain sentences, by section, for people reading the directory."""
    borrowing = policy["reciprocal_borrowing"]
    lines: dict[str, list[str]] = {}
    rb = lines["reciprocal_borrowing"] = []
    if not borrowing["participates"]:
        rb.append("This library does not take part in reciprocal borrowing: patrons of other "
                  "libraries cannot borrow here with their home card.")
    else:
        cap = borrowing.get("items_at_a_time")
        rb.append("Patrons of other member libraries may borrow here with their home card"
                  + (f", up to {cap} item{'s' if cap != 1 else ''} at a time." if cap
                     else ", with no cap beyond the library's own."))
        if borrowing.get("loan_days"):
            rb.append(f"Loans last {_days(borrowing['loan_days'])}"
                      + (f", with {_renewals(borrowing['renewals'])}."
                         if borrowing.get("renewals") is not None else "."))
        elif borrowing.get("renewals") is not None:
            rb.append(f"Loans allow {_renewals(borrowing['renewals'])}.")
        for limit in borrowing.get("format_limits") or []:
            terms = []
            if limit.get("items_at_a_time"):
                terms.append(f"up to {limit['items_at_a_time']} at a time")
            if limit.get("loan_days"):
                terms.append(f"for {_days(limit['loan_days'])}")
            if limit.get("renewals") is not None:
                terms.append(f"with {_renewals(limit['renewals'])}")
            if terms:
                text = label(limit["format"])
                rb.append(f"{text[0].upper()}{text[1:]}: {', '.join(terms)}.")
        excluded = borrowing.get("excluded_formats") or []
        if excluded:
            rb.append(f"Not lent to visiting patrons: {_join([label(t) for t in excluded])}.")
        if borrowing.get("holds_allowed") is True:
            rb.append("Visiting patrons may place holds.")
        elif borrowing.get("holds_allowed") is False:
            rb.append("Visiting patrons may not place holds.")
        if borrowing.get("register_in_person"):
            rb.append("Register in person at the desk, with your home card, before your "
                      "first loan.")
    if borrowing.get("notes"):
        rb.append(borrowing["notes"])
    fees = lines["fees"] = []
    for fee in policy.get("fees") or []:
        why = ("also charged to the library's own patrons" if fee["also_charged_to_own_patrons"]
               else f"in effect since {fee['in_effect_since']}")
        where = {"reciprocal_borrowing": "", "interlibrary_loan": " (interlibrary loan)",
                 "services": " (services)", "nonresident_card": " (nonresident card)"}[
            fee.get("applies_to", "reciprocal_borrowing")]
        basis = "" if fee["basis"] == "once" else f" {_basis(fee['basis'])}"
        fees.append(f"{fee['name']}{where}: {_money(fee['amount_cents'])}{basis}, {why}."
                    + (f" {fee['notes']}" if fee.get("notes") else ""))
    if not fees:
        fees.append("No fees are published for reciprocal borrowers.")
    lines["interlibrary_loan"] = _summarize_ill(policy["interlibrary_loan"])
    services = lines["services"] = []
    for service in policy.get("services") or []:
        name = service["service"].replace("_", " ")
        text = (f"{name[0].upper()}{name[1:]}: open to visiting patrons" if service["offered"]
                else f"{name[0].upper()}{name[1:]}: not open to visiting patrons")
        services.append(text + (f" ({service['limits']})." if service.get("limits") else "."))
    cards = policy.get("nonresident_cards")
    nonresident = lines["nonresident_cards"] = []
    if cards:
        if cards["participates"]:
            text = "Sells nonresident cards"
            if cards.get("effective_from") and cards.get("effective_until"):
                text += f" from {cards['effective_from']} to {cards['effective_until']}"
            nonresident.append(text + ".")
            if cards.get("fee_cents") is not None:
                nonresident.append(f"Fee: {_money(cards['fee_cents'])}.")
            if cards.get("fee_formula"):
                nonresident.append(f"Fee formula: {cards['fee_formula']}")
        else:
            nonresident.append("Does not sell nonresident cards this year.")
        late = report_is_late(_as_date(cards.get("board_decision_on")),
                              _as_date(cards.get("reported_on")))
        nonresident.append(f"Board decision {cards['board_decision_on']}, reported "
                           f"{cards['reported_on']}" + (" (late: more than 30 days after)."
                                                        if late else "."))
    return lines


def _as_date(value) -> date | None:
    """A date from a stored ISO string (or a date)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _summarize_ill(ill: dict) -> list[str]:
    """The interlibrary loan part in plain sentences."""
    lines = []
    contact = ill.get("contact") or {}
    reach = [value for value in (contact.get("name"), contact.get("phone"),
                                 contact.get("email"), contact.get("url")) if value]
    if reach:
        lines.append("Contact: " + ", ".join(reach)
                     + (f" ({contact['hours']})." if contact.get("hours") else "."))
    if ill.get("formats_lent"):
        lines.append(f"Lends: {_join([label(t) for t in ill['formats_lent']])}.")
    if ill.get("formats_not_lent"):
        lines.append(f"Does not lend: {_join([label(t) for t in ill['formats_not_lent']])}.")
    if ill.get("loan_days"):
        lines.append(f"Loan period: {_days(ill['loan_days'])}"
                     + (f", {_renewals(ill['renewals'])}." if ill.get("renewals") is not None
                        else "."))
    if ill.get("lends_to"):
        lines.append(f"Lends to: {_join([t.replace('_', ' ') for t in ill['lends_to']])}.")
    if ill.get("does_not_lend_to"):
        lines.append("Does not lend to: "
                     f"{_join([t.replace('_', ' ') for t in ill['does_not_lend_to']])}.")
    if ill.get("request_methods"):
        lines.append("Requests by: "
                     f"{_join([REQUEST_METHOD_LABELS[t] for t in ill['request_methods']])}.")
    if ill.get("charge_cents") == 0:
        lines.append("Interlibrary loan is free.")
    elif ill.get("charge_cents"):
        lines.append(f"Each request costs {_money(ill['charge_cents'])}.")
    lost = ill.get("lost_materials")
    if lost:
        text = {"list_price": "Lost items: the current list price",
                "list_price_or_equivalent_title": "Lost items: the current list price, or an "
                "agreed equivalent title when out of print",
                "replacement_copy": "Lost items: a replacement copy",
                "by_agreement": "Lost items: as the two libraries agree"}[lost["replacement"]]
        if lost.get("processing_fee_cents"):
            text += f", plus a processing fee of {_money(lost['processing_fee_cents'])}"
        lines.append(text + "." + (f" {lost['notes']}" if lost.get("notes") else ""))
    copy = ill.get("photocopy")
    if copy:
        text = "Photocopies and scans: " + ("supplied" if copy["provided"] else "not supplied")
        if copy.get("charge_cents_per_page"):
            text += f", {_money(copy['charge_cents_per_page'])} a page"
        lines.append(text + "." + (f" {copy['notes']}" if copy.get("notes") else ""))
    own = ill.get("own_patrons")
    if own:
        terms = []
        if own.get("items_at_a_time"):
            terms.append(f"{own['items_at_a_time']} items at a time")
        if own.get("requests_per_week"):
            terms.append(f"{own['requests_per_week']} requests a week")
        if terms:
            lines.append(f"Its own patrons may request {_join(terms)}.")
        if own.get("eligible"):
            lines.append(f"Who may request: {'; '.join(own['eligible'])}.")
        if own.get("not_eligible"):
            lines.append(f"Who may not: {'; '.join(own['not_eligible'])}.")
        if own.get("notes"):
            lines.append(own["notes"])
    if ill.get("notes"):
        lines.append(ill["notes"])
    return lines


def answer_question(policy: dict | None, term: str, name: str) -> dict:
    """'May I borrow DVDs here, and how many, for how long?' answered from the policy."""
    words = label(term)
    result = {"format": term, "question": f"May I borrow {words} at {name}?",
              "may_borrow": None, "items_at_a_time": None, "loan_days": None,
              "renewals": None, "conditions": []}
    if policy is None:
        result["answer"] = (f"{name} has not published its policy in the directory yet: ask "
                            "the library before you go.")
        return result
    borrowing = policy["reciprocal_borrowing"]
    if not borrowing["participates"]:
        result.update(may_borrow=False, answer=f"No. {name} does not take part in reciprocal "
                                               "borrowing.")
        return result
    if term in (borrowing.get("excluded_formats") or ()):
        result.update(may_borrow=False, answer=f"No. {name} does not lend {words} to patrons "
                                               "of other libraries.")
        return result
    limit = next((item for item in borrowing.get("format_limits") or []
                  if item["format"] == term), {})
    cap = limit.get("items_at_a_time") or borrowing.get("items_at_a_time")
    days = limit.get("loan_days") or borrowing.get("loan_days")
    renewals = limit.get("renewals")
    if renewals is None:
        renewals = borrowing.get("renewals")
    conditions = ["Bring your library card; your home library must show you in good standing."]
    if borrowing.get("register_in_person"):
        conditions.append("Register in person at the desk before your first loan.")
    if borrowing.get("holds_allowed") is False:
        conditions.append("Holds are not available to visiting patrons.")
    text = f"Yes. As a patron of another member library you may borrow {words} at {name}"
    if limit.get("items_at_a_time"):
        text += f", up to {limit['items_at_a_time']} at a time"
        if borrowing.get("items_at_a_time"):
            text += f" ({borrowing['items_at_a_time']} items in all)"
    elif cap:
        text += f", up to {cap} items at a time in all"
    if days:
        text += f", for {_days(days)}"
    if renewals is not None:
        text += f", with {_renewals(renewals)}"
    result.update(may_borrow=True, items_at_a_time=cap, loan_days=days, renewals=renewals,
                  conditions=conditions, answer=text + ".")
    return result
