"""POST /ncip over HTTP: LookupUser answered as verification answers (R2, R14-R16, R19)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ncip import rules
from app.verification.models import VerificationCount
from tests.ncip.ncip import NCIP_DATA, lookup_user, privilege, problem, texts, valid
from tests.ncip.test_messages import BILLION_LAUGHS, EXTERNAL_ENTITY, VARIANTS

XML = "application/xml"


@pytest.fixture
def fed(federation):
    """HOME (prefix 20001) registers patrons; LEND's ILL manager asks over NCIP."""
    federation.admit("HOME", prefixes=["20001"], name="Home Public Library")
    federation.admit("LEND", prefixes=["20002"])
    federation.admit("NOPREFIX")
    federation.register("HOME", "20001000000001", expires_on="2099-01-31",
                        surname="Kowalski", external_ref="SECRET-REF", category="adult")
    federation.register("HOME", "20001000000002", standing="blocked", block_reasons=["fines"])
    federation.register("HOME", "20001000000003", expires_on="2001-01-01")
    federation.register("NOPREFIX", "77000001")
    return federation


def ask(fed, body, *, key="LEND", content_type=XML, headers=None):
    """POST a message; return (response, parsed root after schema validation)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    sent = dict(fed.headers(key)) if key else {}
    sent.update(headers or {})
    response = fed.client.post("/ncip", data=body, content_type=content_type, headers=sent)
    assert response.mimetype == XML
    return response, valid(response.get_data())


def test_each_decision_gets_its_ncip_answer_and_matches_json_verification(fed):
    """Active, Blocked, Expired, Unknown User: as POST /api/v1/verifications decides."""
    expected = {"20001000000001": ("eligible", "Active", []),
                "20001000000002": ("not_eligible", "Blocked", ["Blocked By Home Library"]),
                "20001000000003": ("not_eligible", "Expired", ["Card Expired"])}
    for card, (decision, status, blocks) in expected.items():
        response, root = ask(fed, lookup_user(card))
        assert response.status_code == 200
        assert fed.verify("LEND", card).get_json()["decision"] == decision
        assert privilege(root) == status and problem(root) is None
        assert texts(root, "//n:BlockOrTrapType") == blocks
        assert texts(root, "//n:UserId/n:UserIdentifierValue") == [card]
        assert texts(root, "//n:UserPrivilege/n:AgencyId") == ["HOME"]
        advice = fed.verify("LEND", card).get_json()["advice"]
        assert texts(root, "//n:UserPrivilegeDescription") == [advice]
    response, root = ask(fed, lookup_user("20001000000099"))
    assert response.status_code == 200
    assert problem(root) == ("Unknown User", rules.LOOKUP_USER)
    assert "Contact Home Public Library at 555-0100 or home@example.org" in texts(
        root, "//n:ProblemDetail")[0]
    assert root.xpath("//n:LookupUserResponse/n:Problem", namespaces={
        "n": "http://www.niso.org/2008/ncip"})


def check_name_and_address_are_left_out(fed):
    """R16: Name/Address Information asked for, not sent, not an error; no surname or ref."""
    body = lookup_user("20001000000001", elements=("Name Information",
                                                   "User Address Information",
                                                   "Date Of Birth", "Block Or Trap"))
    body = body.replace("</LookupUser>", "<LoanedItemsDesired/><RequestedItemsDesired/>"
                                         "<UserFiscalAccountDesired/></LookupUser>")
    response, root = ask(fed, body)
    assert privilege(root) == "Active"
    text = response.get_data(as_text=True)
    for absent in ("NameInformation", "UserAddressInformation", "DateOfBirth", "LoanedItem",
                   "UserFiscalAccount", "Kowalski", "SECRET-REF", "adult", "pat_"):
        assert absent not in text


def check_key_in_from_agency_authentication(fed):
    """For clients that cannot set a header; the response header swaps the agencies."""
    response, root = ask(fed, lookup_user("20001000000001", key=fed.keys["LEND"]), key=None)
    assert response.status_code == 200 and privilege(root) == "Active"
    assert texts(root, "//n:ResponseHeader/n:FromAgencyId/n:AgencyId") == ["RECIPROCITY"]
    assert texts(root, "//n:ResponseHeader/n:ToAgencyId/n:AgencyId") == ["ILLIAD-LEND"]


def check_unknown_or_missing_keys(fed):
    """Documented: HTTP 401 plus the NCIP Problem, nothing verified, nothing counted."""
    bogus = "rcp_" + "x" * 43
    for where in ("header", "message", "none"):
        body = lookup_user("20001000000001", key=bogus if where == "message" else None)
        headers = {"Authorization": f"Bearer {bogus}"} if where == "header" else {}
        response, root = ask(fed, body, key=None, headers=headers)
        assert response.status_code == 401, where
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert problem(root) == ("Agency Authentication Failed", rules.GENERAL)
    with fed.app.app_context():
        assert db.session.execute(select(VerificationCount)).first() is None


def test_keys_unknown_missing_revoked_or_the_offices_are_refused(fed):
    """Unknown or missing: 401; the office's key is no library's: 403; revoked: 401."""
    check_unknown_or_missing_keys(fed)
    response, root = ask(fed, lookup_user("20001000000001"), key=None)  # the office
    assert response.status_code == 401
    response, root = ask(fed, lookup_user("20001000000001"), key=None,
                         headers=fed.headers())
    assert response.status_code == 403
    assert problem(root) == ("Unauthorized Service For Agency", rules.GENERAL)
    keys = fed.client.get("/api/v1/libraries/LEND/keys", headers=fed.headers()).get_json()
    fed.client.delete(f"/api/v1/libraries/LEND/keys/{keys[0]['id']}", headers=fed.headers())
    response, root = ask(fed, lookup_user("20001000000001"))
    assert response.status_code == 401


def test_the_home_comes_from_a_member_agency_id_and_other_agency_ids_are_ignored(fed):
    """R15: UserId AgencyId naming a member; an ILL system's own name is ignored.

    The key here travels in FromAgencyAuthentication, for clients that cannot set a header.
    """
    check_key_in_from_agency_authentication(fed)
    response, root = ask(fed, lookup_user("77000001", agency="NOPREFIX"))
    assert privilege(root) == "Active"
    assert texts(root, "//n:UserPrivilege/n:AgencyId") == ["NOPREFIX"]
    response, root = ask(fed, lookup_user("77000001", to_agency="nopreFix"))
    assert privilege(root) == "Active"
    response, root = ask(fed, lookup_user("20001000000001", agency="Relais ILL",
                                          to_agency="Some University"))
    assert privilege(root) == "Active"
    response, root = ask(fed, lookup_user("77000001", agency="OCLC-XYZ"))
    assert response.status_code == 200
    assert problem(root) == ("Needed Data Missing", rules.GENERAL)
    assert texts(root, "//n:ProblemElement") == ["UserId/AgencyId"]


def check_pins_and_passwords(fed):
    """The federation holds no PINs (R16): a Problem naming the input, never Active."""
    body = lookup_user(None, inputs=(("Barcode Id", "20001000000001"), ("PIN", "1234")))
    response, root = ask(fed, body)
    assert response.status_code == 200
    assert problem(root) == ("Unknown Value From Known Scheme", rules.MESSAGING)
    assert texts(root, "//n:ProblemValue") == ["PIN"]
    assert "1234" not in response.get_data(as_text=True)
    response, root = ask(fed, (NCIP_DATA / "samples" / "LookupUserSample1.xml").read_bytes())
    assert texts(root, "//n:ProblemValue") == ["Password"]
    body = lookup_user(None, inputs=(("Barcode Id", "20001000000001"),))
    response, root = ask(fed, body)
    assert privilege(root) == "Active"


def test_every_tolerated_variant_is_answered_over_http(fed):
    """The client variants of test_messages, end to end: each one Active for the good card.

    And a PIN or password: the federation holds none (R16), so a Problem, never Active.
    Other services and bad bodies: NCIP Problems with their statuses, never a 500.
    """
    check_pins_and_passwords(fed)
    check_other_services_and_bad_bodies(fed)
    for name, body in VARIANTS.items():
        data = body.encode("iso-8859-1" if name == "ISO-8859-1 declaration" else "utf-8")
        response, root = ask(fed, data, content_type="text/xml; charset=UTF-8")
        assert response.status_code == 200, name
        assert privilege(root) == "Active", name


def check_other_services_and_bad_bodies(fed):
    """Unsupported Service (200), syntax (400), media type (415), size (413)."""
    sample = (NCIP_DATA / "samples" / "CheckOutItemSample1.xml").read_bytes()
    response, root = ask(fed, sample)
    assert response.status_code == 200
    assert problem(root) == ("Unsupported Service", rules.GENERAL)
    for body in (BILLION_LAUGHS, EXTERNAL_ENTITY, "<<<", "", "\x00\x01garbage"):
        response, root = ask(fed, body)
        assert response.status_code == 400, body
        assert problem(root) == ("Invalid Message Syntax Error", rules.MESSAGING)
    response, root = ask(fed, '{"card_number": "20001000000001"}',
                         content_type="application/json")
    assert response.status_code == 415
    huge = lookup_user("20001000000001").replace("</LookupUser>",
                                                 "<Ext>" + "x" * 70_000 + "</Ext></LookupUser>")
    response, root = ask(fed, huge)
    assert response.status_code == 413
    response, root = ask(fed, lookup_user("!!!"))
    assert problem(root) == ("Unknown User", rules.LOOKUP_USER)
    response, root = ask(fed, lookup_user(None))
    assert problem(root) == ("Needed Data Missing", rules.GENERAL)


def test_lookups_count_for_the_traffic_survey_like_verifications(fed):
    """R19: the same counting; an NCIP lookup and a JSON verification add to one row.

    Also R16: Name/Address Information asked for is left out (not an error).
    """
    check_name_and_address_are_left_out(fed)
    ask(fed, lookup_user("20001000000001"))
    ask(fed, lookup_user("20001000000002"))
    ask(fed, lookup_user("20001000000099"))
    fed.verify("LEND", "20001000000001")
    with fed.app.app_context():
        row = db.session.execute(select(VerificationCount)).scalar_one()
        assert (row.eligible, row.not_eligible, row.refer) == (3, 1, 1)


class TestRateLimit:
    """The same per-key bucket as POST /api/v1/verifications."""

    @pytest.fixture
    def app_config(self):
        return {"VERIFY_RATE_LIMIT": 3, "RATELIMIT_ENABLED": True}

    def test_ncip_and_json_verification_share_the_keys_limit(self, fed):
        """Two JSON verifications and one lookup use the burst; the next lookup waits."""
        assert fed.verify("LEND", "20001000000001").status_code == 200
        assert fed.verify("LEND", "20001000000001").status_code == 200
        response, root = ask(fed, lookup_user("20001000000001"))
        assert privilege(root) == "Active"
        response, root = ask(fed, lookup_user("20001000000001"))
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
        assert problem(root) == ("Temporary Processing Failure", rules.GENERAL)
        assert fed.verify("LEND", "20001000000001").status_code == 429
