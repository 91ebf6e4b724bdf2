"""Verify a visiting patron's card for a lending library (R1, R2, R14, R15, R16, R19)."""

import dataclasses
import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, func, select

from app.blocks.models import Block
from app.errors import RuleError
from app.extensions import db
from app.libraries.models import CardPrefix, Library
from app.libraries.service import member_by_code
from app.patrons.models import Patron, ReplacedCard
from app.patrons.rules import card_hmac, normalize_card, normalize_surname, surname_hmac
from app.reach import rules as reach_rules
from app.replicas import first_settled
from app.suspensions import rules as suspension_rules
from app.suspensions.service import lending_terms
from app.verification import rules
from app.verification.models import VerificationCount
from app.verification.traffic import TrafficBuffer


def _honored(kind: str):
    """Whether the patron has an honored, unreleased federation block of this kind (R8)."""
    return exists().where(Block.patron_id == Patron.id, Block.status == "honored",
                          Block.kind == kind).label(kind)


# The hot path selects only what the rules need, by unique indexes, in one round
# trip: the home library, its patron with this card (if any), whether the card was replaced,
# and the two EXISTS over the (patron_id, status) index of blocks. Measured (bench/README.md):
# one statement instead of two or three took 5-18% off a verification's server CPU.
_PATRON_COLUMNS = (Patron.id.label("patron_id"), Patron.standing, Patron.expires_on,
                   Patron.surname_hmac, _honored("block"), _honored("delinquent"))
_HOME_COLUMNS = (Library.id, Library.code, Library.name, Library.active,
                 Library.reciprocal_borrowing, Library.contact_email, Library.contact_phone)
_REPLACED = exists().where(ReplacedCard.library_id == Library.id,
                           ReplacedCard.card_hmac == bindparam("card_hmac")).label("replaced")


def _card_at_home(home_matches):
    """The one SELECT for a card at the home library that `home_matches` picks."""
    return (select(*_HOME_COLUMNS, *_PATRON_COLUMNS, _REPLACED)
            .outerjoin(Patron, and_(Patron.library_id == Library.id,
                                    Patron.card_hmac == bindparam("card_hmac")))
            .where(home_matches))


# R15: the home named by its code, or by the longest of the card's prefixes a library claims.
CARD_BY_HOME_CODE = _card_at_home(Library.code == bindparam("code"))
CARD_BY_PREFIX = _card_at_home(Library.id == (
    select(CardPrefix.library_id)
    .where(CardPrefix.prefix.in_(bindparam("prefixes", expanding=True)))
    .order_by(func.length(CardPrefix.prefix).desc()).limit(1).scalar_subquery()))


@dataclass(frozen=True)
class Verification:
    """The answer a lending desk gets."""

    decision: str
    reasons: tuple[str, ...]
    home_library: dict
    expires_on: date | None
    identity: str
    checked_at: datetime
    source: str  # registry | home_system | peer | none (a peer that could not be asked)
    advice: str
    as_of: datetime | None = None  # when the source last knew (R14)
    peer: dict | None = None  # the peer federation that answered (R17)


def _card_found(row) -> bool:
    """A settled answer: the home library holds the card (otherwise the primary confirms)."""
    return row is not None and row.patron_id is not None


def find_card(card: str, digest: bytes, home_code: str | None):
    """The home library (named, or by the card's longest prefix, R15) and what it holds.

    Run on the session's connection as Core: the ORM's result handling adds nothing to a row
    of plain columns and cost a third of the look-up (cProfile). From a replica when the
    request has one; "not found" only from the primary.
    """
    if home_code:
        row = first_settled(CARD_BY_HOME_CODE, {"code": home_code, "card_hmac": digest},
                            _card_found)
        if row is None:  # the outer join finds every member: no member has this code
            member_by_code(home_code, field="home_library")  # raises its 422
        return row
    prefixes = [card[:n] for n in range(1, min(len(card), 16) + 1)]
    row = first_settled(CARD_BY_PREFIX, {"prefixes": prefixes, "card_hmac": digest}, _card_found)
    if row is None:
        raise RuleError("No member library's card prefix matches this card: name its home "
                        "library.", code="home_library_required",
                        errors={"home_library": "Required: the card's prefix names no member."})
    return row


def verify_card(lending_library_id: int | None, card_number: str, home_code: str | None,
                surname: str | None, key: bytes, now: datetime, today: date,
                counter: TrafficBuffer, reach=None, *, hops: int = 0,
                started: float | None = None, budget: float | None = None) -> Verification:
    """Decide whether a lending library may lend to the holder of this card.

    With `reach` (app/reach/live.py), within its time budget: a card of a peer federation's
    library is forwarded there (R17), and a home library's own system is asked live (R14).
    """
    started = time.monotonic() if started is None else started
    card = normalize_card(card_number)
    digest = card_hmac(key, card)
    try:
        row = find_card(card, digest, home_code)
    except RuleError:
        forwarded = reach and reach.forward(
            lending_library_id, card, home_code, surname, now, today,
            reach.deadline(started, budget), hops)
        if not forwarded:
            raise
        return forwarded
    found = row.patron_id is not None
    given = surname_hmac(key, normalize_surname(surname)) if surname else None
    participates = bool(row.active and row.reciprocal_borrowing)
    live = reach and reach.consult_home(lending_library_id, row.id, card, digest, surname,
                                        given, now, reach.deadline(started, budget),
                                        ask=participates)
    if live and live.answer:
        facts = reach_rules.home_facts(
            live.answer, home_participates=participates, replaced=bool(row.replaced),
            federation_block=found and bool(row.block),
            delinquent=found and bool(row.delinquent))
    else:
        facts = rules.CardFacts(
            home_participates=participates, found=found,
            replaced=not found and bool(row.replaced),
            standing=row.standing, expires_on=row.expires_on,
            identity=rules.identity(given, row.surname_hmac) if found else "not_checked",
            federation_block=found and bool(row.block),
            delinquent=found and bool(row.delinquent), registry_stale=bool(live and live.stale))
    # R12: the calling library's own suspension (or restriction) of this home library, if in
    # force today. Nobody else's verifications read it, and no patron's data changes.
    terms = lending_terms(lending_library_id, row.id, today)
    if terms is not None:
        facts = dataclasses.replace(facts,
                                    suspended_by_caller=terms.measure == "suspension")
    result = rules.decide(facts, today)
    contact = {"email": row.contact_email, "phone": row.contact_phone}
    advice = rules.advice(result, row.name, contact)
    if terms is not None:
        advice = f"{advice} {suspension_rules.describe(*terms)}"
    # Counted for the survey (R19) off the answer's path: nothing to commit here. A home
    # library checking its own patron is not reciprocal borrowing, so it is not traffic.
    if row.id != lending_library_id:
        counter.add(lending_library_id, row.id, today.strftime("%Y-%m"), result.decision)
    expires_on = live.answer.expires_on if live and live.answer else row.expires_on
    return Verification(
        decision=result.decision, reasons=result.reasons,
        home_library={"code": row.code, "name": row.name, "contact": contact},
        expires_on=expires_on, identity=facts.identity,
        checked_at=now, source=live.source if live else "registry",
        advice=advice, as_of=live.as_of if live else None)


def traffic(library_id: int | None, year: int, counter: TrafficBuffer) -> dict:
    """The year's verification counts for the traffic survey (R19), by month and counterpart.

    A member sees the rows it is party to: as lender (its desk verified other libraries'
    cards) and as home (other desks verified its patrons). The office (None) sees every row.
    """
    counter.flush()  # this process's own counts; other processes' within a flush interval
    lender = Library.__table__.alias("lender")
    home = Library.__table__.alias("home")
    query = (select(VerificationCount.month, lender.c.code.label("lending_library"),
                    home.c.code.label("home_library"), VerificationCount.eligible,
                    VerificationCount.not_eligible, VerificationCount.refer)
             .join(lender, lender.c.id == VerificationCount.lending_library_id)
             .join(home, home.c.id == VerificationCount.home_library_id)
             .where(VerificationCount.month.like(f"{year:04d}-%"))
             .order_by(VerificationCount.month, lender.c.code, home.c.code))
    if library_id is not None:
        query = query.where((VerificationCount.lending_library_id == library_id)
                            | (VerificationCount.home_library_id == library_id))
    rows = [dict(row._mapping) for row in db.session.execute(query)]
    return {"year": year, "items": rows}
