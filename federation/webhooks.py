"""Signed push delivery of events, as the Standard Webhooks specification describes it.

The service signs every delivery with the endpoint's secret; a member's receiver checks it
with `Verifier`. Headers: `webhook-id` (the event's id: the same on every retry, so receivers
can ignore a repeat), `webhook-timestamp` (unix seconds of this attempt) and
`webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` values over
`{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the `whsec_...` secret. During
a secret rotation the header carries one signature per secret, so a receiver holding either
secret accepts the delivery.

Both sides live here so that they cannot drift apart: the service signs with `sign`, members
verify with `Verifier`. Like the rest of `federation/`, this never imports Flask or `app`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = 5 * 60  # seconds: the spec's suggested window against replays


class WebhookVerificationError(Exception):
    """A delivery whose signature or timestamp does not check out: answer it with a 4xx."""


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key in a `whsec_...` secret (the prefix is optional, as in the spec's libraries)."""
    encoded = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("A webhook secret is 'whsec_' followed by base64.") from None


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def sign(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict:
    """The three Standard Webhooks headers for a body, signed with every given secret."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body)
                                      for secret in secrets_),
    }


class Verifier:
    """Checks deliveries signed with one endpoint secret (the one shown when you registered)."""

    def __init__(self, secret: str, *, tolerance: int = DEFAULT_TOLERANCE):
        """`tolerance`: how many seconds a delivery's timestamp may be off from this clock."""
        self._key = secret_bytes(secret)
        self.tolerance = tolerance

    def verify(self, body: bytes | str, headers: Mapping[str, str], *,
               now: float | None = None) -> dict:
        """Return the parsed payload of a genuine, fresh delivery, or raise the error."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        lowered = {name.lower(): value for name, value in headers.items()}
        message_id = lowered.get("webhook-id")
        timestamp = lowered.get("webhook-timestamp")
        signatures = lowered.get("webhook-signature")
        if not message_id or not timestamp or not signatures:
            raise WebhookVerificationError("Missing webhook-id, webhook-timestamp or "
                                           "webhook-signature header.")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise WebhookVerificationError("webhook-timestamp is not unix seconds.") from None
        current = time.time() if now is None else now
        # A captured delivery replayed later fails here: the timestamp is inside the signature.
        if abs(current - sent_at) > self.tolerance:
            raise WebhookVerificationError("webhook-timestamp is too far from now.")
        # Sign the header's own text, as the sender did (the spec's libraries do the same).
        signed = f"{message_id}.{timestamp}.".encode() + body
        expected = base64.b64encode(hmac.new(self._key, signed, hashlib.sha256).digest())
        matched = False
        for candidate in signatures.split(" "):
            version, _, value = candidate.partition(",")
            if version != SIGNATURE_VERSION:
                continue  # other schemes (v1a, later versions) are not ours to judge
            # Check every candidate in constant time, without stopping at the first match.
            matched |= hmac.compare_digest(value.encode("ascii", "replace"), expected)
        if not matched:
            raise WebhookVerificationError("No signature matches this endpoint's secret.")
        try:
            return json.loads(body)
        except ValueError:
            raise WebhookVerificationError("The body is not JSON.") from None
