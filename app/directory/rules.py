"""Pure rules for the shared directory: the vocabulary and validation by the rules.

Validation (R1, R3, R4, R5, R11, R18) works on the plain dict a policy schema loads, and says
for each refusal which field (a dotted path) and which rule. Nothing here imports Flask or
SQLAlchemy: every decision is tested without an app. A policy's canonical form and the
differences between versions are in `versions`; the plain-language sentences in `wording`.
"""

import re
import unicodedata
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
# Whom a library lends to by interlibrary loan: kinds of institutions, never one library (R3).
BORROWER_KINDS = ("public_libraries", "academic_libraries", "school_libraries",
                  "special_libraries", "nonprofit_institutions", "academic_institutions",
                  "commercial_firms", "law_firms", "libraries_abroad", "any_library")
REQUEST_METHODS = ("oclc", "ala_form", "email", "fax", "online_form", "phone", "mail",
                   "in_person", "courier")
# How an ILL lender treats a format: lent to every library, only to named groups of borrowing
# libraries, only by special agreement, or not at all.
LENDING = ("everyone", "groups_only", "special_agreement", "not_lent")
# Groups of borrowing libraries a lender may favour or limit a format to: never one library (R3).
GROUP_KINDS = ("consortium", "library_type", "state", "region")
US_STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI")
# Ways a borrowing library may make good a lost item (R10); a lender may accept several.
LOST_METHODS = ("list_price", "list_price_or_equivalent_title", "replacement_copy",
                "by_agreement")
# Whether a processing fee for a lost item is charged: a stated amount, none, or one that "may
# apply" with no amount (bills must then itemise it, and the home library may dispute it).
PROCESSING_FEE = ("fixed", "none", "unstated")
# When circulation and ILL records may be released (confidentiality, R16).
RECORD_RELEASE = ("court_order", "due_process", "patron_consent", "as_law_requires")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SERVICES = ("computers", "wifi", "printing", "photocopying", "programs", "meeting_rooms",
            "study_rooms", "reference_help", "on_site_use", "makerspace")
FEE_BASES = ("per_day", "per_item", "per_loan", "per_request", "per_page", "per_year", "once")
FEE_APPLIES_TO = ("reciprocal_borrowing", "interlibrary_loan", "services", "nonresident_card")

R11_CUTOFF = date(2014, 7, 1)  # a fee in effect on this date may stay (R11)
R18_REPORT_DAYS = 30  # a nonresident decision is reported within 30 days of the board's (R18)
STALE_MONTHS = 12  # R5: a policy not reviewed in 12 months is stale

# Words that look like a library code (IL0029, VVJ) or a card number: checked against member
# codes and card prefixes only.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,31}")
_WORD = re.compile(r"[^\W_]+")


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
                        + FEE_APPLIES_TO + LENDING + GROUP_KINDS + US_STATES + LOST_METHODS
                        + PROCESSING_FEE + RECORD_RELEASE + WEEKDAYS)


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


def fold(text: str) -> list[str]:
    """Words for comparison: case and accents folded, punctuation a space ("Public-Library's"
    -> ["public", "library", "s"])."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return _WORD.findall(plain)


# Words every library's name shares: left out to find what distinguishes one member (R3).
GENERIC_WORDS = frozenset({
    "public", "library", "libraries", "district", "pl", "pld", "lib", "the", "of", "and",
    "free", "municipal", "township", "twp", "village", "town", "city", "system", "branch",
    "s", "inc"})


def distinctive_name(name: str) -> tuple[str, ...]:
    """A library's name without the words all names share: 'Aurora Public Library' ->
    ('aurora',); empty when nothing distinctive is left."""
    return tuple(word for word in fold(name) if word not in GENERIC_WORDS)


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether the words hold the phrase as whole, consecutive words."""
    size = len(phrase)
    return any(tuple(words[start:start + size]) == phrase
               for start in range(len(words) - size + 1))


class MemberIndex:
    """What names a member library in free text (R3): its distinctive name, its code, its card
    prefixes, and its city when the city is in its name.

    `members` maps each code to a name, or to {"name", "city", "prefixes"}. Include the
    publishing library too: its own words are then not taken for another member's.
    """

    def __init__(self, members: dict):
        self.codes: dict[str, str] = {}
        self.phrases: dict[tuple[str, ...], set[str]] = {}
        self.prefixes: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for code, member in members.items():
            code = code.upper()
            if isinstance(member, str):
                member = {"name": member}
            name = member.get("name") or ""
            self.names[code] = name
            self.codes[code] = code
            own = distinctive_name(name)
            if own and len("".join(own)) >= 3:
                self.phrases.setdefault(own, set()).add(code)
            city = tuple(fold(member.get("city") or ""))
            if city and _contains(fold(name), city):
                self.phrases.setdefault(city, set()).add(code)
            for prefix in member.get("prefixes") or ():
                self.prefixes[prefix] = code
        self.longest = max((len(phrase) for phrase in self.phrases), default=0)

    def _own_phrases(self, own_code: str | None) -> set[tuple[str, ...]]:
        """The phrases that name the publishing library itself."""
        if not own_code:
            return set()
        return {phrase for phrase, codes in self.phrases.items() if own_code.upper() in codes}

    def matches(self, text: str, own_code: str | None = None) -> list[dict]:
        """Each other member the text names, with the words that named it, in text order:
        [{"code", "name", "words"}]."""
        own = own_code.upper() if own_code else None
        mine = self._own_phrases(own)
        found: dict[str, dict] = {}

        def add(code: str, words: str) -> None:
            if code != own and code not in found:
                found[code] = {"code": code, "name": self.names.get(code, code),
                               "words": words}

        for token in _TOKEN.findall(text):
            if token.upper() in self.codes:
                add(token.upper(), token)
            if token.isdigit() and len(token) >= 4:  # a year or a count is no card prefix
                for prefix, code in self.prefixes.items():
                    if token.startswith(prefix) and (len(token) >= 5 or token == prefix):
                        add(code, token)
        words = fold(text)
        for start in range(len(words)):
            for size in range(self.longest, 0, -1):
                phrase = tuple(words[start:start + size])
                if len(phrase) < size or phrase in mine:
                    continue
                for code in sorted(self.phrases.get(phrase, ())):
                    add(code, " ".join(phrase))
        return list(found.values())

    def named(self, text: str, own_code: str | None = None) -> list[str]:
        """The codes of the other member libraries a text names."""
        return [match["code"] for match in self.matches(text, own_code)]


def validate_policy(policy: dict, *, library_type: str, membership: str,
                    others, own_code: str | None = None, today: date | None = None) -> Verdict:
    """Check a loaded policy against R1, R3, R4, R5, R11 and R18.

    `others`: the members a policy may not name (a `MemberIndex`, or what one is built from);
    `today`: the federation's date, before which review and decision dates must fall.
    """
    verdict = Verdict()
    errors = verdict.errors
    for index, hours in enumerate(policy.get("opening_hours") or []):
        if hours["closes"] <= hours["opens"]:  # "HH:MM" strings sort as times
            errors[f"opening_hours.{index}.closes"] = "A library closes after it opens."
    if today is not None and policy["reviewed_on"] > today:
        errors["reviewed_on"] = (
            f"R5: the review date {policy['reviewed_on']} is after today ({today}); give the "
            "day the policy was last reviewed.")
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
    _check_nonresident(policy.get("nonresident_cards"), verdict, today)
    ill = policy.get("interlibrary_loan") or {}
    _check_ill_content(ill, errors)
    lent, not_lent = set(ill.get("formats_lent") or ()), set(ill.get("formats_not_lent") or ())
    both = sorted(lent & not_lent)
    if both:
        errors["interlibrary_loan.formats_not_lent"] = (
            f"R5: listed both as lent and as not lent: {', '.join(both)}.")
    index = others if isinstance(others, MemberIndex) else MemberIndex(others)
    for path, text in _free_texts(policy):
        named = index.matches(text, own_code)
        if named:
            which = "; ".join(f'"{match["words"]}" names {match["code"]} ({match["name"]})'
                              for match in named)
            errors[path] = (f"R3: a restriction applies equally to every reciprocal borrower and "
                            f"may not name a member library: {which}. Only a formal "
                            "suspension (R12) treats one library's patrons differently.")
    return verdict


def _check_ill_content(ill: dict, errors: dict) -> None:
    """R5: the ILL part says whom to reach, what a loss costs, what is lent and not, copies;
    each format has one lending term, and a processing fee is stated one way."""
    contact = ill.get("contact") or {}
    if not (contact.get("phone") or contact.get("email")):
        errors["interlibrary_loan.contact"] = (
            "R5: give a phone number or an email address that reaches the person who handles "
            "interlibrary loan.")
    lost = ill.get("lost_materials")
    if not lost:
        errors["interlibrary_loan.lost_materials"] = (
            "R5: say how a borrowing library reimburses lost materials.")
    elif lost.get("processing_fee") == "fixed" and not lost.get("processing_fee_cents"):
        errors["interlibrary_loan.lost_materials.processing_fee_cents"] = (
            "R5: a fixed processing fee needs its amount.")
    elif lost.get("processing_fee") in ("none", "unstated") and lost.get("processing_fee_cents"):
        errors["interlibrary_loan.lost_materials.processing_fee_cents"] = (
            f"R5: an amount contradicts a processing fee that is {lost['processing_fee']}.")
    conditional = ill.get("conditional_formats") or []
    if not ill.get("formats_lent") and not any(
            term["lends"] == "groups_only" for term in conditional):
        errors["interlibrary_loan.formats_lent"] = (
            "R5: list the formats you lend by interlibrary loan.")
    if not ill.get("formats_not_lent") and not conditional:
        errors["interlibrary_loan.formats_not_lent"] = (
            "R5: list the formats and collections you do not lend, or lend only on conditions "
            "(reference works, rare books, non-circulating materials, ...).")
    if not ill.get("photocopy"):
        errors["interlibrary_loan.photocopy"] = (
            "R5: say whether you supply photocopies and scans, and on what terms.")
    plain = set(ill.get("formats_lent") or ()) | set(ill.get("formats_not_lent") or ())
    seen = set()
    for index, term in enumerate(conditional):
        if term["format"] in plain or term["format"] in seen:
            errors[f"interlibrary_loan.conditional_formats.{index}.format"] = (
                "R5: each format has one lending term; this one is also listed "
                + ("again here." if term["format"] in seen
                   else "as lent to everyone or not lent."))
        seen.add(term["format"])


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


def _check_nonresident(cards: dict | None, verdict: Verdict, today: date | None) -> None:
    """R18: consistent dates, a decision already taken; a report more than 30 days after the
    decision is only flagged."""
    if not cards:
        return
    if today is not None and cards["board_decision_on"] > today:
        verdict.errors["nonresident_cards.board_decision_on"] = (
            f"R18: the board's decision is dated {cards['board_decision_on']}, after today "
            f"({today}); report a decision once the board has taken it.")
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


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def review_due(reviewed_on: date | None, cycle_months: int | None) -> date | None:
    """When the library's own review cycle calls for the next review (None: no cycle stated)."""
    if reviewed_on is None or not cycle_months:
        return None
    return add_months(reviewed_on, cycle_months)


def processing_fee_cap(lost: dict | None) -> int | None:
    """The most a bill may charge as a lost item's processing fee under a published policy:
    the fixed amount, 0 when none is charged, None when a fee may apply unstated (the bill
    itemises it and the home library may dispute it) or nothing is published (R5, R10)."""
    if not lost:
        return None
    kind = lost.get("processing_fee")
    if kind == "fixed":
        return lost.get("processing_fee_cents")
    if kind == "none":
        return 0
    return None


def lending_term(ill: dict, term: str) -> dict:
    """How an ILL lender treats a format: {"lends": one of LENDING or "not_stated", "groups"}."""
    if term in (ill.get("formats_lent") or ()):
        return {"lends": "everyone", "groups": [], "notes": None}
    if term in (ill.get("formats_not_lent") or ()):
        return {"lends": "not_lent", "groups": [], "notes": None}
    for item in ill.get("conditional_formats") or ():
        if item["format"] == term:
            return {"lends": item["lends"], "groups": item.get("groups") or [],
                    "notes": item.get("notes")}
    return {"lends": "not_stated", "groups": [], "notes": None}


def nonresident_in_effect(cards: dict | None, today: date) -> bool:
    """R18: the library sells nonresident cards today (a programme that began and has not
    ended; an open date counts as no bound)."""
    if not cards or not cards.get("participates"):
        return False
    start, end = _as_date(cards.get("effective_from")), _as_date(cards.get("effective_until"))
    return (start is None or start <= today) and (end is None or today <= end)


def _as_date(value) -> date | None:
    """A date from a stored ISO string (or a date)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def lent_formats(policy: dict) -> list[str]:
    """The formats a reciprocal borrower may take home (none when the library takes no part)."""
    borrowing = policy["reciprocal_borrowing"]
    if not borrowing["participates"]:
        return []
    excluded = set(borrowing.get("excluded_formats") or ())
    return [name for name in FORMATS if name not in excluded]
