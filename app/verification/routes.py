"""HTTP view for card verification (any active member)."""

from flask import current_app
from flask_smorest import Blueprint

from app.auth import requires
from app.timestamps import today_in, utcnow
from app.verification import service
from app.verification.schemas import (
    TrafficQuerySchema,
    TrafficSchema,
    VerificationRequestSchema,
    VerificationSchema,
)

blp = Blueprint("verifications", __name__, url_prefix="/api/v1/verifications",
                description="May a visiting patron borrow here? (R2, R14, R15)")


@blp.route("", methods=["POST"])
@requires("member", reciprocal=True, verification=True)
@blp.arguments(VerificationRequestSchema())
@blp.response(200, VerificationSchema)
def verify(data, caller):
    """Verify a visiting patron's card: eligible, not_eligible or refer, with reasons.

    Rate limited per key (VERIFY_RATE_LIMIT, app/ratelimit.py), so no member can sweep card
    numbers."""
    now = utcnow()
    return service.verify_card(
        caller.library_id, data["card_number"], data["home_library"], data["surname"],
        current_app.config["HMAC_KEY"].encode("utf-8"), now,
        today_in(current_app.config["TIMEZONE"], now),
        current_app.extensions["reciprocity.traffic"],
        reach=current_app.extensions["reciprocity.reach"])


traffic_blp = Blueprint("traffic", __name__, url_prefix="/api/v1/traffic",
                        description="Verification traffic for the yearly survey (R19).")


@traffic_blp.route("", methods=["GET"])
@requires("member", "admin")
@traffic_blp.arguments(TrafficQuerySchema(), location="query")
@traffic_blp.response(200, TrafficSchema)
def traffic(query, caller):
    """A year's verification counts: a member sees its own lending and its patrons' borrowing."""
    return service.traffic(None if caller.is_admin else caller.library_id, query["year"],
                           current_app.extensions["reciprocity.traffic"])
