"""Tables for letters (the written record of a change between libraries) and the mail outbox."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow

MAIL_STATES = ("queued", "sent", "failed")


class Letter(db.Model):
    """A letter: its words fixed when the change was committed, its PDF rendered from them.

    The HTML is stored, not re-derived from the records, so a letter says what was true when
    it was written even after the libraries' addresses or the record change. The PDF is
    rendered from that HTML outside the request (by the delivery worker, or on first download)
    and then kept, so the parties download the very bytes that were mailed. No patron data
    (R16): letters name libraries, never patrons or cards.
    """

    __tablename__ = "letters"
    __table_args__ = (Index("ix_letters_first_party", "first_library_id", "number"),
                      Index("ix_letters_second_party", "second_library_id", "number"))

    # `number` is the running number in the reference and the paging key.
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # the event type that caused it
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(32))
    # The libraries the letter concerns: the sender's side first (NULL: the office wrote).
    first_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    second_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    first_library: Mapped[Library | None] = relationship(foreign_keys=[first_library_id],
                                                         lazy="joined")
    second_library: Mapped[Library | None] = relationship(foreign_keys=[second_library_id],
                                                          lazy="joined")

    @property
    def first_code(self) -> str | None:
        """The first library's code."""
        return self.first_library.code if self.first_library else None

    @property
    def second_code(self) -> str | None:
        """The second library's code."""
        return self.second_library.code if self.second_library else None


class OutboundMail(db.Model):
    """One email waiting to go out, or gone: written in the transaction that caused it."""

    __tablename__ = "outbound_mail"
    __table_args__ = (Index("ix_outbound_mail_due", "status", "next_attempt_at"),)

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Comma-separated addresses: library contact addresses and the office's, never a patron's.
    to: Mapped[str] = mapped_column(String(2000))
    cc: Mapped[str | None] = mapped_column(String(2000))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    letter_number: Mapped[int | None] = mapped_column(
        ForeignKey("letters.number", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    letter: Mapped[Letter | None] = relationship()


class MailSetting(db.Model):
    """A library's choice for one kind of email (rules.MAIL_KINDS); no row: the default."""

    __tablename__ = "library_mail_settings"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
