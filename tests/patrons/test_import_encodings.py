"""Roster imports refuse what they cannot store faithfully: bytes in another encoding, text
no field can hold, more than a request may carry; and say what they stored when they stop."""

import io
import json

import pytest

from tests.patrons.conftest import HOME, OTHER
from tests.patrons.test_import import NDJSON_TYPE, counts, csv_roster, lookup
from tests.problems import assert_problem


@pytest.fixture
def app_config():
    """Batches of two lines, and at most eight lines a request, so small rosters show both."""
    return {"IMPORT_BATCH_SIZE": 2, "IMPORT_MAX_LINES": 8}


def identity(federation, card: str, surname: str) -> str:
    """Another library's desk checks a card with the surname the patron gives (R14)."""
    response = federation.verify(OTHER, card, home_library=HOME, surname=surname)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["identity"]


@pytest.fixture
def desk(federation, other):
    """The federation, with a second library whose desk verifies HOME's cards."""
    return federation


def test_a_latin1_roster_declared_as_such_keeps_umlauts_and_matches_at_the_desk(
        desk, home, import_roster):
    """R14, R16: "Müller" sent in Latin-1 with charset=latin-1 is the Müller a desk types."""
    roster = csv_roster("2000100000001,2030-01-31,good,,adult,Müller,P-1",
                        "2000100000002,2030-01-31,good,,adult,Çelik,P-2")
    response = import_roster(roster.encode("latin-1"), "text/csv; charset=ISO-8859-1")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert counts(body) == (2, 0, 0, 0) and body["encoding"] == "iso8859-1"
    assert identity(desk, "2000100000001", "Müller") == "matched"
    assert identity(desk, "2000100000002", "Celik") == "matched"  # accents fold (R14)
    assert identity(desk, "2000100000002", "Garcia") == "mismatched"


def test_a_windows_1252_roster_sent_without_a_charset_is_refused_line_by_line(
        desk, home, import_roster):
    """Undeclared bytes that are not UTF-8 are refused with their line numbers, never stored
    as "M\ufffdller" (which would make every desk check say identity_mismatch)."""
    roster = csv_roster("2000100000001,2030-01-31,good,,adult,Garcia,P-1",
                        "2000100000002,2030-01-31,good,,adult,O’Brien,P-2",
                        "2000100000003,2030-01-31,good,,adult,Müller,P-3")
    response = import_roster(roster.encode("cp1252"))
    assert response.status_code == 200
    body = response.get_json()
    assert counts(body) == (1, 0, 0, 2) and body["encoding"] == "utf-8"
    assert [(e["line"], e["code"]) for e in body["errors"]] == [
        (3, "undecodable_line"), (4, "undecodable_line")]
    assert "0x92" in body["errors"][0]["detail"] and "charset" in body["errors"][0]["detail"]
    assert lookup(desk.client, home, "2000100000002") is None

    again = import_roster(roster.encode("cp1252"), "text/csv; charset=windows-1252")
    assert counts(again.get_json()) == (2, 0, 1, 0)
    assert identity(desk, "2000100000002", "O’Brien") == "matched"


def test_utf8_with_a_byte_order_mark_reads_as_utf8(desk, home, import_roster):
    """Spreadsheet exports start with a BOM: the header still names its columns."""
    roster = csv_roster("2000100000001,2030-01-31,good,,adult,Núñez,P-1")
    body = import_roster(b"\xef\xbb\xbf" + roster.encode("utf-8")).get_json()
    assert counts(body) == (1, 0, 0, 0)
    assert identity(desk, "2000100000001", "Núñez") == "matched"


@pytest.mark.parametrize("charset", ["utf-16", "ebcdic-cp-be", "no-such-charset"])
def test_a_charset_the_service_does_not_read_is_415_and_nothing_is_stored(
        client, home, import_roster, charset):
    """UTF-16 and friends do not split into lines at b'\\n': refused before reading."""
    roster = csv_roster("2000100000001,2030-01-31,good,,adult,Garcia,P-1")
    response = import_roster(roster.encode("utf-8"), f"text/csv; charset={charset}")
    assert_problem(response, 415, "unsupported_charset")
    assert lookup(client, home, "2000100000001") is None


def test_a_lone_surrogate_in_an_ndjson_line_is_a_bad_line_after_committed_batches(
        client, home, import_roster):
    """An escaped unpaired surrogate (or NUL) decodes but cannot be stored: that line is
    refused with its number, the lines around it are imported."""
    records = [{"card_number": f"200010000000{n}", "expires_on": "2030-01-31",
                "surname": "Garcia"} for n in range(1, 6)]
    lines = [json.dumps(r) for r in records]
    lines.insert(4, '{"card_number": "2000100000009", "expires_on": "2030-01-31", '
                    '"surname": "M\\ud800ller"}')
    lines.insert(5, '{"card_number": "2000100000008", "expires_on": "2030-01-31", '
                    '"external_ref": "P-\\u0000"}')
    response = import_roster("\n".join(lines) + "\n", NDJSON_TYPE)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert counts(body) == (5, 0, 0, 2)
    assert [(e["line"], e["code"]) for e in body["errors"]] == [
        (5, "invalid_text"), (6, "invalid_text")]
    assert lookup(client, home, "2000100000009") is None
    assert lookup(client, home, "2000100000005") is not None


def test_a_roster_over_the_line_cap_is_413_saying_what_was_stored_and_where_it_stopped(
        client, home, import_roster):
    """IMPORT_MAX_LINES (8 here, with the header): batches already committed stay, and the
    answer says so, never that nothing was changed; a rerun of the first part is unchanged."""
    lines = [f"20001000000{n:02},2030-01-31,good,,adult,Garcia,P-{n}" for n in range(1, 13)]
    response = import_roster(csv_roster(*lines))
    body = assert_problem(response, 413, "roster_too_large")
    assert body["stopped_after_line"] == 7
    assert body["imported"]["created"] == 6
    assert "nothing after line 7" in body["detail"] and "nothing was changed" not in body[
        "detail"]
    assert lookup(client, home, "2000100000006") is not None
    assert lookup(client, home, "2000100000007") is None
    again = import_roster(csv_roster(*lines[:7]))
    assert counts(again.get_json()) == (1, 0, 6, 0)


def test_a_roster_exactly_at_the_line_cap_imports_whole(home, import_roster):
    """Eight lines with the header: the cap is inclusive."""
    lines = [f"20001000000{n:02},2030-01-31,good,,adult,Garcia,P-{n}" for n in range(1, 8)]
    assert counts(import_roster(csv_roster(*lines)).get_json()) == (7, 0, 0, 0)


def test_the_command_line_import_reads_the_encoding_it_is_told(app, home, tmp_path, desk):
    """`patrons import --encoding windows-1252`: the file's surnames match at the desk; without
    it, the undecodable line is reported by number and the exit status is 1."""
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_roster("2000100000001,2030-01-31,good,,adult,Müller,P-1",
                                "2000100000002,2030-01-31,good,,adult,Garcia,P-2"
                                ).encode("cp1252"))
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["patrons", "import", HOME, str(path)])
    assert plain.exit_code == 1, plain.output
    assert "line 2: undecodable_line" in plain.output
    told = runner.invoke(args=["patrons", "import", HOME, str(path),
                               "--encoding", "windows-1252"])
    assert told.exit_code == 0, told.output
    assert told.stdout.strip().splitlines()[-1] == (
        "2 lines: 1 created, 0 updated, 1 unchanged, 0 rejected.")
    assert identity(desk, "2000100000001", "Müller") == "matched"
    wrong = runner.invoke(args=["patrons", "import", HOME, str(path), "--encoding", "utf-16"])
    assert wrong.exit_code == 2 and "--encoding" in wrong.output



@pytest.mark.parametrize("app_config", [{"IMPORT_BATCH_SIZE": 2, "IMPORT_MAX_REJECTED": 3}])
def test_a_roster_of_mostly_bad_lines_stops_at_the_cap_on_rejected_lines(
        client, home, import_roster, app_config):
    """A file of commas is not a roster: past IMPORT_MAX_REJECTED bad lines the import stops
    with 422, saying what it stored before."""
    roster = csv_roster("2000100000001,2030-01-31", "2000100000002,2030-01-31", *[","] * 50,
                        header="card_number,expires_on")
    body = assert_problem(import_roster(roster), 422, "too_many_bad_lines")
    assert body["imported"]["created"] == 2 and body["stopped_after_line"] == 3
    assert lookup(client, home, "2000100000002") is not None


@pytest.mark.parametrize("app_config", [{"IMPORT_BATCH_SIZE": 2, "IMPORT_MAX_BYTES": 300}])
def test_a_roster_over_the_byte_cap_is_413_whether_its_length_is_declared_or_not(
        client, home, app_config):
    """IMPORT_MAX_BYTES: a declared length over it is refused before anything is read; a
    chunked body is cut where it passes the cap, and the answer says what was stored."""
    lines = [f"20001000000{n:02},2030-01-31" for n in range(1, 30)]
    raw = csv_roster(*lines, header="card_number,expires_on").encode()
    assert len(raw) > 300
    declared = client.post("/api/v1/patrons/import", data=raw,
                           headers={**home, "Content-Type": "text/csv"})
    assert_problem(declared, 413)
    assert lookup(client, home, "2000100000001") is None
    chunked = client.post("/api/v1/patrons/import", input_stream=io.BytesIO(raw),
                          environ_overrides={"wsgi.input_terminated": True},
                          headers={**home, "Content-Type": "text/csv",
                                   "Transfer-Encoding": "chunked"})
    body = assert_problem(chunked, 413, "roster_too_large")
    assert body["imported"]["created"] == body["stopped_after_line"] - 1 > 0
    assert lookup(client, home, "2000100000001") is not None
