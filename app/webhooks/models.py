"""Tables for webhook endpoints and the log of delivery attempts."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

DELIVERY_STATES = ("succeeded", "failed", "dead")


class WebhookEndpoint(db.Model):
    """A library's own URL (or the federation office's) that receives its feed's events, and
    where delivery stands."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_due", "enabled", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The feed delivered here: the library's id, or OFFICE_FEED (0) for the office's.
    feed: Mapped[int] = mapped_column(BigInteger, index=True)
    # The owning library (NULL for the office's endpoints): deleting a library deletes them.
    library_id: Mapped[int | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # The signing secret is stored because signing needs it (a hash would not do). It is not
    # patron data (R16): it only proves to the library that a delivery came from us, and the
    # library can rotate it at any time.
    secret: Mapped[str] = mapped_column(String(100))
    # During a rotation the old secret also signs, until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The feed's last position this endpoint acknowledged with a 2xx (or that was
    # dead-lettered). It moves only after the receiver answered, so nothing committed is lost.
    delivered_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Consecutive failures, since when, and when to try again (NULL: as soon as there is work).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(db.Model):
    """One attempt to deliver one event to one endpoint.

    Retention: attempts older than WEBHOOK_DELIVERY_RETENTION_DAYS (30 by default) are deleted
    by the delivery worker; the events themselves stay in the feed.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_number", "endpoint_id", "number"),)

    # `number` orders the log (newest first) and is the paging key; `id` is what callers name.
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # succeeded | failed | dead
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set on a dead-lettered attempt when the library asks for it again; cleared once resent.
    redeliver_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
