"""Tables for live home-system endpoints, circuit breakers, registry freshness and peers."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

PROTOCOLS = ("ncip", "sip2", "json")


class HomeEndpoint(db.Model):
    """A home library's own system, asked live about its cards (R14).

    Credentials are sealed with the settings' key (app/reach/sealing.py): the database holds
    only ciphertext, useless without the key.
    """

    __tablename__ = "home_endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), unique=True)
    protocol: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(2000))  # a URL, or host:port for SIP2
    sealed_credentials: Mapped[bytes] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Circuit(db.Model):
    """A circuit breaker's state, shared by every process through the database.

    Named `home:<endpoint id>` or `peer:<peer id>`. Open while `opened_at` is set and the
    pause has not passed; after it, one trial call (half-open) closes or re-opens it.
    """

    __tablename__ = "circuits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RegistryFreshness(db.Model):
    """When a home library last sent its patrons to the registry (a single upsert or a roster).

    A verification answered from the registry reports this as `as_of`; older than the set age
    it cannot confidently say `eligible` (R14).
    """

    __tablename__ = "registry_freshness"

    library_id: Mapped[int] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


class Peer(db.Model):
    """A peer federation this one asks about its libraries' cards (R17)."""

    __tablename__ = "peers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(2000))  # ends before /api/v1
    sealed_outgoing_key: Mapped[bytes] = mapped_column(LargeBinary)  # our key at the peer
    # The key the peer uses here, scoped to peer calls: only its SHA-256 is kept.
    incoming_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    incoming_key_prefix: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PeerLibrary(db.Model):
    """A library of a peer federation, as last synced from the peer's directory."""

    __tablename__ = "peer_libraries"

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[str] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"),
                                         index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    entry: Mapped[dict | None] = mapped_column(JSON)  # the peer's directory entry, as read
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeerPrefix(db.Model):
    """A card prefix a peer library claims; the longest match forwards a card (R15, R17)."""

    __tablename__ = "peer_prefixes"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    peer_library_id: Mapped[int] = mapped_column(
        ForeignKey("peer_libraries.id", ondelete="CASCADE"), index=True)


class PeerTraffic(db.Model):
    """Verifications that crossed to or from a peer federation, by month (R19).

    `direction` out: a desk here (`library_id`) asked about a peer library's card
    (`remote_library`). In: a peer's desk (`remote_library`) asked about a card of a library
    here (`library_id`). Each side counts, so the two federations can reconcile.
    """

    __tablename__ = "peer_traffic"

    peer_id: Mapped[str] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"),
                                         primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    remote_library: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    not_eligible: Mapped[int] = mapped_column(Integer, default=0)
    refer: Mapped[int] = mapped_column(Integer, default=0)

