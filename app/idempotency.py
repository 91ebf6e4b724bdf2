"""Idempotency-Key for creating POSTs: the same key and body give the first answer again.

The stored answer is written in the same transaction as the work (services take a
`before_commit` hook), so a request either did its work and left its answer, or did neither.
Two requests racing with one key: the second's commit hits the primary key and replays.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime

from flask import Response, current_app, request
from marshmallow import Schema
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.auth import Caller
from app.errors import BadRequestError, ConflictError
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

MAX_KEY = 255


class IdempotencyRecord(db.Model):
    """A creating request's key, its body's fingerprint, and the answer it got."""

    __tablename__ = "idempotency_keys"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"),
                                            primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _fingerprint() -> str:
    """What makes two requests 'the same': method, path and the JSON body's meaning.

    Keyed (HMAC), because a bill's body holds a card number: a plain hash of it, stored next
    to the bill's other fields, would give the card number back to anyone who tries the few
    billion possible cards (R16: card numbers are not stored in the clear).
    """
    payload = request.get_json(silent=True)
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    key = current_app.config["HMAC_KEY"].encode("utf-8")
    message = f"idempotency\x00{request.method} {request.path}\n{canonical}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    """The first answer again, or 409 when the key came with a different request."""
    if record.fingerprint != fingerprint:
        raise ConflictError("This Idempotency-Key was used with a different request; use a new "
                            "key for a new request.", code="idempotency_key_reused")
    response = Response(record.body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(caller: Caller, schema: Schema, status: int,
               run: Callable[[Callable | None], object]):
    """Run a creating use case once per Idempotency-Key; replay its answer for repeats.

    `run(before_commit)` calls the service, which calls `before_commit(result)` just before it
    commits. Without the header, `run(None)` is the whole story.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return run(None)
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise BadRequestError(f"Idempotency-Key is 1 to {MAX_KEY} printable characters.",
                              code="invalid_idempotency_key")
    if caller.library_id is None:
        # Keys are remembered per library. The federation office's only creating call that
        # takes a key is registering its own webhook endpoint (the SDK always sends one): it
        # runs once per request, so a retried registration can leave a second endpoint that
        # the office deletes. Refusing the key would break the SDK for the office.
        return run(None)
    fingerprint = _fingerprint()
    lookup = select(IdempotencyRecord).where(IdempotencyRecord.library_id == caller.library_id,
                                             IdempotencyRecord.key == key)
    existing = db.session.execute(lookup).scalar_one_or_none()
    if existing is not None:
        return _replay(existing, fingerprint)

    def before_commit(result):
        db.session.add(IdempotencyRecord(
            library_id=caller.library_id, key=key, fingerprint=fingerprint,
            status_code=status, body=json.dumps(schema.dump(result))))

    try:
        return run(before_commit)
    except IntegrityError:
        db.session.rollback()
        existing = db.session.execute(lookup).scalar_one_or_none()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
