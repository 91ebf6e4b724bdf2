"""Verification traffic counts for the yearly survey (R19): no card number is kept."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class VerificationCount(db.Model):
    """How many verifications a lending library made of a home library's cards in a month."""

    __tablename__ = "verification_counts"

    lending_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True)
    home_library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True, index=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, federation tz
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    not_eligible: Mapped[int] = mapped_column(Integer, default=0)
    refer: Mapped[int] = mapped_column(Integer, default=0)
