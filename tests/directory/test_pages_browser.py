"""The directory's web pages in a real Chromium (Debian's, driven by Playwright), served over real
HTTP on 127.0.0.1: search, filter, open a library, read its history, ask a question; labels,
one h1 per page, a phone-sized screen, and no JavaScript needed.

These run on SQLite only: the pages read through the same service functions whose queries the
API tests run on both databases. Without /usr/bin/chromium they skip with the reason, except
with CI=true, where they fail.
"""

import os
import shutil

import pytest

from app import create_app
from app.directory.wording import long_date
from app.extensions import db
from tests.conftest import Federation, base_config
from tests.dates import days_ago
from tests.directory.conftest import Directory, policy
from tests.serving import served


@pytest.fixture
def site(sqlite_template, tmp_path):
    """The app on a fresh SQLite copy with four libraries' policies, served on 127.0.0.1."""
    path = tmp_path / "browser.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}"))
    directory = Directory(Federation(app, app.test_client()), app.test_client())
    directory.admit("IL0001", name="Prairie Public Library",
                    address={"street": "100 Main Street", "city": "Prairie", "zip": "60601",
                             "county": "Cook"})
    directory.admit("IL0002", name="Riverbank Library",
                    address={"city": "Riverbank", "county": "Kane"})
    directory.admit("IL0003", name="Hilltop District Library",
                    address={"city": "Hilltop", "county": "Kane"})
    directory.admit("IL0004", name="Meadow Library", address={"city": "Meadow",
                                                              "county": "Kane"})
    directory.published("IL0001", policy(**{
        "opening_hours": [{"days": ["monday", "tuesday", "wednesday", "thursday"],
                           "opens": "09:00", "closes": "20:00"},
                          {"days": ["saturday"], "opens": "10:00", "closes": "17:00"}],
        "review_cycle_months": 24,
        "interlibrary_loan.conditional_formats": [
            {"format": "blu_ray", "lends": "groups_only",
             "groups": [{"kind": "consortium", "name": "RAILS"}]}]}))
    directory.published("IL0002", policy(**{"reciprocal_borrowing.excluded_formats": ["dvd"],
                                            "reciprocal_borrowing.format_limits": []}))
    directory.published("IL0003", policy(reviewed_on=days_ago(400).isoformat()))
    directory.published("IL0003", policy(**{"reviewed_on": days_ago(400).isoformat(),
                                            "reciprocal_borrowing.items_at_a_time": 3}))
    with served(app) as root:
        yield root
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(chromium):
    """A fresh page with JavaScript switched off: the pages must work without it."""
    context = chromium.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def assert_accessible_basics(page):
    """One h1; every form control has a label; the page's language and landmarks are set."""
    assert page.locator("h1").count() == 1
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main").count() == 1 and page.locator("header").count() == 1
    for control in page.locator("input, select").all():
        control_id = control.get_attribute("id")
        assert control_id, control
        assert page.locator(f'label[for="{control_id}"]').count() == 1, control_id
    viewport = page.locator('meta[name="viewport"]').get_attribute("content")
    assert "width=device-width" in viewport


def test_a_visitor_finds_who_lends_dvds_in_a_county_and_on_what_terms(site, page):
    """Search, filter (lends DVDs + county), open the library, read its terms and history."""
    page.goto(f"{site}/directory")
    assert_accessible_basics(page)
    assert page.locator("#count").inner_text() == "4 libraries found"
    page.get_by_label("Lends to visitors").select_option("dvd")
    page.get_by_label("County").fill("Kane")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#count").inner_text() == "1 library found"
    assert page.locator(".results h3").all_inner_texts() == ["Hilltop District Library"]
    assert page.locator(".results .badge.stale").count() == 1

    page.get_by_role("link", name="Hilltop District Library").click()
    assert page.locator("h1").inner_text() == "Hilltop District Library"
    assert_accessible_basics(page)
    assert f"Last reviewed on {long_date(days_ago(400))}" in page.locator("#reviewed").inner_text()
    assert page.locator("#reviewed .badge.stale").inner_text() == \
        "Stale: not reviewed in 12 months"
    borrowing = page.locator("#s-reciprocal_borrowing + ul").inner_text()
    assert "up to 3 items at a time" in borrowing
    assert "Not lent to visiting patrons: Wi-Fi hotspots and new releases." in borrowing

    history = page.locator("section[aria-labelledby=history]")
    assert history.locator("h3").all_inner_texts()[0].startswith("Version 2, published")
    row = history.locator("table tbody tr").first.locator("td").all_inner_texts()
    assert row == ["reciprocal_borrowing.items_at_a_time", "5", "3"]
    assert "First published." in history.inner_text()

    page.get_by_label("What would you like to borrow?").select_option("dvd")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".answer").inner_text()
    assert "Yes. As a patron of another member library you may borrow DVDs at Hilltop " \
           "District Library, up to 2 at a time (3 items in all), for 1 week" in answer


def test_the_search_finds_by_name_and_filters_by_review_and_says_when_nothing_matches(site,
                                                                                      page):
    """A name search; the stale filter; a search with no match says 0 libraries."""
    page.goto(f"{site}/directory")
    page.get_by_label("Library name, city or code").fill("riverbank")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".results h3").all_inner_texts() == ["Riverbank Library"]
    page.get_by_label("Library name, city or code").fill("")
    page.get_by_label("Policy", exact=True).select_option("stale")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".results h3").all_inner_texts() == ["Hilltop District Library"]
    page.goto(f"{site}/directory?q=atlantis")
    assert page.locator("#count").inner_text() == "0 libraries found"
    page.goto(f"{site}/directory/IL0004")
    assert "has not published its policy yet" in page.locator("main").inner_text()
    missing = page.goto(f"{site}/directory/IL9999")
    assert missing.status == 404 and page.locator("h1").count() == 1


def test_the_pages_fit_a_phone_screen(site, chromium):
    """On a 375-pixel-wide phone nothing scrolls sideways."""
    context = chromium.new_context(viewport={"width": 375, "height": 740},
                                   java_script_enabled=True)
    phone = context.new_page()
    for path in ("/directory", "/directory/IL0003"):
        phone.goto(f"{site}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375, path
    context.close()


SHOTS = os.environ.get("DIRECTORY_SCREENSHOTS")  # a folder: save the pages' screenshots there


def shoot(page, name: str) -> None:
    """Save a full-page screenshot when asked to (to look at them), and always render one."""
    image = page.screenshot(full_page=True)
    assert image[:4] == b"\x89PNG"
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        with open(os.path.join(SHOTS, name), "wb") as file:
            file.write(image)


def test_the_policy_filter_finds_libraries_not_published_or_stale(site, page):
    """'Not published' finds the library with no policy; 'not published, or stale' adds the
    stale one; each keeps its choice on the next page."""
    page.goto(f"{site}/directory")
    page.get_by_label("Policy", exact=True).select_option("not_published")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".results h3").all_inner_texts() == ["Meadow Library"]
    assert "No policy published yet: ask the library." in page.locator(".results").inner_text()
    page.get_by_label("Policy", exact=True).select_option("not_published_or_stale")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#count").inner_text() == "2 libraries found"
    assert page.locator(".results h3").all_inner_texts() == ["Hilltop District Library",
                                                             "Meadow Library"]
    assert page.get_by_label("Policy", exact=True).input_value() == "not_published_or_stale"
    assert "status=not_published_or_stale" in page.url
    shoot(page, "list-desktop.png")


def test_the_detail_page_shows_where_when_and_whom_to_ask(site, page, chromium):
    """Address with a map link, opening hours, the ILL contact and a link to ask it, the
    review cycle beside the stale flag, and the ILL part of "may I borrow it here?"."""
    page.goto(f"{site}/directory/IL0001")
    assert_accessible_basics(page)
    visit = page.locator("section.visit").inner_text()
    assert "Address: 100 Main Street, Prairie 60601" in visit
    map_link = page.get_by_role("link", name="Map of Prairie Public Library")
    assert map_link.get_attribute("href") == (
        "https://www.openstreetmap.org/search?query=100+Main+Street%2C+Prairie%2C+60601")
    assert "Monday to Thursday: 9:00 a.m. to 8:00 p.m." in visit
    assert "Saturday: 10:00 a.m. to 5:00 p.m." in visit
    assert "Interlibrary loan questions: ILL desk, 555-0199." in visit
    ask = page.get_by_role("link", name="Ask the interlibrary loan contact a question")
    assert ask.get_attribute("href") == ("mailto:ill@example.org?subject=Interlibrary%20loan%20"
                                         "question%20for%20Prairie%20Public%20Library")
    reviewed = page.locator("#reviewed").inner_text()
    assert "Current" in reviewed and "Next review by" in reviewed
    ill = page.locator("#s-interlibrary_loan + ul").inner_text()
    assert "Blu-ray discs: lent only to members of RAILS." in ill
    page.get_by_label("What would you like to borrow?").select_option("blu_ray")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".answer").inner_text()
    assert "Through your own library (interlibrary loan)" in answer
    assert ("Only for some libraries: Prairie Public Library lends Blu-ray discs by "
            "interlibrary loan only to members of RAILS, for 4 weeks, with one renewal.") in answer
    shoot(page, "detail-desktop.png")
    context = chromium.new_context(viewport={"width": 375, "height": 740},
                                   java_script_enabled=False)
    phone = context.new_page()
    phone.goto(f"{site}/directory/IL0001?format=blu_ray")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "detail-phone.png")
    phone.goto(f"{site}/directory?status=not_published_or_stale")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "list-phone.png")
    context.close()
