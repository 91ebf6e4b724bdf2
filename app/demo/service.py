"""The demo federation: the 623 Illinois public libraries with synthetic patrons and keys.

Libraries come from the IMLS Public Libraries Survey FY2018 (app/data, MIT licence). Patrons
are synthetic, generated deterministically from each library's code, in proportion to its
registered borrowers. Running the load again changes nothing (and reuses the demo keys).
"""

import csv
import os
import random
import shlex
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.auth import hash_key, issue_key
from app.extensions import db
from app.libraries.models import ApiKey, CardPrefix, Library
from app.patrons.models import Patron, ReplacedCard
from app.patrons.rules import card_hmac, last4, normalize_surname
from app.patrons.service import import_roster
from app.timestamps import today_in

DATA = Path(__file__).resolve().parent.parent / "data" / "illinois-public-libraries-fy2018.csv"
DEFAULT_SCALE = 1 / 1000  # synthetic patrons per registered borrower
MIN_PATRONS = 12  # the README tour uses patrons 1 to 4 of its home library, blocks 6 to 12
LENDER, HOME, INACTIVE = "IL0368", "IL0029", "IL0454"  # Naperville, Aurora, Riverdale
SURNAMES = ("Garcia", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
            "Rodriguez", "Martinez", "Hernández", "Lopez", "Gonzalez", "Wilson", "Anderson",
            "Nguyen", "Kowalski", "O'Brien", "Nowak", "Patel", "Kim", "Washington", "Müller")
# A label per region of the state: the survey records no regional system, so these are made up
# and say so.
SYSTEMS = ((41.5, "SYNTHETIC-NORTH"), (40.0, "SYNTHETIC-CENTRAL"), (-90.0, "SYNTHETIC-SOUTH"))


def luhn_digit(number: str) -> str:
    """The Luhn check digit library cards (Codabar, 14 digits) usually end with."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def card_prefix(code: str) -> str:
    """A demo library's card prefix: 2 and the number in its FSCS id (IL0003 -> 20003)."""
    return "2" + code[2:]


def demo_card(code: str, serial: int) -> str:
    """The demo card number of a library's patron number `serial` (14 digits)."""
    body = card_prefix(code) + f"{serial:08d}"
    return body + luhn_digit(body)


def _title(text: str) -> str:
    """Survey names are upper case; make them readable ('MCHENRY' -> 'McHenry')."""
    words = []
    for word in text.title().split(" "):
        if word.startswith("Mc") and len(word) > 2:
            word = "Mc" + word[2].upper() + word[3:]
        words.append(word)
    return " ".join(words).replace(" Of ", " of ").replace(" And ", " and ")


def _phone(raw: str) -> str | None:
    """Format a survey phone number as (630) 543-3617."""
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) != 10:
        return None
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def survey_rows() -> Iterator[dict]:
    """The survey's Illinois rows."""
    with open(DATA, encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _system(latitude: str) -> str:
    """A synthetic regional system label from the library's latitude."""
    try:
        value = float(latitude)
    except ValueError:
        return SYSTEMS[-1][1]
    return next(label for bound, label in SYSTEMS if value >= bound)


def _load_libraries(echo) -> dict[str, tuple[int, int]]:
    """Admit every survey library not yet in the federation; return {code: (id, borrowers)}."""
    existing = dict(db.session.execute(select(Library.code, Library.id)).all())
    admitted = 0
    borrowers = {}
    for row in survey_rows():
        code = row["FSCSKEY"]
        borrowers[code] = int(row["REGBOR"]) if row["REGBOR"].lstrip("-").isdigit() else -1
        if code in existing:
            continue
        library = Library(
            code=code, name=_title(row["LIBNAME"]), type="public", membership="full",
            reciprocal_borrowing=True, active=code != INACTIVE,
            contact_email=f"circulation@{code.lower()}.demo.invalid",
            contact_phone=_phone(row["PHONE"]), street=_title(row["ADDRESS"]),
            city=_title(row["CITY"]), zip=row["ZIP"][:5], county=_title(row["CNTY"]),
            system=_system(row["LATITUDE"]))
        library.prefixes = [CardPrefix(prefix=card_prefix(code))]
        db.session.add(library)
        admitted += 1
    db.session.commit()
    ids = dict(db.session.execute(select(Library.code, Library.id)).all())
    echo(f"Libraries: {admitted} admitted, {len(ids) - admitted} already members.")
    return {code: (ids[code], count) for code, count in borrowers.items() if code in ids}


def _patron_rows(code: str, count: int, today: date) -> Iterator[tuple[int, dict, None]]:
    """Synthetic roster lines for a library: mostly good, some blocked, some expired."""
    rng = random.Random(code)  # deterministic: the same patrons every run
    for serial in range(1, count + 1):
        roll = rng.random()
        good_until = date(today.year + 1 + rng.randrange(3), rng.randrange(1, 13), 1)
        values = {"card": demo_card(code, serial), "category": "juvenile"
                  if rng.random() < 0.2 else "adult",
                  "surname": SURNAMES[rng.randrange(len(SURNAMES))],
                  "external_ref": f"{code}-P{serial:06d}"}
        # Patron 1 is always good, for the README tour; so are the demo blocks' patrons, so
        # that a block is the only thing their verification shows.
        if serial == 1 or serial in BLOCK_SERIALS or roll < 0.8:
            values.update(standing="good", block_reasons=[], expires_on=good_until)
        elif roll < 0.9:
            values.update(standing="blocked", expires_on=good_until,
                          block_reasons=[rng.choice(["fines", "lost_items", "address_unknown"])])
        else:
            values.update(standing="good", block_reasons=[],
                          expires_on=date(today.year - 1, rng.randrange(1, 13), 15))
        if serial == 2:  # patron 2 is always blocked, for the README tour
            values.update(standing="blocked", block_reasons=["fines"], expires_on=good_until)
        if serial == 3:  # patron 3 is always expired, for the README tour
            values.update(standing="good", block_reasons=[],
                          expires_on=date(today.year - 1, 6, 30))
        yield serial, values, None


def _normalised(rows):
    """Fold surnames as a roster import would."""
    for line, values, error in rows:
        values["surname"] = normalize_surname(values["surname"])
        yield line, values, error


def _load_patrons(libraries: dict, key: bytes, scale: float, today: date, echo) -> None:
    """Import each library's synthetic roster through the registry's own import path."""
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    for code, (library_id, borrowers) in sorted(libraries.items()):
        count = max(MIN_PATRONS, round(max(borrowers, 0) * scale))
        summary = import_roster(library_id, _normalised(_patron_rows(code, count, today)), key)
        for name in totals:
            totals[name] += getattr(summary, name)
    echo(f"Patrons: {totals['created']} created, {totals['updated']} updated, "
         f"{totals['unchanged']} unchanged.")


def _replace_demo_card(libraries: dict, key: bytes) -> str:
    """Give the home library's patron 4 a new card once; return the old (replaced) card."""
    library_id = libraries[HOME][0]
    old, new = demo_card(HOME, 4), demo_card(HOME, 99_999_999)
    old_hmac = card_hmac(key, old)
    patron = db.session.execute(select(Patron).where(
        Patron.library_id == library_id, Patron.card_hmac == old_hmac)).scalar_one_or_none()
    if patron is not None:
        db.session.add(ReplacedCard(library_id=library_id, card_hmac=old_hmac,
                                    patron_id=patron.id))
        patron.card_hmac = card_hmac(key, new)
        patron.card_last4 = last4(new)
        db.session.commit()
    return old


DEMO_BILLS = (
    # (note, home patron serial, days before today, state to leave it in)
    ("Demo bill: open", 1, 20, "open"),
    ("Demo bill: paid in part", 2, 45, "partial"),
    ("Demo bill: disputed", 3, 60, "disputed"),
    ("Demo bill: paid", 4, 90, "paid"),
    ("Demo bill: resolved by a replacement copy", 5, 120, "resolved"),
    ("Demo bill: void", 1, 150, "void"),
)


def _load_bills(libraries: dict, key: bytes, today: date, echo) -> None:
    """Naperville's bills to Aurora in every state, through the bills' own use cases."""
    from datetime import timedelta

    from app.bills import service as bills
    from app.bills.models import Bill

    lender, home = libraries[LENDER][0], libraries[HOME][0]
    made = 0
    for note, serial, days, state in DEMO_BILLS:
        if db.session.execute(select(Bill.id).where(Bill.issuer_library_id == lender,
                                                    Bill.note == note)).first():
            continue
        bill = bills.issue_bill(lender, {
            "card_number": demo_card(HOME, serial), "home_library": HOME, "note": note,
            "infraction_date": today - timedelta(days=days),
            "items": [{"title": "The Prairie Years", "barcode": f"3{serial:07d}{days}",
                       "format": "book", "kind": "lost", "in_print": True,
                       "list_price_cents": 2495},
                      {"title": "Illinois Atlas (1987)", "barcode": f"3{serial:07d}9{days}",
                       "format": "book", "kind": "damaged", "in_print": False,
                       "equivalent_title": "Illinois Atlas & Gazetteer", "list_price_cents": 2200,
                       "processing_fee_cents": 500}]}, key, today)
        pay = {"paid_by": "patron", "reference": "demo receipt"}
        if state == "partial":
            # Naperville received $15; Aurora reports $5 more, awaiting confirmation (R8).
            bills.record_payment(lender, bill.id, {**pay, "amount_cents": 1500}, today)
            bills.record_payment(home, bill.id, {**pay, "amount_cents": 500}, today)
        elif state == "paid":
            reported = bills.record_payment(
                home, bill.id, {**pay, "amount_cents": bill.amount_due_cents}, today)
            bills.confirm_payment(lender, bill.id, reported.id, today)
        elif state == "disputed":
            bills.dispute_bill(home, bill.id, "The patron says the atlas was damaged before.")
        elif state == "resolved":
            proposal = bills.propose_resolution(home, bill.id, {
                "terms": "replacement_copy", "detail": "The patron brings new copies."})
            bills.accept_resolution(lender, bill.id, proposal.id, today)
        elif state == "void":
            bills.void_bill(lender, bill.id, "The items were found on the shelf.", today)
        made += 1
    echo(f"Bills: {made} demo bills made, {len(DEMO_BILLS) - made} already there.")


# (note, Aurora patron serial, kind, state to leave it in); one lender bill each
DEMO_BLOCKS = (
    ("Demo block: awaiting an answer", 6, "block", "requested"),
    ("Demo block: honored", 7, "block", "honored"),
    ("Demo delinquent mark: honored", 8, "delinquent", "honored"),
    ("Demo block: refused (Aurora is now liable)", 9, "block", "refused"),
    ("Demo block: withdrawn", 10, "block", "withdrawn"),
    ("Demo block: released", 11, "block", "released"),
    ("Demo block: unanswered past its due date", 12, "block", "overdue"),
)
BLOCK_SERIALS = frozenset(serial for _, serial, _, _ in DEMO_BLOCKS)


def _load_blocks(libraries: dict, key: bytes, today: date, due_days: int, echo) -> None:
    """Naperville's block requests to Aurora in every state, through the blocks' use cases."""
    from datetime import timedelta

    from app.auth import Caller
    from app.bills import service as bills
    from app.blocks import service as blocks
    from app.blocks.models import Block

    lender, home = libraries[LENDER][0], libraries[HOME][0]
    as_lender = Caller(key_id="demo", role="member", library_id=lender, library_code=LENDER)
    as_home = Caller(key_id="demo", role="member", library_id=home, library_code=HOME)
    made = 0
    for note, serial, kind, state in DEMO_BLOCKS:
        if db.session.execute(select(Block.id).where(Block.requester_library_id == lender,
                                                     Block.note == note)).first():
            continue
        card = demo_card(HOME, serial)
        bill = bills.issue_bill(lender, {
            "card_number": card, "home_library": HOME, "note": f"{note} (its bill)",
            "infraction_date": today - timedelta(days=30 + serial),
            "items": [{"title": "Chicago Cookbook", "barcode": f"39{serial:08d}",
                       "format": "book", "kind": "lost", "in_print": True,
                       "list_price_cents": 3299}]}, key, today)
        # An overdue request was made long enough ago that its answer is past due.
        asked_on = today - timedelta(days=due_days + 7) if state == "overdue" else today
        block = blocks.request_block(as_lender, {
            "card_number": card, "home_library": HOME, "kind": kind, "bill_ids": [bill.id],
            "note": note}, key, asked_on, due_days)
        if state in ("honored", "released"):
            blocks.honor_block(as_home, block.id, today)
        if state == "released":
            blocks.release_block(as_lender, block.id, today)
        elif state == "refused":
            blocks.refuse_block(as_home, block.id, "Our board does not block for other "
                                                   "libraries' bills; we will pay.", today)
        elif state == "withdrawn":
            blocks.withdraw_block(as_lender, block.id, today)
        made += 1
    blocks.mark_overdue(today)
    echo(f"Blocks: {made} demo blocks made, {len(DEMO_BLOCKS) - made} already there.")


DEMO_NOTICE_POLICY = "Reciprocal borrowers return items to the lending library (demo)."
DEMO_SUSPENSION_REASON = "Naperville's patrons' items held past 30 days at Aurora (demo)."


def _load_between(libraries: dict, today: date, max_days: int, echo) -> None:
    """A notice each way between Naperville and Aurora, Aurora's suspension of reciprocal
    borrowing for Naperville's patrons resting on its notice (R12), and Naperville's dispute
    of it, escalated to the office (R13). Only Aurora's desk is affected: the tour's
    verifications at Naperville of Aurora's cards are not."""
    from datetime import timedelta

    from app.auth import Caller
    from app.disputes import service as disputes
    from app.notices import service as notices
    from app.suspensions import service as suspensions
    from app.suspensions.models import Suspension

    lender, home = libraries[LENDER][0], libraries[HOME][0]
    if db.session.execute(select(Suspension.id).where(
            Suspension.reason == DEMO_SUSPENSION_REASON)).first():
        echo("Between libraries: the demo notices and suspension are already there.")
        return
    as_lender = Caller(key_id="demo", role="member", library_id=lender, library_code=LENDER)
    as_home = Caller(key_id="demo", role="member", library_id=home, library_code=HOME)
    asked = notices.send_notice(lender, {
        "to": HOME, "what_happened": "Two items lent to Aurora patrons came back damaged "
                                     "(demo).", "policy": DEMO_NOTICE_POLICY,
        "asks": "Remind your patrons of our handling policy."}, today)
    notices.acknowledge_notice(as_home, asked.id)
    reason = notices.send_notice(home, {
        "to": LENDER, "what_happened": "Items borrowed here by Naperville patrons were held at "
                                       "Naperville's desk for months (demo).",
        "policy": DEMO_NOTICE_POLICY, "asks": "Return our items within 10 days."}, today)
    notices.answer_notice(as_lender, reason.id, "We are sending them back by courier (demo).")
    suspension = suspensions.impose_suspension(home, {
        "suspended_library": LENDER, "measure": "suspension",
        "services": "reciprocal_borrowing", "reason": DEMO_SUSPENSION_REASON,
        "terms": "Until the held items are back (demo).", "notice_ids": [reason.id],
        "ends_on": today + timedelta(days=min(30, max_days))}, today, max_days)
    # Naperville disputes the suspension and asks the office for help (R13).
    dispute = disputes.open_dispute(lender, {
        "subject_type": "suspension", "subject_id": suspension.id,
        "summary": "The items were in transit by courier before the suspension (demo)."})
    disputes.act(as_home, dispute.id, "message", "Our shelves still show them missing (demo).")
    disputes.act(as_lender, dispute.id, "escalate", "We ask the office to compare the courier "
                                                    "logs (demo).")
    # The office takes one other library out of full membership and reinstates it (Plan
    # VIII.2.c): two membership actions and their letters, leaving it taking part as before.
    from app.libraries import service as registry

    other = db.session.execute(
        select(Library.code).where(Library.membership == "full", Library.type == "public",
                                   Library.code.not_in((LENDER, HOME)))
        .order_by(Library.code).limit(1)).scalar()
    registry.act_on_membership(other, {
        "action": "removed", "reason": "Annual statistics not filed for two years (demo).",
        "requirements": "File the missing statistics with the office (demo)."})
    registry.act_on_membership(other, {"action": "reinstated",
                                       "reason": "The statistics were filed (demo)."})
    echo("Between libraries: 2 demo notices, 1 suspension and 1 escalated dispute made; "
         f"{other} taken out of full membership and reinstated; their letters are queued.")


DEMO_ASSISTANCE_MESSAGE = ("Two letters to the patron about this bill went unanswered; "
                           "please help us collect it (demo).")


def _load_assistance(libraries: dict, today: date, due_days: int, echo) -> None:
    """Naperville asks Aurora to help collect its open demo bill, and Aurora answers that it
    contacted the patron itself (R7); no patron details are passed in the demo (R16)."""
    from app.assistance import service as assistance
    from app.assistance.models import AssistanceRequest
    from app.auth import Caller
    from app.bills.models import Bill

    lender, home = libraries[LENDER][0], libraries[HOME][0]
    if db.session.execute(select(AssistanceRequest.id).where(
            AssistanceRequest.message == DEMO_ASSISTANCE_MESSAGE)).first():
        echo("Assistance: the demo request is already there.")
        return
    bill_id = db.session.execute(select(Bill.id).where(
        Bill.issuer_library_id == lender, Bill.note == "Demo bill: open")).scalar()
    if bill_id is None:
        return
    as_lender = Caller(key_id="demo", role="member", library_id=lender, library_code=LENDER)
    as_home = Caller(key_id="demo", role="member", library_id=home, library_code=HOME)
    asked = assistance.request_assistance(as_lender, {
        "home_library": HOME, "kind": "collect_bill", "bill_id": bill_id,
        "message": DEMO_ASSISTANCE_MESSAGE}, today, due_days)
    assistance.answer_request(as_home, asked.id, {
        "response": "contacted_patron",
        "note": "We phoned the patron, who will pay at your desk this week (demo)."},
        today, None)
    echo("Assistance: 1 demo assistance request made and answered.")


def demo_policy(code: str, today: date, *, lender: bool = False) -> dict:
    """A plausible policy for a demo library, the same every run for the same code and day."""
    from datetime import timedelta

    rng = random.Random(f"policy-{code}")
    excluded = [term for term, chance in (("new_release", 0.4), ("dvd", 0.25),
                                          ("hotspot", 0.5), ("museum_pass", 0.3),
                                          ("video_game", 0.2), ("reference", 0.6))
                if rng.random() < chance]
    cap = rng.randrange(2, 11)
    limits = []
    if "dvd" not in excluded and rng.random() < 0.5:
        limits.append({"format": "dvd", "items_at_a_time": min(cap, rng.randrange(1, 4)),
                       "loan_days": rng.choice([3, 7, 14]), "renewals": rng.choice([0, 1])})
    fees = []
    if rng.random() < 0.5:
        fees.append({"name": "Overdue fine", "amount_cents": rng.choice([10, 25, 50]),
                     "basis": "per_day", "also_charged_to_own_patrons": True})
    if rng.random() < 0.15:  # R11: an old fee own patrons do not pay, in effect since before
        fees.append({"name": "Reciprocal registration fee", "amount_cents": 500,
                     "basis": "per_year", "also_charged_to_own_patrons": False,
                     "in_effect_since": date(2000 + rng.randrange(0, 14), 7, 1).isoformat()})
    stale = rng.random() < 0.15
    reviewed = today - timedelta(days=rng.randrange(380, 900) if stale
                                 else rng.randrange(0, 330))
    # R18: the directory records the report on the day it receives it (the load's today).
    late = rng.random() < 0.1
    decided = today - timedelta(days=rng.randrange(31, 90) if late else rng.randrange(0, 30))
    reported = today
    sells = rng.random() < 0.6
    # The programme year (July to June) that holds today, so the demo's programmes are current.
    year = today.year if today.month >= 7 else today.year - 1
    slug = code.lower()
    dvd_ill = rng.choice(["everyone", "groups_only", "not_stated"])
    late_night = rng.random() < 0.5
    return {
        "reviewed_on": reviewed.isoformat(),
        "review_cycle_months": rng.choice([None, 12, 24]),
        # The Illinois Library Records Confidentiality Act: records open only to a court order.
        "confidentiality": {"records_confidential": True, "released_only_by": ["court_order"]},
        "opening_hours": [
            {"days": ["monday", "tuesday", "wednesday", "thursday"], "opens": "09:00",
             "closes": "21:00" if late_night else "20:00"},
            {"days": ["friday", "saturday"], "opens": "09:00", "closes": "17:00"}]
        + ([{"days": ["sunday"], "opens": "13:00", "closes": "17:00"}]
           if rng.random() < 0.4 else []),
        "reciprocal_borrowing": {
            "participates": True, "items_at_a_time": cap,
            "loan_days": rng.choice([14, 21, 28]), "renewals": rng.choice([0, 1, 2]),
            "format_limits": limits, "excluded_formats": excluded,
            "holds_allowed": rng.random() < 0.6, "register_in_person": rng.random() < 0.5,
            "notes": "Bring your home library card." if rng.random() < 0.5 else None},
        "fees": fees,
        "interlibrary_loan": {
            "contact": {"name": "Interlibrary loan desk", "email": f"ill@{slug}.demo.invalid"},
            "formats_lent": ["book", "large_print", "audiobook"]
            + (["dvd"] if dvd_ill == "everyone" else []),
            "formats_not_lent": ["reference", "rare", "new_release"],
            # Some lend DVDs by ILL only within their regional system (RAILS or IHLS).
            "conditional_formats": [{"format": "dvd", "lends": "groups_only", "groups": [
                {"kind": "consortium", "name": rng.choice(["RAILS", "IHLS"])}]}]
            if dvd_ill == "groups_only" else [],
            "renewal_days": 14, "no_renewal_if_on_hold": True,
            "loan_days": rng.choice([21, 28, 42]), "renewals": rng.choice([0, 1]),
            "lends_to": ["public_libraries", "academic_libraries", "school_libraries"],
            "request_methods": ["oclc", "email"], "charge_cents": 0,
            "lost_materials": {"methods": ["list_price"] + (
                ["replacement_copy"] if rng.random() < 0.5 else []),
                "processing_fee_cents": 1000 if lender
                else rng.choice([None, 500, 750, 1000, 1500])},
            "photocopy": {"provided": True, "charge_cents_per_page": rng.choice([0, 10, 25])}},
        "services": [
            {"service": "computers", "offered": True,
             "limits": f"{rng.choice([1, 2])} hours a day"},
            {"service": "meeting_rooms", "offered": rng.random() < 0.5, "limits": None}],
        "nonresident_cards": {
            "participates": sells,
            "fee_formula": "The library's tax rate times the home's assessed value."
            if sells else None,
            "effective_from": date(year, 7, 1).isoformat() if sells else None,
            "effective_until": date(year + 1, 6, 30).isoformat() if sells else None,
            "board_decision_on": decided.isoformat(), "reported_on": reported.isoformat()},
    }


def _load_policies(today: date, echo) -> None:
    """Publish a demo policy for every library that has none yet (a second run adds none)."""
    from app.directory.models import DirectoryEntry
    from app.directory.schemas import PolicySchema
    from app.directory.service import member_terms, publish

    done = set(db.session.execute(select(DirectoryEntry.library_id)).scalars())
    libraries = db.session.execute(select(Library).order_by(Library.code)).scalars().all()
    schema = PolicySchema()
    others = member_terms()
    made = 0
    for library in libraries:
        if library.id in done:
            continue
        # Demo policies name no library at all, so one index of everyone serves every check.
        policy = schema.load(demo_policy(library.code, today, lender=library.code == LENDER))
        publish(library, policy, today, others)
        made += 1
    db.session.commit()
    echo(f"Policies: {made} published, {len(done)} already in the directory.")


def _demo_keys(path: Path) -> dict[str, str]:
    """Reuse the demo keys written last time while they still work; issue the rest."""
    wanted = {"DEMO_ADMIN_KEY": None, "DEMO_LENDER_KEY": LENDER, "DEMO_HOME_KEY": HOME}
    found = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name in wanted:
                found[name] = shlex.split(value)[0] if value else ""
    keys = {}
    for name, code in wanted.items():
        key = found.get(name)
        if key and db.session.execute(select(ApiKey.id).where(
                ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))).first():
            keys[name] = key
            continue
        library = db.session.execute(select(Library).where(Library.code == code)
                                     ).scalar_one() if code else None
        _, keys[name] = issue_key(library, label="demo")
    db.session.commit()
    return keys


# The demo's console accounts: (variable in demo.env, email, name, role, library).
DEMO_STAFF = (
    ("DEMO_DESK_EMAIL", "desk@il0368.demo.invalid", "Dana Desk", "desk", LENDER),
    ("DEMO_CIRCULATION_EMAIL", "circulation@il0029.demo.invalid", "Cory Circulation",
     "circulation", HOME),
    ("DEMO_LIBRARY_ADMIN_EMAIL", "admin@il0029.demo.invalid", "Alex Administrator",
     "library_admin", HOME),
    ("DEMO_LENDER_CIRCULATION_EMAIL", "circulation@il0368.demo.invalid", "Noor Circulation",
     "circulation", LENDER),
    ("DEMO_OFFICE_EMAIL", "office@federation.demo.invalid", "Olive Office", "office", None),
)


def _demo_staff(path: Path) -> dict[str, str]:
    """The console's demo accounts, with one password kept in demo.env (made once, random).

    The accounts share the password, so it is hashed once (argon2 is slow on purpose); when
    demo.env already had it, one account's hash is checked and, if it matches, the others are
    taken to match too (they are set together).
    """
    import secrets

    from argon2.exceptions import VerificationError

    from app.console.models import StaffAccount
    from app.console.service import create_staff, password_hasher

    password = None
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name == "DEMO_STAFF_PASSWORD" and value:
                password = shlex.split(value)[0]
    kept = password is not None
    password = password or "demo-" + secrets.token_urlsafe(12)
    hasher = password_hasher()[0]
    hashed, checked = None, False
    values = {"DEMO_STAFF_PASSWORD": password}
    for variable, email, name, role, code in DEMO_STAFF:
        values[variable] = email
        account = db.session.execute(select(StaffAccount).where(
            StaffAccount.email == email)).scalar_one_or_none()
        if account is None:
            account = create_staff(email, name, role, code)
        elif kept and account.password_hash and checked:
            continue
        else:
            try:
                hasher.verify(account.password_hash or "", password)
                checked = True
                continue
            except (VerificationError, ValueError):  # another password, or none yet
                pass
        hashed = hashed or hasher.hash(password)
        account.password_hash = hashed
        account.failed_logins, account.locked_until, account.active = 0, None, True
        db.session.commit()
    return values


def load_demo(app: Flask, *, scale: float | None = None,
              echo: Callable[[str], None] = print) -> Path:
    """Load the demo federation and write instance/demo.env; idempotent. Returns that path."""
    key = app.config["HMAC_KEY"].encode("utf-8")
    today = today_in(app.config["TIMEZONE"])
    libraries = _load_libraries(echo)
    _load_patrons(libraries, key, DEFAULT_SCALE if scale is None else scale, today, echo)
    replaced = _replace_demo_card(libraries, key)
    _load_bills(libraries, key, today, echo)
    _load_blocks(libraries, key, today, int(app.config["BLOCK_RESPONSE_DAYS"]), echo)
    _load_policies(today, echo)
    _load_between(libraries, today, int(app.config["SUSPENSION_MAX_DAYS"]), echo)
    _load_assistance(libraries, today, int(app.config["ASSISTANCE_DUE_DAYS"]), echo)
    path = Path(app.instance_path) / "demo.env"
    keys = _demo_keys(path)
    staff = _demo_staff(path)
    values = {
        **keys, **staff, "DEMO_LENDER": LENDER, "DEMO_HOME": HOME, "DEMO_INACTIVE": INACTIVE,
        "DEMO_CARD_GOOD": demo_card(HOME, 1), "DEMO_SURNAME_GOOD": _surname(HOME, 1),
        "DEMO_CARD_BLOCKED": demo_card(HOME, 2), "DEMO_CARD_EXPIRED": demo_card(HOME, 3),
        "DEMO_CARD_REPLACED": replaced, "DEMO_CARD_UNKNOWN": demo_card(HOME, 99_999_998),
        "DEMO_CARD_INACTIVE_HOME": demo_card(INACTIVE, 1),
        "DEMO_CARD_FEDERATION_BLOCK": demo_card(HOME, 7),
        "DEMO_CARD_DELINQUENT": demo_card(HOME, 8),
    }
    body = ("# Demo federation: keys and synthetic cards for trying the API (see README).\n"
            "# These keys work only against this instance's database. Source me: "
            ". instance/demo.env\n"
            + "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(body)
    echo(f"Demo keys and cards written to {path} (mode 600).")
    base = (app.config.get("CONSOLE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    echo(f"Staff console: {base}/console/sign-in, password {staff['DEMO_STAFF_PASSWORD']} for "
         "every demo account:")
    for _, email, _, role, code in DEMO_STAFF:
        where = "the federation office" if code is None else (
            "Naperville (IL0368)" if code == LENDER else "Aurora (IL0029)")
        echo(f"  {role.replace('_', ' ')} at {where}: {email}")
    return path


def _surname(code: str, serial: int) -> str:
    """The synthetic surname of a library's patron `serial`, as generated."""
    today = date(2000, 1, 1)  # the surname does not depend on the date
    for number, values, _ in _patron_rows(code, serial, today):
        if number == serial:
            return values["surname"]
    raise ValueError(serial)
