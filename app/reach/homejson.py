"""The signed JSON home check: ask a library's own endpoint (federation/home_system.py)."""

import json
import secrets
import time
from datetime import date

import requests

from app.reach.answers import HomeAnswer, HomeSystemError
from federation import webhooks as signing

MAX_ANSWER_BYTES = 16 * 1024


def _answer(data) -> HomeAnswer:
    """Check the receiver's JSON answer field by field."""
    if not isinstance(data, dict) or not isinstance(data.get("found"), bool):
        raise HomeSystemError("The home endpoint's answer has no 'found' true or false.")
    if not data["found"]:
        return HomeAnswer(found=False, said=("not_found",))
    standing = data.get("standing")
    if standing not in ("good", "blocked"):
        raise HomeSystemError("The home endpoint's 'standing' is not good or blocked.")
    expires = data.get("expires_on")
    try:
        expires_on = date.fromisoformat(expires) if expires is not None else None
    except (TypeError, ValueError):
        raise HomeSystemError("The home endpoint's 'expires_on' is not a date.") from None
    identity = data.get("identity", "not_checked")
    if identity not in ("matched", "mismatched", "not_checked"):
        raise HomeSystemError("The home endpoint's 'identity' is not a known value.")
    return HomeAnswer(found=True, standing=standing, expires_on=expires_on, identity=identity,
                      said=(standing,))


def check_card(session: requests.Session, url: str, credentials: dict, card: str,
               surname: str | None, timeout: float) -> HomeAnswer:
    """POST the signed question and read the answer."""
    question = {"card_number": card}
    if surname:
        question["surname"] = surname
    body = json.dumps(question).encode("utf-8")
    headers = signing.sign([credentials["secret"]], "chk_" + secrets.token_hex(10),
                           int(time.time()), body)
    headers["Content-Type"] = "application/json"
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout, stream=True)
        with response:
            if response.status_code != 200:
                raise HomeSystemError(f"The home endpoint answered HTTP {response.status_code}.")
            payload = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except requests.Timeout:
        raise HomeSystemError("The home endpoint did not answer in time.") from None
    except requests.RequestException as error:
        raise HomeSystemError(f"The home endpoint could not be reached "
                              f"({type(error).__name__}).") from None
    if len(payload) > MAX_ANSWER_BYTES:
        raise HomeSystemError("The home endpoint's answer is too large.")
    try:
        data = json.loads(payload)
    except ValueError:
        raise HomeSystemError("The home endpoint's answer is not JSON.") from None
    return _answer(data)
