"""The audit log and its head (the last position and hash, whose row lock orders appenders)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime

# The hash the first entry chains to.
GENESIS = "0" * 64


class AuditEntry(db.Model):
    """One state change: who did what to which record, and the chain's link (R16: no card,
    card hash, surname or patron detail, only record ids).

    No foreign keys: the log outlives what it describes, and a cascade deleting an entry
    would break the chain.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_record", "record_type", "record_id", "seq"),
        Index("ix_audit_entries_first_party", "first_party_id", "seq"),
        Index("ix_audit_entries_second_party", "second_party_id", "seq"),
        Index("ix_audit_entries_library", "library_id", "seq"),
    )

    # The position in the chain: 1, 2, 3, ... with no gaps, in commit order.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who: the acting library (NULL: the federation office or the system) and the key id,
    # `staff:<account id>`, or `system` (a scheduled command).
    library_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    previous_state: Mapped[str | None] = mapped_column(String(32))
    new_state: Mapped[str | None] = mapped_column(String(32))
    # The libraries the change concerns (a library reads the entries it is party to).
    first_party_id: Mapped[int | None] = mapped_column(Integer)
    second_party_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The chain's last position and hash, in one row.

    Appending updates this row first, which locks it until the transaction commits (as the
    event counters do): two writers on PostgreSQL append one after the other and never both
    chain to the same entry; on SQLite the UPDATE takes the database's write lock.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
