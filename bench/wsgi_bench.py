"""Bench-only WSGI module: the real app from create_app(), plus one reference route.

`POST /bench/reference` takes the verification request's JSON body and does only what every
verification must do: parse the JSON, normalise and HMAC the card, and run verification's own
indexed SELECT (`CARD_BY_HOME_CODE`: the home library by code, its patron with this card, the
replaced-card and block probes, in one statement). No authentication, no rules, no traffic
count, no commit.
It lives in the same process as `POST /api/v1/verifications`, so both share the app's config,
engine, pool and gunicorn worker, and the ratio of the two is the cost of everything else.

Served only by bench/verify_throughput.py: `gunicorn --pythonpath bench wsgi_bench:app`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask import current_app, request

from app import create_app
from app.extensions import db
from app.patrons.rules import card_hmac, normalize_card
from app.verification.service import CARD_BY_HOME_CODE

app = create_app()


@app.post("/bench/reference")
def reference():
    """The floor under verification: JSON in, card hashed, one indexed SELECT, JSON out."""
    data = request.get_json()
    digest = card_hmac(current_app.config["HMAC_KEY"].encode("utf-8"),
                       normalize_card(data["card_number"]))
    record = db.session.connection().execute(  # as verification runs it
        CARD_BY_HOME_CODE, {"code": data["home_library"], "card_hmac": digest}).first()
    return {"found": record.patron_id is not None,
            "expires_on": record.expires_on.isoformat() if record.expires_on else None}
