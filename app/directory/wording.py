"""The directory in plain language: a policy's sentences and the "may I borrow it here?" answer.

What a person reads, and only that: the rules decide (`rules`), this module says it.
"""

from datetime import date

from app.directory.rules import report_is_late

# The words a person reads for each vocabulary term.
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
# How a person reads each request method.
REQUEST_METHOD_LABELS = {"oclc": "OCLC", "ala_form": "the ALA request form", "email": "email",
                         "fax": "fax", "online_form": "an online form", "phone": "phone",
                         "mail": "mail", "in_person": "in person", "courier": "courier"}


def label(term: str) -> str:
    """The plain-language words for a vocabulary term ('dvd' -> 'DVDs')."""
    return LABELS.get(term, term.replace("_", " "))


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
