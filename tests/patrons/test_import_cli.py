"""`flask --app wsgi patrons import CODE FILE`: a summary, every bad line, safe to interrupt."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.extensions import db
from app.libraries.models import Library
from app.patrons.service import MAX_REPORTED_ERRORS

ROOT = Path(__file__).resolve().parents[2]
HEADER = "card_number,expires_on,standing,block_reasons,category,surname,external_ref"


def write_roster(path: Path, lines, header: str | None = HEADER) -> Path:
    """Write a roster file: the header (for CSV) and the lines."""
    with open(path, "w", encoding="utf-8") as handle:
        if header is not None:
            handle.write(header + "\n")
        for line in lines:
            handle.write(line + "\n")
    return path


def patron_line(n: int) -> str:
    """A varied, valid CSV line for patron number n."""
    if n % 5 == 0:
        return f"20001 {n:08},2029-12-31,blocked,fines;lost_items,juvenile,Núñez {n},P-{n}"
    return f"20001-{n:08},2030-{n % 12 + 1:02}-01,good,,adult,Garcia {n},P-{n}"


@pytest.fixture
def run(app, home):
    """Run `patrons import ...` in-process with the test app; return the click Result."""
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["patrons", "import", *map(str, args)])

    return invoke


def test_an_import_prints_a_summary_and_succeeds(run, tmp_path, client, home):
    """The last line of output counts every kind of line; exit status 0 when none failed."""
    roster = write_roster(tmp_path / "roster.csv", [patron_line(n) for n in range(1, 6)])
    result = run("IL0001", roster)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "5 lines: 5 created, 0 updated, 0 unchanged, 0 rejected.")
    found = client.post("/api/v1/patrons/lookup", json={"card_number": "2000100000005"},
                        headers=home).get_json()
    assert (found["standing"], found["block_reasons"]) == ("blocked", ["fines", "lost_items"])

    again = run("IL0001", roster)
    assert again.exit_code == 0
    assert "5 lines: 0 created, 0 updated, 5 unchanged, 0 rejected." in again.stdout


def test_rejected_lines_are_listed_and_the_exit_status_is_1(run, tmp_path):
    """Each bad line is shown with its line number and code; any rejection exits 1."""
    roster = write_roster(tmp_path / "roster.csv", [
        patron_line(1), "2000/1,2030-01-01,,,,,", patron_line(3), "20001 4,2030-02-30,,,,,",
        "20001 5,2030-01-01,good"])
    result = run("IL0001", roster)
    assert result.exit_code == 1
    assert "5 lines: 2 created, 0 updated, 0 unchanged, 3 rejected." in result.stdout
    assert "line 3: invalid_card:" in result.stdout
    assert "line 5: invalid_date:" in result.stdout
    assert "line 6: malformed_line:" in result.stdout


def test_many_rejected_lines_are_summarised_after_the_first_twenty(run, tmp_path):
    """A flood of bad lines shows twenty of them and says how many more there were."""
    roster = write_roster(tmp_path / "roster.csv", ["bad!,2030-01-01,,,,,"] * 25)
    result = run("IL0001", roster)
    assert result.exit_code == 1
    assert result.stdout.count("invalid_card") == 20
    assert "... and 5 more rejected lines." in result.stdout
    assert MAX_REPORTED_ERRORS > 25


def test_an_ndjson_roster_is_read_by_its_extension(run, tmp_path):
    """.ndjson and .jsonl files are NDJSON; other names need --format."""
    records = [json.dumps({"card_number": f"20001{n:04}", "expires_on": "2030-01-31"})
               for n in range(3)]
    for name in ("roster.ndjson", "roster.JSONL"):
        result = run("IL0001", write_roster(tmp_path / name, records, header=None))
        assert result.exit_code == 0, result.output
    assert "3 lines: 0 created, 0 updated, 3 unchanged, 0 rejected." in result.stdout
    plain = write_roster(tmp_path / "roster.txt", records, header=None)
    refused = run("IL0001", plain)
    assert refused.exit_code == 2 and "--format" in refused.output
    assert run("IL0001", "--format", "ndjson", plain).exit_code == 0


def test_an_unknown_library_is_an_error(run, tmp_path):
    """The command names the problem rather than importing into nowhere."""
    result = run("IL9999", write_roster(tmp_path / "roster.csv", [patron_line(1)]))
    assert result.exit_code == 1
    assert "library_not_found" in result.output


def test_a_bad_header_is_an_error_and_imports_nothing(run, tmp_path, raw_rows):
    """An unreadable roster stops before any line is imported."""
    roster = write_roster(tmp_path / "roster.csv", [patron_line(1)], header="card,expiry")
    result = run("IL0001", roster)
    assert result.exit_code == 1
    assert "header" in result.output.lower()
    assert raw_rows("patrons") == []


def test_a_roster_can_come_from_a_pipe(run, tmp_path):
    """`patrons import CODE <(zcat roster.csv.gz) --format csv`: no size, no position, still
    imported (the progress bar is left out rather than failing after the first batch)."""
    pipe = tmp_path / "roster.pipe"
    os.mkfifo(pipe)
    lines = [HEADER] + [patron_line(n) for n in range(1, 4)]
    writer = threading.Thread(target=lambda: pipe.write_text("\n".join(lines) + "\n"),
                              daemon=True)  # never keeps pytest alive if the open fails
    writer.start()
    try:
        result = run("IL0001", "--format", "csv", pipe)
    finally:
        writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert "3 lines: 3 created, 0 updated, 0 unchanged, 0 rejected." in result.stdout


# Interrupting and rerunning --------------------------------------------------------------------

# Enough lines in small batches that the command is still busy for a good while after the
# first batches commit (many small batches: the import itself got fast), few enough to keep
# three imports of the file quick.
LINES = 20_000
BATCH = 25
SIGNAL_AFTER = 3 * BATCH


def flask_import(database_url: str, code: str, path: Path, app,
                 batch: int) -> subprocess.Popen:
    """Start `flask --app wsgi patrons import` in its own process, configured by environment."""
    env = {**os.environ, "RECIPROCITY_DATABASE_URL": database_url,
           "RECIPROCITY_HMAC_KEY": app.config["HMAC_KEY"], "RECIPROCITY_SECRET_KEY": "test",
           "RECIPROCITY_IMPORT_BATCH_SIZE": str(batch), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "patrons",
                             "import", code, str(path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def count_patrons(engine, library_id: int) -> int:
    """Patrons committed so far, as another connection sees them."""
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM patrons WHERE library_id = :id"),
                                  {"id": library_id}).scalar_one()


@pytest.mark.parametrize("interrupts", [1, 2], ids=["ctrl-c", "ctrl-c-twice"])
def test_an_interrupted_import_can_be_run_again_to_finish(app, database_url, federation,
                                                          home, tmp_path, patron_state,
                                                          interrupts, unprefixed):
    """Ctrl-C keeps every committed batch; the rerun counts those lines unchanged and the
    registry ends exactly as one clean import leaves it (API: safe to interrupt and rerun).

    A real process gets a real SIGINT after some batches have committed (watched from another
    connection). It runs on both backends: SQLite in WAL mode lets the test read while the
    command writes.
    """
    # No prefix names the cards (`unprefixed`), so IL0002 can import the same roster cleanly.
    roster = write_roster(tmp_path / "roster.csv", [patron_line(n) for n in range(LINES)])
    with app.app_context():
        ids = dict(db.session.execute(db.select(Library.code, Library.id)).all())
        db.session.remove()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    process = flask_import(database_url, "IL0001", roster, app, batch=BATCH)
    try:
        # Wait on progress, not on the clock: the import either commits enough batches or
        # ends, and either is seen here however loaded the machine is.
        while count_patrons(engine, ids["IL0001"]) < SIGNAL_AFTER:
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        # Once: the batch in flight commits, then the import stops. Twice: it stops at once,
        # whatever it was doing (a COPY, a commit), and the server rolls the batch back.
        for _ in range(interrupts):
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 130, (out, err)
        assert "Traceback" not in err, err
        assert "Interrupted. Stored: " in err and "Run the same command again" in err
        kept = count_patrons(engine, ids["IL0001"])
        assert SIGNAL_AFTER <= kept < LINES and kept % BATCH == 0  # whole batches only
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()

    # The rerun may use other batches: what is done is in the database, not in the batching.
    rerun = flask_import(database_url, "IL0001", roster, app, batch=2000)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert out.strip().splitlines()[-1] == (
        f"{LINES} lines: {LINES - kept} created, 0 updated, {kept} unchanged, 0 rejected.")

    clean = app.test_cli_runner().invoke(args=["patrons", "import", "IL0002", str(roster)])
    assert clean.exit_code == 0, clean.output

    assert len(patron_state("IL0001")) == LINES
    assert patron_state("IL0001") == patron_state("IL0002")
