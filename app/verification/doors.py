"""Verification for the protocol front doors (NCIP, SIP2): the JSON route's path, in one place.

Both doors call `verify_at_door`, which takes a token from the same per-key limiter as
`POST /api/v1/verifications` and then runs the same `service.verify_card` with the same
arguments: the same rules, the same traffic counting (R19), the same rate limit. When the
limiter changes, this function is the one place the doors follow it.
"""

from flask import current_app

from app.errors import RateLimitedError
from app.timestamps import today_in, utcnow
from app.verification import service
from app.verification.ratelimit import retry_after


def verify_at_door(key_id: str, lending_library_id: int, card_number: str,
                   home_code: str | None) -> service.Verification:
    """Verify a card as the JSON route does; RateLimitedError past the key's limit."""
    wait = current_app.extensions["reciprocity.verify_limiter"].acquire(key_id)
    if wait:
        raise RateLimitedError("Too many verifications with this key; try again shortly.",
                               headers={"Retry-After": retry_after(wait)})
    now = utcnow()
    return service.verify_card(
        lending_library_id, card_number, home_code, None,
        current_app.config["HMAC_KEY"].encode("utf-8"), now,
        today_in(current_app.config["TIMEZONE"], now),
        current_app.extensions["reciprocity.traffic"])
