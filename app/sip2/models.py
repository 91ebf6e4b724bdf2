"""SIP accounts: the login an ILS uses on the SIP2 door, tied to a library like an API key."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow


class SipAccount(db.Model):
    """A SIP2 login (CN) and its password hash (argon2id); the password is never stored."""

    __tablename__ = "sip_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            index=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    library: Mapped[Library] = relationship()
