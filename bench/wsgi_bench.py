"""Bench-only WSGI module: the real app from create_app(), plus one reference route.

`POST /bench/reference` takes the verification request's JSON body and does only what every
verification must do: parse the JSON, normalise and HMAC the card, and run verification's own
indexed SELECT (`CARD_BY_HOME_CODE`: the home library by code, its patron with this card, the
replaced-card and block probes, in one statement). No authentication, no rules, no traffic
count, no commit.
It lives in the same process as `POST /api/v1/verifications`, so both share the app's config,
engine, pool and gunicorn worker, and the ratio of the two is the cost of everything else.

`POST /bench/write` is the floor under a write: JSON in, one UPDATE of one row by its unique
code, one commit, JSON out. Issuing a bill, recording a payment and answering a block are each
measured against it (bench/instructions.py).

Served by bench/verify_throughput.py (`gunicorn --pythonpath bench wsgi_bench:app`) and
bench/instructions.py (in-process).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask import current_app, request
from sqlalchemy import bindparam, update

from app import create_app
from app.extensions import db
from app.libraries.models import Library
from app.patrons.rules import card_hmac, normalize_card
from app.timestamps import utcnow
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


_TOUCH = update(Library).where(Library.code == bindparam("b_code")).values(
    updated_at=bindparam("b_now"))


@app.post("/bench/write")
def reference_write():
    """The floor under a write: JSON in, one UPDATE by a unique index, one commit, JSON out."""
    data = request.get_json()
    db.session.connection().execute(_TOUCH, {"b_code": data["home_library"], "b_now": utcnow()})
    db.session.commit()
    return {"written": True}
