"""Membership actions (Plan VIII.2.c, R1): the federation office takes a library out of full
membership or reinstates it, with a reason and what the library must do. The library is told
in writing (a letter, mailed, copy to the office); its counterparties see the effect through
the rules: its cards answer `home_not_participating`, its own verifications are refused
`not_participating`. Only the office acts; only the office and the library see the actions."""

import re

from federation import Client, Letter, MembershipAction, ProblemError
from tests.mail.conftest import OFFICE, app_config, deliver, inbox, smtp  # noqa: F401
from tests.notices.conftest import Between
from tests.problems import assert_problem
from tests.smtp_server import pdf_attachment, pdf_text

REMOVE = {"action": "removed", "reason": "Annual statistics not filed for two years.",
          "requirements": "File the FY2025 and FY2026 statistics with the office."}


def act(between, body: dict, code: str | None = None, library: str = "HOME"):
    """POST a membership action on `library` as `code` (None: the office)."""
    return between.call("POST", f"/libraries/{library}/membership-actions", code, json=body)


def test_taking_a_library_out_of_full_membership_stops_its_cards_and_its_desk(
        federation, inbox, app):
    """R1: out of full membership, HOME's cards answer `home_not_participating` at LEND and
    HOME's own desk is refused `not_participating`; reinstated, both work again."""
    between = Between(federation)
    federation.register("LEND", "2000200000099")
    assert between.verify("LEND")["decision"] == "eligible"

    response = act(between, REMOVE)
    assert response.status_code == 201, response.get_json()
    action = response.get_json()
    assert (action["library"], action["action"]) == ("HOME", "removed")
    assert action["membership_before"] == "full"
    home = between.call("GET", "/libraries/HOME", "LEND").get_json()
    assert (home["membership"], home["reciprocal_borrowing"]) == ("associate", False)

    answer = between.verify("LEND")
    assert answer["decision"] == "not_eligible"
    assert "home_not_participating" in answer["reasons"]
    assert_problem(federation.verify("HOME", "2000200000099"), 403, "not_participating")

    # Told in writing: a letter to HOME's contact address, copy to the office.
    deliver(app)
    [message] = [m for m in inbox.to("home@example.org") if "removal" in m["Subject"]]
    assert message["Cc"] == OFFICE
    text = re.sub(r"\s+", " ", pdf_text(pdf_attachment(message)[1]))
    assert "Notice of removal from full membership" in text
    assert "Home Public Library (HOME)" in text and "1 Main St" in text
    assert "now an associate member" in text
    assert "Annual statistics not filed for two years." in text
    assert "File the FY2025 and FY2026 statistics with the office." in text
    assert inbox.to("lend@example.org") == []  # counterparties learn it through the rules

    assert [t for t, _ in between.events("HOME") if t.startswith("membership.")] == \
        ["membership.removed"]
    assert [t for t, _ in between.events(None) if t.startswith("membership.")] == \
        ["membership.removed"]
    assert not [t for t, _ in between.events("LEND") if t.startswith("membership.")]

    back = act(between, {"action": "reinstated", "reason": "Statistics filed."})
    assert back.status_code == 201, back.get_json()
    home = between.call("GET", "/libraries/HOME", "LEND").get_json()
    assert (home["membership"], home["reciprocal_borrowing"]) == ("full", True)
    assert between.verify("LEND")["decision"] == "eligible"
    assert federation.verify("HOME", "2000200000099").status_code == 200
    listed = between.call("GET", "/libraries/HOME/membership-actions", "HOME").get_json()
    assert [a["action"] for a in listed] == ["reinstated", "removed"]


def test_only_the_office_acts_and_only_it_and_the_library_see_the_actions(federation, inbox):
    """Plan VIII.2.c is the office's: members are refused, another library sees nothing."""
    between = Between(federation)
    for code in ("HOME", "LEND"):
        assert_problem(act(between, REMOVE, code), 403, "forbidden_role")
    assert act(between, REMOVE, "anonymous").status_code == 401
    assert act(between, REMOVE).status_code == 201
    assert_problem(act(between, REMOVE), 409, "membership_conflict")  # already out
    assert_problem(act(between, {"action": "reinstated", "reason": "x"}, library="LEND"),
                   409, "membership_conflict")  # never taken out
    assert_problem(act(between, {"action": "expel", "reason": "x"}), 422,
                   "validation_failed")
    assert_problem(between.call("GET", "/libraries/HOME/membership-actions", "LEND"), 403,
                   "not_your_library")
    assert between.call("GET", "/libraries/HOME/membership-actions", None).status_code == 200
    assert_problem(act(between, REMOVE, library="NOPE"), 404, "library_not_found")


def test_membership_actions_and_letters_through_the_sdk(federation, live_server, inbox):
    """The office acts with the SDK; the library reads its letter's PDF with it."""
    Between(federation)
    office = Client(live_server, federation.admin_key, timeout=10)
    home = Client(live_server, federation.keys["HOME"], timeout=10)
    action = office.act_on_membership("HOME", "removed", REMOVE["reason"],
                                      requirements=REMOVE["requirements"])
    assert isinstance(action, MembershipAction) and action.action == "removed"
    assert [a.id for a in home.membership_actions("HOME")] == [action.id]
    [letter] = list(home.letters())
    assert isinstance(letter, Letter) and letter.subject_id == action.id
    assert letter.libraries == ("HOME",)
    assert "Annual statistics" in pdf_text(home.letter_pdf(letter.reference))
    try:
        Client(live_server, federation.keys["LEND"], timeout=10).letter_pdf(letter.reference)
    except ProblemError as problem:
        assert problem.status == 404
    else:
        raise AssertionError("another library read the letter")
