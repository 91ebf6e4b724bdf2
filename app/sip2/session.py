"""One SIP2 connection's conversation: login, status, patron status and information, resend.

Every patron answer comes from `verify_at_door`, the path of POST /api/v1/verifications (same
rules, traffic count and rate limit, keyed by the SIP account). Answers carry the verdict only:
the 14 status flags, BL, and the advice in AF; AE (personal name, a required field) is always
empty and no other personal field is sent (R16).
"""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from app.errors import RateLimitedError, RuleError
from app.patrons.rules import InvalidCardNumber, normalize_card
from app.sip2 import protocol, service
from app.sip2.protocol import Request
from app.verification.doors import verify_at_door

log = logging.getLogger(__name__)

RESEND = b"96\r"  # no error detection: the client cannot have its sequence number


class Session:
    """The state of one connection: who logged in, the last answer, failed logins."""

    def __init__(self, app: Flask):
        self.app = app
        self.caller: service.SipCaller | None = None
        self.last: bytes | None = None
        self.failures = 0
        self.closing = False

    def now(self) -> datetime:
        """The local time in the federation's time zone, as SIP2 dates are written."""
        return datetime.now(ZoneInfo(self.app.config["TIMEZONE"]))

    def handle(self, raw: str) -> bytes | None:
        """The answer to one message (None: send nothing). Sets `closing` to hang up after."""
        request = protocol.parse(raw)
        if request is None:
            return RESEND
        if not request.checksum_ok:
            return RESEND  # SIP2: a garbled message is answered 96, the client sends it again
        if request.command == "97":
            return self.last or RESEND
        handler = getattr(self, f"_on_{request.command}", None)
        if handler is None:
            return RESEND
        with self.app.app_context():
            body = handler(request)
        answer = protocol.frame(body, request.sequence)
        self.last = answer
        return answer

    # ---- login and status ----------------------------------------------------------------

    def _on_93(self, request: Request) -> str:
        """Login: CN and CO against the library's SIP accounts (argon2id)."""
        caller = service.sip_login(request.get("CN"), request.get("CO"),
                                   service.configured_hasher(self.app.config))
        if caller is None:
            self.failures += 1
            if self.failures >= int(self.app.config["SIP2_MAX_LOGIN_FAILURES"]):
                self.closing = True
            log.info("SIP2 login refused for a connection (%d failures)", self.failures)
            return "940"
        self.caller = caller
        return "941"

    def _on_99(self, request: Request) -> str:
        """SC Status: online, nothing but patron questions supported, 2.00."""
        institution = self.caller.library_code if self.caller else ""
        name = protocol.text_field(self.app.config["SIP2_INSTITUTION_NAME"])
        return (f"98YNNNNN030003{protocol.sip_date(self.now())}2.00"
                f"AO{institution}|AM{name}|BX{protocol.SUPPORTED}|")

    # ---- patrons -------------------------------------------------------------------------

    def _verdict(self, request: Request) -> tuple[str, str, str]:
        """(patron status flags, BL, AF) for the card in AA."""
        card = request.get("AA").strip()
        if self.caller is None:
            return protocol.DENIED, "N", "Not logged in: send a 93 Login first."
        try:
            normalize_card(card)
            if len(card) > 80:
                raise InvalidCardNumber("too long")
        except InvalidCardNumber:
            return protocol.DENIED, "N", "Not a card number."
        try:
            result = verify_at_door(self.caller.limiter_key, self.caller.library_id, card, None)
        except RateLimitedError as error:
            return protocol.DENIED, "N", f"{error.detail} Try again in a minute."
        except RuleError as error:
            return protocol.DENIED, "N", f"{error.detail} Verify it in Reciprocity instead."
        return (protocol.patron_status(result.decision, result.reasons),
                protocol.valid_patron(result.decision, result.reasons), result.advice)

    def _institution(self, request: Request) -> str:
        return protocol.text_field(request.get("AO") or (
            self.caller.library_code if self.caller else ""), 64)

    def _language(self, request: Request) -> str:
        language = request.fixed[:3]
        return language if len(language) == 3 and language.isdigit() else "000"

    def _on_23(self, request: Request) -> str:
        """Patron Status: the flags, BL and the advice for the card in AA."""
        flags, valid, advice = self._verdict(request)
        return (f"24{flags}{self._language(request)}{protocol.sip_date(self.now())}"
                f"AO{self._institution(request)}|AA{protocol.text_field(request.get('AA'), 80)}|"
                f"AE|BL{valid}|{protocol.screen_messages(advice)}")

    def _on_63(self, request: Request) -> str:
        """Patron Information: as Patron Status; item counts blank (the federation has none)."""
        flags, valid, advice = self._verdict(request)
        counts = " " * 24  # hold, overdue, charged, fine, recall, unavailable hold: unknown
        return (f"64{flags}{self._language(request)}{protocol.sip_date(self.now())}{counts}"
                f"AO{self._institution(request)}|AA{protocol.text_field(request.get('AA'), 80)}|"
                f"AE|BL{valid}|{protocol.screen_messages(advice)}")

    def _on_35(self, request: Request) -> str:
        """End Patron Session: nothing is held per patron, so always ended."""
        return (f"36Y{protocol.sip_date(self.now())}AO{self._institution(request)}|"
                f"AA{protocol.text_field(request.get('AA'), 80)}|")

    # ---- circulation this door does not do: SIP2's 'not ok' answers ------------------------

    _NOT_HERE = "AFReciprocity answers patron questions only; use your ILS for this.|"

    def _on_11(self, request: Request) -> str:
        """Checkout: refused (ok 0); lending happens in the library's own ILS."""
        return (f"120NUN{protocol.sip_date(self.now())}AO{self._institution(request)}|"
                f"AA{protocol.text_field(request.get('AA'), 80)}|"
                f"AB{protocol.text_field(request.get('AB'), 80)}|AJ|AH|{self._NOT_HERE}")

    def _on_29(self, request: Request) -> str:
        """Renew: refused (ok 0)."""
        return (f"300NUN{protocol.sip_date(self.now())}AO{self._institution(request)}|"
                f"AA{protocol.text_field(request.get('AA'), 80)}|"
                f"AB{protocol.text_field(request.get('AB'), 80)}|AJ|AH|{self._NOT_HERE}")

    def _on_09(self, request: Request) -> str:
        """Checkin: refused (ok 0)."""
        return (f"100NUN{protocol.sip_date(self.now())}AO{self._institution(request)}|"
                f"AB{protocol.text_field(request.get('AB'), 80)}|AQ|{self._NOT_HERE}")

    def _on_17(self, request: Request) -> str:
        """Item Information: circulation status 01 (other), nothing known about items."""
        return (f"18010001{protocol.sip_date(self.now())}"
                f"AB{protocol.text_field(request.get('AB'), 80)}|AJ|{self._NOT_HERE}")
