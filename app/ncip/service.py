"""LookupUser: authenticate the library, find the card and its home, verify, answer in NCIP.

The answer comes from `verify_at_door`, the path of POST /api/v1/verifications: the same rules,
traffic count (R19) and rate limit. What NCIP could also carry (name, address, loans, fines)
is never sent (R16). HTTP statuses: 200 for every NCIP answer including processing Problems
(Unknown User, Unsupported Service, ...), 400 for a body that is not an NCIP message, 401 for a
missing or unknown key, 403 for a key that is not a member library's, 413 for a body over the
size limit, 415 for another media type, 429 past the rate limit (with Retry-After).
"""

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.auth import Caller, authenticate
from app.errors import RateLimitedError, RuleError, UnauthorizedError
from app.extensions import db
from app.libraries.models import Library
from app.ncip import messages, rules
from app.ncip.messages import LookupUserRequest, NcipProblem
from app.patrons.rules import InvalidCardNumber, normalize_card
from app.ratelimit import key_identity
from app.verification.doors import verify_at_door

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,15}\Z")


@dataclass(frozen=True)
class Answer:
    """An NCIP message to send, with its HTTP status and headers."""

    status: int
    body: bytes
    headers: dict


def _authenticate(authorization: str | None, request: LookupUserRequest | None
                  ) -> tuple[Caller, str]:
    """The calling library, from the Authorization header or FromAgencyAuthentication, and
    the verification bucket its key counts in (the JSON route's, app/ratelimit.py)."""
    where = "Authorization"
    header = authorization
    if not header and request is not None and request.agency_key:
        where, header = "InitiationHeader/FromAgencyAuthentication", f"Bearer {request.agency_key}"
    try:
        caller = authenticate(header)
    except UnauthorizedError as error:
        raise NcipProblem("Agency Authentication Failed", rules.GENERAL,
                          f"{error.detail} Or send the key as FromAgencyAuthentication.",
                          element=where, status=401,
                          headers={"WWW-Authenticate": "Bearer"}) from None
    if caller.role != "member":
        raise NcipProblem("Unauthorized Service For Agency", rules.GENERAL,
                          "Only a member library's key may look up patrons.", element=where,
                          status=403)
    return caller, key_identity("verify", header.partition(" ")[2].strip() or header)


def _home_code(request: LookupUserRequest) -> str | None:
    """The first AgencyId that is a member's code (R15); other agencies' names are ignored."""
    candidates = [a.strip().upper() for a in request.agency_ids]
    candidates = [a for a in candidates if _CODE.match(a)]
    if not candidates:
        return None
    known = set(db.session.execute(select(Library.code).where(Library.code.in_(candidates)))
                .scalars())
    return next((code for code in candidates if code in known), None)


def lookup_user(body: bytes, authorization: str | None) -> Answer:
    """Answer one NCIP message; every outcome is an NCIP message, never an exception."""
    request = None
    service = None
    try:
        # A header is checked before the body is read; a key in the message, after.
        caller = _authenticate(authorization, None) if authorization else None
        request = messages.read_lookup_user(messages.parse(body))
        service = "LookupUserResponse"
        return _answer(*(caller or _authenticate(None, request)), request)
    except NcipProblem as problem:
        return Answer(problem.status, messages.problem_message(problem, request, service),
                      problem.headers)


def _answer(caller: Caller, limit_identity: str, request: LookupUserRequest) -> Answer:
    """Verify the card and put the decision into NCIP's words."""
    if request.secret_input:
        # The federation holds no PINs or passwords (R16): it cannot check one, and answering
        # as if it had would tell the client the patron was authenticated.
        raise NcipProblem("Unknown Value From Known Scheme", rules.MESSAGING,
                          f"Authentication input of type {request.secret_input} cannot be "
                          "checked: the federation holds no PINs or passwords. Send the card "
                          "number alone (UserId or a Barcode Id input).",
                          element="AuthenticationInput/AuthenticationInputType",
                          value=request.secret_input)
    if not request.card:
        raise NcipProblem("Needed Data Missing", rules.GENERAL,
                          "Send the card number as UserId/UserIdentifierValue or as an "
                          "AuthenticationInput of type Barcode Id.", element="UserId")
    try:
        normalize_card(request.card)
        if len(request.card) > 80:
            raise InvalidCardNumber("A card number has at most 80 characters.")
    except InvalidCardNumber as error:
        raise NcipProblem("Unknown User", rules.LOOKUP_USER, f"Not a card number: {error}",
                          element=request.card_element) from None
    try:
        result = verify_at_door(limit_identity, caller.library_id, request.card,
                                _home_code(request))
    except RateLimitedError as error:
        raise NcipProblem("Temporary Processing Failure", rules.GENERAL, error.detail,
                          status=429, headers=error.headers) from None
    except RuleError as error:
        # Only home_library_required can come here: the home was found by a member's code.
        raise NcipProblem("Needed Data Missing", rules.GENERAL,
                          f"{error.detail} Send its code as UserId/AgencyId.",
                          element="UserId/AgencyId") from None
    home = result.home_library["code"]
    if rules.is_unknown_user(result.decision, result.reasons):
        raise NcipProblem("Unknown User", rules.LOOKUP_USER, result.advice,
                          element=request.card_element)
    valid_to = (f"{result.expires_on.isoformat()}T23:59:59"
                if result.expires_on and result.decision != "refer" else None)
    body = messages.lookup_user_response(
        request, request.card, home, rules.privilege_status(result.decision, result.reasons),
        rules.blocks(result.decision, result.reasons), valid_to, result.advice)
    return Answer(200, body, {})
