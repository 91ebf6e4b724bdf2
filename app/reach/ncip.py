"""An NCIP 2.02 LookupUser initiator: ask a home library's NCIP responder about a card.

The request authenticates the patron by barcode (`AuthenticationInputType` "Barcode Id") and
asks for the user's privileges (expiry), blocks or traps, and name (for the identity check).
A `Problem` of type "Unknown User" (or a failed user authentication) means the card is not
known; any other Problem, a non-2xx answer or a body that is not an NCIP message is an error.
"""

from datetime import date, datetime
from xml.etree import ElementTree

import requests

from app.reach.answers import HomeAnswer, HomeSystemError, surname_matches

NS = "http://www.niso.org/2008/ncip"
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
MAX_ANSWER_BYTES = 256 * 1024
UNKNOWN_USER = ("unknown user", "user authentication failed")
# UserPrivilegeStatus values that mean the account may not borrow.
BLOCKING_STATUSES = ("blocked", "expired", "suspended", "barred", "invalid", "inactive")


def _text(parent, tag: str, text: str) -> ElementTree.Element:
    """Append <ns1:tag>text</ns1:tag>."""
    element = ElementTree.SubElement(parent, f"{{{NS}}}{tag}")
    element.text = text
    return element


def lookup_user_request(card: str, from_agency: str, to_agency: str,
                        agency_password: str | None = None) -> bytes:
    """The LookupUser message for a card, from the federation to the home agency."""
    ElementTree.register_namespace("ncip", NS)
    root = ElementTree.Element(f"{{{NS}}}NCIPMessage", {f"{{{NS}}}version": VERSION})
    lookup = ElementTree.SubElement(root, f"{{{NS}}}LookupUser")
    header = ElementTree.SubElement(lookup, f"{{{NS}}}InitiationHeader")
    _text(ElementTree.SubElement(header, f"{{{NS}}}FromAgencyId"), "AgencyId", from_agency)
    if agency_password:
        _text(header, "FromAgencyAuthentication", agency_password)
    _text(ElementTree.SubElement(header, f"{{{NS}}}ToAgencyId"), "AgencyId", to_agency)
    auth = ElementTree.SubElement(lookup, f"{{{NS}}}AuthenticationInput")
    _text(auth, "AuthenticationInputData", card)
    _text(auth, "AuthenticationDataFormatType", "text/plain")
    _text(auth, "AuthenticationInputType", "Barcode Id")
    for wanted in ("Name Information", "User Privilege", "Block Or Trap"):
        _text(lookup, "UserElementType", wanted)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _date(text: str | None) -> date | None:
    """An NCIP dateTime (or date) as a calendar date."""
    if not text:
        return None
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise HomeSystemError("The NCIP answer has a date that is not ISO 8601.") from None


def parse_lookup_user_response(body: bytes, surname: str | None) -> HomeAnswer:
    """Read a LookupUserResponse into a HomeAnswer, or raise HomeSystemError."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise HomeSystemError("The NCIP responder's answer is not XML.") from None
    if root.tag != f"{{{NS}}}NCIPMessage":
        raise HomeSystemError("The NCIP responder's answer is not an NCIP message.")
    n = f"{{{NS}}}"
    response = root.find(f"{n}LookupUserResponse")
    problems = root.findall(f".//{n}Problem")
    if problems:
        kinds = [(p.findtext(f"{n}ProblemType") or "").strip() for p in problems]
        if any(k.lower() in UNKNOWN_USER for k in kinds):
            return HomeAnswer(found=False, said=("unknown_user",))
        raise HomeSystemError("The NCIP responder answered with a Problem: "
                              + "; ".join(k[:80] for k in kinds))
    if response is None or response.find(f"{n}UserId") is None:
        raise HomeSystemError("The NCIP answer has no LookupUserResponse with a UserId.")
    fields = response.find(f"{n}UserOptionalFields")
    said: list[str] = []
    expires: list[date] = []
    blocked = False
    name = None
    if fields is not None:
        for privilege in fields.findall(f"{n}UserPrivilege"):
            until = _date(privilege.findtext(f"{n}ValidToDate"))
            if until:
                expires.append(until)
            status = (privilege.findtext(f"{n}UserPrivilegeStatus/{n}UserPrivilegeStatusType")
                      or "").strip().lower()
            if status in BLOCKING_STATUSES:
                blocked = True
                said.append(f"privilege_{status}")
        for block in fields.findall(f"{n}BlockOrTrap"):
            kind = (block.findtext(f"{n}BlockOrTrapType") or "").strip().lower()
            blocked = True
            said.append("block_or_trap" if not kind else
                        "block_" + "_".join(kind.split())[:40])
        name = (fields.findtext(f".//{n}StructuredPersonalUserName/{n}Surname")
                or fields.findtext(f".//{n}UnstructuredPersonalUserName"))
    identity = "not_checked"
    if surname and name:
        identity = "matched" if surname_matches(surname, name) else "mismatched"
    return HomeAnswer(found=True, standing="blocked" if blocked else "good",
                      expires_on=max(expires) if expires else None, identity=identity,
                      said=tuple(said))


def lookup_user(session: requests.Session, url: str, credentials: dict, card: str,
                surname: str | None, timeout: float) -> HomeAnswer:
    """POST a LookupUser to the home library's NCIP responder and read the answer."""
    body = lookup_user_request(card, credentials.get("from_agency_id") or "RECIPROCITY",
                               credentials["to_agency_id"], credentials.get("password"))
    try:
        response = session.post(url, data=body, timeout=timeout, stream=True,
                                headers={"Content-Type": "application/xml; charset=utf-8"})
        with response:
            if not 200 <= response.status_code < 300:
                raise HomeSystemError(f"The NCIP responder answered HTTP "
                                      f"{response.status_code}.")
            payload = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except requests.Timeout:
        raise HomeSystemError("The NCIP responder did not answer in time.") from None
    except requests.RequestException as error:
        raise HomeSystemError(f"The NCIP responder could not be reached "
                              f"({type(error).__name__}).") from None
    if len(payload) > MAX_ANSWER_BYTES:
        raise HomeSystemError("The NCIP answer is too large.")
    return parse_lookup_user_response(payload, surname)
