"""Verify a visiting patron's card for a lending library (R1, R2, R14, R15, R16, R19)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.blocks.models import Block
from app.errors import RuleError
from app.extensions import db
from app.libraries.models import CardPrefix, Library
from app.patrons.models import Patron, ReplacedCard
from app.patrons.rules import card_hmac, normalize_card, normalize_surname, surname_hmac
from app.verification import rules
from app.verification.models import VerificationCount

_HOME_BY_CODE = select(Library.id, Library.code, Library.name, Library.active,
                       Library.reciprocal_borrowing, Library.contact_email,
                       Library.contact_phone).where(Library.code == bindparam("code"))

# R15: the longest of the card's prefixes that a library has claimed names its home.
_HOME_BY_PREFIX = (
    select(Library.id, Library.code, Library.name, Library.active, Library.reciprocal_borrowing,
           Library.contact_email, Library.contact_phone)
    .join(CardPrefix, CardPrefix.library_id == Library.id)
    .where(CardPrefix.prefix.in_(bindparam("prefixes", expanding=True)))
    .order_by(func.length(CardPrefix.prefix).desc()).limit(1)
)



def _honored(kind: str):
    """Whether the patron has an honored, unreleased federation block of this kind (R8)."""
    return exists().where(Block.patron_id == Patron.id, Block.status == "honored",
                          Block.kind == kind).label(kind)


# The hot path selects only what the rules need (STYLE 7), by the unique index, in one round
# trip: the two EXISTS probe the (patron_id, status) index of blocks.
PATRON_BY_CARD = select(Patron.standing, Patron.expires_on, Patron.surname_hmac,
                        _honored("block"), _honored("delinquent")).where(
    Patron.library_id == bindparam("library_id"), Patron.card_hmac == bindparam("card_hmac"))

_REPLACED = select(ReplacedCard.id).where(ReplacedCard.library_id == bindparam("library_id"),
                                          ReplacedCard.card_hmac == bindparam("card_hmac"))


@dataclass(frozen=True)
class Verification:
    """The answer a lending desk gets."""

    decision: str
    reasons: tuple[str, ...]
    home_library: dict
    expires_on: date | None
    identity: str
    checked_at: datetime
    source: str
    advice: str


def find_home(card: str, home_code: str | None):
    """The home library named, or found by the card's longest matching prefix (R15)."""
    if home_code:
        home = db.session.execute(_HOME_BY_CODE, {"code": home_code}).first()
        if home is None:
            raise RuleError(f"No member library has the code {home_code}.",
                            code="unknown_home_library",
                            errors={"home_library": "Not a member library's code."})
        return home
    prefixes = [card[:n] for n in range(1, min(len(card), 16) + 1)]
    home = db.session.execute(_HOME_BY_PREFIX, {"prefixes": prefixes}).first()
    if home is None:
        raise RuleError("No member library's card prefix matches this card: name its home "
                        "library.", code="home_library_required",
                        errors={"home_library": "Required: the card's prefix names no member."})
    return home


def _count(lending_library_id: int, home_library_id: int, month: str, decision: str) -> None:
    """Add one to the month's traffic count for the survey (R19); no card is kept."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # A lost count after a server crash is acceptable; a slower answer at the desk is not.
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    column = getattr(VerificationCount, decision)
    counts = {"eligible": 0, "not_eligible": 0, "refer": 0, decision: 1}
    statement = insert(VerificationCount).values(
        lending_library_id=lending_library_id, home_library_id=home_library_id, month=month,
        **counts)
    statement = statement.on_conflict_do_update(
        index_elements=["lending_library_id", "home_library_id", "month"],
        set_={decision: column + 1})
    db.session.execute(statement)


def verify_card(lending_library_id: int, card_number: str, home_code: str | None,
                surname: str | None, key: bytes, now: datetime, today: date) -> Verification:
    """Decide whether a lending library may lend to the holder of this card."""
    card = normalize_card(card_number)
    home = find_home(card, home_code)
    digest = card_hmac(key, card)
    participates = bool(home.active and home.reciprocal_borrowing)
    record = db.session.execute(PATRON_BY_CARD,
                                {"library_id": home.id, "card_hmac": digest}).first()
    replaced = False
    if record is None:
        replaced = db.session.execute(
            _REPLACED, {"library_id": home.id, "card_hmac": digest}).first() is not None
    given = surname_hmac(key, normalize_surname(surname)) if surname else None
    facts = rules.CardFacts(
        home_participates=participates, found=record is not None, replaced=replaced,
        standing=record.standing if record else None,
        expires_on=record.expires_on if record else None,
        identity=rules.identity(given, record.surname_hmac) if record else "not_checked",
        federation_block=bool(record and record.block),
        delinquent=bool(record and record.delinquent))
    result = rules.decide(facts, today)
    contact = {"email": home.contact_email, "phone": home.contact_phone}
    _count(lending_library_id, home.id, today.strftime("%Y-%m"), result.decision)
    db.session.commit()
    return Verification(
        decision=result.decision, reasons=result.reasons,
        home_library={"code": home.code, "name": home.name, "contact": contact},
        expires_on=record.expires_on if record else None, identity=facts.identity,
        checked_at=now, source="registry", advice=rules.advice(result, home.name, contact))


def traffic(library_id: int | None, year: int) -> dict:
    """The year's verification counts for the traffic survey (R19), by month and counterpart.

    A member sees the rows it is party to: as lender (its desk verified other libraries'
    cards) and as home (other desks verified its patrons). The office (None) sees every row.
    """
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
