"""Reading the directory with no key: list, filters, pages, detail, history, CSV, answers, and
conditional requests (ETag, Last-Modified, 304)."""

import csv
import io
from datetime import datetime, time, timedelta

from werkzeug.http import http_date

from app.directory import rules
from tests.dates import FEDERATION_TZ, days_ago, today
from tests.directory.conftest import policy
from tests.problems import assert_problem

STALE = days_ago(400).isoformat()


def codes(response) -> list[str]:
    """The library codes on a page of the list."""
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def read(response):
    """The response, its (possibly streamed) body read to the end."""
    response.get_data()
    return response


def publish_three(directory):
    """IL0001 lends DVDs, current, sells nonresident cards; IL0002 excludes DVDs, stale;
    IL0003 lends DVDs, stale, no nonresident cards."""
    directory.published("IL0001", policy())
    directory.published("IL0002", policy(**{
        "reviewed_on": STALE, "reciprocal_borrowing.excluded_formats": ["dvd", "blu_ray"],
        "reciprocal_borrowing.format_limits": []}))
    directory.published("IL0003", policy(**{
        "reviewed_on": STALE, "nonresident_cards.participates": False}))


def test_the_list_needs_no_key_and_filters_by_each_field(directory):
    """q, type, county, system, lends_format, nonresident_cards, stale; combined; a total."""
    publish_three(directory)
    directory.admit("IL0100", type="academic", name="Prairie College Library",
                    address={"city": "Prairie", "county": "Cook"})
    everyone = directory.get("")
    assert codes(everyone) == ["IL0001", "IL0002", "IL0003", "IL0100"]
    assert everyone.get_json()["total"] == 4
    unpublished = everyone.get_json()["items"][3]
    assert unpublished["published"] is False and unpublished["version"] is None
    assert codes(directory.get("?q=prairie")) == ["IL0001", "IL0100"]
    assert codes(directory.get("?q=hilltop")) == ["IL0003"]
    assert codes(directory.get("?q=50%25")) == []  # a % is a character, not a wildcard
    assert codes(directory.get("?type=academic")) == ["IL0100"]
    assert codes(directory.get("?county=kane")) == ["IL0002", "IL0003"]
    assert codes(directory.get("?system=SOUTH")) == ["IL0003"]
    assert codes(directory.get("?lends_format=dvd")) == ["IL0001", "IL0003"]
    assert codes(directory.get("?lends_format=dvd&county=Kane")) == ["IL0003"]
    assert codes(directory.get("?nonresident_cards=true")) == ["IL0001", "IL0002"]
    assert codes(directory.get("?nonresident_cards=false")) == ["IL0003"]
    assert codes(directory.get("?stale=true")) == ["IL0002", "IL0003"]
    assert codes(directory.get("?stale=false")) == ["IL0001"]
    stale = directory.get("?stale=true").get_json()["items"][0]
    assert stale["stale"] is True and stale["reviewed_on"] == STALE
    assert stale["lends_formats"][:4] == ["book", "large_print", "audiobook", "music_cd"]
    assert "dvd" not in stale["lends_formats"]
    assert_problem(directory.get("?lends_format=vinyl"), 422, "validation_failed")
    assert_problem(directory.get("?type=castle"), 422, "validation_failed")


def test_the_list_pages_by_code_with_a_cursor(directory):
    """limit and cursor walk every library once; a made-up cursor is a 400."""
    for number in range(4, 9):
        directory.admit(f"IL000{number}")
    seen, cursor = [], None
    while True:
        response = directory.get("", query_string={"limit": 3, **(
            {"cursor": cursor} if cursor else {})})
        page = response.get_json()
        assert page["total"] == 8 and len(page["items"]) <= 3
        seen += codes(response)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"IL000{n}" for n in range(1, 9)]
    assert_problem(directory.get("?cursor=A"), 400, "invalid_cursor")
    assert_problem(directory.get("?limit=501"), 422, "validation_failed")


def test_the_detail_shows_the_policy_in_fields_and_plain_words(directory):
    """The whole policy, last reviewed, stale flag, and sentences a visitor can read."""
    directory.published("IL0001", policy())
    detail = directory.get("/IL0001")
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["version"] == 1 and body["reviewed_on"] == days_ago(10).isoformat()
    assert body["stale"] is False
    assert body["policy"]["interlibrary_loan"]["lost_materials"]["processing_fee_cents"] == 500
    assert ("Patrons of other member libraries may borrow here with their home card, up to "
            "5 items at a time.") in body["summary"]["reciprocal_borrowing"]
    assert "Not lent to visiting patrons: Wi-Fi hotspots and new releases." in \
        body["summary"]["reciprocal_borrowing"]
    unpublished = directory.get("/IL0002").get_json()
    assert unpublished["published"] is False and unpublished["policy"] is None
    assert_problem(directory.get("/IL9999"), 404, "library_not_found")


def test_the_history_shows_what_changed_field_by_field_newest_first(directory):
    """Each version with its changes from the one before; pages by version."""
    directory.published("IL0001", policy())
    directory.published("IL0001", policy(**{"reciprocal_borrowing.items_at_a_time": 3}))
    directory.published("IL0001", policy(**{"reciprocal_borrowing.items_at_a_time": 3,
                                            "reciprocal_borrowing.excluded_formats": [
                                                "hotspot"]}))
    history = directory.get("/IL0001/history").get_json()
    assert [v["version"] for v in history["items"]] == [3, 2, 1]
    assert history["items"][0]["changes"] == [{
        "path": "reciprocal_borrowing.excluded_formats", "before": ["hotspot", "new_release"],
        "after": ["hotspot"]}]
    assert history["items"][1]["changes"] == [{
        "path": "reciprocal_borrowing.items_at_a_time", "before": 5, "after": 3}]
    assert history["items"][2]["changes"] == []
    first = directory.get("/IL0001/history?limit=1").get_json()
    assert [v["version"] for v in first["items"]] == [3]
    rest = directory.get("/IL0001/history", query_string={
        "limit": 5, "cursor": first["next_cursor"]}).get_json()
    assert [v["version"] for v in rest["items"]] == [2, 1]
    assert rest["items"][0]["changes"] == history["items"][1]["changes"]


def test_the_csv_streams_one_row_per_library_with_the_filters(directory):
    """text/csv, a header, lists joined with ';'; the same filters as the list."""
    publish_three(directory)
    response = directory.client.get("/api/v1/directory.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["code"] for row in rows] == ["IL0001", "IL0002", "IL0003"]
    assert rows[0]["excluded_formats"] == "hotspot;new_release"
    assert rows[0]["ill_processing_fee_cents"] == "500"
    assert rows[1]["stale"] == "True" and "dvd" not in rows[1]["lends_formats"].split(";")
    filtered = directory.client.get("/api/v1/directory.csv?lends_format=dvd&stale=true")
    assert [row["code"] for row in csv.DictReader(io.StringIO(
        filtered.get_data(as_text=True)))] == ["IL0003"]


def test_a_visitor_s_question_is_answered_from_the_published_policy(directory):
    """May I borrow DVDs here, how many, for how long? Yes/no, numbers and plain words."""
    publish_three(directory)
    dvd = directory.get("/IL0001/answers?format=dvd").get_json()
    assert (dvd["may_borrow"], dvd["items_at_a_time"], dvd["loan_days"], dvd["renewals"]) == (
        True, 2, 7, 0)
    assert dvd["answer"] == ("Yes. As a patron of another member library you may borrow DVDs "
                             "at Prairie Public Library, up to 2 at a time (5 items in all), "
                             "for 1 week, with no renewals.")
    assert "Register in person at the desk before your first loan." in dvd["conditions"]
    refused = directory.get("/IL0002/answers?format=dvd").get_json()
    assert refused["may_borrow"] is False and refused["answer"].startswith("No.")
    assert refused["stale"] is True
    assert any("12 months" in line for line in refused["conditions"])
    assert_problem(directory.get("/IL0001/answers?format=vinyl"), 422, "validation_failed")
    assert_problem(directory.get("/IL0001/answers"), 422, "validation_failed")


def test_reads_carry_an_etag_and_last_modified_and_answer_304(directory):
    """If-None-Match and If-Modified-Since give 304 until the policy changes."""
    directory.published("IL0001", policy())
    for path in ("/api/v1/directory", "/api/v1/directory/IL0001",
                 "/api/v1/directory/IL0001/history", "/api/v1/directory/IL0001/answers?format=dvd",
                 "/api/v1/directory.csv"):
        first = directory.client.get(path)
        first.get_data()  # read the streamed CSV to its end, closing its generator here
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert etag and modified, path
        assert directory.client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert directory.client.get(path, headers={
            "If-Modified-Since": modified}).status_code == 304, path
        other = directory.client.get(path, headers={"If-None-Match": '"other"'})
        assert other.status_code == 200 and other.get_data()
    etags = {path: read(directory.client.get(path)).headers["ETag"] for path in (
        "/api/v1/directory", "/api/v1/directory/IL0001", "/api/v1/directory.csv")}
    directory.published("IL0001", policy(**{"reciprocal_borrowing.loan_days": 14}))
    for path, etag in etags.items():
        again = read(directory.client.get(path, headers={"If-None-Match": etag}))
        assert again.status_code == 200, path
        assert again.headers["ETag"] != etag


def test_the_directory_shows_no_patron_data(directory):
    """R16: a registered patron's card or reference never appears in any directory read."""
    directory.federation.register("IL0001", "20001 0000 7777", external_ref="P-SECRET",
                                  surname="Lindqvist")
    directory.published("IL0001", policy())
    for path in ("/api/v1/directory", "/api/v1/directory/IL0001", "/api/v1/directory.csv",
                 "/api/v1/directory/IL0001/history", "/directory", "/directory/IL0001"):
        text = directory.client.get(path).get_data(as_text=True)
        for secret in ("7777", "P-SECRET", "Lindqvist"):
            assert secret not in text, (path, secret)


def test_a_policy_turning_stale_overnight_moves_last_modified(directory, app):
    """R5: with no write, the day a policy turns stale is a change: If-Modified-Since with the
    value from before it gets 200 and `stale: true` on the detail, the list and the CSV."""
    day = today()
    app.config["DIRECTORY_TODAY"] = day.isoformat()
    reviewed = rules.stale_cutoff(day) + timedelta(days=1)  # 12 months minus a day ago
    directory.published("IL0002", policy(reviewed_on=STALE))  # published already stale
    directory.published("IL0001", policy(reviewed_on=reviewed.isoformat()))
    paths = ("/api/v1/directory/IL0001", "/api/v1/directory", "/api/v1/directory.csv")

    def stale_flag(path, response):
        if path.endswith(".csv"):
            rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
            return next(row for row in rows if row["code"] == "IL0001")["stale"] == "True"
        body = response.get_json()
        return (body if "code" in body else body["items"][0])["stale"]

    before = {path: read(directory.client.get(path)) for path in paths}
    for path, response in before.items():
        assert response.status_code == 200 and stale_flag(path, response) is False, path
    # Already stale when published: the publish, not the long-past stale day, is the change.
    old = directory.get("/IL0002")
    assert old.headers["Last-Modified"] == http_date(
        datetime.fromisoformat(old.get_json()["published_at"].replace("Z", "+00:00")))

    app.config["DIRECTORY_TODAY"] = (day + timedelta(days=1)).isoformat()  # not stale yet
    for path, response in before.items():
        again = read(directory.client.get(path, headers={
            "If-Modified-Since": response.headers["Last-Modified"]}))
        assert again.status_code == 304, path

    stale_day = rules.stale_from(reviewed)
    assert stale_day == day + timedelta(days=2)
    app.config["DIRECTORY_TODAY"] = (stale_day + timedelta(days=1)).isoformat()
    turned = http_date(datetime.combine(stale_day, time(0), tzinfo=FEDERATION_TZ))
    for path, response in before.items():
        old_date, old_etag = response.headers["Last-Modified"], response.headers["ETag"]
        now = read(directory.client.get(path, headers={"If-Modified-Since": old_date}))
        assert now.status_code == 200, path
        assert stale_flag(path, now) is True, path
        assert now.headers["Last-Modified"] == turned, path
        assert now.headers["ETag"] != old_etag, path
        assert read(directory.client.get(path, headers={
            "If-Modified-Since": turned})).status_code == 304, path
        # RFC 9110 13.2.2: If-None-Match decides, If-Modified-Since is ignored, both ways.
        assert read(directory.client.get(path, headers={
            "If-None-Match": old_etag, "If-Modified-Since": turned})).status_code == 200, path
        assert read(directory.client.get(path, headers={
            "If-None-Match": now.headers["ETag"],
            "If-Modified-Since": old_date})).status_code == 304, path


def test_r18_only_programmes_in_effect_today_count_as_selling_nonresident_cards(directory):
    """A programme that ended, or has not begun, is not listed among libraries selling
    nonresident cards today; one in effect is."""
    directory.published("IL0001", policy())
    directory.published("IL0002", policy(**{
        "nonresident_cards.board_decision_on": "2019-05-01",
        "nonresident_cards.effective_from": "2019-07-01",
        "nonresident_cards.effective_until": "2020-06-30"}))
    directory.published("IL0003", policy(**{
        "nonresident_cards.effective_from": days_ago(-30).isoformat(),
        "nonresident_cards.effective_until": days_ago(-395).isoformat()}))
    assert codes(directory.get("?nonresident_cards=true")) == ["IL0001"]
    assert codes(directory.get("?nonresident_cards=false")) == ["IL0002", "IL0003"]
    ended = directory.get("/IL0002").get_json()
    assert ended["nonresident_cards"] is False
