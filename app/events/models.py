"""Tables for the event feed (the outbox) and each feed's position counter.

There is one feed per member library and one for the federation office. A feed is named by an
integer: the library's id, or OFFICE_FEED (0, which no library id takes) for the office.
"""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

# The federation office's feed. Library ids start at 1 (an integer primary key), so 0 is free.
OFFICE_FEED = 0


class Event(db.Model):
    """One event in one feed: a type and ids, never patron data (R16)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_feed_seq", "feed", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The library's id, or OFFICE_FEED for the federation office's copy.
    feed: Mapped[int] = mapped_column(BigInteger)
    # The library whose feed this is (NULL for the office's): deleting a library deletes it.
    library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    # Position in the feed: 1, 2, 3, ... with no gaps, in commit order.
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventCounter(db.Model):
    """The last position used in a feed.

    Taking the next position updates this row, which locks it until the transaction commits:
    two transactions writing to the same feed commit in position order, so a reader that has
    seen position N never later finds an N-1 it skipped.
    """

    __tablename__ = "event_counters"

    feed: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
