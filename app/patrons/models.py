"""Tables for the patron registry (R2, R16)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

STANDINGS = ("good", "blocked")


class Patron(db.Model):
    """A home library's patron: card and surname as keyed hashes, never in the clear (R16)."""

    __tablename__ = "patrons"
    __table_args__ = (UniqueConstraint("library_id", "card_hmac"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    card_hmac: Mapped[bytes] = mapped_column(LargeBinary(32))
    card_last4: Mapped[str] = mapped_column(String(4))
    surname_hmac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    expires_on: Mapped[date] = mapped_column(Date)
    standing: Mapped[str] = mapped_column(String(16))
    block_reasons: Mapped[list] = mapped_column(JSON, default=list)
    category: Mapped[str | None] = mapped_column(String(40))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReplacedCard(db.Model):
    """A card a patron no longer uses: verifying it answers `card_replaced`."""

    __tablename__ = "replaced_cards"
    __table_args__ = (UniqueConstraint("library_id", "card_hmac"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    card_hmac: Mapped[bytes] = mapped_column(LargeBinary(32))
    patron_id: Mapped[str] = mapped_column(ForeignKey("patrons.id", ondelete="CASCADE"),
                                           index=True)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
