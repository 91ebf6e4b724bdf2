"""HTTP view for NCIP: read the XML body within its size limit, answer the service's message."""

from flask import Response, current_app, request
from flask_smorest import Blueprint

from app.ncip import messages, rules, service
from app.ncip.messages import NcipProblem

blp = Blueprint("ncip", __name__, url_prefix="/ncip",
                description="NCIP 2.02 LookupUser for ILL managers (R2, R14-R16).")

XML_TYPES = ("application/xml", "text/xml")
_XML_DOC = {"schema": {"type": "string", "description": "An NCIPMessage (NCIP 2.02)."}}


def _xml(status: int, body: bytes, headers: dict | None = None) -> Response:
    response = Response(body, status=status, mimetype="application/xml")
    response.charset = "utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _problem(status: int, problem_type: str, scheme: str, detail: str) -> Response:
    problem = NcipProblem(problem_type, scheme, detail, status=status)
    return _xml(status, messages.problem_message(problem, service=None))


@blp.route("", methods=["POST"])
@blp.doc(
    summary="Answer an NCIP LookupUser with the verification decision.",
    description=(
        "Send an `NCIPMessage` holding a `LookupUser` as `application/xml` or `text/xml`. "
        "The key goes in `Authorization: Bearer` or in the InitiationHeader's "
        "`FromAgencyAuthentication`. The card is `UserId/UserIdentifierValue` (or an "
        "`AuthenticationInput` of type Barcode Id); the home library is the card's prefix or a "
        "`UserId`/`ToAgencyId` `AgencyId` that is a member's code. The answer is a "
        "`LookupUserResponse` with one `UserPrivilege` (Active, Blocked, Expired or Contact "
        "Home Library) and its `BlockOrTrap`s, or an NCIP `Problem`. See docs/ncip-sip2.md."),
    requestBody={"required": True, "content": dict.fromkeys(XML_TYPES, _XML_DOC)},
    # The key may come in the header or in the message itself: the header is not required.
    security=[{"bearer": []}, {}],
    responses={
        "200": {"description": "A LookupUserResponse, or a Problem such as Unknown User or "
                               "Unsupported Service.", "content": {"application/xml": _XML_DOC}},
        "400": {"description": "Not an NCIP message: Invalid Message Syntax Error.",
                "content": {"application/xml": _XML_DOC}},
        "401": {"description": "No key, or an unknown or revoked one: Agency Authentication "
                               "Failed.", "content": {"application/xml": _XML_DOC}},
        "403": {"description": "Not a member library's key.",
                "content": {"application/xml": _XML_DOC}},
        "413": {"description": "Larger than NCIP_MAX_BYTES.",
                "content": {"application/xml": _XML_DOC}},
        "415": {"description": "Not application/xml or text/xml.",
                "content": {"application/xml": _XML_DOC}},
        "429": {"description": "Too many verifications with this key (Retry-After).",
                "content": {"application/xml": _XML_DOC}},
    },
)
def lookup_user():
    """Answer an NCIP LookupUser with the verification decision."""
    if request.mimetype not in XML_TYPES:
        return _problem(415, "Invalid Message Syntax Error", rules.MESSAGING,
                        "Send the NCIPMessage as application/xml or text/xml.")
    limit = int(current_app.config["NCIP_MAX_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        return _problem(413, "Invalid Message Syntax Error", rules.MESSAGING,
                        f"An NCIP message here is at most {limit} bytes.")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _problem(413, "Invalid Message Syntax Error", rules.MESSAGING,
                        f"An NCIP message here is at most {limit} bytes.")
    answer = service.lookup_user(body, request.headers.get("Authorization"))
    return _xml(answer.status, answer.body, answer.headers)
