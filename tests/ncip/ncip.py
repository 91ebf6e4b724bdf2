"""Building LookupUser messages the way ILL managers send them, and checking answers.

Every answer is validated against the NCIP 2.02 schema in tests/ncip/data (see its
SOURCES.md): it is self-contained, so nothing else is needed.
"""

from functools import cache
from pathlib import Path

from lxml import etree

NCIP_DATA = Path(__file__).resolve().parent / "data"
NS = {"n": "http://www.niso.org/2008/ncip"}


@cache
def schema() -> etree.XMLSchema:
    """The NCIP 2.02 schema, loaded once."""
    return etree.XMLSchema(etree.parse(str(NCIP_DATA / "ncip_v2_02.xsd")))


def valid(body: bytes) -> etree._Element:
    """The answer parsed, after asserting it is valid against the NCIP 2.02 schema."""
    root = etree.fromstring(body)
    checker = schema()
    assert checker.validate(root), (checker.error_log, body.decode("utf-8", "replace"))
    return root


def lookup_user(card: str | None = None, *, agency: str | None = None, key: str | None = None,
                from_agency: str = "ILLIAD-LEND", to_agency: str = "RECIPROCITY",
                inputs: tuple[tuple[str, str], ...] = (), elements=("Block Or Trap",)) -> str:
    """A namespaced NCIP 2.02 LookupUser, optionally with the key in the initiation header."""
    header = ""
    if key is not None or from_agency:
        auth = f"<FromAgencyAuthentication>{key}</FromAgencyAuthentication>" if key else ""
        header = (f"<InitiationHeader><FromAgencyId><AgencyId>{from_agency}</AgencyId>"
                  f"</FromAgencyId>{auth}<ToAgencyId><AgencyId>{to_agency}</AgencyId>"
                  "</ToAgencyId></InitiationHeader>")
    user = ""
    if card is not None:
        agency_element = f"<AgencyId>{agency}</AgencyId>" if agency else ""
        user = (f"<UserId>{agency_element}<UserIdentifierValue>{card}</UserIdentifierValue>"
                "</UserId>")
    for kind, data in inputs:
        user += ("<AuthenticationInput>"
                 f"<AuthenticationInputData>{data}</AuthenticationInputData>"
                 "<AuthenticationDataFormatType>text/plain</AuthenticationDataFormatType>"
                 f"<AuthenticationInputType>{kind}</AuthenticationInputType>"
                 "</AuthenticationInput>")
    wanted = "".join(f"<UserElementType>{e}</UserElementType>" for e in elements)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<NCIPMessage xmlns="http://www.niso.org/2008/ncip" '
            'ncip:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd" '
            'xmlns:ncip="http://www.niso.org/2008/ncip">'
            f"<LookupUser>{header}{user}{wanted}</LookupUser></NCIPMessage>")


def texts(root, path: str) -> list[str]:
    """Texts at an XPath with the `n:` prefix for the NCIP namespace."""
    return [e.text for e in root.xpath(path, namespaces=NS)]


def privilege(root) -> str | None:
    """The one UserPrivilegeStatusType of a LookupUserResponse, or None."""
    found = texts(root, "//n:UserPrivilegeStatusType")
    assert len(found) <= 1
    return found[0] if found else None


def problem(root) -> tuple[str, str] | None:
    """(ProblemType, its Scheme) of the first Problem, or None."""
    found = root.xpath("//n:Problem/n:ProblemType", namespaces=NS)
    if not found:
        return None
    return found[0].text, found[0].get("{http://www.niso.org/2008/ncip}Scheme")
