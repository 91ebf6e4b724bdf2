"""Tables for bills, their items, payments and proposed resolutions (a bill's disputes are
general disputes, app/disputes)."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.disputes.models import LibraryDispute
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

BILL_STATES = ("open", "disputed", "paid", "resolved", "void")
OPEN_STATES = ("open", "disputed")  # a balance can still be paid or settled
ITEM_KINDS = ("lost", "damaged")
PAYERS = ("patron", "home_library")
# R7/R8: money the home library says it collected is `reported` until the lending library
# confirms it received it (or declines it); money the lender records itself is `confirmed`.
PAYMENT_STATES = ("reported", "confirmed", "declined")
RESOLUTION_TERMS = ("replacement_copy", "equivalent_title", "waiver", "other")


class Bill(db.Model):
    """A lending library's bill to a home library for its patron's lost or damaged items."""

    __tablename__ = "bills"
    __table_args__ = (
        Index("ix_bills_issuer_status", "issuer_library_id", "status"),
        Index("ix_bills_home_status", "home_library_id", "status"),
        Index("ix_bills_home_card", "home_library_id", "card_hmac"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issuer_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    home_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    # The patron, as the home library knows the card (R16: a keyed hash, never the number).
    # NULL once `reciprocity purge` removed them from a bill closed past RETENTION_DAYS.
    card_hmac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    # The home library's patron, when registered: lets blocks and the home find the patron.
    patron_id: Mapped[str | None] = mapped_column(
        ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    infraction_date: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    amount_due_cents: Mapped[int] = mapped_column(BigInteger)
    # Confirmed money only (R8): what the lending library has received.
    amount_paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Reported by the home library and not yet confirmed or declined by the lender (R7).
    amount_reported_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    liable_party: Mapped[str] = mapped_column(String(16), default="patron")
    note: Mapped[str | None] = mapped_column(Text)
    void_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["BillItem"]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="BillItem.position")
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="Payment.created_at")
    # R13: a bill's disputes are general disputes about it (app/disputes), whoever opened them.
    disputes: Mapped[list[LibraryDispute]] = relationship(
        LibraryDispute, viewonly=True, order_by="LibraryDispute.created_at",
        primaryjoin="and_(LibraryDispute.subject_type == 'bill', "
                    "foreign(LibraryDispute.subject_id) == Bill.id)")
    resolutions: Mapped[list["Resolution"]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="Resolution.created_at")
    issuer = relationship("Library", foreign_keys=[issuer_library_id])
    home = relationship("Library", foreign_keys=[home_library_id])

    @property
    def balance_cents(self) -> int:
        """What the lending library has still to receive (reported money is not received)."""
        return self.amount_due_cents - self.amount_paid_cents


class BillItem(db.Model):
    """One lost or damaged item on a bill."""

    __tablename__ = "bill_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    barcode: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    in_print: Mapped[bool] = mapped_column(Boolean)
    list_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    equivalent_title: Mapped[str | None] = mapped_column(String(300))
    processing_fee_cents: Mapped[int | None] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    bill: Mapped[Bill] = relationship(back_populates="items")


class Payment(db.Model):
    """A payment toward a bill, by the patron or by the home library."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_by: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(200))
    recorded_by_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    paid_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    declined_on: Mapped[date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bill: Mapped[Bill] = relationship(back_populates="payments")
    recorded_by = relationship("Library")


class Resolution(db.Model):
    """Alternate terms one party proposes and the other may accept (R6: both must agree)."""

    __tablename__ = "bill_resolutions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), index=True)
    proposed_by_library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    terms: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # accepted, superseded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bill: Mapped[Bill] = relationship(back_populates="resolutions")
    proposed_by = relationship("Library")
