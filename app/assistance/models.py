"""The assistance requests table: who asked whom, about which bill or block, and the answer."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow

KINDS = ("retrieve_materials", "collect_bill")
STATES = ("requested", "answered", "closed")
# How the home library helped: it contacted the patron itself, passed the lender what it
# needs (where its own policy allows), or declined with a reason.
RESPONSES = ("contacted_patron", "details_passed", "declined")
CLOSED_BECAUSE = ("withdrawn", "completed")


class AssistanceRequest(db.Model):
    """A lending library's request for the home library's help (R7).

    R16: `details_sealed` holds what the home library passed about its patron (contact
    details, as free text), encrypted at rest; only the requesting library reads it, it is
    never in an event, webhook or log, and it is purged ASSISTANCE_PURGE_DAYS after closing.
    """

    __tablename__ = "assistance_requests"
    __table_args__ = (
        Index("ix_assistance_requester_status", "requester_library_id", "status"),
        Index("ix_assistance_home_status", "home_library_id", "status"),
        # `reciprocity purge` and `assistance mark-overdue` look requests up by these.
        Index("ix_assistance_status_due", "status", "response_due_on"),
        Index("ix_assistance_closed_at", "closed_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    home_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The bill or block the two libraries have in common that the request is about.
    bill_id: Mapped[str | None] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"),
                                                index=True)
    block_id: Mapped[str | None] = mapped_column(ForeignKey("blocks.id", ondelete="CASCADE"),
                                                 index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    response_due_on: Mapped[date] = mapped_column(Date)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(String(32))
    answer_note: Mapped[str | None] = mapped_column(Text)
    details_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    details_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_because: Mapped[str | None] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    requester: Mapped[Library] = relationship(foreign_keys=[requester_library_id],
                                              lazy="joined")
    home: Mapped[Library] = relationship(foreign_keys=[home_library_id], lazy="joined")
