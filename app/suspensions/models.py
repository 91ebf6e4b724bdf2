"""The suspensions table and the notices each one points to."""

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.notices.models import Notice
from app.timestamps import UTCDateTime, utcnow

MEASURES = ("suspension", "restriction")
SERVICES = ("reciprocal_borrowing", "interlibrary_loan", "both")

suspension_notices = Table(
    "suspension_notices", db.metadata,
    Column("suspension_id", ForeignKey("suspensions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("notice_id", ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Suspension(db.Model):
    """One library's suspension (or restriction) of service to another, for a set term.

    Whether it is in force is a matter of dates in the federation's time zone: from
    `starts_on` through `ends_on`, unless lifted earlier (`lifted_on`). Nothing about any
    patron is stored or changed (R12, R16).
    """

    __tablename__ = "suspensions"
    __table_args__ = (
        # The verification hook: the suspending library's terms against one home library.
        Index("ix_suspensions_pair_ends", "suspending_library_id", "suspended_library_id",
              "ends_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    suspending_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    suspended_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(String(16))  # suspension | restriction
    services: Mapped[str] = mapped_column(String(24))  # reciprocal_borrowing | ... | both
    # A restriction's item cap for the suspended library's patrons (R4: at least 1).
    item_cap: Mapped[int | None] = mapped_column(Integer)
    terms: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # When `suspension.ended` was written for a term that ran out (once).
    ended_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    suspending: Mapped[Library] = relationship(foreign_keys=[suspending_library_id],
                                               lazy="joined")
    suspended: Mapped[Library] = relationship(foreign_keys=[suspended_library_id],
                                              lazy="joined")
    notices: Mapped[list[Notice]] = relationship(secondary=suspension_notices,
                                                 order_by=Notice.id)
