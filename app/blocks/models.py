"""Tables for block requests and the bills each covers (R8)."""

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

KINDS = ("block", "delinquent")
STATES = ("requested", "honored", "refused", "withdrawn", "released")
OPEN = ("requested", "honored")  # a request still in force or awaiting an answer

block_bills = Table(
    "block_bills", db.metadata,
    Column("block_id", ForeignKey("blocks.id", ondelete="CASCADE"), primary_key=True),
    Column("bill_id", ForeignKey("bills.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Block(db.Model):
    """A lending library's request that a home library block a patron or mark them delinquent."""

    __tablename__ = "blocks"
    __table_args__ = (
        # One open request per requester, patron and kind; the database enforces it.
        Index("uq_blocks_open_request", "requester_library_id", "patron_id", "kind",
              unique=True, postgresql_where=text("status IN ('requested', 'honored')"),
              sqlite_where=text("status IN ('requested', 'honored')")),
        # Verification asks: does this patron have an honored block? (the hot path)
        Index("ix_blocks_patron_status", "patron_id", "status"),
        Index("ix_blocks_home_status", "home_library_id", "status"),
        Index("ix_blocks_requester_status", "requester_library_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    home_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    patron_id: Mapped[str] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    note: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    release_reason: Mapped[str | None] = mapped_column(String(32))  # requester | bills_settled
    response_due_on: Mapped[date] = mapped_column(Date)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bills = relationship("Bill", secondary=block_bills, order_by="Bill.id")
    requester = relationship("Library", foreign_keys=[requester_library_id])
    home = relationship("Library", foreign_keys=[home_library_id])
    patron = relationship("Patron")
