"""Roster imports over HTTP: CSV or NDJSON, streamed, upserted, every bad line reported."""

import io
import json
import tracemalloc
from datetime import date

import pytest
from sqlalchemy import create_engine, event, insert

from app.extensions import db
from app.libraries.models import Library
from app.patrons.models import Patron
from app.patrons.roster import MAX_LINE, read_csv
from app.patrons.rules import card_hmac
from app.patrons.service import MAX_REPORTED_ERRORS
from app.patrons.service import import_roster as import_service
from app.timestamps import utcnow
from tests.patrons.conftest import PATRON_COLUMNS

URL = "/api/v1/patrons/import"
CSV_TYPE = "text/csv"
NDJSON_TYPE = "application/x-ndjson"
HEADER = "card_number,expires_on,standing,block_reasons,category,surname,external_ref"


def csv_roster(*lines: str, header: str = HEADER) -> str:
    """A CSV roster: the header, then the lines."""
    return "\n".join([header, *lines]) + "\n"


def ndjson_roster(*records) -> str:
    """An NDJSON roster; a str record is written as is (for malformed lines)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def counts(body: dict) -> tuple:
    """(created, updated, unchanged, rejected) of an import summary."""
    return body["created"], body["updated"], body["unchanged"], body["rejected"]


def lookup(client, headers, card: str) -> dict | None:
    """The caller's patron with this card, or None."""
    response = client.post("/api/v1/patrons/lookup", json={"card_number": card},
                           headers=headers)
    return response.get_json() if response.status_code == 200 else None


ROSTER = csv_roster(
    "20001 0000 0001,2030-01-31,good,,adult,Garcia,P-1",
    "20001-0000-0002,2030-02-28,blocked,fines;lost_items,juvenile,,P-2",
    "2000100000003,2030-03-31,,,,,",
)


def test_a_csv_roster_creates_patrons_and_reports_counts(client, home, import_roster):
    """A first import creates every patron, with the fields as given."""
    response = import_roster(ROSTER)
    assert response.status_code == 200
    body = response.get_json()
    assert counts(body) == (3, 0, 0, 0)
    assert body["errors"] == [] and body["errors_truncated"] is False
    second = lookup(client, home, "2000100000002")
    assert (second["standing"], second["block_reasons"], second["category"],
            second["external_ref"], second["expires_on"], second["identity_check"]) == (
        "blocked", ["fines", "lost_items"], "juvenile", "P-2", "2030-02-28", False)
    assert lookup(client, home, "20001 0000 0001")["identity_check"] is True
    third = lookup(client, home, "2000100000003")
    assert (third["standing"], third["block_reasons"], third["category"]) == ("good", [], None)


def test_importing_the_same_roster_again_changes_nothing(client, home, import_roster,
                                                         patron_state):
    """A rerun reports every line unchanged and leaves the registry exactly as it was."""
    import_roster(ROSTER)
    before = patron_state()
    listed = client.get("/api/v1/patrons", headers=home).get_json()["items"]
    body = import_roster(ROSTER).get_json()
    assert counts(body) == (0, 0, 3, 0)
    assert patron_state() == before
    # updated_at moves only on a change.
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == listed


def test_a_changed_line_updates_only_that_patron(client, home, import_roster):
    """Lines that differ update; the others stay unchanged; a new card is created."""
    import_roster(ROSTER)
    body = import_roster(csv_roster(
        "20001 0000 0001,2030-01-31,good,,adult,Garcia,P-1",
        "20001-0000-0002,2030-02-28,good,,juvenile,,P-2",     # unblocked
        "2000100000003,2031-03-31,,,,,",                        # renewed
        "2000100000004,2031-04-30,,,,,",                        # new
    )).get_json()
    assert counts(body) == (1, 2, 1, 0)
    unblocked = lookup(client, home, "2000100000002")
    assert (unblocked["standing"], unblocked["block_reasons"]) == ("good", [])
    assert lookup(client, home, "2000100000003")["expires_on"] == "2031-03-31"


def test_an_ndjson_roster_imports_like_csv(client, home, import_roster, patron_state):
    """NDJSON and CSV rosters with the same patrons leave the same registry (R16 hashes too)."""
    import_roster(ROSTER)
    from_csv = patron_state()
    body = import_roster(ndjson_roster(
        {"card_number": "2000100000001", "expires_on": "2030-01-31", "standing": "good",
         "block_reasons": [], "category": "adult", "surname": "GARCÍA", "external_ref": "P-1"},
        {"card_number": "20001 0000 0002", "expires_on": "2030-02-28", "standing": "blocked",
         "block_reasons": ["fines", "lost_items"], "category": "juvenile", "surname": None,
         "external_ref": "P-2"},
        {"card_number": "2000100000003", "expires_on": "2030-03-31"},
    ), NDJSON_TYPE).get_json()
    assert counts(body) == (0, 0, 3, 0)
    assert patron_state() == from_csv


def test_a_column_left_out_keeps_its_value(client, home, import_roster):
    """A roster with only some columns updates those and keeps the rest (R2: a block stays)."""
    import_roster(ROSTER)
    body = import_roster(csv_roster("20001-0000-0002,2032-12-31",
                                    header="card_number,expires_on")).get_json()
    assert counts(body) == (0, 1, 0, 0)
    patron = lookup(client, home, "2000100000002")
    assert (patron["expires_on"], patron["standing"], patron["block_reasons"],
            patron["category"]) == ("2032-12-31", "blocked", ["fines", "lost_items"],
                                    "juvenile")


BAD_CSV = csv_roster(
    "20001 0000 0001,2030-01-31,good,,adult,Garcia,P-1",          # line 2: fine
    "2000/0000/0002,2030-01-31,good,,adult,,",                    # 3: bad card
    "2000100000003,2030-13-01,good,,adult,,",                     # 4: bad date
    "2000100000004,2030-01-31,good,,adult",                       # 5: too few fields
    "2000100000005,2030-01-31,good,,adult,,,extra",               # 6: too many fields
    "",                                                           # 7: blank, skipped
    "2000100000007,2030-01-31,lapsed,,adult,,",                   # 8: bad standing
    "2000100000008,2030-01-31,good,fines,adult,,",                # 9: reasons, not blocked
    "2000100000009,2030-01-31,blocked,Fines!,adult,,",            # 10: bad reason code
    "2000100000010,2030-01-31,good,,adult,," + "x" * MAX_LINE,   # 11: over-long line
    "2000100000011,2030-01-31,good,,adult,," + "r" * 101,        # 12: external_ref too long
    ",2030-01-31,good,,adult,,",                                  # 13: no card
    "2000100000013,2030-01-31,,fines,,,",                         # 14: reasons, no block
    "2000100000014,2030-01-31,good,,adult,,P-14",                 # 15: fine
)


def test_each_bad_csv_line_is_reported_with_its_line_number_and_code(client, home,
                                                                     import_roster):
    """A bad line becomes an error naming its line and why; every good line is imported."""
    body = import_roster(BAD_CSV).get_json()
    assert counts(body) == (2, 0, 0, 11)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [   # in line order
        (3, "invalid_card"), (4, "invalid_date"), (5, "malformed_line"),
        (6, "malformed_line"), (8, "invalid_standing"), (9, "reasons_without_block"),
        (10, "invalid_block_reason"), (11, "line_too_long"), (12, "invalid_field"),
        (13, "missing_field"), (14, "reasons_without_block")]
    assert all(e["detail"] for e in body["errors"])
    assert lookup(client, home, "2000100000001") and lookup(client, home, "2000100000014")
    assert lookup(client, home, "2000100000013") is None


def test_each_bad_ndjson_line_is_reported_with_its_line_number_and_code(client, home,
                                                                        import_roster):
    """NDJSON: broken JSON, non-objects, unknown fields and bad values are all per line."""
    good = {"card_number": "2000100000001", "expires_on": "2030-01-31"}
    body = import_roster(ndjson_roster(
        good,                                                                   # 1
        "{not json",                                                            # 2
        "[1, 2, 3]",                                                            # 3
        '"just a string"',                                                      # 4
        {**good, "card_number": "2000100000005", "cardnumber": "x"},            # 5
        {"card_number": 2000100000006, "expires_on": "2030-01-31"},            # 6
        {"card_number": "2000100000007", "expires_on": 20300131},              # 7
        {"card_number": "2000100000008", "expires_on": "2030-01-31",
         "block_reasons": "fines", "standing": "good"},                       # 8
        "",                                                                     # 9 (blank)
        "[" * 3000,                                                             # 10: deep
        {"card_number": "2000100000011", "expires_on": "2030-01-31",
         "external_ref": "x" * (MAX_LINE + 10)},                               # 11
        {"card_number": "2000100000012", "expires_on": "2030-01-31", "category": 7},  # 12
        {"card_number": "2000100000013", "expires_on": "2030-01-31", "standing": "blocked",
         "block_reasons": "fines; lost_items"},                               # 13: fine
    ), NDJSON_TYPE).get_json()
    assert counts(body) == (2, 0, 0, 10)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [
        (2, "malformed_line"), (3, "malformed_line"), (4, "malformed_line"),
        (5, "unknown_field"), (6, "invalid_card"), (7, "invalid_date"),
        (8, "reasons_without_block"), (10, "malformed_line"), (11, "line_too_long"),
        (12, "invalid_field")]
    assert lookup(client, home, "2000100000013")["block_reasons"] == ["fines", "lost_items"]


def test_line_numbers_count_crlf_line_endings_and_a_byte_order_mark(client, home,
                                                                    import_roster):
    """A roster saved by a spreadsheet (BOM, CRLF) reads the same, with the same line numbers."""
    roster = ("\ufeff" + HEADER + "\r\n20001 0000 0001,2030-01-31,good,,adult,,\r\n"
              "bad card!,2030-01-31,good,,adult,,\r\n20001 0000 0003,2030-01-31,,,,,\r\n")
    body = import_roster(roster).get_json()
    assert counts(body) == (2, 0, 0, 1)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, "invalid_card")]


def test_a_line_of_exactly_the_maximum_length_is_accepted(client, home, import_roster):
    """MAX_LINE characters is allowed; one more is line_too_long."""
    base = "20001 0000 0001,2030-01-31,good,,adult,,"
    pad = MAX_LINE - len(base) - len("P")
    fits = "20001 0000 0001" + " " * pad + ",2030-01-31,good,,adult,,P"
    assert len(fits) == MAX_LINE
    too_long = "20001 0000 0002" + " " * (pad + 1) + ",2030-01-31,good,,adult,,P"
    body = import_roster(csv_roster(fits, too_long, "20001 0000 0003,2030-01-31,,,,,")).get_json()
    assert counts(body) == (2, 0, 0, 1)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(3, "line_too_long")]


@pytest.mark.parametrize("roster", [
    "",                                                      # empty: no header
    "card_number,expires_on,shoe_size\n1234,2030-01-01,9\n",  # unknown column
    "card_number,standing\n1234,good\n",                     # missing required column
    "card_number,expires_on,card_number\n1,2030-01-01,2\n",  # a column twice
    "x" * (MAX_LINE + 1) + "\n",                             # over-long header
])
def test_a_bad_header_is_a_422_invalid_roster_and_imports_nothing(client, home, import_roster,
                                                                   roster):
    """The roster as a whole is unreadable: 422 `invalid_roster`, no patron created."""
    response = import_roster(roster)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "invalid_roster"
    assert client.get("/api/v1/patrons", headers=home).get_json()["items"] == []


def test_header_names_are_case_and_space_insensitive_and_in_any_order(client, home,
                                                                      import_roster):
    """Columns are found by name, not position."""
    body = import_roster(csv_roster("2030-05-31, 20001 0000 0001 ,Blocked",
                                    "2030-05-31,20001 0000 0002,",
                                    header=" Expires_On ,CARD_NUMBER,standing")).get_json()
    # Standing values are exact codes: "Blocked" is refused rather than guessed.
    assert counts(body) == (1, 0, 0, 1)
    assert body["errors"][0]["line"] == 2
    assert lookup(client, home, "2000100000002")["expires_on"] == "2030-05-31"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain",
                                          "application/octet-stream", "multipart/form-data"])
def test_a_roster_in_another_format_is_a_415(client, home, import_roster, content_type):
    """Only CSV and NDJSON are read."""
    response = import_roster(ROSTER, content_type)
    assert response.status_code == 415
    assert response.get_json()["code"] == "unsupported_media_type"


def test_media_type_parameters_are_ignored(client, home, import_roster):
    """text/csv; charset=utf-8 is still CSV."""
    response = import_roster(ROSTER, "text/csv; charset=utf-8")
    assert counts(response.get_json()) == (3, 0, 0, 0)


def test_only_member_libraries_import(client, federation, home, import_roster):
    """The office has no patrons; no key is a 401."""
    assert import_roster(ROSTER, headers=federation.headers()).status_code == 403
    assert client.post(URL, data=ROSTER, content_type=CSV_TYPE).status_code == 401


def test_a_roster_larger_than_the_json_body_limit_is_accepted(app, client, home,
                                                               import_roster):
    """The 1 MiB JSON limit does not apply to rosters: a 1.2 MB file imports.

    Lines are padded (spaces inside a card are ignored) so that the file passes the limit with
    2,400 patrons rather than 30,000: the limit is about bytes, and the test stays fast.
    """
    lines = [f"20001 {n:08}{' ' * 450},2030-01-31,good,,adult,Surname{n},P-{n}"
             for n in range(2400)]
    roster = csv_roster(*lines)
    assert len(roster.encode()) > 1.1 * app.config["MAX_CONTENT_LENGTH"]
    response = import_roster(roster)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert counts(response.get_json()) == (2400, 0, 0, 0)
    assert lookup(client, home, "2000100002399")["external_ref"] == "P-2399"


def test_the_json_endpoints_keep_their_body_limit(app, client, home):
    """Lifting the limit for rosters does not lift it for ordinary JSON requests."""
    big = {"card_number": "20001", "expires_on": "2030-01-31",
           "category": "x" * app.config["MAX_CONTENT_LENGTH"]}
    response = client.post("/api/v1/patrons", json=big, headers=home)
    assert response.status_code == 413


def test_a_card_twice_in_one_roster_takes_the_later_line(client, home, import_roster):
    """The later line wins, as if the lines had been sent one by one."""
    body = import_roster(csv_roster(
        "20001 0000 0001,2030-01-31,good,,adult,,first",
        "20001 0000 0002,2030-01-31,good,,adult,,other",
        "2000100000001,2031-01-31,blocked,fines,juvenile,,second",
    )).get_json()
    assert counts(body) == (2, 1, 0, 0)
    patron = lookup(client, home, "2000100000001")
    assert (patron["external_ref"], patron["standing"], patron["expires_on"]) == (
        "second", "blocked", "2031-01-31")
    assert len(client.get("/api/v1/patrons", headers=home).get_json()["items"]) == 2


def test_a_replaced_card_in_a_roster_is_rejected_as_card_replaced(client, home, import_roster):
    """An old card cannot come back through an import either."""
    import_roster(ROSTER)
    patron = lookup(client, home, "2000100000001")
    client.post(f"/api/v1/patrons/{patron['id']}/replace-card",
                json={"new_card_number": "20001 9999"}, headers=home)
    body = import_roster(csv_roster("20001 0000 0001,2030-01-31,good,,adult,Garcia,P-1",
                                    "20001 9999,2030-01-31,good,,adult,Garcia,P-1")).get_json()
    assert counts(body) == (0, 0, 1, 1)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [(2, "card_replaced")]


def test_an_import_leaves_other_libraries_patrons_alone(client, home, other, unprefixed,
                                                        import_roster):
    """R16: a roster reaches only the importing library's registry, even for the same digits."""
    client.post("/api/v1/patrons", json={"card_number": "2000100000002", "standing": "good",
                                         "expires_on": "2029-01-01"}, headers=other)
    import_roster(ROSTER)
    theirs = lookup(client, other, "2000100000002")
    assert (theirs["standing"], theirs["expires_on"]) == ("good", "2029-01-01")
    assert len(client.get("/api/v1/patrons", headers=other).get_json()["items"]) == 1


def test_the_import_answer_never_contains_a_card_or_surname(client, home, import_roster):
    """R16: the summary names lines, never the card or the surname on them."""
    response = import_roster(csv_roster("20001 0000 0001,2030-99-99,good,,adult,Garcia,P-1",
                                        "2000/0000/0002,2030-01-31,,,,Garcia,"))
    text = response.get_data(as_text=True).lower()
    assert response.get_json()["rejected"] == 2
    assert "garcia" not in text and "0000" not in text and "2000" not in text


def test_the_errors_list_is_capped(client, home, import_roster):
    """Past MAX_REPORTED_ERRORS bad lines, the rest are counted and errors_truncated is set."""
    bad = MAX_REPORTED_ERRORS + 5
    body = import_roster(csv_roster(*["bad card!,2030-01-31,,,,,"] * bad,
                                    "20001 0000 0001,2030-01-31,,,,,")).get_json()
    assert counts(body) == (1, 0, 0, bad)
    assert len(body["errors"]) == MAX_REPORTED_ERRORS
    assert body["errors_truncated"] is True
    assert body["errors"][0]["line"] == 2


def test_a_capped_errors_list_keeps_the_earliest_lines(client, home, import_roster):
    """A line refused when its batch is written (here: reasons without a block) still comes
    first, before the flood of later bad lines that were refused while reading."""
    bad = MAX_REPORTED_ERRORS + 5
    body = import_roster(csv_roster("20001 0000 0001,2030-01-31,,fines,,,",
                                    *["bad card!,2030-01-31,,,,,"] * bad)).get_json()
    assert body["rejected"] == bad + 1 and body["errors_truncated"] is True
    assert [(e["line"], e["code"]) for e in body["errors"][:2]] == [
        (2, "reasons_without_block"), (3, "invalid_card")]
    assert body["errors"][-1]["line"] == MAX_REPORTED_ERRORS + 1


def test_a_card_another_writer_creates_mid_import_is_updated_not_a_500(app, client, home,
                                                                       import_roster):
    """A retried import, or a single upsert, may create a card between the import's look-up
    and its insert: the batch is redone and the line becomes an update (never a 500)."""
    other_writer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        library_id = db.session.execute(
            db.select(Library.id).where(Library.code == "IL0001")).scalar_one()
        engine = db.engine
    card = card_hmac(app.config["HMAC_KEY"].encode(), "2000100000002")
    fired = []

    def concurrent_insert(conn, cursor, statement, parameters, context, executemany):
        """After the import looked its cards up (its replaced-card look-up comes next, then
        the insert, which is a COPY on PostgreSQL), another connection commits the same card."""
        if "FROM replaced_cards" in statement and not fired:
            fired.append(True)
            with other_writer.begin() as other:
                other.execute(insert(Patron.__table__).values(
                    id="pat_concurrent", library_id=library_id, card_hmac=card,
                    card_last4="0002", expires_on=date(2029, 1, 1), standing="good",
                    block_reasons=[], created_at=utcnow(), updated_at=utcnow()))

    event.listen(engine, "before_cursor_execute", concurrent_insert)
    try:
        response = import_roster(ROSTER)
    finally:
        event.remove(engine, "before_cursor_execute", concurrent_insert)
        other_writer.dispose()
    assert fired
    assert response.status_code == 200, response.get_json()
    assert counts(response.get_json()) == (2, 1, 0, 0)
    patron = lookup(client, home, "2000100000002")
    assert (patron["id"], patron["standing"], patron["expires_on"]) == (
        "pat_concurrent", "blocked", "2030-02-28")


def test_an_import_without_errors_is_not_truncated(client, home, import_roster):
    """errors_truncated is false when every rejected line is listed."""
    body = import_roster(csv_roster("bad card!,2030-01-31,,,,,")).get_json()
    assert (len(body["errors"]), body["errors_truncated"]) == (1, False)


# Batches ---------------------------------------------------------------------------------------

BAD_LINES = {9, 18, 27, 36}                       # an invalid card
REPEATS = {8: 3, 15: 10, 22: 17, 29: 24, 33: 28}   # the same card as an earlier line
UNBLOCKED_REASONS = {11, 38}                       # block reasons without a block


def batch_roster() -> str:
    """Forty patrons' lines; repeats and bad lines fall inside and across batches of seven."""
    lines = []
    for n in range(1, 41):
        if n in BAD_LINES:
            lines.append(f"bad card {n}!,2030-01-31,,,,,")
        elif n in REPEATS:
            lines.append(f"20001{REPEATS[n]:08},2031-06-30,blocked,fines,juvenile,Lee,"
                         f"again-{n}")
        elif n in UNBLOCKED_REASONS:
            lines.append(f"20001{n:08},2030-01-31,,fines,adult,,")
        else:
            lines.append(f"20001{n:08},2030-01-31,good,,adult,Surname {n},P-{n}")
    return csv_roster(*lines)


class TestSmallBatches:
    """With IMPORT_BATCH_SIZE 7, a roster crosses many batch boundaries (and commits)."""

    @pytest.fixture
    def app_config(self):
        """Batches of seven lines."""
        return {"IMPORT_BATCH_SIZE": 7}

    def test_batch_boundaries_do_not_change_the_result(self, app, home, other, unprefixed,
                                                       import_roster, patron_state):
        """Batches of 7 over HTTP leave what one batch leaves (the service, for IL0002)."""
        roster = batch_roster()
        small = import_roster(roster).get_json()
        with app.app_context():
            other_id = db.session.execute(
                db.select(Library.id).where(Library.code == "IL0002")).scalar_one()
            whole = import_service(other_id, read_csv(io.StringIO(roster)),
                                   app.config["HMAC_KEY"].encode(), batch_size=1000).__dict__
            db.session.remove()
        assert counts(small) == counts(whole) == (29, 5, 0, 6)
        assert small["errors"] == whole["errors"]  # the same reports, in line order
        assert len(patron_state("IL0001")) == 29
        assert patron_state("IL0001") == patron_state("IL0002")

    def test_a_repeated_card_takes_its_later_line_across_batches(self, client, home,
                                                                 import_roster):
        """The later line wins whether or not its twin was in the same batch."""
        import_roster(batch_roster())
        for later, earlier in REPEATS.items():
            patron = lookup(client, home, f"20001{earlier:08}")
            assert (patron["standing"], patron["external_ref"]) == (
                "blocked", f"again-{later}"), later


# Memory ----------------------------------------------------------------------------------------

def parsed_rows(start: int, count: int):
    """Parsed roster lines, made on demand as a reader makes them from a file."""
    for n in range(start, start + count):
        yield n, {"card": f"30001{n:08}", "expires_on": date(2030, 1, 31), "standing": "good",
                  "block_reasons": [], "category": "adult", "surname": f"surname{n}",
                  "external_ref": f"P-{n}"}, None


def peak_memory(function):
    """Run `function` under tracemalloc; return its result and the peak bytes traced."""
    tracemalloc.start()
    try:
        return function(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_roster(app, home):
    """A roster streams: importing ten times more lines takes about the same peak memory.

    The sizes keep the test quick under tracemalloc (which slows allocation-heavy code several
    times over); the check that merely holding the extra rows costs well over the bound keeps
    it meaningful: an import that kept every row, or every outcome, would fail it.
    """
    small, large, batch, bound = 300, 3_300, 100, 768 * 1024
    with app.app_context():
        library_id = db.session.execute(
            db.select(Library.id).where(Library.code == "IL0001")).scalar_one()
        key = app.config["HMAC_KEY"].encode()

        def run(start, count):
            return import_service(library_id, parsed_rows(start, count), key, batch_size=batch)

        run(0, batch)  # warm the statement caches first
        few, few_peak = peak_memory(lambda: run(100_000, small))
        many, many_peak = peak_memory(lambda: run(500_000, large))
        db.session.remove()
    assert (few.created, many.created) == (small, large)
    _, held = peak_memory(lambda: list(parsed_rows(0, large - small)))
    assert held > 2 * bound  # what merely keeping the extra rows would cost
    assert many_peak - few_peak < bound, (few_peak, many_peak, held)


def test_an_imported_patron_is_stored_exactly_as_one_registered_singly(
        client, home, other, unprefixed, import_roster, raw_rows):
    """The import writes new patrons through the driver's bulk path (COPY, executemany):
    the stored row, timestamps' form included, is the one the ORM writes for POST /patrons."""
    fields = {"expires_on": "2030-01-31", "standing": "blocked",
              "block_reasons": ["fines", "lost_items"], "category": "adult",
              "surname": "Garcia", "external_ref": "P-1"}
    assert client.post("/api/v1/patrons", json={"card_number": "20001 0000 0001", **fields},
                       headers=other).status_code == 201
    response = import_roster(csv_roster(
        "20001 0000 0001,2030-01-31,blocked,fines;lost_items,adult,Garcia,P-1"))
    assert counts(response.get_json()) == (1, 0, 0, 0)
    single, imported = (raw_rows("patrons", f"{PATRON_COLUMNS}, created_at, updated_at, id",
                                 where="library_id = (SELECT id FROM libraries WHERE code = "
                                       ":code)", code=code)
                        for code in ("IL0002", "IL0001"))
    assert len(imported) == 1 and imported[0][:-3] == single[0][:-3]
    # Timestamps in the same stored form (SQLite: naive ISO text with microseconds), ids too.
    assert [(type(v), len(v) if isinstance(v, str) else None) for v in imported[0][-3:]] == \
        [(type(v), len(v) if isinstance(v, str) else None) for v in single[0][-3:]]
    patron = lookup(client, home, "2000100000001")
    assert patron["block_reasons"] == ["fines", "lost_items"]
    assert patron["created_at"].endswith(("Z", "+00:00"))
