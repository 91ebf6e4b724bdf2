"""The notices table: who told whom, what happened, which policy, what is asked, the answer."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow

STATES = ("sent", "acknowledged", "answered", "withdrawn")


class Notice(db.Model):
    """A notice of non-compliance between two libraries; no patron data (R16)."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    recipient_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    what_happened: Mapped[str] = mapped_column(Text)
    # Which of the sender's published policies was not observed, in words, and (optionally)
    # the directory version it was published in (R5).
    policy: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    asks: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    sent_on: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    sender: Mapped[Library] = relationship(foreign_keys=[sender_library_id], lazy="joined")
    recipient: Mapped[Library] = relationship(foreign_keys=[recipient_library_id],
                                              lazy="joined")
