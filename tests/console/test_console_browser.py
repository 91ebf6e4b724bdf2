"""Each role's work in the staff console, in Debian's Chromium, on the demo federation (trimmed),
on SQLite and PostgreSQL: the desk checks every demo card; circulation honors a block request
and the lender's next verification says federation_block; a library administrator publishes a
policy with a violation, sees it inline, fixes it, and the directory shows it; an administrator
issues a verification-only key; the office reads the survey chart. Every page is checked with
axe-core (no serious or critical violation) at desktop and phone width.
"""

import os
from pathlib import Path

import pytest
import requests

from app.demo.service import demo_card
from tests.console.conftest import (
    assert_no_card_in_url_or_title,
    axe_violations,
    sign_in,
)
from tests.dates import days_ago

# The module's servers are started once, on one worker.
pytestmark = pytest.mark.xdist_group("console-browser")

DEMO_CARDS = {
    # variable: (decision word on the page, a reason's words)
    "DEMO_CARD_GOOD": ("Lend", None),
    "DEMO_CARD_BLOCKED": ("Do not lend", "The home library has blocked this account."),
    "DEMO_CARD_EXPIRED": ("Do not lend", "The card has expired"),
    "DEMO_CARD_REPLACED": ("Do not lend", "This card was replaced by a newer one"),
    "DEMO_CARD_INACTIVE_HOME": ("Do not lend", "does not take part in reciprocal borrowing"),
    "DEMO_CARD_UNKNOWN": ("Check first", "has not registered this card"),
    "DEMO_CARD_FEDERATION_BLOCK": ("Do not lend", "A block requested through the federation"),
    "DEMO_CARD_DELINQUENT": ("Check first", "marked this patron delinquent"),
}
# Set CONSOLE_SCREENSHOTS to a folder to keep a screenshot of every page at both widths.
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


@pytest.fixture
def browser_page(chromium):
    """A desktop-sized page with JavaScript on."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def cards(site) -> list[str]:
    """Every demo card number, to check none leaks into a URL or a title."""
    return [site.env[name] for name in DEMO_CARDS]


def check_page(page, site, axe_source, name: str) -> None:
    """axe-core clean, one h1, a main landmark, no card in the URL or title."""
    assert page.locator("h1").count() == 1, name
    assert page.locator("main").count() == 1
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title().endswith("· Reciprocity")
    assert_no_card_in_url_or_title(page, cards(site))
    assert axe_violations(page, axe_source) == [], name
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


def test_the_desk_checks_each_demo_card_and_sees_each_decision(demo_site, browser_page,
                                                               axe_source):
    """Every README decision on the desk page, in words and colour, with the home's contact."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_DESK_EMAIL"], demo_site.password)
    assert page.locator("h1").inner_text() == "Check a visitor's card"
    # Naperville's own published caps for visiting patrons are on the page.
    assert "Patrons of other member libraries may borrow here" in \
        page.locator(".caps").inner_text()
    for variable, (word, reason) in DEMO_CARDS.items():
        card = demo_site.env[variable]
        box = page.get_by_label("Card number")
        # The box has the focus, as a scanner needs: it types the digits and Enter.
        assert page.evaluate("document.activeElement.id") == "card_number"
        box.type(card)
        box.press("Enter")
        page.wait_for_load_state()
        decision = page.locator("#decision")
        assert decision.locator(".word").inner_text().endswith(word), variable
        assert "Aurora Public Library" in page.locator(".home").inner_text() or \
            variable == "DEMO_CARD_INACTIVE_HOME"
        if reason:
            assert reason in page.locator(".reasons").inner_text(), variable
        assert f"Card ending {card[-4:]}" in page.locator(".result").inner_text()
        # The number is not sent back: the box is empty and focused for the next card.
        assert box.input_value() == ""
        assert card not in page.content()
        assert_no_card_in_url_or_title(page, [card])
    check_page(page, demo_site, axe_source, "desk-answer")
    page.get_by_label("Card number").fill(demo_site.env["DEMO_CARD_GOOD"])
    page.get_by_label("Surname (optional)").fill("Smith-Nobody")
    page.get_by_role("button", name="Check the card").click()
    assert page.locator("#decision .word").inner_text().endswith("Check first")
    assert "surname given does not match" in page.locator(".reasons").inner_text()


def test_the_desk_works_without_javascript(demo_site, chromium):
    """A plain form post: the answer comes back the same with script off."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, demo_site.root, demo_site.env["DEMO_DESK_EMAIL"], demo_site.password)
    page.get_by_label("Card number").fill(demo_site.env["DEMO_CARD_BLOCKED"])
    page.get_by_role("button", name="Check the card").click()
    assert page.locator("#decision .word").inner_text().endswith("Do not lend")
    context.close()


def test_circulation_honors_a_block_request_and_the_lenders_next_check_says_so(
        demo_site, browser_page, axe_source):
    """R8: Aurora's circulation honors Naperville's request; Naperville's desk then refuses."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_CIRCULATION_EMAIL"], demo_site.password)
    assert page.locator("h1").inner_text() == "Inbox"
    requests_list = page.locator("section[aria-labelledby=h-requests]")
    assert "Naperville Public Library" in requests_list.inner_text()
    # The patron is named by Aurora's own reference, so the desk can find the account.
    page.get_by_role("link", name="Block: IL0029-P000006").click()
    assert page.locator("h1").inner_text() == "Block request"
    # The consequence of refusing is stated before anyone refuses.
    assert "your library becomes responsible for paying the bills" in \
        page.locator(".warning").inner_text()
    check_page(page, demo_site, axe_source, "block-request")
    page.get_by_role("button", name="Honor the request").click()
    assert "Honored" in page.locator(".flash").inner_text()
    assert page.locator(".badge.state-honored").inner_text() == "Honored (in force)"
    assert "Cory Circulation (honor) in your console" in page.locator(".history").inner_text()

    answer = requests.post(f"{demo_site.root}/api/v1/verifications", timeout=10, json={
        "card_number": demo_card("IL0029", 6)},
        headers={"Authorization": f"Bearer {demo_site.env['DEMO_LENDER_KEY']}"}).json()
    assert answer["decision"] == "not_eligible"
    assert answer["reasons"] == ["federation_block"]


def test_circulation_refuses_a_request_after_confirming_the_liability(demo_site, browser_page,
                                                                     axe_source):
    """R8: refusing needs a reason and the confirmation; then Aurora is liable for the bill."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_CIRCULATION_EMAIL"], demo_site.password)
    page.get_by_role("link", name="Block: IL0029-P000012").click()
    page.get_by_label("Why your library refuses").fill("Our board does not block for fines.")
    page.get_by_role("button", name="Refuse the request").click()
    assert page.locator("#understood-error").inner_text() == "Confirm that you understand."
    check_page(page, demo_site, axe_source, "block-refuse-error")
    page.get_by_label("I understand").check()
    page.get_by_label("Why your library refuses").fill("Our board does not block for fines.")
    page.get_by_role("button", name="Refuse the request").click()
    assert "your library is now responsible" in page.locator(".flash").inner_text()
    assert "The home library (it refused a block)" in page.locator("table").inner_text()
    page.get_by_role("link", name="Demo block: unanswered past its due date (its bill)").click()
    assert "The home library: it refused a block" in page.locator("dl.record").inner_text()
    check_page(page, demo_site, axe_source, "bill")
    page.get_by_label("Amount in dollars").fill("5000")
    page.get_by_role("button", name="Record the payment").click()
    assert "is more than the" in page.locator("#amount-error").inner_text()
    page.get_by_label("Amount in dollars").fill("10.00")
    page.get_by_role("button", name="Record the payment").click()
    assert "Payment of $10.00 recorded." in page.locator(".flash").inner_text()


def test_a_library_admin_publishes_a_policy_after_fixing_a_violation_shown_inline(
        demo_site, browser_page, axe_source):
    """R4 refused next to the field; fixed; published; the public directory page shows it."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_LIBRARY_ADMIN_EMAIL"], demo_site.password)
    page.get_by_role("link", name="Policy").click()
    page.get_by_label("Items a visiting patron may have at a time").fill("0")
    page.get_by_role("button", name="Publish").click()
    assert "cannot be published yet" in page.locator("#problems").inner_text()
    error = page.locator("#items_at_a_time-error").inner_text()
    assert error.startswith("R4: reciprocal borrowing may be restricted but not set to zero")
    assert page.get_by_label("Items a visiting patron may have at a time") \
        .get_attribute("aria-invalid") == "true"
    check_page(page, demo_site, axe_source, "policy-error")
    page.get_by_label("Items a visiting patron may have at a time").fill("3")
    page.get_by_label("Notes for visiting patrons (optional)").fill("Bring a photo ID too.")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview").inner_text()
    assert "up to 3 items at a time" in preview and "Bring a photo ID too." in preview
    check_page(page, demo_site, axe_source, "policy-preview")
    page.get_by_role("button", name="Publish").click()
    assert page.locator(".flash").first.inner_text().startswith("Published as version 2")
    page.goto(f"{demo_site.root}/directory/IL0029")
    borrowing = page.locator("main").inner_text()
    assert "up to 3 items at a time" in borrowing and "Bring a photo ID too." in borrowing


def test_a_library_admin_issues_a_verification_only_key_shown_once_and_revokes_it(
        demo_site, browser_page, axe_source):
    """The key is shown once; it verifies, cannot read bills (403 key_scope); revoked, 401."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_LIBRARY_ADMIN_EMAIL"], demo_site.password)
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name of the key").fill("Front desk terminal")
    page.get_by_label("What the key may do").select_option("verify")
    page.get_by_role("button", name="Issue the key").click()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("rcp_")
    check_page(page, demo_site, axe_source, "keys-issued")
    api = f"{demo_site.root}/api/v1"
    auth = {"Authorization": f"Bearer {key}"}
    checked = requests.post(f"{api}/verifications", json={"card_number": "20368000000016"},
                            headers=auth, timeout=10)
    assert checked.status_code == 200
    refused = requests.get(f"{api}/bills", headers=auth, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "key_scope"
    page.goto(f"{demo_site.root}/console/keys")
    assert key not in page.content()  # shown once only
    row = page.locator("tr", has_text="Front desk terminal")
    assert "Verification only" in row.inner_text()
    row.get_by_role("button", name="Revoke").click()
    assert "revoked" in page.locator(".flash").inner_text()
    assert requests.post(f"{api}/verifications", json={"card_number": "20368000000016"},
                         headers=auth, timeout=10).status_code == 401


def test_the_office_reads_the_traffic_survey_chart(demo_site, browser_page, axe_source):
    """R19: who checked whose cards most, as an SVG chart and the same as a table."""
    for _ in range(3):
        requests.post(f"{demo_site.root}/api/v1/verifications", timeout=10,
                      json={"card_number": demo_site.env["DEMO_CARD_GOOD"]},
                      headers={"Authorization": f"Bearer {demo_site.env['DEMO_LENDER_KEY']}"})
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_OFFICE_EMAIL"], demo_site.password)
    assert page.locator("h1").inner_text() == "Member libraries"
    page.get_by_role("link", name="Traffic survey").click()
    chart = page.get_by_role("img", name="Which libraries checked the most cards")
    assert chart.count() == 1
    first = page.locator("svg .bar").first
    assert first.locator(".pair").text_content() == \
        "Naperville Public Library → Aurora Public Library"
    assert int(first.locator(".count").text_content()) >= 3
    assert "Naperville Public Library (IL0368)" in page.locator("table").inner_text()
    check_page(page, demo_site, axe_source, "survey")


PAGES = {
    "DEMO_DESK_EMAIL": ["/console/desk"],
    "DEMO_CIRCULATION_EMAIL": ["/console/inbox", "/console/blocks", "/console/bills",
                               "/console/bills/new", "/console/patrons", "/console/statements"],
    "DEMO_LIBRARY_ADMIN_EMAIL": ["/console/staff", "/console/keys", "/console/activity",
                                 "/console/policy"],
    "DEMO_OFFICE_EMAIL": ["/console/office/libraries", "/console/office/survey",
                          "/console/office/libraries/new", "/console/office/libraries/IL0029",
                          "/console/office/records", "/console/office/records?kind=notices",
                          "/console/office/records?kind=suspensions"],
}


def test_every_page_passes_axe_and_fits_a_phone(demo_site, chromium, axe_source):
    """At 375 pixels wide nothing scrolls sideways and axe finds nothing serious."""
    context = chromium.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{demo_site.root}/console/sign-in")
    check_page(page, demo_site, axe_source, "sign-in")
    for variable, paths in PAGES.items():
        sign_in(page, demo_site.root, demo_site.env[variable], demo_site.password)
        for path in paths:
            page.goto(f"{demo_site.root}{path}")
            check_page(page, demo_site, axe_source, path.strip("/").replace("/", "-"))
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.get_by_role("button", name="Sign out").click()
        assert page.locator(".flash").inner_text() == "You are signed out."
    context.close()


def _issue_bill(site, serial: int, title: str) -> str:
    """Naperville bills Aurora through the API for a lost book of patron `serial`; its id."""
    response = requests.post(f"{site.root}/api/v1/bills", timeout=10, json={
        "card_number": demo_card("IL0029", serial), "home_library": "IL0029",
        "infraction_date": days_ago(5).isoformat(),
        "items": [{"title": title, "barcode": "31234000999001", "format": "book",
                   "kind": "lost", "in_print": True, "list_price_cents": 2500}]},
        headers={"Authorization": f"Bearer {site.env['DEMO_LENDER_KEY']}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_two_libraries_settle_bills_in_the_console(demo_site, chromium, axe_source):
    """R6, R8, R13: Naperville proposes a waiver and Aurora accepts it (the bill is resolved);
    Aurora disputes a bill, Naperville answers; Aurora opens a dispute letter and Naperville
    writes back; Naperville asks Aurora to block the patron from a bill, then voids another.
    Each page is axe-clean, at desktop and at phone width."""
    waived = _issue_bill(demo_site, 5, "Waived Book")
    answered = _issue_bill(demo_site, 5, "Answered Book")
    voided = _issue_bill(demo_site, 5, "Voided Book")
    lender_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    home_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    lender, home = lender_context.new_page(), home_context.new_page()
    sign_in(lender, demo_site.root, demo_site.env["DEMO_LENDER_CIRCULATION_EMAIL"],
            demo_site.password)
    sign_in(home, demo_site.root, demo_site.env["DEMO_CIRCULATION_EMAIL"], demo_site.password)
    root = demo_site.root

    # R6: other terms, proposed by one library and accepted by the other.
    lender.goto(f"{root}/console/bills/{waived}")
    lender.get_by_role("button", name="Propose these terms").click()
    assert "Describe the terms" in lender.locator(".field.invalid").inner_text()
    lender.get_by_label("What you propose").select_option("waiver")
    lender.get_by_label("The terms in your words").fill("We waive it: the book came back.")
    lender.get_by_role("button", name="Propose these terms").click()
    assert "Proposed" in lender.locator(".flash").inner_text()
    assert lender.get_by_role("button", name="Accept these terms").count() == 0
    check_page(lender, demo_site, axe_source, "bill-proposed")
    home.goto(f"{root}/console/bills/{waived}")
    assert "Naperville Public Library proposes: The lending library waives the bill" in \
        home.locator("#h-settle + .card, section[aria-labelledby=h-settle]").first.inner_text()
    home.get_by_role("button", name="Accept these terms").click()
    assert home.locator(".badge.state-resolved").inner_text() == "Resolved by agreement"

    # The bill's own dispute (the home library) and the lender's answer.
    home.goto(f"{root}/console/bills/{answered}")
    home.get_by_label("Reason").fill("The patron returned it to our branch.")
    home.get_by_role("button", name="Dispute the bill").click()
    lender.goto(f"{root}/console/bills/{answered}")
    lender.get_by_label("Your answer to the home library").fill("We have no record of it.")
    lender.get_by_role("button", name="Send the answer").click()
    assert "Answered" in lender.locator(".flash").inner_text()
    home.reload()
    assert "answer: We have no record of it." in home.locator("main").inner_text()

    # R13: the bill's dispute is a dispute between the two libraries like any other; both
    # write in it, and its letters hold the dispute's reason and answer too.
    home.get_by_role("link", name="Dispute opened").click()
    assert home.locator("h1").inner_text() == "Dispute with Naperville Public Library"
    home.get_by_label("Your message").fill("Please check your shelves again.")
    home.get_by_role("button", name="Send", exact=True).click()
    check_page(home, demo_site, axe_source, "dispute")
    dispute_url = home.url
    lender.goto(dispute_url)
    lender.get_by_label("Your message").fill("Checked: it is not here.")
    lender.get_by_role("button", name="Send", exact=True).click()
    assert lender.get_by_role("button", name="Send and withdraw the dispute").count() == 0
    home.reload()
    letters = home.locator(".letters").inner_text()
    for said in ("The patron returned it to our branch.", "We have no record of it.",
                 "Please check your shelves again.", "Checked: it is not here."):
        assert said in letters, letters

    # R8: a block from a bill; the card is typed, since the bill keeps its last four digits.
    lender.goto(f"{root}/console/bills/{answered}")
    lender.get_by_label("The patron's card number").fill(demo_card("IL0029", 4))
    lender.get_by_role("button", name="Send the request").click()
    assert lender.locator("#block_card-error").count() == 1  # not this bill's patron
    lender.get_by_label("The patron's card number").fill(demo_card("IL0029", 5))
    lender.get_by_role("button", name="Send the request").click()
    assert lender.locator("h1").inner_text() == "Block request"
    assert "Requested: Aurora Public Library answers by" in lender.locator(".flash").inner_text()

    # Void: the lender only, with a reason.
    home.goto(f"{root}/console/bills/{voided}")
    assert home.get_by_role("button", name="Void the bill").count() == 0
    lender.goto(f"{root}/console/bills/{voided}")
    lender.get_by_label("Why your library voids this bill").fill("Billed in error.")
    lender.get_by_role("button", name="Void the bill").click()
    assert lender.locator(".badge.state-void").inner_text() == "Void"
    for page, path in ((lender, f"/console/bills/{waived}"), (home, dispute_url)):
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(path if path.startswith("http") else f"{root}{path}")
        check_page(page, demo_site, axe_source, "settling")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    lender_context.close()
    home_context.close()


def test_the_office_reads_the_record_of_disputes_notices_and_suspensions(demo_site,
                                                                         browser_page,
                                                                         axe_source):
    """R12, R13: the office's record lists the demo's escalated dispute first, then notices
    and suspensions on their own, filtered by a library on either side and by state."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_OFFICE_EMAIL"], demo_site.password)
    page.get_by_role("link", name="Disputes and notices").click()
    assert page.locator("h1").inner_text() == "Disputes, notices and suspensions"
    first = page.locator("tbody tr").first.inner_text()
    assert "Escalated to the office" in first and "Naperville Public Library" in first
    check_page(page, demo_site, axe_source, "office-records")
    page.get_by_label("Show").select_option("notices")
    page.get_by_label("Library code (either side)").fill("IL0029")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("tbody tr")
    assert rows.count() == 2  # the demo's two notices, both with Aurora
    assert "Aurora Public Library" in rows.first.inner_text()
    page.get_by_label("State").select_option("withdrawn")
    page.get_by_role("button", name="Show").click()
    assert "Nothing matches." in page.locator("main").inner_text()
    page.get_by_label("Show").select_option("suspensions")
    page.get_by_label("State").select_option("")
    page.get_by_label("Library code (either side)").fill("NOPE")
    page.get_by_role("button", name="Show").click()
    assert "No member library has the code NOPE." in page.get_by_role("alert").inner_text()
    page.get_by_label("Library code (either side)").fill("")
    page.get_by_role("button", name="Show").click()
    assert "Naperville Public Library" in page.locator("tbody").inner_text()
    check_page(page, demo_site, axe_source, "office-records-suspensions")


def _roster(first: int, last: int) -> bytes:
    """A roster of Aurora's cards 20029-7000001.. with one bad line (line 3)."""
    lines = ["card_number,expires_on,standing,block_reasons,surname,external_ref"]
    for serial in range(first, last + 1):
        lines.append(f"20029-7{serial:07d},2030-06-30,good,,Okafor,R-{serial}")
    lines[2] = "not a card!,2030-06-30,good,,Bad,R-bad"
    return ("\n".join(lines) + "\n").encode()


def test_a_large_roster_shows_its_progress_and_a_second_upload_finishes_it(
        demo_site, browser_page, axe_source, tmp_path):
    """A roster of 4,500 lines (batches of 2,000) shows how far it got after each batch and
    the summary with the rejected line's number. The first 2,500 lines stored, as by an
    upload cut short, the whole file uploaded again is finished: those lines are unchanged."""
    page = browser_page
    sign_in(page, demo_site.root, demo_site.env["DEMO_CIRCULATION_EMAIL"], demo_site.password)
    part, whole = tmp_path / "part.csv", tmp_path / "roster.csv"
    part.write_bytes(_roster(1, 2_500))
    whole.write_bytes(_roster(1, 4_500))
    page.goto(f"{demo_site.root}/console/patrons")
    page.get_by_label("Roster file (CSV with a header line)").set_input_files(str(part))
    page.get_by_role("button", name="Import").click()
    assert "2499</strong> registered" in page.locator(".summary").inner_html()

    page.goto(f"{demo_site.root}/console/patrons")
    page.get_by_label("Roster file (CSV with a header line)").set_input_files(str(whole))
    page.get_by_role("button", name="Import").click()
    page.locator(".summary").wait_for()  # the page streams: the summary comes last
    steps = page.locator(".progress-steps li").all_inner_texts()
    assert len(steps) == 3, steps
    assert "through line 2,001, 1,999 lines stored, 1 rejected." in steps[0]
    assert steps[-1].strip().startswith("100% of the file read: through line 4,501")
    summary = " ".join(page.locator(".summary").inner_text().split())
    assert "roster.csv: 2000 registered, 0 updated, 2499 unchanged, 1 rejected." in summary
    assert "3 A card number holds only letters and digits" in summary
    check_page(page, demo_site, axe_source, "roster-import")
