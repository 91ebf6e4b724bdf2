"""Reading NCIP messages as real clients send them, safely; writing schema-valid answers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ncip import messages, rules
from app.ncip.messages import NcipProblem
from tests.ncip.ncip import NCIP_DATA, lookup_user, privilege, problem, texts, valid


def read(body: str | bytes):
    """Parse and read a LookupUser."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return messages.read_lookup_user(messages.parse(body))


CLEAN = lookup_user("20001000000001", agency="HOME")

# The variants real clients send that still say clearly which card is asked about.
VARIANTS = {
    "no namespace": (
        '<?xml version="1.0"?><NCIPMessage version="2.0"><LookupUser><UserId>'
        "<AgencyId>HOME</AgencyId><UserIdentifierValue>20001000000001</UserIdentifierValue>"
        "</UserId></LookupUser></NCIPMessage>"),
    "unqualified 2.0 version, prefixed elements": (
        '<ns1:NCIPMessage xmlns:ns1="http://www.niso.org/2008/ncip" version='
        '"http://www.niso.org/schemas/ncip/v2_0/imp1/xsd/ncip_v2_0.xsd"><ns1:LookupUser>'
        "<ns1:UserId><ns1:AgencyId>HOME</ns1:AgencyId><ns1:UserIdentifierValue>20001000000001"
        "</ns1:UserIdentifierValue></ns1:UserId></ns1:LookupUser></ns1:NCIPMessage>"),
    "no version at all": (
        '<NCIPMessage xmlns="http://www.niso.org/2008/ncip"><LookupUser><UserId>'
        "<AgencyId>HOME</AgencyId><UserIdentifierValue>20001000000001</UserIdentifierValue>"
        "</UserId></LookupUser></NCIPMessage>"),
    "elements out of order": (
        '<NCIPMessage version="2"><LookupUser><UserElementType>Name Information'
        "</UserElementType><UserId><UserIdentifierValue>20001000000001</UserIdentifierValue>"
        "<AgencyId>HOME</AgencyId></UserId><InitiationHeader><ToAgencyId><AgencyId>X"
        "</AgencyId></ToAgencyId><FromAgencyId><AgencyId>Y</AgencyId></FromAgencyId>"
        "</InitiationHeader></LookupUser></NCIPMessage>"),
    "empty elements beside the card": (
        "<NCIPMessage><LookupUser><InitiationHeader><FromAgencyId><AgencyId/></FromAgencyId>"
        "<ToAgencyId><AgencyId></AgencyId></ToAgencyId></InitiationHeader><UserId>"
        "<UserIdentifierValue/></UserId><UserId><AgencyId>HOME</AgencyId>"
        "<UserIdentifierType/><UserIdentifierValue>20001000000001</UserIdentifierValue>"
        "</UserId><LoanedItemsDesired/><Ext/></LookupUser></NCIPMessage>"),
    "extra whitespace and line breaks": (
        "\n\n  <?xml version='1.0' encoding='UTF-8'?>\r\n<NCIPMessage>\n\t<LookupUser>\n"
        "\t\t<UserId>\n\t\t\t<AgencyId>\n HOME \n</AgencyId>\n\t\t\t<UserIdentifierValue>"
        "\n   20001000000001   \n</UserIdentifierValue>\n\t\t</UserId>\n\t</LookupUser>\n"
        "</NCIPMessage>\n\n"),
    "byte-order mark": "\ufeff" + CLEAN,
    "ISO-8859-1 declaration": CLEAN.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
    "Barcode Id authentication input": lookup_user(
        None, inputs=(("Barcode Id", "20001000000001"),)).replace(
        "<LookupUser>", "<LookupUser><UserId><AgencyId>HOME</AgencyId>"
        "<UserIdentifierValue/></UserId>"),
    "NCIP 1 DOCTYPE and UniqueAgencyId shape": (
        '<!DOCTYPE NCIPMessage PUBLIC "-//NISO//NCIP DTD Version 1.0//EN" '
        '"http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">'
        '<NCIPMessage version="http://www.niso.org/ncip/v1_0/imp1/dtd/ncip_v1_0.dtd">'
        "<LookupUser><UserId><UniqueAgencyId><Scheme>x</Scheme><Value>HOME</Value>"
        "</UniqueAgencyId><UserIdentifierValue>20001000000001</UserIdentifierValue></UserId>"
        "</LookupUser></NCIPMessage>"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_client_variants_that_leave_the_meaning_clear_are_read(name):
    """Tolerance: every variant gives the same card and the home AgencyId."""
    body = VARIANTS[name]
    if name == "ISO-8859-1 declaration":
        body = body.encode("iso-8859-1")
    request = read(body)
    assert request.card == "20001000000001"
    assert request.agency_ids[0] == "HOME"
    assert request.secret_input is None


def test_an_iso_8859_1_message_keeps_its_accented_agency_names():
    """The declared encoding is honoured, not assumed UTF-8."""
    body = lookup_user("20001000000001", from_agency="Bibliothèque", to_agency="Zoë")
    request = read(body.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
                   .encode("iso-8859-1"))
    assert (request.from_agency, request.to_agency) == ("Bibliothèque", "Zoë")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<NCIPMessage><LookupUser><UserId><UserIdentifierValue>&lol9;</UserIdentifierValue></UserId>
</LookupUser></NCIPMessage>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE NCIPMessage [<!ENTITY card SYSTEM "file:///etc/hostname">]>
<NCIPMessage><LookupUser><UserId><UserIdentifierValue>&card;</UserIdentifierValue></UserId>
</LookupUser></NCIPMessage>"""

EXTERNAL_DTD_PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE NCIPMessage [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<NCIPMessage><LookupUser/></NCIPMessage>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD_PARAMETER],
                         ids=["billion-laughs", "external-entity", "external-parameter-entity"])
def test_entity_declarations_are_refused_before_anything_expands_or_is_fetched(body):
    """Safe parsing: a Problem, no expansion, no file or network read."""
    with pytest.raises(NcipProblem) as caught:
        read(body)
    assert caught.value.problem_type == "Invalid Message Syntax Error"
    assert caught.value.status == 400


@pytest.mark.parametrize("body, expected", [
    (b"", "Invalid Message Syntax Error"),
    (b"not xml at all", "Invalid Message Syntax Error"),
    (b"<NCIPMessage><LookupUser>", "Invalid Message Syntax Error"),
    (b"\xff\xfe\x00garbage\x00\x00", "Invalid Message Syntax Error"),
    (b'<?xml version="1.0" encoding="x-no-such"?><a/>', "Invalid Message Syntax Error"),
    (b"<Patron><Card>1</Card></Patron>", "Invalid Message Syntax Error"),
    (b"<NCIPMessage/>", "Invalid Message Syntax Error"),
    (b"<NCIPMessage><CheckOutItem/></NCIPMessage>", "Unsupported Service"),
    (b"<NCIPMessage><Frobnicate/></NCIPMessage>", "Unsupported Service"),
])
def test_unclear_messages_are_problems_not_crashes(body, expected):
    """What does not say clearly what is asked answers a Problem."""
    with pytest.raises(NcipProblem) as caught:
        read(body)
    assert caught.value.problem_type == expected
    valid(messages.problem_message(caught.value, service=None))


@pytest.mark.parametrize("path", sorted(p.name for p in NCIP_DATA.glob("samples/*.xml")
                                        if not p.name.startswith("LookupUser")))
def test_every_other_sample_service_is_unsupported(path):
    """AcceptItem, CheckOutItem, RequestItem, responses...: Unsupported Service, named."""
    with pytest.raises(NcipProblem) as caught:
        read((NCIP_DATA / "samples" / path).read_bytes())
    assert caught.value.problem_type == "Unsupported Service"
    assert caught.value.scheme == rules.GENERAL
    root = valid(messages.problem_message(caught.value, service=None))
    assert texts(root, "//n:ProblemValue") == [caught.value.value]


def test_the_sample_lookup_user_reads_its_barcode_and_notes_the_password():
    """The published sample: the Barcode Id is the card; its Password cannot be checked."""
    request = read((NCIP_DATA / "samples" / "LookupUserSample1.xml").read_bytes())
    assert request.card == "98765432"
    assert request.secret_input == "Password"


@pytest.mark.parametrize("decision, reasons, status, blocks", [
    ("eligible", (), "Active", []),
    ("not_eligible", ("expired",), "Expired", ["Card Expired"]),
    ("not_eligible", ("home_block",), "Blocked", ["Blocked By Home Library"]),
    ("not_eligible", ("home_block", "expired"), "Blocked",
     ["Blocked By Home Library", "Card Expired"]),
    ("not_eligible", ("card_replaced",), "Blocked", ["Card Replaced"]),
    ("not_eligible", ("home_not_participating",), "Blocked",
     ["Home Library Not Participating"]),
    ("not_eligible", ("suspended_by_you",), "Blocked", ["Service Suspended By Your Library"]),
    ("not_eligible", ("federation_block", "delinquent"), "Blocked",
     ["Federation Block", "Contact Home Library: Delinquent"]),
    ("refer", ("delinquent",), "Contact Home Library",
     ["Contact Home Library", "Contact Home Library: Delinquent"]),
])
def test_the_mapping_table(decision, reasons, status, blocks):
    """R2, R14: each decision and reason in NCIP words; the answer is schema-valid."""
    assert rules.privilege_status(decision, reasons) == status
    assert rules.blocks(decision, reasons) == blocks
    assert not rules.is_unknown_user(decision, reasons)
    body = messages.lookup_user_response(
        messages.LookupUserRequest(from_agency="A", to_agency="B"), "123", "HOME", status,
        blocks, "2030-01-31T23:59:59", "advice")
    root = valid(body)
    assert privilege(root) == status
    assert texts(root, "//n:BlockOrTrapType") == blocks
    assert texts(root, "//n:ResponseHeader/n:ToAgencyId/n:AgencyId") == ["A"]


def test_an_unknown_card_is_the_unknown_user_problem():
    """R14: unknown_card is NCIP's Unknown User, in a valid LookupUserResponse."""
    assert rules.is_unknown_user("refer", ("unknown_card",))
    error = NcipProblem("Unknown User", rules.LOOKUP_USER, "Contact HOME.")
    root = valid(messages.problem_message(error))
    assert problem(root) == ("Unknown User", rules.LOOKUP_USER)


SERVICE_WORDS = st.sampled_from(["NCIPMessage", "LookupUser", "UserId", "UserIdentifierValue",
                                 "AgencyId", "AuthenticationInput", "AuthenticationInputType",
                                 "AuthenticationInputData", "InitiationHeader", "Ext", "x"])


@st.composite
def xmlish(draw):
    """Nested elements with NCIP's names in random order, text, and stray bytes."""
    def element(depth):
        name = draw(SERVICE_WORDS)
        if depth > 3 or draw(st.booleans()):
            return f"<{name}>{draw(st.text(max_size=20))}</{name}>"
        children = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3))))
        return f"<{name}>{children}</{name}>"
    text = element(0)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut]
    return text.encode("utf-8") + draw(st.binary(max_size=8))


@given(body=st.one_of(st.binary(max_size=200), xmlish()))
def test_any_body_reads_as_a_request_or_an_ncip_problem_never_an_exception(body):
    """Fuzz: the only failure the reader has is an NcipProblem, whose answer is valid."""
    try:
        request = read(body)
    except NcipProblem as error:
        valid(messages.problem_message(error))
    else:
        assert request.card is None or request.card.strip() == request.card
