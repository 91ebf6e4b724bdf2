"""Tables for the event feed (the outbox) and each library's position counter."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class Event(db.Model):
    """One event in one library's feed: a type and ids, never patron data (R16)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_library_seq", "library_id", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    # Position in the library's own feed: 1, 2, 3, ... with no gaps, in commit order.
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventCounter(db.Model):
    """The last position used in a library's feed.

    Taking the next position updates this row, which locks it until the transaction commits:
    two transactions writing to the same feed commit in position order, so a reader that has
    seen position N never later finds an N-1 it skipped.
    """

    __tablename__ = "event_counters"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
