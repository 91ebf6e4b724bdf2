"""Reading NCIP messages safely and tolerantly, and writing schema-valid answers.

Reading: defusedxml over the standard library's expat, so no entity is ever declared or
expanded, no external entity or DTD is fetched (a DOCTYPE line alone, as NCIP 1 clients send,
is harmless and allowed). Elements are found by local name wherever they sit, so a missing
namespace, an unqualified or 2.0 `version`, elements out of order, empty elements and extra
whitespace all read the same; a byte-order mark and an ISO-8859-1 declaration are expat's.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.ncip import rules

NS = "http://www.niso.org/2008/ncip"
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
_UTF8_BOM = b"\xef\xbb\xbf"


class NcipProblem(Exception):
    """An answer that is an NCIP Problem, with the HTTP status it travels with."""

    def __init__(self, problem_type: str, scheme: str, detail: str, *, element: str | None = None,
                 value: str | None = None, status: int = 200, headers: dict | None = None):
        super().__init__(detail)
        self.problem_type = problem_type
        self.scheme = scheme
        self.detail = detail
        self.element = element
        self.value = value
        self.status = status
        self.headers = headers or {}


def syntax_problem(detail: str, status: int = 400) -> NcipProblem:
    """The messaging error for a body that is not a readable NCIP message."""
    return NcipProblem("Invalid Message Syntax Error", rules.MESSAGING, detail, status=status)


@dataclass
class LookupUserRequest:
    """What a LookupUser asks, reduced to what the federation can answer."""

    card: str | None = None
    card_element: str | None = None
    agency_ids: list[str] = field(default_factory=list)  # candidates for the home library
    from_agency: str | None = None
    to_agency: str | None = None
    agency_key: str | None = None  # FromAgencyAuthentication
    secret_input: str | None = None  # a PIN or password type that was sent


def _local(tag) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name: str) -> list:
    """Direct children with this local name, in any namespace or none."""
    return [child for child in element if _local(child.tag) == name]


def _text(element) -> str:
    """An element's trimmed text; NCIP 1's <UniqueAgencyId><Value> shape reads the same."""
    if element is None:
        return ""
    text = (element.text or "").strip()
    if not text:
        for child in element.iter():
            if _local(child.tag) == "Value" and (child.text or "").strip():
                return child.text.strip()
    return text


def _first_text(element, *path: str) -> str:
    """The first non-empty text at a path of local names below `element`."""
    found = [element]
    for name in path:
        found = [child for parent in found for child in _children(parent, name)]
    for candidate in found:
        text = _text(candidate)
        if text:
            return text
    return ""


def parse(body: bytes) -> ET.Element:
    """The message's root element, parsed with no DTD entities and nothing fetched."""
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    if not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = body.lstrip(b" \t\r\n")  # whitespace before the declaration is a common slip
    if not body:
        raise syntax_problem("The request body is empty: send an NCIPMessage.")
    try:
        return fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise syntax_problem("Entity declarations and external references are not accepted "
                             "in NCIP messages.") from None
    except (ET.ParseError, ValueError, LookupError) as error:  # LookupError: unknown encoding
        raise syntax_problem(f"The body is not well-formed XML ({error}).") from None


def read_lookup_user(root: ET.Element) -> LookupUserRequest:
    """The LookupUser in an NCIPMessage, or the Problem that says why there is none."""
    if _local(root.tag) != "NCIPMessage":
        raise syntax_problem(f"The root element is {_local(root.tag)}, not NCIPMessage.")
    services = [child for child in root if _local(child.tag) not in ("Ext", "")]
    if not services:
        raise syntax_problem("The NCIPMessage holds no service: send a LookupUser.")
    service = services[0]
    name = _local(service.tag)
    if name != "LookupUser":
        raise NcipProblem("Unsupported Service", rules.GENERAL,
                          f"This service answers LookupUser only, not {name}.",
                          element=name, value=name)
    request = LookupUserRequest()
    for header in _children(service, "InitiationHeader"):
        request.from_agency = request.from_agency or _first_text(header, "FromAgencyId",
                                                                 "AgencyId") or None
        request.to_agency = request.to_agency or _first_text(header, "ToAgencyId",
                                                             "AgencyId") or None
        request.agency_key = request.agency_key or _first_text(
            header, "FromAgencyAuthentication") or None
    for user_id in _children(service, "UserId"):
        value = _first_text(user_id, "UserIdentifierValue")
        if value and request.card is None:
            request.card, request.card_element = value, "UserId/UserIdentifierValue"
        agency = _first_text(user_id, "AgencyId") or _first_text(user_id, "UniqueAgencyId")
        if agency:
            request.agency_ids.append(agency)
    for auth in _children(service, "AuthenticationInput"):
        kind = rules.input_type(_first_text(auth, "AuthenticationInputType"))
        data = _first_text(auth, "AuthenticationInputData")
        if kind in rules.SECRET_INPUTS:
            request.secret_input = _first_text(auth, "AuthenticationInputType")
        elif kind in rules.CARD_INPUTS and data and request.card is None:
            request.card = data
            request.card_element = "AuthenticationInput/AuthenticationInputData"
    if request.to_agency:
        request.agency_ids.append(request.to_agency)
    return request


# ---- writing -------------------------------------------------------------------------------

def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _add(parent, name: str, text: str | None = None, scheme: str | None = None):
    element = ET.SubElement(parent, _q(name))
    if scheme:
        element.set(_q("Scheme"), scheme)
    if text is not None:
        element.text = text
    return element


def _message() -> ET.Element:
    root = ET.Element(_q("NCIPMessage"))
    root.set(_q("version"), VERSION)
    return root


def _response_header(parent, request: LookupUserRequest | None) -> None:
    """Echo the agencies back, swapped, when the initiation header named both."""
    if request and request.from_agency and request.to_agency:
        header = _add(parent, "ResponseHeader")
        _add(_add(header, "FromAgencyId"), "AgencyId", request.to_agency)
        _add(_add(header, "ToAgencyId"), "AgencyId", request.from_agency)


def _serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def problem_message(problem: NcipProblem, request: LookupUserRequest | None = None,
                    service: str | None = "LookupUserResponse") -> bytes:
    """A Problem, inside a LookupUserResponse when the request was a LookupUser."""
    root = _message()
    parent = root
    if service:
        parent = _add(root, service)
        _response_header(parent, request)
    element = _add(parent, "Problem")
    _add(element, "ProblemType", problem.problem_type, scheme=problem.scheme)
    _add(element, "ProblemDetail", problem.detail)
    if problem.element:
        _add(element, "ProblemElement", problem.element)
    if problem.value:
        _add(element, "ProblemValue", problem.value)
    return _serialize(root)


def lookup_user_response(request: LookupUserRequest, card: str, home_code: str,
                         status: str, block_types: list[str], valid_to: str | None,
                         description: str) -> bytes:
    """A LookupUserResponse: the card as sent, one privilege and its blocks; nothing personal."""
    root = _message()
    response = _add(root, "LookupUserResponse")
    _response_header(response, request)
    user_id = _add(response, "UserId")
    _add(user_id, "AgencyId", home_code)
    _add(user_id, "UserIdentifierValue", card)
    optional = _add(response, "UserOptionalFields")
    privilege = _add(optional, "UserPrivilege")
    _add(privilege, "AgencyId", home_code)
    _add(privilege, "AgencyUserPrivilegeType", rules.PRIVILEGE_TYPE)
    if valid_to:
        _add(privilege, "ValidToDate", valid_to)
    _add(_add(privilege, "UserPrivilegeStatus"), "UserPrivilegeStatusType", status)
    _add(privilege, "UserPrivilegeDescription", description)
    for block_type in block_types:
        block = _add(optional, "BlockOrTrap")
        _add(block, "AgencyId", home_code)
        _add(block, "BlockOrTrapType", block_type)
    return _serialize(root)


ET.register_namespace("ncip", NS)
