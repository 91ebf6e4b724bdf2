"""Tables for published policy versions and the current entry the directory's filters read."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class PolicyVersion(db.Model):
    """One published version of a library's policy: the whole policy as canonical JSON."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("library_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    policy: Mapped[dict] = mapped_column(JSON)
    # SHA-256 of the canonical JSON: publishing the same policy again is detected by it.
    policy_hash: Mapped[str] = mapped_column(String(64))
    reviewed_on: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectoryEntry(db.Model):
    """A library's current version and the facts the list filters on, as indexed columns."""

    __tablename__ = "directory_entries"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("policy_versions.id"))
    version: Mapped[int] = mapped_column(Integer)
    policy_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reviewed_on: Mapped[date] = mapped_column(Date, index=True)
    participates: Mapped[bool] = mapped_column(Boolean)
    items_at_a_time: Mapped[int | None] = mapped_column(Integer)
    nonresident_cards: Mapped[bool | None] = mapped_column(Boolean, index=True)
    # R18: the programme's effective dates, so the list shows only those in effect today.
    nonresident_from: Mapped[date | None] = mapped_column(Date)
    nonresident_until: Mapped[date | None] = mapped_column(Date)
    nonresident_report_late: Mapped[bool] = mapped_column(Boolean, default=False)
    # The library's own review cycle in months, shown beside R5's 12-month stale flag.
    review_cycle_months: Mapped[int | None] = mapped_column(Integer)
    # The published ILL processing fee for lost materials: bills may not charge more (0: the
    # policy charges none; None: a fee "may apply" unstated, or no processing fee published).
    processing_fee_cents: Mapped[int | None] = mapped_column(BigInteger)


class DirectoryFormat(db.Model):
    """A format a library lends to reciprocal borrowers (one row each, for `lends_format`)."""

    __tablename__ = "directory_formats"
    __table_args__ = (Index("ix_directory_formats_format_library", "format", "library_id"),)

    library_id: Mapped[int] = mapped_column(
        ForeignKey("directory_entries.library_id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(32), primary_key=True)
