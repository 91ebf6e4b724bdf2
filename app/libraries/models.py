"""Tables for member libraries, their card prefixes and API keys."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

LIBRARY_TYPES = ("public", "academic", "school", "special")
MEMBERSHIPS = ("full", "associate")
KEY_SCOPES = ("verify", "read", "full")  # what a key may do: see app/auth.py


class Library(db.Model):
    """A member library of the federation."""

    __tablename__ = "libraries"

    # Internal key only: callers name a library by its code.
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    membership: Mapped[str] = mapped_column(String(16))
    reciprocal_borrowing: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    zip: Mapped[str | None] = mapped_column(String(10))
    county: Mapped[str | None] = mapped_column(String(100))
    system: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    prefixes: Mapped[list["CardPrefix"]] = relationship(
        back_populates="library", cascade="all, delete-orphan", order_by="CardPrefix.prefix")

    @property
    def participates(self) -> bool:
        """True when the library is an active member taking part in reciprocal borrowing (R1)."""
        return self.active and self.reciprocal_borrowing

    @property
    def card_prefixes(self) -> list[str]:
        """The card number prefixes that identify this library as a card's home (R15)."""
        return [p.prefix for p in self.prefixes]

    @property
    def contact(self) -> dict:
        """How to reach the library's staff."""
        return {"email": self.contact_email, "phone": self.contact_phone}

    @property
    def address(self) -> dict:
        """The library's postal address."""
        return {"street": self.street, "city": self.city, "zip": self.zip, "county": self.county}


class CardPrefix(db.Model):
    """A card number prefix; the longest prefix matching a card names its home library (R15)."""

    __tablename__ = "card_prefixes"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            index=True)

    library: Mapped[Library] = relationship(back_populates="prefixes")


class ApiKey(db.Model):
    """An API key: stored only as its SHA-256, shown once when issued."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # NULL for the federation office's keys (role admin).
    library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    # What the key may do (app/auth.py, KEY_SCOPES): `verify` only verifies cards (a desk
    # terminal, an ILS), `read` also reads, `full` has all of its role's rights. Keys issued
    # before scopes existed keep full rights (the server default carries them over).
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    library: Mapped[Library | None] = relationship()


Index("ix_libraries_county", Library.county)


MEMBERSHIP_ACTIONS = ("removed", "reinstated")


class MembershipAction(db.Model):
    """The federation office took a library out of full membership, or reinstated it
    (Plan VIII.2.c): why, what the library must do, and what it was before."""

    __tablename__ = "membership_actions"
    __table_args__ = (Index("ix_membership_actions_library_created", "library_id",
                            "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))  # removed | reinstated
    reason: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str | None] = mapped_column(Text)  # what the library must do
    # The membership and participation before the action: reinstating restores them.
    membership_before: Mapped[str] = mapped_column(String(16))
    reciprocal_borrowing_before: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    library: Mapped[Library] = relationship(lazy="joined")
