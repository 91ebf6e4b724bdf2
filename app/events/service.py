"""Writing events with the change they describe (the outbox), and reading a library's feed."""

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.errors import InvalidCursorError
from app.events.models import Event, EventCounter
from app.extensions import db
from app.ids import new_id
from app.timestamps import utcnow

_DIGITS = re.compile(r"[0-9]{1,19}")


def _next_seq(library_id: int) -> int:
    """Take the next position in a library's feed, locking its counter until commit."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(EventCounter).values(library_id=library_id, last_seq=1)
                 .on_conflict_do_update(index_elements=["library_id"],
                                        set_={"last_seq": EventCounter.last_seq + 1})
                 .returning(EventCounter.last_seq))
    return db.session.execute(statement).scalar_one()


def record(library_ids: Iterable[int], type_: str, data: dict) -> None:
    """Write one event per concerned library in the current transaction; the caller commits.

    Counters are taken in library id order, so two transactions that concern the same two
    libraries cannot deadlock.
    """
    now = utcnow()
    for library_id in sorted(set(library_ids)):
        db.session.add(Event(id=new_id("evt"), library_id=library_id, seq=_next_seq(library_id),
                             type=type_, data=data, occurred_at=now))


def read_feed(library_id: int, *, after: str | None, limit: int,
              types: list[str] | None = None) -> dict:
    """A library's events after a position, oldest first; `next_cursor` is where to go on."""
    position = _position(after)
    query = (select(Event).where(Event.library_id == library_id, Event.seq > position)
             .order_by(Event.seq).limit(limit))
    if types:
        query = query.where(Event.type.in_(types))
    items = db.session.execute(query).scalars().all()
    if not items and position > 0:
        # A position past the end was never given out: answering with it as next_cursor
        # would make the reader skip the events still to come up to that number.
        last_seq = db.session.execute(select(EventCounter.last_seq).where(
            EventCounter.library_id == library_id)).scalar_one_or_none() or 0
        if position > last_seq:
            raise _invalid_cursor()
    last = items[-1].seq if items else position
    return {"items": items, "next_cursor": str(last)}


def _invalid_cursor() -> InvalidCursorError:
    """The 400 for a cursor this feed did not give out."""
    return InvalidCursorError("`after` is a position this feed gave out (the `next_cursor` "
                              "of an earlier read).")


def _position(after: str | None) -> int:
    """The feed position in a cursor: ASCII digits that fit a 64-bit integer, or 400."""
    if after in (None, ""):
        return 0
    # int() alone would also take " 1", "1_0" and non-ASCII digits, and a number past 2**63
    # fails in the database (a 500) instead of here.
    if not _DIGITS.fullmatch(after) or int(after) >= 2 ** 63:
        raise _invalid_cursor()
    return int(after)
