"""Writing events with the change they describe (the outbox), and reading a feed.

Each member library has a feed, and so does the federation office (OFFICE_FEED): copies of
what the office must know (suspensions, escalations, membership actions) go there.
"""

import re
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.audit.service import append_event
from app.errors import InvalidCursorError
from app.events.models import OFFICE_FEED, Event, EventCounter
from app.events.types import is_known
from app.extensions import db
from app.ids import new_id
from app.timestamps import utcnow

_DIGITS = re.compile(r"[0-9]{1,19}")


def feed_of(library_id: int | None) -> int:
    """The feed a caller reads: its library's, or the office's for an office key (None)."""
    return OFFICE_FEED if library_id is None else library_id


# Per dialect and number of feeds, built once: one upsert takes the next position in every
# feed an event goes to (rows in the order given, so counters are locked in feed order).
_TAKE: dict[tuple[str, int], object] = {}


def _take_statement(dialect: str, count: int):
    """The upsert that takes the next position in `count` feeds, for this dialect."""
    statement = _TAKE.get((dialect, count))
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = EventCounter.__table__
        statement = (insert(table).values([{"feed": bindparam(f"feed_{n}"), "last_seq": 1}
                                           for n in range(count)])
                     .on_conflict_do_update(index_elements=["feed"],
                                            set_={"last_seq": table.c.last_seq + 1})
                     .returning(table.c.feed, table.c.last_seq))
        _TAKE[(dialect, count)] = statement
    return statement


def _next_seqs(feeds: list[int]) -> dict[int, int]:
    """Take the next position in each feed (given in feed order), locking their counters
    until commit; one statement on the session's connection."""
    connection = db.session.connection()
    rows = connection.execute(_take_statement(connection.dialect.name, len(feeds)),
                              {f"feed_{n}": feed for n, feed in enumerate(feeds)}).all()
    return dict(rows)


def record(library_ids: Iterable[int], type_: str, data: dict, *,
           office: bool = False) -> None:
    """Write one event per concerned library (and, with `office`, one for the federation
    office) in the current transaction, and the change's audit entry; the caller commits.

    Counters are taken in feed order (the office's, 0, first), so two transactions that concern
    the same feeds cannot deadlock.
    """
    if not is_known(type_):
        # A programming error, not a caller's: every type is listed in app/events/types.py.
        raise ValueError(f"Unregistered event type {type_!r}: add it to app/events/types.py.")
    library_ids = list(library_ids)
    # The audit entry first: its head row is the first lock every recording transaction
    # takes, before the feeds' counters, so the two orders never cross (no deadlock).
    append_event(library_ids, type_, data)
    now = utcnow()
    feeds = sorted(set(library_ids) | ({OFFICE_FEED} if office else set()))
    seqs = _next_seqs(feeds) if feeds else {}
    # Added together, the events go to the database in one INSERT at the next flush.
    db.session.add_all([Event(id=new_id("evt"), feed=feed,
                              library_id=None if feed == OFFICE_FEED else feed,
                              seq=seqs[feed], type=type_, data=data, occurred_at=now)
                        for feed in feeds])
    # What is done in writing (letters, email) is queued in this same transaction.
    from app.mail.service import note

    note(type_, data, list(library_ids))


def last_seq(feed: int) -> int:
    """The last position given out in a feed (0 when it has none yet)."""
    return db.session.execute(select(EventCounter.last_seq).where(
        EventCounter.feed == feed)).scalar_one_or_none() or 0


def read_feed(feed: int, *, after: str | None, limit: int,
              types: list[str] | None = None) -> dict:
    """A feed's events after a position, oldest first; `next_cursor` is where to go on."""
    position = _position(after)
    query = (select(Event).where(Event.feed == feed, Event.seq > position)
             .order_by(Event.seq).limit(limit))
    if types:
        query = query.where(Event.type.in_(types))
    items = db.session.execute(query).scalars().all()
    # A position past the end was never given out: answering with it as next_cursor
    # would make the reader skip the events still to come up to that number.
    if not items and position > 0 and position > last_seq(feed):
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
