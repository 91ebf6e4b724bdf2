"""The directory in plain language: a policy's sentences and the "may I borrow it here?" answer.

What a person reads, and only that: the rules decide (`rules`), this module says it.
"""

from datetime import date

from app.directory.rules import (
    WEEKDAYS,
    lending_term,
    nonresident_in_effect,
    report_is_late,
    review_due,
)

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


def _join(words: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or 'a, b or c')."""
    if len(words) <= 1:
        return "".join(words)
    # "rare books and manuscripts, and reference works": a comma keeps the items apart.
    comma = "," if any(f" {conjunction} " in word for word in words
                       for conjunction in ("and", "or")) else ""
    return ", ".join(words[:-1]) + f"{comma} {last} " + words[-1]


def _end(text: str) -> str:
    """The sentence with its full stop ('... 5:00 p.m.' has one already)."""
    return text if text.endswith(".") else text + "."


def _capital(text: str) -> str:
    """The sentence with its first letter capitalised."""
    return text[:1].upper() + text[1:]


def count(number: int, singular: str, plural: str | None = None) -> str:
    """1 -> '1 item', 2 -> '2 items', 0 -> 'no items'."""
    plural = plural or singular + "s"
    if number == 0:
        return f"no {plural}"
    return f"{number} {singular if number == 1 else plural}"


def _money(cents: int) -> str:
    """1250 -> '$12.50'."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _days(days: int) -> str:
    """14 -> '2 weeks', 10 -> '10 days', 1 -> '1 day'."""
    if days % 7 == 0:
        return count(days // 7, "week")
    return count(days, "day")


def _renewals(number: int) -> str:
    """0 -> 'no renewals', 1 -> 'one renewal', 3 -> '3 renewals'."""
    return {0: "no renewals", 1: "one renewal"}.get(number, f"{number} renewals")


def _basis(basis: str) -> str:
    """'per_day' -> 'a day'."""
    return {"per_day": "a day", "per_item": "an item", "per_loan": "a loan",
            "per_request": "a request", "per_page": "a page", "per_year": "a year",
            "once": "once"}[basis]


def long_date(value) -> str:
    """'2026-09-01' (or a date) -> 'September 1, 2026', as a US librarian writes it."""
    day = _as_date(value)
    return f"{day:%B} {day.day}, {day.year}"


def _clock(text: str) -> str:
    """'08:00' -> '8:00 a.m.', '17:30' -> '5:30 p.m.', '12:00' -> 'noon'."""
    hour, minute = (int(part) for part in text.split(":"))
    if (hour, minute) == (12, 0):
        return "noon"
    if hour in (0, 24) and minute == 0:
        return "midnight"
    suffix = "a.m." if hour < 12 else "p.m."
    return f"{(hour - 1) % 12 + 1}:{minute:02d} {suffix}"


_STATE_NAMES = {"NY": "New York", "IL": "Illinois", "OR": "Oregon", "CA": "California",
                "NJ": "New Jersey", "PA": "Pennsylvania", "WI": "Wisconsin", "IN": "Indiana",
                "IA": "Iowa", "MO": "Missouri", "KY": "Kentucky", "MI": "Michigan",
                "OH": "Ohio", "WA": "Washington", "MA": "Massachusetts", "CT": "Connecticut",
                "TX": "Texas", "FL": "Florida", "DC": "the District of Columbia"}


def group(item: dict) -> str:
    """A group of borrowing libraries in words: 'members of CUNY', 'academic libraries',
    'libraries in New York'."""
    kind, name = item["kind"], item["name"]
    if kind == "consortium":
        return f"members of {name}"
    if kind == "library_type":
        return name.replace("_", " ")
    if kind == "state":
        return f"libraries in {_STATE_NAMES.get(name, name)}"
    return f"libraries in {name}"


def _weekdays(days: list[str]) -> str:
    """['monday', ..., 'friday'] -> 'Monday to Friday'; gaps listed: 'Monday and Wednesday'."""
    ordered = [day for day in WEEKDAYS if day in days]
    runs, run = [], []
    for day in ordered:
        if run and WEEKDAYS.index(day) != WEEKDAYS.index(run[-1]) + 1:
            runs.append(run)
            run = []
        run.append(day)
    if run:
        runs.append(run)
    words = [f"{r[0].title()} to {r[-1].title()}" if len(r) > 2
             else " and ".join(day.title() for day in r) for r in runs]
    return _join(words)


def opening_hours(policy: dict) -> list[str]:
    """'Monday to Friday: 9:00 a.m. to 8:00 p.m.' for each line of the opening hours."""
    lines = [_end(f"{_weekdays(item['days'])}: {_clock(item['opens'])} to "
                  f"{_clock(item['closes'])}") for item in policy.get("opening_hours") or []]
    if policy.get("opening_hours_notes"):
        lines.append(policy["opening_hours_notes"])
    return lines


def _lost(lost: dict) -> str:
    """What a lost item costs, every accepted way, and the processing fee."""
    ways = {"list_price": "the current list price",
            "list_price_or_equivalent_title": "the current list price, or an agreed "
            "equivalent title when the item is out of print",
            "replacement_copy": "a replacement copy",
            "by_agreement": "whatever the two libraries agree"}
    methods = lost.get("methods") or [lost.get("replacement") or "list_price"]
    if "list_price_or_equivalent_title" in methods:  # says all that list_price says
        methods = [method for method in methods if method != "list_price"]
    order = ("replacement_copy", "list_price", "list_price_or_equivalent_title", "by_agreement")
    words = [ways[method] for method in order if method in methods]
    text = "Lost items: " + ("; or ".join(words) if any("," in word for word in words)
                             else _join(words, "or")) + "."
    fee = lost.get("processing_fee")
    if fee == "fixed" or (fee is None and lost.get("processing_fee_cents")):
        text += f" A processing fee of {_money(lost['processing_fee_cents'])} is added."
    elif fee == "none":
        text += " No processing fee is charged."
    else:
        text += (" A processing fee may apply; no amount is published, so a bill shows it as "
                 "its own line and the home library may dispute it.")
    return text + (f" {lost['notes']}" if lost.get("notes") else "")


def summarize(policy: dict, today: date | None = None) -> dict[str, list[str]]:
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
                  + (f", up to {count(cap, 'item')} at a time." if cap
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
                rb.append(f"{_capital(label(limit['format']))}: {', '.join(terms)}.")
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
               else f"in effect since {long_date(fee['in_effect_since'])}")
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
        name = _capital(service["service"].replace("_", " "))
        text = (f"{name}: open to visiting patrons" if service["offered"]
                else f"{name}: not open to visiting patrons")
        services.append(text + "." + (f" {_end(service['limits'])}" if service.get("limits")
                                      else ""))
    lines["nonresident_cards"] = _summarize_nonresident(policy.get("nonresident_cards"), today)
    lines["opening_hours"] = opening_hours(policy)
    lines["confidentiality"] = _summarize_confidentiality(policy.get("confidentiality"))
    review = lines["review"] = []
    cycle = policy.get("review_cycle_months")
    if cycle:
        every = ("every month" if cycle == 1 else "every year" if cycle == 12
                 else f"every {count(cycle // 12, 'year')}" if cycle % 12 == 0
                 else f"every {count(cycle, 'month')}")
        review.append(f"The library reviews this policy {every}; the next review is due by "
                      f"{long_date(review_due(_as_date(policy['reviewed_on']), cycle))}.")
    return lines


def _summarize_nonresident(cards: dict | None, today: date | None) -> list[str]:
    """The nonresident card decision in plain sentences (R18)."""
    if not cards:
        return []
    lines = []
    if cards["participates"]:
        text = "Sells nonresident cards"
        start, end = cards.get("effective_from"), cards.get("effective_until")
        if start and end:
            text += f" from {long_date(start)} to {long_date(end)}"
        elif start:
            text += f" from {long_date(start)}"
        elif end:
            text += f" until {long_date(end)}"
        if today is not None and not nonresident_in_effect(cards, today):
            text += (" (not in effect today)")
        lines.append(text + ".")
        if cards.get("fee_cents") is not None:
            lines.append(f"Fee: {_money(cards['fee_cents'])}.")
        if cards.get("fee_formula"):
            lines.append(f"Fee formula: {cards['fee_formula']}")
    else:
        lines.append("Does not sell nonresident cards this year.")
    late = report_is_late(_as_date(cards.get("board_decision_on")),
                          _as_date(cards.get("reported_on")))
    reported = (f", reported {long_date(cards['reported_on'])}"
                if cards.get("reported_on") else "")
    lines.append(f"Board decision {long_date(cards['board_decision_on'])}{reported}"
                 + (" (late: more than 30 days after)." if late else "."))
    return lines


def _summarize_confidentiality(terms: dict | None) -> list[str]:
    """How records are kept (R16)."""
    if not terms:
        return []
    release = {"court_order": "a court order", "due_process": "other due process of law",
               "patron_consent": "the patron's written consent",
               "as_law_requires": "what the law requires"}
    if terms["records_confidential"]:
        text = "Circulation and interlibrary loan records are confidential"
        if terms.get("released_only_by"):
            text += (", released only on " + _join(
                [release[term] for term in terms["released_only_by"]], "or"))
        lines = [text + "."]
    else:
        lines = ["The library does not state that its records are confidential."]
    if terms.get("notes"):
        lines.append(terms["notes"])
    return lines


def _as_date(value) -> date | None:
    """A date from a stored ISO string (or a date)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _lending_words(ill: dict) -> list[str]:
    """Which formats are lent to every library, to some groups, by agreement, or not at all."""
    lines = []
    if ill.get("formats_lent"):
        lines.append(f"Lends to every library: {_join([label(t) for t in ill['formats_lent']])}.")
    agreed = []
    for term in ill.get("conditional_formats") or []:
        if term["lends"] == "groups_only":
            lines.append(f"{_capital(label(term['format']))}: lent only to "
                         f"{_join([group(item) for item in term['groups']], 'or')}."
                         + (f" {term['notes']}" if term.get("notes") else ""))
        else:
            agreed.append(term)
    if agreed:
        lines.append("Not lent on a usual basis, but possibly by special agreement (ask the "
                     f"interlibrary loan contact): {_join([label(t['format']) for t in agreed])}."
                     + "".join(f" {t['notes']}" for t in agreed if t.get("notes")))
    if ill.get("formats_not_lent"):
        lines.append(f"Does not lend: {_join([label(t) for t in ill['formats_not_lent']])}.")
    return lines


def _loan_words(ill: dict) -> list[str]:
    """The loan period, renewals and recalls."""
    lines = []
    if ill.get("loan_days"):
        text = f"Loan period: {_days(ill['loan_days'])}"
        if ill.get("loan_days_may_vary"):
            text += ", unless the lending library sets another"
        lines.append(text + ".")
    renewals = ill.get("renewals")
    if renewals == 0:
        lines.append("No renewals.")
    elif renewals is not None:
        text = "One renewal" if renewals == 1 else f"Up to {renewals} renewals"
        if ill.get("renewal_days"):
            text += f" of {_days(ill['renewal_days'])}"
        text += " is allowed" if renewals == 1 else " are allowed"
        limits = []
        if renewals and ill.get("no_renewal_if_on_hold"):
            limits.append("when another patron has placed a hold on the item")
        overdue = ill.get("no_renewal_when_overdue_days")
        if renewals and overdue is not None:
            limits.append(f"once the item is {_days(overdue)} overdue" if overdue
                          else "once the item is overdue")
        if limits:
            text += ", except " + _join(limits, "or")
        lines.append(text + ".")
    elif ill.get("renewal_days"):
        lines.append(f"Renewals last {_days(ill['renewal_days'])}.")
    if ill.get("renew_days_before_due"):
        lines.append(f"Ask for a renewal at least {count(ill['renew_days_before_due'], 'day')} "
                     "before the due date.")
    if ill.get("renewals_at_lender_discretion"):
        lines.append("Renewals are at the lending library's discretion.")
    if ill.get("recall_any_time"):
        lines.append("Items may be recalled at any time.")
    if ill.get("subject_limit"):
        lines.append("The library may limit how many items on a single subject it lends.")
    caps = ill.get("borrowing_library_limits") or {}
    terms = []
    if caps.get("items_at_a_time"):
        terms.append(f"have up to {count(caps['items_at_a_time'], 'item')} at a time")
    if caps.get("requests_per_week"):
        terms.append(f"send up to {count(caps['requests_per_week'], 'request')} a week")
    if terms:
        lines.append(f"Each borrowing library may {_join(terms)}.")
    return lines


def _summarize_ill(ill: dict) -> list[str]:
    """The interlibrary loan part in plain sentences."""
    lines = []
    contact = ill.get("contact") or {}
    reach = [value for value in (contact.get("name"), contact.get("phone"),
                                 contact.get("email"), contact.get("url")) if value]
    if reach:
        lines.append("Contact: " + ", ".join(reach)
                     + (f" ({contact['hours']})." if contact.get("hours") else "."))
    lines += _lending_words(ill)
    lines += _loan_words(ill)
    if ill.get("lends_to"):
        lines.append(f"Lends to: {_join([t.replace('_', ' ') for t in ill['lends_to']])}.")
    if ill.get("does_not_lend_to"):
        lines.append("Does not lend to: "
                     f"{_join([t.replace('_', ' ') for t in ill['does_not_lend_to']])}.")
    if ill.get("priorities"):
        lines.append("Requests are served first from "
                     + ", then ".join(group(item) for item in ill["priorities"]) + ".")
    ways = [words for term, words in REQUEST_METHOD_LABELS.items()
            if term in (ill.get("request_methods") or ())]
    if ill.get("oclc_symbol"):
        symbol = f"OCLC (symbol {ill['oclc_symbol']})"
        ways = ([symbol if way == "OCLC" else way for way in ways] if "OCLC" in ways
                else [symbol, *ways])
    if ways:
        lines.append(f"Requests by: {_join(ways)}.")
    if ill.get("request_email"):
        lines.append(f"Email requests to {ill['request_email']}.")
    if ill.get("request_url"):
        lines.append(f"Request form: {ill['request_url']}.")
    if ill.get("charge_cents") == 0:
        lines.append("Interlibrary loan is free.")
    elif ill.get("charge_cents"):
        lines.append(f"Each request costs {_money(ill['charge_cents'])}.")
    if ill.get("lost_materials"):
        lines.append(_lost(ill["lost_materials"]))
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
            terms.append(f"have up to {count(own['items_at_a_time'], 'item')} requested or "
                         "checked out at a time")
        if own.get("requests_per_week"):
            terms.append(f"make up to {count(own['requests_per_week'], 'request')} a week")
        if terms:
            lines.append(f"Its own patrons may {_join(terms)}.")
        if own.get("eligible"):
            lines.append(f"Who may request: {'; '.join(own['eligible'])}.")
        if own.get("not_eligible"):
            lines.append(f"Who may not: {'; '.join(own['not_eligible'])}.")
        if own.get("notes"):
            lines.append(own["notes"])
    if ill.get("notes"):
        lines.append(ill["notes"])
    return lines


def ill_answer(ill: dict | None, term: str, name: str) -> dict:
    """Whether a patron's own library can get this format from the library by interlibrary
    loan, for how long, with how many renewals, what a loss costs, and whom to ask."""
    words = label(term)
    if not ill:
        return {"lends": "not_stated", "groups": [], "answer": ""}
    lending = lending_term(ill, term)
    contact = ill.get("contact") or {}
    reach = _join([value for value in (contact.get("phone"), contact.get("email")) if value],
                  "or")
    ask = f" Ask its interlibrary loan contact: {reach}." if reach else ""
    if lending["lends"] == "everyone":
        text = f"Yes: {name} lends {words} to other libraries by interlibrary loan"
    elif lending["lends"] == "groups_only":
        text = (f"Only for some libraries: {name} lends {words} by interlibrary loan only to "
                f"{_join([group(item) for item in lending['groups']], 'or')}")
    elif lending["lends"] == "special_agreement":
        text = (f"Not usually: {name} lends {words} only by special agreement; ask before your "
                "library requests them")
    elif lending["lends"] == "not_lent":
        return {"lends": "not_lent", "groups": [],
                "answer": f"No: {name} does not lend {words} by interlibrary loan."}
    else:
        return {"lends": "not_stated", "groups": [],
                "answer": f"{name}'s interlibrary loan policy does not mention {words}.{ask}"}
    terms = []
    if ill.get("loan_days"):
        terms.append(f"for {_days(ill['loan_days'])}")
    if ill.get("renewals") is not None:
        terms.append(f"with {_renewals(ill['renewals'])}")
    text += (", " + ", ".join(terms) if terms else "") + "."
    if lending.get("notes"):
        text += f" {lending['notes']}"
    if ill.get("lost_materials"):
        text += " " + _lost(ill["lost_materials"])
    return {"lends": lending["lends"], "groups": lending["groups"],
            "loan_days": ill.get("loan_days"), "renewals": ill.get("renewals"),
            "contact": {key: contact.get(key) for key in ("name", "phone", "email")},
            "answer": text + ask}


def answer_question(policy: dict | None, term: str, name: str) -> dict:
    """'May I borrow DVDs here, and how many, for how long?' answered from the policy, in
    person with a home card (reciprocal borrowing) and through one's own library (ILL)."""
    words = label(term)
    result = {"format": term, "question": f"May I borrow {words} at {name}?",
              "may_borrow": None, "items_at_a_time": None, "loan_days": None,
              "renewals": None, "conditions": [], "interlibrary_loan": None}
    if policy is None:
        result["answer"] = (f"{name} has not published its policy in the directory yet: ask "
                            "the library before you go.")
        return result
    result["interlibrary_loan"] = ill_answer(policy.get("interlibrary_loan"), term, name)
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
            text += f" ({count(borrowing['items_at_a_time'], 'item')} in all)"
    elif cap:
        text += f", up to {count(cap, 'item')} at a time in all"
    if days:
        text += f", for {_days(days)}"
    if renewals is not None:
        text += f", with {_renewals(renewals)}"
    result.update(may_borrow=True, items_at_a_time=cap, loan_days=days, renewals=renewals,
                  conditions=conditions, answer=text + ".")
    return result
