"""The small JSON endpoint a member library hosts so the federation can ask its own system
about a card, live (R14), signed like webhooks.

The federation POSTs `{"card_number": "...", "surname": "..."}` (surname only when the desk
gave one) with the Standard Webhooks headers, signed with the endpoint secret shown when the
library registered the endpoint. The receiver checks the signature and the timestamp, asks
the library's own lookup, and answers:

    {"found": true, "standing": "good" | "blocked", "expires_on": "2027-06-30" | null,
     "identity": "matched" | "mismatched" | "not_checked"}

or `{"found": false}`. The surname is compared here, inside the library, so the library's copy
of it never travels. Host it with any WSGI server:

    from federation.home_system import HomeCheckReceiver, HomePatron

    def lookup(card_number):
        row = my_ils.find(card_number)
        return row and HomePatron(standing="good" if row.ok else "blocked",
                                  expires_on=row.expires, surname=row.surname)

    application = HomeCheckReceiver("whsec_...", lookup).wsgi_app

Like the rest of `federation/`, this never imports Flask or `app`.
"""

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from federation.webhooks import Verifier, WebhookVerificationError

MAX_BODY = 16 * 1024


@dataclass(frozen=True)
class HomePatron:
    """What the library's own system holds about a card's patron."""

    standing: str  # good | blocked
    expires_on: date | None = None
    surname: str | None = None


def _folded(text: str) -> str:
    """A surname compared without case, accents or spacing."""
    plain = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).casefold().split())


class HomeCheckReceiver:
    """Answers the federation's signed card checks from the library's own lookup."""

    def __init__(self, secret: str, lookup: Callable[[str], HomePatron | None], *,
                 tolerance: int = 300):
        """`secret`: the endpoint's `whsec_...`; `lookup(card_number)`: a HomePatron or None."""
        self.verifier = Verifier(secret, tolerance=tolerance)
        self.lookup = lookup

    def answer(self, body: bytes, headers: dict) -> tuple[int, dict]:
        """Check a request and answer it: (HTTP status, JSON body)."""
        try:
            question = self.verifier.verify(body, headers)
        except WebhookVerificationError as error:
            return 401, {"error": "invalid_signature", "detail": str(error)}
        card = question.get("card_number") if isinstance(question, dict) else None
        if not isinstance(card, str) or not card:
            return 400, {"error": "card_number_required"}
        patron = self.lookup(card)
        if patron is None:
            return 200, {"found": False}
        surname = question.get("surname")
        identity = "not_checked"
        if isinstance(surname, str) and surname and patron.surname:
            identity = "matched" if _folded(surname) == _folded(patron.surname) else "mismatched"
        return 200, {"found": True, "standing": patron.standing,
                     "expires_on": patron.expires_on.isoformat() if patron.expires_on else None,
                     "identity": identity}

    def wsgi_app(self, environ, start_response):
        """The receiver as a WSGI application (POST only)."""
        if environ.get("REQUEST_METHOD") != "POST":
            status, payload = 405, {"error": "method_not_allowed"}
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                status, payload = 413, {"error": "body_too_large"}
            else:
                body = environ["wsgi.input"].read(length)
                headers = {key[5:].replace("_", "-").lower(): value
                           for key, value in environ.items() if key.startswith("HTTP_")}
                status, payload = self.answer(body, headers)
        data = json.dumps(payload).encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 405: "Method Not Allowed",
                  413: "Content Too Large"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(data)))])
        return [data]
