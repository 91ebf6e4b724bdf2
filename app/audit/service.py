"""Appending to the audit trail, reading it, and verifying its chain.

Every event (`app.events.service.record`) appends an entry, so a use case that tells anyone
of a change cannot forget to audit it; changes nobody is told of as an event (libraries,
keys, patrons, staff accounts, a purge) call `append` themselves. Entries never hold patron
data (R16): record ids, states, and for bulk work counts.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.audit import rules
from app.audit.models import GENESIS, AuditEntry, AuditHead
from app.auth import Caller
from app.extensions import db
from app.pagination import paginate
from app.timestamps import utcnow

SYSTEM = "system"


def current_actor() -> tuple[int | None, str]:
    """Who is acting: the request's key or staff account, else the system (a CLI run)."""
    if has_request_context():
        return getattr(g, "audit_actor", (None, "anonymous"))
    return None, SYSTEM


# Built once per dialect and run on the session's connection as Core statements: building
# them for every entry and the ORM's handling of each cost more than the statements themselves
# (cProfile of issuing a bill: a quarter of the request).
_TAKE: dict[str, object] = {}


def _take_statement(dialect: str):
    """The upsert that takes the next position, for this dialect."""
    statement = _TAKE.get(dialect)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = AuditHead.__table__
        statement = (insert(table).values(id=1, last_seq=1, last_hash=GENESIS)
                     .on_conflict_do_update(index_elements=["id"],
                                            set_={"last_seq": table.c.last_seq + 1})
                     .returning(table.c.last_seq, table.c.last_hash))
        _TAKE[dialect] = statement
    return statement


_PREVIOUS_STATE = (select(AuditEntry.__table__.c.new_state)
                   .where(AuditEntry.__table__.c.record_type == bindparam("record_type"),
                          AuditEntry.__table__.c.record_id == bindparam("record_id"))
                   .order_by(AuditEntry.__table__.c.seq.desc()).limit(1))
_SET_HEAD_HASH = (update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
                  .values(last_hash=bindparam("digest")))


def _take_position(connection) -> tuple[int, str]:
    """The next position and the hash to chain to, locking the head until commit."""
    seq, last_hash = connection.execute(_take_statement(connection.dialect.name)).one()
    return seq, last_hash


def _previous_state(connection, record_type: str, record_id: str) -> str | None:
    """The state the trail last recorded for a record (None: not seen before)."""
    return connection.execute(_PREVIOUS_STATE, {"record_type": record_type,
                                                "record_id": record_id}).scalar_one_or_none()


def append(record_type: str, record_id: str, action: str, *, new_state: str | None = None,
           parties: Iterable[int] = (), detail: dict | None = None,
           actor: tuple[int | None, str] | None = None) -> AuditEntry:
    """Append one entry in the current transaction (the caller commits).

    `new_state` None means the record's state did not change; the previous state is the one
    the trail last recorded for the record. `detail` holds ids or counts, never patron data.
    """
    library_id, who = actor or current_actor()
    # What the transaction has pending is written first (as the ORM's autoflush did before the
    # head's upsert): the head stays the first lock taken after the change's own rows, and an
    # entry added earlier in this transaction is seen as the record's previous state.
    db.session.flush()
    connection = db.session.connection()
    seq, prev_hash = _take_position(connection)
    previous = _previous_state(connection, record_type, record_id)
    state = previous if new_state is None else new_state
    first, second = (sorted(set(parties)) + [None, None])[:2]
    at = utcnow()
    content = rules.content_of(seq, at, library_id, who, record_type, record_id, action,
                               previous, state, first, second, detail or {})
    digest = rules.entry_hash(prev_hash, content)
    entry = AuditEntry(seq=seq, at=at, library_id=library_id, actor=who,
                       record_type=record_type, record_id=record_id, action=action,
                       previous_state=previous, new_state=state, first_party_id=first,
                       second_party_id=second, detail=detail or {}, prev_hash=prev_hash,
                       hash=digest)
    db.session.add(entry)
    connection.execute(_SET_HEAD_HASH, {"digest": digest})
    return entry


def append_event(library_ids: Iterable[int], type_: str, data: dict) -> None:
    """The entry of an event: the record, the action and the state it names."""
    record_type, record_id, action, state = rules.event_record(type_, data)
    ids = {name: value for name, value in data.items()
           if name.endswith("_id") or name in ("library", "version", "reason", "response",
                                               "closed_because", "kind")}
    append(record_type, record_id, action, new_state=state, parties=library_ids,
           detail={"event": type_, **ids})


def list_entries(caller: Caller, *, record_type=None, record_id=None, limit: int,
                 cursor=None) -> dict:
    """A page of the trail, oldest first: the office reads it all, a library the entries it
    acted in or is party to."""
    query = select(AuditEntry)
    if not caller.is_admin:
        me = caller.library_id
        query = query.where(or_(AuditEntry.first_party_id == me,
                                AuditEntry.second_party_id == me,
                                AuditEntry.library_id == me))
    if record_type:
        query = query.where(AuditEntry.record_type == record_type)
    if record_id:
        query = query.where(AuditEntry.record_id == record_id)
    return paginate(query, AuditEntry.seq, limit=limit, cursor=cursor, key_type=int)


@dataclass(frozen=True)
class Broken:
    """The first link of the chain that does not hold."""

    seq: int
    problem: str


def count_entries() -> int:
    """How many entries the trail holds."""
    return db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def verify(*, batch_size: int = 1000,
           on_batch: Callable[[int], None] | None = None) -> Broken | None:
    """Walk the chain from the first entry, page by page (memory stays flat), and return the
    first broken link, or None when every entry's hash matches its content and chains to the
    entry before it, positions run without a gap, and the head names the last entry."""
    expected_prev, expected_seq = GENESIS, 1
    after = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
            .limit(batch_size)).scalars().all()
        if not rows:
            break
        for entry in rows:
            broken = _check(entry, expected_seq, expected_prev)
            if broken is not None:
                return broken
            expected_prev, expected_seq = entry.hash, entry.seq + 1
        after = rows[-1].seq
        db.session.expunge_all()  # keep memory flat over millions of entries
        if on_batch is not None:
            on_batch(len(rows))
    head = db.session.execute(select(AuditHead.last_seq, AuditHead.last_hash)).first()
    last_seq, last_hash = head if head is not None else (0, GENESIS)
    if (last_seq, last_hash) != (expected_seq - 1, expected_prev):
        return Broken(expected_seq, f"the log ends at entry {expected_seq - 1} but its head "
                                    f"names entry {last_seq}: entries were removed or added "
                                    "at the end")
    return None


def _check(entry: AuditEntry, expected_seq: int, expected_prev: str) -> Broken | None:
    """What is wrong with one entry, given the one before it."""
    if entry.seq != expected_seq:
        return Broken(expected_seq, f"entry {expected_seq} is missing (the next one is "
                                    f"{entry.seq})")
    if entry.prev_hash != expected_prev:
        return Broken(entry.seq, "it does not chain to the entry before it")
    content = rules.content_of(entry.seq, entry.at, entry.library_id, entry.actor,
                               entry.record_type, entry.record_id, entry.action,
                               entry.previous_state, entry.new_state, entry.first_party_id,
                               entry.second_party_id, entry.detail or {})
    if rules.entry_hash(entry.prev_hash, content) != entry.hash:
        return Broken(entry.seq, "its content does not match its hash (it was edited)")
    return None


def library_codes(ids: set[int]) -> dict[int, str]:
    """Library codes by id, in one query."""
    from app.libraries.models import Library

    if not ids:
        return {}
    return dict(db.session.execute(select(Library.id, Library.code).where(
        Library.id.in_(ids))).all())


def as_dict(entry: AuditEntry) -> dict:
    """An entry's fields as the wire shows them."""
    return {name: getattr(entry, name) for name in (
        "seq", "at", "actor", "record_type", "record_id", "action", "previous_state",
        "new_state", "detail", "prev_hash", "hash")}
