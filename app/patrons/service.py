"""Use cases for the patron registry: each home library manages only its own patrons (R2, R16).

Single upserts and roster imports share one batch core (`_upsert_rows`), so a patron sent one
at a time and the same patron sent in a million-line roster end up exactly the same.
"""

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from operator import itemgetter

from sqlalchemy import (
    LargeBinary,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from app.audit.service import append
from app.bills.models import OPEN_STATES as OPEN_BILL_STATES
from app.bills.models import Bill
from app.blocks.models import Block
from app.errors import ConflictError, NotFoundError, RuleError
from app.extensions import db
from app.ids import new_ids
from app.libraries.models import CardPrefix, Library
from app.libraries.rules import home_of, prefix_lengths
from app.pagination import paginate
from app.patrons.models import Patron, ReplacedCard
from app.patrons.rules import card_hmac, last4, normalize_card, normalize_surname, surname_hmac
from app.reach.freshness import mark_registry_fresh
from app.timestamps import utcnow
from app.transaction import commit_and_refresh

# The fields a row may set besides the card; a field absent from a row keeps its value.
FIELDS = ("expires_on", "standing", "block_reasons", "category", "surname_hmac", "external_ref")
MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportSummary:
    """What an import did; `errors` keeps the first MAX_REPORTED_ERRORS rejected lines."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)
    errors_truncated: bool = False
    # The last line of the roster that committed batches have dealt with.
    through_line: int = 0

    def reject(self, line: int, code: str, detail: str) -> None:
        """Count a rejected line; keep the reports of the earliest lines, in line order.

        A batch's refusals (card_replaced, reasons_without_block) arrive when the batch is
        written, after later lines' parse errors: inserting in order keeps the report the same
        whatever the batch size.
        """
        self.rejected += 1
        report = {"line": line, "code": code, "detail": detail}
        if len(self.errors) >= MAX_REPORTED_ERRORS:
            self.errors_truncated = True
            if line > self.errors[-1]["line"]:
                return
            self.errors.pop()
        bisect.insort(self.errors, report, key=itemgetter("line"))

    def add(self, other: "ImportSummary") -> None:
        """Add another summary's counts and reports (a batch's) to this one."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected - len(other.errors)
        self.errors_truncated = self.errors_truncated or other.errors_truncated
        for report in other.errors:
            self.reject(report["line"], report["code"], report["detail"])

    @property
    def lines(self) -> int:
        """Lines handled so far."""
        return self.created + self.updated + self.unchanged + self.rejected


def reasons_fit_standing(standing: str, reasons: list) -> bool:
    """R2: block reasons describe a block, so only a blocked patron has any."""
    return standing != "good" or not reasons


REASONS_WITHOUT_BLOCK = "Only a blocked patron has block reasons."


def _reasons_without_block() -> RuleError:
    """The 422 for block reasons on a patron in good standing (R2)."""
    return RuleError(REASONS_WITHOUT_BLOCK, code="validation_failed",
                     errors={"block_reasons": REASONS_WITHOUT_BLOCK})


def stored_fields(data: dict, key: bytes) -> dict:
    """Turn validated API fields into stored columns: the surname becomes its keyed hash."""
    row = {name: data[name] for name in ("expires_on", "standing", "block_reasons", "category",
                                         "external_ref") if name in data}
    if "standing" in row and row["standing"] == "good" and "block_reasons" not in row:
        row["block_reasons"] = []  # unblocking clears the reasons for the old block
    if "surname" in data:
        row["surname_hmac"] = (surname_hmac(key, normalize_surname(data["surname"]))
                               if data["surname"] else None)
    return row


def _by_cards(model, columns: tuple, library_id: int, hashes: list[bytes]):
    """SELECT `columns` of the library's `model` rows (patrons, replaced cards) with these
    card hashes.

    On PostgreSQL each hash is looked up by the (library_id, card_hmac) index on its own (a
    LATERAL probe with LIMIT 1, which the planner cannot turn into a scan): as an IN or
    = ANY(array), a library's batch was matched by reading every row the library has when
    the table's statistics were those of a smaller table (the usual case during a roster's
    first import), a cost that grew with each batch. The hashes travel as one text parameter
    of hex digests: the statement's text is the same for every batch (a 2,000-placeholder IN
    cost 9% of an import, bench/README.md), and one string costs the driver far less than an
    array of 2,000 bytea values, which psycopg escapes one by one.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return select(*columns).where(model.library_id == library_id,
                                      model.card_hmac.in_(hashes))
    hexes = ",".join([f"\\x{digest.hex()}" for digest in hashes])
    keys = select(func.unnest(cast(func.string_to_array(bindparam("hashes", hexes, type_=Text),
                                                        ","), ARRAY(LargeBinary)))
                  .label("card_hmac")).subquery("card_keys")
    probe = (select(*columns).where(model.library_id == library_id,
                                    model.card_hmac == keys.c.card_hmac)
             .limit(1).lateral("probe"))
    return select(probe).select_from(keys.join(probe, true()))


def _upsert_rows(library_id: int, rows: list[tuple[int, bytes, str, dict]],
                 summary: ImportSummary) -> dict[bytes, tuple[str, str]]:
    """Insert or update rows (line, card_hmac, last4, fields) with distinct cards; no commit.

    Returns {card_hmac: (outcome, patron_id)} for the rows applied.
    """
    hashes = [row[1] for row in rows]
    existing = {r.card_hmac: r for r in db.session.execute(_by_cards(
        Patron, (Patron.id, Patron.card_hmac, *[getattr(Patron, f) for f in FIELDS]),
        library_id, hashes))}
    replaced = set(db.session.execute(_by_cards(
        ReplacedCard, (ReplacedCard.card_hmac,), library_id, hashes)).scalars())
    now = utcnow()
    inserts, updates, outcomes = [], [], {}
    fresh_ids = iter(new_ids("pat", len(rows)))
    for line, digest, card_last4, values in rows:
        if digest in replaced:
            summary.reject(line, "card_replaced", "This card was replaced by a newer card; "
                                                  "update the patron under the new card.")
            continue
        current = existing.get(digest)
        # R2: block reasons describe a block. A row may leave standing or reasons out (they
        # keep their value), so judge the patron as the row would leave it.
        standing = values.get("standing", current.standing if current else "good")
        reasons = values.get("block_reasons", current.block_reasons if current else [])
        if not reasons_fit_standing(standing, reasons):
            summary.reject(line, "reasons_without_block", REASONS_WITHOUT_BLOCK)
            continue
        if current is None:
            if "expires_on" not in values:
                summary.reject(line, "missing_field", "A new patron needs expires_on.")
                continue
            patron_id = next(fresh_ids)
            # In _NEW_COLUMNS' order: a tuple is what the bulk insert sends.
            inserts.append((patron_id, library_id, digest, card_last4,
                            values.get("surname_hmac"), values["expires_on"], standing,
                            reasons, values.get("category"), values.get("external_ref"), now,
                            now))
            summary.created += 1
            outcomes[digest] = ("created", patron_id)
            continue
        changes = {name: value for name, value in values.items()
                   if getattr(current, name) != value}
        if changes:
            updates.append({"id": current.id, "updated_at": now, **changes})
            summary.updated += 1
            outcomes[digest] = ("updated", current.id)
        else:
            summary.unchanged += 1
            outcomes[digest] = ("unchanged", current.id)
    if inserts:
        _insert_new(inserts)
    for change in updates:
        # Rows change different columns, so each is its own UPDATE; updates are the rare case.
        patron_id = change.pop("id")
        db.session.execute(update(Patron).where(Patron.id == patron_id).values(**change))
    if outcomes:
        mark_registry_fresh(library_id, now)  # the age a registry answer reports (R14)
    return outcomes


_NEW_COLUMNS = ("id", "library_id", "card_hmac", "card_last4", "surname_hmac", "expires_on",
                "standing", "block_reasons", "category", "external_ref", "created_at",
                "updated_at")
_COPY_NEW = f"COPY patrons ({', '.join(_NEW_COLUMNS)}) FROM STDIN"
_REASONS_AT = _NEW_COLUMNS.index("block_reasons")
_INSERT_NEW = (f"INSERT INTO patrons ({', '.join(_NEW_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in _NEW_COLUMNS)})")


def _insert_new(rows: list[tuple]) -> None:
    """Insert new patrons (tuples in _NEW_COLUMNS' order) through the driver's bulk path, in
    the session's transaction.

    The ORM's bulk insert spent most of an import's time turning each row's parameters into
    an INSERT of its own (bench/README.md: 37-45% of the import); COPY on PostgreSQL and a
    plain executemany of already-stored forms on SQLite do the same writes for far less.
    The stored forms are those the model's types write (checked by tests/patrons: a patron
    imported reads back the same as one upserted through the ORM).
    """
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        import psycopg

        raw = connection.connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(_COPY_NEW) as copy:
                for row in rows:
                    reasons = row[_REASONS_AT]
                    copy.write_row((*row[:_REASONS_AT],
                                    json.dumps(reasons) if reasons else "[]",
                                    *row[_REASONS_AT + 1:]))
        except psycopg.errors.IntegrityError as error:
            # Outside SQLAlchemy's execute, so wrap it as SQLAlchemy would: the callers
            # retry a batch that lost a race for a card (IntegrityError).
            raise IntegrityError(_COPY_NEW, None, error) from error
    elif dialect == "sqlite":
        stamps: dict = {}  # a batch's rows share one instant: written as text once
        connection.exec_driver_sql(_INSERT_NEW, [_sqlite_row(row, stamps) for row in rows])
    else:
        db.session.execute(insert(Patron), [dict(zip(_NEW_COLUMNS, row)) for row in rows])


def _sqlite_row(row: tuple, stamps: dict) -> tuple:
    """A new patron's values as SQLAlchemy's SQLite types store them (ISO text, naive UTC)."""
    (patron_id, library_id, digest, card_last4, surname, expires_on, standing, reasons,
     category, external_ref, created_at, _) = row
    stamp = stamps.get(created_at)
    if stamp is None:
        stamp = created_at.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if "." not in stamp:
            stamp += ".000000"
        stamps[created_at] = stamp
    return (patron_id, library_id, digest, card_last4, surname, expires_on.isoformat(),
            standing, json.dumps(reasons) if reasons else "[]", category, external_ref, stamp,
            stamp)


def prefix_homes() -> dict[str, tuple[int, str]]:
    """Every claimed card prefix: prefix -> (library id, code) (R15)."""
    return {row.prefix: (row.library_id, row.code) for row in db.session.execute(
        select(CardPrefix.prefix, CardPrefix.library_id, Library.code).join(Library))}


def foreign_home(library_id: int, card: str, homes: dict,
                 lengths: list[int] | None = None) -> str | None:
    """The code of another library whose prefix names it the card's home, or None (R15)."""
    owner = home_of(card, homes, lengths)
    return owner[1] if owner is not None and owner[0] != library_id else None


def _not_your_card(code: str) -> str:
    """Why a library may not register a card whose prefix names another library."""
    return (f"This card's number prefix names {code} as its home library (R15): register only "
            "cards your library issued.")


def upsert_patron(library_id: int, data: dict, key: bytes) -> tuple[Patron, bool]:
    """Create or update the caller's patron by card number; True when created."""
    card = normalize_card(data["card_number"])
    other = foreign_home(library_id, card, prefix_homes())
    if other is not None:
        raise RuleError(_not_your_card(other), code="card_of_another_library",
                        errors={"card_number": f"A card of {other}."})
    row = (1, card_hmac(key, card), last4(card), stored_fields(data, key))
    for attempt in (1, 2):
        summary = ImportSummary()
        outcomes = _upsert_rows(library_id, [row], summary)
        if summary.errors:  # the schema checked the fields; what is left needs the row
            error = summary.errors[0]
            if error["code"] == "reasons_without_block":
                raise _reasons_without_block()
            raise ConflictError(error["detail"], code=error["code"])
        outcome, patron_id = outcomes[row[1]]
        if outcome != "unchanged":
            # R16: the patron's id only, never the card, its hash or the surname.
            append("patron", patron_id, outcome, new_state="registered", parties=[library_id])
        try:
            db.session.commit()
            break
        except IntegrityError:
            # Another request created the same card a moment ago: update it instead.
            db.session.rollback()
            if attempt == 2:
                raise
    outcome, patron_id = outcomes[row[1]]
    return db.session.get(Patron, patron_id), outcome == "created"


def patron_by_card(home_id: int, digest: bytes) -> Patron | None:
    """The home library's patron holding, or having held, the card with this keyed hash."""
    patron = db.session.execute(select(Patron).where(
        Patron.library_id == home_id, Patron.card_hmac == digest)).scalar_one_or_none()
    if patron is None:
        patron = db.session.execute(
            select(Patron).join(ReplacedCard, ReplacedCard.patron_id == Patron.id)
            .where(ReplacedCard.library_id == home_id, ReplacedCard.card_hmac == digest)
        ).scalar_one_or_none()
    return patron


def _own_patron(library_id: int, patron_id: str) -> Patron:
    """The caller's patron with this id; another library's patron is simply not found."""
    patron = db.session.execute(select(Patron).where(
        Patron.id == patron_id, Patron.library_id == library_id)).scalar_one_or_none()
    if patron is None:
        raise NotFoundError("You have no patron with this id.", code="patron_not_found")
    return patron


def get_patron(library_id: int, patron_id: str) -> Patron:
    """Show one of the caller's patrons."""
    return _own_patron(library_id, patron_id)


def list_patrons(library_id: int, *, limit: int, cursor=None, standing=None,
                 external_ref=None) -> dict:
    """A page of the caller's own patrons."""
    query = select(Patron).where(Patron.library_id == library_id)
    if standing:
        query = query.where(Patron.standing == standing)
    if external_ref:
        query = query.where(Patron.external_ref == external_ref)
    return paginate(query, Patron.id, limit=limit, cursor=cursor)


def update_patron(library_id: int, patron_id: str, data: dict, key: bytes) -> Patron:
    """Change one of the caller's patrons."""
    patron = _own_patron(library_id, patron_id)
    values = stored_fields(data, key)
    if not reasons_fit_standing(values.get("standing", patron.standing),
                                values.get("block_reasons", patron.block_reasons)):
        raise _reasons_without_block()
    for name, value in values.items():
        setattr(patron, name, value)
    append("patron", patron.id, "updated", parties=[library_id],
           detail={"fields": sorted(name for name in data if name not in ("card_number",
                                                                           "surname"))})
    return commit_and_refresh(patron)


def delete_patron(library_id: int, patron_id: str) -> None:
    """Remove one of the caller's patrons and the cards it replaced.

    R8: a patron some lending library holds a block for (in any state: the request and its
    answer are that library's record too) or an open bill against cannot be deleted, or the
    home library could lift a block by deleting the patron and registering the card again.
    """
    patron = _own_patron(library_id, patron_id)
    blocks = db.session.execute(select(Block.id, Block.status).where(
        Block.patron_id == patron.id).order_by(Block.id)).all()
    bills = db.session.execute(select(Bill.id).where(
        Bill.patron_id == patron.id, Bill.status.in_(OPEN_BILL_STATES)).order_by(Bill.id)
    ).scalars().all()
    if blocks or bills:
        held = [f"block {row.id} ({row.status})" for row in blocks] + \
               [f"open bill {bill_id}" for bill_id in bills]
        raise ConflictError(
            "This patron cannot be deleted while other libraries' records name them (R8): "
            f"{', '.join(held)}.", code="patron_has_records",
            block_ids=[row.id for row in blocks], bill_ids=list(bills))
    db.session.execute(delete(ReplacedCard).where(ReplacedCard.patron_id == patron.id))
    append("patron", patron.id, "deleted", new_state="deleted", parties=[library_id])
    db.session.delete(patron)
    db.session.commit()


def lookup_patron(library_id: int, card_number: str, key: bytes) -> Patron:
    """Find the caller's own patron by card number (current card only)."""
    digest = card_hmac(key, normalize_card(card_number))
    patron = db.session.execute(select(Patron).where(
        Patron.library_id == library_id, Patron.card_hmac == digest)).scalar_one_or_none()
    if patron is None:
        raise NotFoundError("You have no patron with this card.", code="patron_not_found")
    return patron


def replace_card(library_id: int, patron_id: str, new_card_number: str, key: bytes) -> Patron:
    """Give a patron a new card; the old one then verifies as `card_replaced`."""
    patron = _own_patron(library_id, patron_id)
    card = normalize_card(new_card_number)
    digest = card_hmac(key, card)
    if digest == patron.card_hmac:
        raise ConflictError("This is already the patron's card.", code="same_card")
    holder = db.session.execute(select(Patron.id).where(
        Patron.library_id == library_id, Patron.card_hmac == digest)).first()
    old = db.session.execute(select(ReplacedCard).where(
        ReplacedCard.library_id == library_id, ReplacedCard.card_hmac == digest)
    ).scalar_one_or_none()
    if holder is not None or (old is not None and old.patron_id != patron.id):
        raise ConflictError("Another of your patrons has, or had, this card.",
                            code="card_in_use")
    if old is not None:
        db.session.delete(old)  # the patron gets an earlier card of theirs back
        db.session.flush()
    db.session.add(ReplacedCard(library_id=library_id, card_hmac=patron.card_hmac,
                                patron_id=patron.id))
    patron.card_hmac = digest
    patron.card_last4 = last4(card)
    append("patron", patron.id, "card_replaced", parties=[library_id])
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ConflictError("Another of your patrons has, or had, this card.",
                            code="card_in_use") from None
    return patron


def _write_batch(library_id: int, rows: list) -> ImportSummary:
    """Upsert one batch and commit it; return what the batch did."""
    try:
        return _commit_batch(library_id, rows)
    except IntegrityError:
        # Another writer (a retried import still running, a single upsert) created one of
        # these cards after we looked: look again, and those lines become updates.
        db.session.rollback()
        return _commit_batch(library_id, rows)


def _commit_batch(library_id: int, rows: list) -> ImportSummary:
    """One attempt at a batch: upsert and commit."""
    part = ImportSummary()
    _upsert_rows(library_id, rows, part)
    # One entry per committed batch: counts, never a patron's data (R16).
    if part.created or part.updated:
        append("roster", str(library_id), "imported", parties=[library_id],
               detail={"created": part.created, "updated": part.updated,
                       "unchanged": part.unchanged, "rejected": part.rejected})
    db.session.commit()
    return part


def import_roster(library_id: int, rows: Iterable[tuple[int, dict | None, tuple | None]],
                  key: bytes, *, batch_size: int = 2000,
                  on_batch: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    """Upsert a stream of parsed roster lines, committing every batch.

    `rows` yields (line, fields, None) for a good line or (line, None, (code, detail)) for a
    bad one. Memory holds one batch. Each batch commits on its own, so an interrupted import
    keeps what it did and running the same roster again reports those lines unchanged.
    """
    summary = ImportSummary()
    batch: dict[bytes, tuple[int, bytes, str, dict]] = {}
    handled = 0  # the last line read and either rejected or put in the batch
    homes = prefix_homes()
    lengths = prefix_lengths(homes)  # the few lengths claimed, not every length of a card

    def flush():
        if batch:
            summary.add(_write_batch(library_id, list(batch.values())))
            batch.clear()
        summary.through_line = handled
        if on_batch:
            on_batch(summary)

    for line, values, error in rows:
        if error is not None:
            summary.reject(line, *error)
            handled = line
            continue
        card = values.pop("card")
        other = foreign_home(library_id, card, homes, lengths)
        if other is not None:
            summary.reject(line, "card_of_another_library", _not_your_card(other))
            handled = line
            continue
        digest = card_hmac(key, card)
        if digest in batch:
            flush()  # the later line for the same card wins, as it would one by one
        handled = line
        if "surname" in values:
            surname = values.pop("surname")
            values["surname_hmac"] = surname_hmac(key, surname) if surname else None
        batch[digest] = (line, digest, last4(card), values)
        if len(batch) >= batch_size:
            flush()
    flush()
    return summary
