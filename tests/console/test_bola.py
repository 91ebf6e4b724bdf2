"""Authorization in the console, attacked from each side on the demo federation (both databases):
a third library's staff reach nothing of Naperville's and Aurora's records, the counterparty
cannot take the other side's action, each role stays in its pages, anonymous people are sent to
sign in, and the federation office sees no library's patrons' records.
"""

import re

import pytest
from sqlalchemy import select

from app.bills.models import Bill, Resolution
from app.blocks.models import Block
from app.console.models import StaffAccount
from app.demo.service import demo_card
from app.extensions import db
from app.libraries.models import ApiKey, Library
from tests.console.conftest import THIRD_ADMIN, THIRD_CIRCULATION

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("console-bola")


def csrf(html: str) -> str:
    """The CSRF token of the page's first form."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def signed_in(site, email: str):
    """A test client signed in as `email`, and a CSRF token for its posts."""
    client = site.app.test_client()
    page = client.get("/console/sign-in").get_data(as_text=True)
    response = client.post("/console/sign-in", data={
        "csrf_token": csrf(page), "email": email, "password": site.password})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    token = csrf(client.get(response.headers["Location"], follow_redirects=True)
                 .get_data(as_text=True))
    return client, token


@pytest.fixture(scope="module")
def records(demo_site):
    """Ids of Aurora's and Naperville's records: a requested block, a bill, a key, a person."""
    with demo_site.app.app_context():
        aurora = db.session.scalar(select(Library.id).where(Library.code == "IL0029"))
        block = db.session.scalar(select(Block).where(
            Block.note == "Demo block: awaiting an answer"))
        bill = db.session.scalar(select(Bill).where(Bill.note == "Demo bill: open"))
        key = db.session.scalar(select(ApiKey.id).where(ApiKey.library_id == aurora))
        person = db.session.scalar(select(StaffAccount.id).where(
            StaffAccount.email == demo_site.env["DEMO_CIRCULATION_EMAIL"]))
        return {"block": block.id, "bill": bill.id, "key": key, "person": person}


def state(site, records) -> tuple:
    """What an attack must not change."""
    with site.app.app_context():
        db.session.expire_all()
        return (db.session.get(Block, records["block"]).status,
                db.session.get(Bill, records["bill"]).amount_paid_cents,
                db.session.get(Bill, records["bill"]).status,
                db.session.get(ApiKey, records["key"]).revoked_at,
                db.session.get(StaffAccount, records["person"]).active)


@pytest.mark.parametrize("email", [THIRD_ADMIN, THIRD_CIRCULATION])
def test_a_third_librarys_staff_reach_nothing_of_another_librarys_records(demo_site, records,
                                                                          email):
    before = state(demo_site, records)
    client, token = signed_in(demo_site, email)
    reads = [f"/console/blocks/{records['block']}", f"/console/bills/{records['bill']}"]
    for path in reads:
        response = client.get(path)
        assert response.status_code == 404, path
        text = response.get_data(as_text=True)
        assert "<h1>Not found</h1>" in text and "Naperville" not in text
    writes = [(f"/console/blocks/{records['block']}/honor", {}),
              (f"/console/blocks/{records['block']}/refuse",
               {"reason": "no", "understood": "y"}),
              (f"/console/blocks/{records['block']}/withdraw", {}),
              (f"/console/bills/{records['bill']}/payments",
               {"amount": "1.00", "paid_by": "patron"}),
              (f"/console/bills/{records['bill']}/dispute", {"reason": "no"})]
    if email == THIRD_ADMIN:
        writes += [(f"/console/staff/{records['person']}/disable", {}),
                   (f"/console/staff/{records['person']}/reset-link", {}),
                   (f"/console/keys/{records['key']}/revoke", {})]
    for path, data in writes:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 404, (path, response.status_code)
    for path in ("/console/inbox", "/console/blocks", "/console/bills"):
        text = client.get(path).get_data(as_text=True)
        assert records["block"] not in text and records["bill"] not in text
        assert "Naperville" not in text and "Aurora" not in text
    if email == THIRD_ADMIN:
        staff_page = client.get("/console/staff").get_data(as_text=True)
        assert demo_site.env["DEMO_CIRCULATION_EMAIL"] not in staff_page
        assert records["key"] not in client.get("/console/keys").get_data(as_text=True)
    assert state(demo_site, records) == before


def test_the_lender_cannot_answer_its_own_request_nor_pay_as_if_it_were_the_home(demo_site,
                                                                                 records):
    """R8: only the home library honors or refuses; only it disputes a bill."""
    before = state(demo_site, records)
    client, token = signed_in(demo_site, demo_site.env["DEMO_LENDER_CIRCULATION_EMAIL"])
    page = client.get(f"/console/blocks/{records['block']}").get_data(as_text=True)
    assert "Honor the request" not in page and "Withdraw the request" in page
    honored = client.post(f"/console/blocks/{records['block']}/honor",
                          data={"csrf_token": token})
    assert honored.status_code == 403
    assert "Only the patron&#39;s home library can honor this block" in \
        honored.get_data(as_text=True)
    disputed = client.post(f"/console/bills/{records['bill']}/dispute",
                           data={"csrf_token": token, "reason": "We dispute our own bill."})
    assert disputed.status_code == 403
    assert state(demo_site, records) == before


@pytest.mark.parametrize(("variable", "refused"), [
    ("DEMO_DESK_EMAIL", ["/console/inbox", "/console/blocks", "/console/bills",
                         "/console/staff", "/console/keys", "/console/policy",
                         "/console/office/survey", "/console/activity",
                         "/console/office/records"]),
    ("DEMO_CIRCULATION_EMAIL", ["/console/staff", "/console/keys", "/console/policy",
                                "/console/activity", "/console/office/libraries",
                                "/console/office/records"]),
    ("DEMO_OFFICE_EMAIL", ["/console/desk", "/console/inbox", "/console/blocks",
                           "/console/bills", "/console/staff", "/console/keys",
                           "/console/policy"]),
])
def test_each_role_stays_in_its_pages(demo_site, records, variable, refused):
    client, token = signed_in(demo_site, demo_site.env[variable])
    if variable != "DEMO_CIRCULATION_EMAIL":
        refused = [*refused, f"/console/blocks/{records['block']}"]
    for path in refused:
        response = client.get(path)
        assert response.status_code == 403, (variable, path)
        assert "Your role does not allow this page" in response.get_data(as_text=True)
    if variable == "DEMO_DESK_EMAIL":
        before = state(demo_site, records)
        response = client.post(f"/console/blocks/{records['block']}/honor",
                               data={"csrf_token": token})
        assert response.status_code == 403
        assert state(demo_site, records) == before


def test_anonymous_people_are_sent_to_sign_in_from_every_page(demo_site, records):
    client = demo_site.app.test_client()
    for path in ("/console/", "/console/desk", "/console/inbox", "/console/blocks",
                 f"/console/blocks/{records['block']}", f"/console/bills/{records['bill']}",
                 "/console/staff", "/console/keys", "/console/policy", "/console/activity",
                 "/console/office/libraries", "/console/office/survey"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/console/sign-in?next=")
    refused = client.post(f"/console/blocks/{records['block']}/honor")
    assert refused.status_code in (302, 400)


def test_settling_a_bill_is_for_its_two_libraries_each_on_its_side(demo_site, records):
    """R6, R8, R13 in the console: a third library's staff reach neither the bill's settling
    forms nor the two libraries' dispute (404); the home library cannot void the lender's
    bill or ask for a block from it; a library cannot accept its own proposal."""
    from app.disputes.models import LibraryDispute

    with demo_site.app.app_context():
        dispute = db.session.scalar(select(LibraryDispute.id).where(
            LibraryDispute.status == "escalated"))
    before = state(demo_site, records)
    bill = records["bill"]
    third, token = signed_in(demo_site, THIRD_CIRCULATION)
    assert third.get(f"/console/disputes/{dispute}").status_code == 404
    writes = [(f"/console/bills/{bill}/void", {"void_reason": "no"}),
              (f"/console/bills/{bill}/answer", {"answer": "no"}),
              (f"/console/bills/{bill}/resolutions", {"terms": "waiver", "detail": "no"}),
              (f"/console/bills/{bill}/resolutions/res_missing/accept", {}),
              (f"/console/bills/{bill}/disputes", {"summary": "no"}),
              (f"/console/bills/{bill}/block", {"block_card": "1", "kind": "block"}),
              (f"/console/disputes/{dispute}/message", {"body": "no"}),
              (f"/console/disputes/{dispute}/withdraw", {"body": "no"})]
    for path, data in writes:
        response = third.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 404, (path, response.status_code)
        assert "Naperville" not in response.get_data(as_text=True)

    home, token = signed_in(demo_site, demo_site.env["DEMO_CIRCULATION_EMAIL"])
    page = home.get(f"/console/bills/{bill}").get_data(as_text=True)
    assert "Void the bill" not in page and "Send the request" not in page
    voided = home.post(f"/console/bills/{bill}/void",
                       data={"csrf_token": token, "void_reason": "Not ours to void."})
    assert voided.status_code == 403
    asked = home.post(f"/console/bills/{bill}/block", data={
        "csrf_token": token, "block_card": demo_card("IL0029", 1), "kind": "block"})
    assert asked.status_code == 422
    # Aurora proposes; Aurora cannot accept its own proposal (R6: both must agree).
    proposed = home.post(f"/console/bills/{bill}/resolutions", data={
        "csrf_token": token, "terms": "replacement_copy", "detail": "A new copy."})
    assert proposed.status_code == 302
    with demo_site.app.app_context():
        proposal = db.session.scalar(select(Resolution.id).where(
            Resolution.bill_id == bill, Resolution.status == "proposed"))
    accepted = home.post(f"/console/bills/{bill}/resolutions/{proposal}/accept",
                         data={"csrf_token": token})
    assert accepted.status_code == 403
    assert "both must agree" in accepted.get_data(as_text=True)
    assert state(demo_site, records) == before
    # The demo's escalated dispute: Aurora (not its opener) may write, not withdraw.
    assert home.post(f"/console/disputes/{dispute}/withdraw",
                     data={"csrf_token": token, "body": "Withdrawn."}).status_code == 403
