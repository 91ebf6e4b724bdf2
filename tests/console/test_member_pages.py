"""The console's forms for patrons, rosters, bills and statements, on the demo federation (both
databases): each shows the API's own rule errors next to the field, and no card number ever
comes back in a page or an address (R16)."""

import io
import re

import pytest

from app.demo.service import demo_card
from tests.console.test_bola import signed_in
from tests.dates import days_ago

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("console-member-pages")


def field_error(html: str, field_id: str) -> str:
    """The error shown under a field."""
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]+)<', html)
    return match.group(1) if match else ""


def verify(site, card: str) -> dict:
    """The lender's verification of a card, through the API."""
    client = site.app.test_client()
    return client.post("/api/v1/verifications", json={"card_number": card}, headers={
        "Authorization": f"Bearer {site.env['DEMO_LENDER_KEY']}"}).get_json()


def test_circulation_registers_finds_changes_and_replaces_a_patrons_card(demo_site):
    client, csrf = signed_in(demo_site, demo_site.env["DEMO_CIRCULATION_EMAIL"])
    # The page's forms have prefixes (find-, new-, edit-, card-), their tokens too.
    tokens = {f"{prefix}-csrf_token": csrf for prefix in ("find", "new", "edit", "card")}
    card, new_card = "20029 7777 0001", "20029-7777-0002"
    refused = client.post("/console/patrons", data={
        **tokens, "intent": "register", "new-card_number": card,
        "new-expires_on": "2030-06-30", "new-standing": "good",
        "new-block_reasons": "fines"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(page, "new-block_reasons") == "Only a blocked patron has block reasons."
    assert "7777" not in page  # the number typed is not sent back
    created = client.post("/console/patrons", data={
        **tokens, "intent": "register", "new-card_number": card,
        "new-expires_on": "2030-06-30", "new-standing": "good", "new-surname": "Lindqvist",
        "new-external_ref": "P-77"})
    assert created.status_code == 302
    patron_url = created.headers["Location"]
    assert "7777" not in patron_url and patron_url.startswith("/console/patrons/pat_")
    assert verify(demo_site, card)["decision"] == "eligible"

    found = client.post("/console/patrons", data={**tokens, "intent": "lookup",
                                                  "find-card_number": card})
    assert found.headers["Location"] == patron_url
    missing = client.post("/console/patrons", data={**tokens, "intent": "lookup",
                                                    "find-card_number": "20029 0000 0000 9"})
    assert field_error(missing.get_data(as_text=True), "find-card_number") == \
        "You have no patron with this card."

    changed = client.post(patron_url, data={
        **tokens, "intent": "change", "edit-expires_on": "2030-06-30",
        "edit-standing": "blocked", "edit-block_reasons": "fines"})
    assert changed.status_code == 302
    assert verify(demo_site, card)["reasons"] == ["home_block"]
    replaced = client.post(patron_url, data={**tokens, "intent": "replace",
                                             "card-new_card_number": new_card})
    assert replaced.status_code == 302
    assert verify(demo_site, card)["reasons"] == ["card_replaced"]
    page = client.get(patron_url).get_data(as_text=True)
    assert "Patron with card ending 0002" in page and "P-77" in page
    again = client.post(patron_url, data={**tokens, "intent": "replace",
                                          "card-new_card_number": new_card})
    assert "already the patron&#39;s card" in again.get_data(as_text=True)


def test_a_roster_upload_says_what_it_did_and_which_lines_it_rejected(demo_site):
    client, token = signed_in(demo_site, demo_site.env["DEMO_CIRCULATION_EMAIL"])
    roster = ("card_number,expires_on,standing,block_reasons,surname,external_ref\n"
              "20029-8888-0001,2030-06-30,good,,Okafor,R-1\n"
              "not a card!,2030-06-30,good,,Bad,R-2\n"
              "20029-8888-0003,2030-06-30,blocked,fines,Reyes,R-3\n")
    response = client.post("/console/patrons/import", data={
        "csrf_token": token, "roster": (io.BytesIO(roster.encode()), "roster.csv")},
        content_type="multipart/form-data")
    page = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 200
    assert "roster.csv: <strong>2</strong> registered, <strong>0</strong> updated, " \
           "<strong>0</strong> unchanged, <strong>1</strong> rejected." in page
    assert "<td>3</td><td>A card number holds only letters and digits" in page
    assert verify(demo_site, "20029-8888-0003")["reasons"] == ["home_block"]


def test_a_bill_shows_its_deadline_and_the_fee_cap_and_the_rules_errors_by_the_field(demo_site):
    client, token = signed_in(demo_site, demo_site.env["DEMO_LENDER_CIRCULATION_EMAIL"])
    form = client.get("/console/bills/new").get_data(as_text=True)
    assert "Your published processing fee for lost materials is <strong>$10.00</strong>" in form
    item = {"csrf_token": token, "card_number": demo_card("IL0029", 1),
            "title": "Old Atlas", "barcode": "31234000999", "format": "book", "kind": "lost"}
    old = days_ago(400).isoformat()
    checked = client.post("/console/bills/new", data={**item, "infraction_date": old,
                                                      "intent": "check", "in_print": "y"})
    assert "Too late: the deadline for that day was" in checked.get_data(as_text=True)
    late = client.post("/console/bills/new", data={**item, "infraction_date": old,
                                                   "intent": "issue", "in_print": "y",
                                                   "list_price": "35.00"})
    assert late.status_code == 422
    assert field_error(late.get_data(as_text=True), "infraction_date").startswith(
        "The deadline was")
    recent = days_ago(3).isoformat()
    above = client.post("/console/bills/new", data={
        **item, "infraction_date": recent, "intent": "issue", "list_price": "18.00",
        "equivalent_title": "New Atlas", "processing_fee": "12.00"})
    assert above.status_code == 422
    assert "processing_fee" in re.findall(r'id="([a-z_]+)-error"', above.get_data(as_text=True))
    assert demo_card("IL0029", 1) not in above.get_data(as_text=True)
    issued = client.post("/console/bills/new", data={
        **item, "infraction_date": recent, "intent": "issue", "in_print": "y",
        "list_price": "35.00"})
    assert issued.status_code == 302 and issued.headers["Location"].startswith(
        "/console/bills/bil_")
    bill = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert "Bill sent to the home library for $35.00." in bill


def test_a_quarters_statement_reads_as_a_table_and_downloads_as_csv(demo_site):
    client, _ = signed_in(demo_site, demo_site.env["DEMO_CIRCULATION_EMAIL"])
    page = client.get("/console/statements").get_data(as_text=True)
    assert "Naperville Public Library (IL0368)" in page
    period = re.search(r"<h1>Statement for (\d{4}-Q\d)</h1>", page).group(1)
    download = client.get(f"/console/statements?period={period}&format=csv")
    assert download.mimetype == "text/csv"
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0].startswith("period,library,name,billed_by_you_cents")
    assert lines[1].startswith(f"{period},IL0368,Naperville Public Library,")


def test_the_office_admits_a_library_changes_its_membership_and_issues_it_a_key(demo_site):
    client, token = signed_in(demo_site, demo_site.env["DEMO_OFFICE_EMAIL"])
    tokens = {"csrf_token": token, "m-csrf_token": token, "k-csrf_token": token}
    refused = client.post("/console/office/libraries/new", data={
        **tokens, "code": "IL9001", "name": "Prairie Branch Library", "type": "public",
        "membership": "full", "card_prefixes": "20029"})
    assert refused.status_code == 409
    assert "The card prefix 20029 already identifies IL0029." in refused.get_data(as_text=True)
    admitted = client.post("/console/office/libraries/new", data={
        **tokens, "code": "il9001", "name": "Prairie Branch Library", "type": "public",
        "membership": "full", "card_prefixes": "29001, 29002", "email": "desk@prairie.example"})
    assert admitted.headers["Location"] == "/console/office/libraries/IL9001"
    page = client.get("/console/office/libraries/IL9001").get_data(as_text=True)
    assert "29001, 29002" in page and "Takes part in reciprocal borrowing</dt><dd>Yes" in page
    issued = client.post("/console/office/libraries/IL9001", data={
        **tokens, "intent": "key", "k-label": "ILS", "k-scope": "read"})
    key = re.search(r'id="new-key">([^<]+)<', issued.get_data(as_text=True)).group(1)
    api = demo_site.app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/bills", headers=headers).status_code == 200
    assert api.post("/api/v1/patrons", headers=headers, json={
        "card_number": "29001 0001", "expires_on": "2030-01-01"}).status_code == 403
    out = client.post("/console/office/libraries/IL9001", data={
        **tokens, "intent": "membership", "m-type": "public", "m-membership": "full"})
    assert out.status_code == 302  # active unticked: taken out of the federation (R1)
    assert api.get("/api/v1/bills", headers=headers).status_code == 401
