"""Tables for the staff console: people's accounts, their one-time reset links, their actions."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.libraries.models import Library
from app.timestamps import UTCDateTime, utcnow


class StaffAccount(UserMixin, db.Model):
    """A person who signs in to the console: staff of one library, or of the federation office.

    The password is stored only as an argon2id hash; an account made by an administrator has
    none until its holder follows the one-time link to set one.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # NULL for the federation office's staff (role office).
    library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # desk | circulation | library_admin | office
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changes whenever the password does: every session signed in before is then signed out.
    session_token: Mapped[str] = mapped_column(String(32))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    library: Mapped[Library | None] = relationship()

    def get_id(self) -> str:
        """What the session cookie holds: the account and its current session token."""
        return f"{self.id}.{self.session_token}"


class StaffResetToken(db.Model):
    """A one-time link to set a password: stored as the token's SHA-256, valid for a while."""

    __tablename__ = "staff_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"),
                                          index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffAction(db.Model):
    """The audit trail: what a staff account did in the console, and to which record.

    `target` names the record by its id (a block, a bill, a key, a staff account); never a card
    number or a surname (R16).
    """

    __tablename__ = "staff_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id",
                                                              ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_staff_actions_library_at", StaffAction.library_id, StaffAction.at)
Index("ix_staff_actions_staff_at", StaffAction.staff_id, StaffAction.at)
Index("ix_staff_actions_target", StaffAction.target)
