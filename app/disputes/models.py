"""The disputes table and the written messages exchanged in each."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow

SUBJECTS = ("bill", "block", "suspension", "notice")
STATES = ("open", "escalated", "closed")
# `settled`: the bill it was about was paid, voided or resolved, which closes it.
OUTCOMES = ("withdrawn", "decided", "settled")
KINDS = ("opening", "message", "escalation", "office_answer", "decision", "withdrawal")


class LibraryDispute(db.Model):
    """A dispute between the two parties to one record; no patron data (R16).

    A bill's dispute through the bill's own endpoints (/bills/{id}/dispute) is one of these,
    with `subject_type` bill: the properties below give it the shape those endpoints answer
    with (reason, answer, closed_because).
    """

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_subject", "subject_type", "subject_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(32))
    opened_by_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    other_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    escalated_by_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decision: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    opened_by: Mapped[Library] = relationship(foreign_keys=[opened_by_library_id],
                                              lazy="joined")
    other: Mapped[Library] = relationship(foreign_keys=[other_library_id], lazy="joined")
    escalated_by: Mapped[Library | None] = relationship(
        foreign_keys=[escalated_by_library_id], lazy="joined")
    messages: Mapped[list["DisputeMessage"]] = relationship(
        order_by="DisputeMessage.number", cascade="all, delete-orphan")


    @property
    def reason(self) -> str:
        """What the library that opened it wrote first."""
        return self.messages[0].body if self.messages else ""

    @property
    def opened_at(self) -> datetime:
        """When it was opened."""
        return self.created_at

    def _answer(self) -> "DisputeMessage | None":
        """The other library's latest message, if it has written."""
        written = [m for m in self.messages
                   if m.kind == "message" and m.author_library_id == self.other_library_id]
        return written[-1] if written else None

    @property
    def answer(self) -> str | None:
        """The other library's latest written answer."""
        message = self._answer()
        return message.body if message else None

    @property
    def answered_at(self) -> datetime | None:
        """When the other library last answered."""
        message = self._answer()
        return message.created_at if message else None

    @property
    def closed_because(self) -> str | None:
        """Why it closed: withdrawn, decided by the office, or settled with its bill."""
        return self.outcome


class DisputeMessage(db.Model):
    """One written message in a dispute: a party's, or the federation office's."""

    __tablename__ = "dispute_messages"
    __table_args__ = (Index("ix_dispute_messages_dispute_number", "dispute_id", "number"),)

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    dispute_id: Mapped[str] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"))
    # NULL: written by the federation office.
    author_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Library | None] = relationship(lazy="joined")
