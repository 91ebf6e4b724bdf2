"""Verification for the protocol front doors (NCIP, SIP2): the JSON route's path, in one place.

Both doors call `verify_at_door`, which counts the request in the verification bucket of
`POST /api/v1/verifications` (app/ratelimit.py: the same key's bucket for NCIP, a SIP
account's own for SIP2) and then runs the same `service.verify_card` with the same arguments:
the same rules, the same traffic counting (R19), the same rate limit.
"""

from flask import current_app

from app.errors import RateLimitedError
from app.ratelimit import charge
from app.timestamps import today_in, utcnow
from app.verification import service


def verify_at_door(limit_identity: str, lending_library_id: int, card_number: str,
                   home_code: str | None) -> service.Verification:
    """Verify a card as the JSON route does; RateLimitedError past the caller's limit.

    `limit_identity`: the bucket to count in (`app.ratelimit.key_identity("verify", key)`).
    """
    wait = charge(limit_identity)
    if wait:
        raise RateLimitedError("Too many verifications with this key; try again shortly.",
                               headers={"Retry-After": str(wait)})
    now = utcnow()
    return service.verify_card(
        lending_library_id, card_number, home_code, None,
        current_app.config["HMAC_KEY"].encode("utf-8"), now,
        today_in(current_app.config["TIMEZONE"], now),
        current_app.extensions["reciprocity.traffic"])
